"""The intake's accounts and filings on the shared server's PostgreSQL (NTM_INTAKE_DB as a
URL), on a real server started from Debian's package as the deploy profile's test does."""

import re
from datetime import datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from test_postgres_profile import postgres  # noqa: F401 (the fixture: a PostgreSQL server of its own)
from ntm_pipeline.web.accounts import AccountError, AccountStore, FilingConflict, intake_db_url
from ntm_pipeline.web.app import create_app

pytestmark = pytest.mark.slow  # starts a PostgreSQL server


def test_accounts_and_filings_on_postgres(postgres, tmp_path, monkeypatch):  # noqa: F811
    url = (f"postgresql+psycopg2://{postgres['DAGSTER_PG_USER']}@{postgres['DAGSTER_PG_HOST']}:"
           f"{postgres['DAGSTER_PG_PORT']}/{postgres['DAGSTER_PG_DB']}")
    monkeypatch.setenv("NTM_INTAKE_DB", url)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # the generated session secret goes beside the instance
    monkeypatch.delenv("NTM_INTAKE_SECRET", raising=False)
    assert intake_db_url() == url
    store = AccountStore()
    assert store.engine.dialect.name == "postgresql"
    store.add_user("tinh25", "mat-khau-2026", "province", "25", "Văn phòng Điều phối NTM tỉnh Phú Thọ")
    with pytest.raises(AccountError, match="exists already"):
        store.add_user("tinh25", "mat-khau-2026", "province", "25")
    with store.engine.connect() as conn:
        (stored,) = conn.execute(sa.text("SELECT password_hash FROM intake_user")).scalars()
    assert stored.startswith("$argon2id$") and "mat-khau-2026" not in stored
    with TestClient(create_app(store=store)) as client:
        token = re.search(r'name="csrftoken" value="([^"]+)"', client.get("/login").text).group(1)
        answer = client.post("/login", data={"csrftoken": token, "username": "tinh25", "password": "mat-khau-2026"},
                             follow_redirects=False)
        assert answer.status_code == 303
        assert "Văn phòng Điều phối NTM tỉnh Phú Thọ" in client.get("/").text
    assert (tmp_path / "intake.secret").is_file()

    common = dict(username="tinh25", period="2026-Q3", commune_code="04978", sha256="ab" * 32, size_bytes=10,
                  is_correction=False, original_name="a.xlsx", filed_at=datetime(2026, 10, 1))
    first = store.record_filing(stored_name="a.xlsx", sequence=0, **common)
    with pytest.raises(FilingConflict):  # the commune's first filing of the quarter is taken already
        store.record_filing(stored_name="b.xlsx", sequence=0, **common)
    second = store.record_filing(stored_name="c.xlsx", sequence=1, **{**common, "is_correction": True})
    assert [(f.id, f.stored_name, f.is_correction) for f in store.filings_of("2026-Q3", "04978")] == \
        [(first.id, "a.xlsx", False), (second.id, "c.xlsx", True)]

    store.set_disabled("tinh25")
    assert store.authenticate("tinh25", "mat-khau-2026") is None
    store.close()
