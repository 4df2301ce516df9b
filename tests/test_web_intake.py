"""The web intake (`ntm serve`): sign-in, CSRF, the sign-in limit, the rights of each account,
checking and filing real workbooks written by the project's writer, warnings then a
confirmation, corrections as the pipeline ranks them, and hostile files, through FastAPI's
test client on a real SQLite accounts database and a raw/ folder in tmp_path.

The checks are the session's checks library (conftest `checker`), so these run in the fast
tier; the published warehouse the rights read is a real DuckDB file holding the GSO units of
both eras (core.dim_commune, core.dim_period) as the reference layer builds them."""

from __future__ import annotations

import hashlib
import io
import re
import time
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from ntm_pipeline.presubmit import checked_files
from ntm_pipeline.samples.kim_boi import PERIODS, KimBoiSample
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly
from ntm_pipeline.web import intake
from ntm_pipeline.web.accounts import AccountStore, User
from ntm_pipeline.web.app import create_app
from ntm_pipeline.web.auth import can_see_commune

SAMPLE = KimBoiSample()
PERIOD = "2026-Q3"  # the sample's last quarter: the 5 communes of province 25
PASSWORD = "mat-khau-2026"
ACCOUNTS = [  # username, role, area
    ("xa04978", "commune", "04978"), ("xa04990", "commune", "04990"), ("tinh25", "province", "25"),
    ("tinh17", "province", "17"), ("huyen153", "district", "153"), ("quantri", "admin", None),
]


def submission_rows(code: str, period: str = PERIOD) -> dict:
    i = PERIODS.index(period)
    unit = next(u for u in SAMPLE.units_at(i) if u.code == code)
    rows, _ = SAMPLE.submission(unit, i)
    return {name: [r for r in table if r] for name, table in rows.items()}


def workbook(folder: Path, code: str = "04978", name: str = "bao-cao.xlsx", edit=None, hide_row: int | None = None,
             period: str = PERIOD) -> Path:
    """A commune's workbook of the sample, written by the project's writer; `edit` changes its rows."""
    rows = submission_rows(code, period)
    if edit:
        edit(rows)
    book = build_workbook(rows, period=period)
    if hide_row:
        book["Dự án đầu tư"].row_dimensions[hide_row].hidden = True
    path = folder / name
    save_reproducibly(book, path)
    return path


@pytest.fixture(scope="module")
def published(checker, tmp_path_factory) -> Path:
    """A published warehouse with the GSO units of both eras, as the reference layer builds them."""
    path = tmp_path_factory.mktemp("published") / "ntm.duckdb"
    conn = checker.conn
    conn.execute(f"ATTACH '{path}' AS published")
    try:
        conn.execute("CREATE SCHEMA published.core")
        for table in ("dim_commune", "dim_period"):
            conn.execute(f"CREATE TABLE published.core.{table} AS SELECT * FROM core.{table}")
    finally:
        conn.execute("DETACH published")
    return path


@pytest.fixture
def env(tmp_path, monkeypatch, published):
    monkeypatch.setenv("NTM_INTAKE_DB", str(tmp_path / "intake.sqlite"))
    monkeypatch.setenv("NTM_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("NTM_INTAKE_PENDING_DIR", str(tmp_path / "pending"))
    monkeypatch.setenv("NTM_WAREHOUSE", str(published))
    monkeypatch.setenv("NTM_INTAKE_LATE_DAYS", "100000")  # the sample's quarters stay open whatever today is
    monkeypatch.delenv("NTM_INTAKE_SECRET", raising=False)
    for variable in ("NTM_MAX_FILE_MB", "NTM_INTAKE_LOGIN_LIMIT", "NTM_INTAKE_LOGIN_LIMIT_ADDRESS"):
        monkeypatch.delenv(variable, raising=False)
    (tmp_path / "uploads").mkdir()
    return tmp_path


@pytest.fixture
def store(env):
    store = AccountStore()
    for username, role, area in ACCOUNTS:
        store.add_user(username, PASSWORD, role, area, f"Tài khoản {username}")
    yield store
    store.close()


@pytest.fixture
def app(store, checker):
    return create_app(checker=checker, store=store)


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


def token_of(page: str) -> str:
    return re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD):
    token = token_of(client.get("/login").text)
    return client.post("/login", data={"csrftoken": token, "username": username, "password": password},
                       follow_redirects=False)


def upload(client: TestClient, path: Path, period: str = PERIOD, correction: bool = False, name: str | None = None):
    token = token_of(client.get("/upload").text)
    data = {"csrftoken": token, "period": period, **({"is_correction": "1"} if correction else {})}
    return client.post("/upload", data=data, files={"file": (name or path.name, path.read_bytes())})


def filed_files(env: Path) -> list[Path]:
    return sorted(p for p in (env / "raw").rglob("*") if p.is_file())


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# Sign-in, sessions, CSRF, the sign-in limit

def test_sign_in_session_cookie_and_sign_out(client, env):
    answer = client.get("/upload", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/upload"
    wrong = sign_in(client, "xa04978", "not-the-password")
    assert wrong.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in wrong.text
    answer = sign_in(client, "xa04978")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert "ntm_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    home = client.get("/")
    assert home.status_code == 200
    assert "Tài khoản xa04978" in home.text and "Cán bộ xã, mã xã 04978" in home.text
    assert "Quý III/2026" in home.text and "/template/2026-Q3" in home.text and 'href="/tracker"' in home.text
    out = client.post("/logout", data={"csrftoken": token_of(home.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303
    # After sign-in, back to the page asked for: a path of this site only.
    for asked, landed in (("/upload", "/upload"), ("//evil.example/x", "/"), ("https://evil.example/", "/")):
        token = token_of(client.get("/login").text)
        answer = client.post("/login", data={"csrftoken": token, "username": "xa04978", "password": PASSWORD,
                                             "next": asked}, follow_redirects=False)
        assert answer.headers["location"] == landed


def test_passwords_are_argon2_hashes_never_clear(store, env):
    database = (env / "intake.sqlite").read_bytes()
    assert PASSWORD.encode() not in database
    with store.engine.connect() as conn:
        hashes = [row[0] for row in conn.exec_driver_sql("SELECT password_hash FROM intake_user")]
    assert len(hashes) == len(ACCOUNTS) and all(h.startswith("$argon2id$") for h in hashes)
    assert store.authenticate("xa04978", PASSWORD) == User("xa04978", "commune", "04978", "Tài khoản xa04978", False)
    assert store.authenticate("xa04978", PASSWORD + "x") is None
    assert store.authenticate("nobody", PASSWORD) is None


def test_a_disabled_account_is_signed_out_at_once(client, store):
    assert sign_in(client, "xa04978").status_code == 303
    store.set_disabled("xa04978")
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert sign_in(client, "xa04978").status_code == 401


def test_every_form_refuses_a_missing_or_wrong_csrf_token(client, app, env):
    posts = sorted(r.path for r in app.routes if "POST" in getattr(r, "methods", ()))
    assert posts == ["/login", "/logout", "/upload", "/upload/confirm"]
    client.get("/login")
    refused = client.post("/login", data={"username": "xa04978", "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert "ntm_session" not in refused.headers.get("set-cookie", "") or client.get("/", follow_redirects=False).status_code == 303
    assert sign_in(client, "xa04978").status_code == 303
    good = workbook(env / "uploads")
    for path in posts:
        answer = client.post(path, data={"csrftoken": "forged", "period": PERIOD},
                             files={"file": ("x.xlsx", good.read_bytes())} if path == "/upload" else None)
        assert answer.status_code == 403, path
        assert "mã chống giả mạo CSRF không khớp" in answer.text
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in: logout was refused
    assert filed_files(env) == []


def test_sign_in_attempts_are_rate_limited(store, checker, monkeypatch):
    monkeypatch.setenv("NTM_INTAKE_LOGIN_LIMIT", "3/minute")
    with TestClient(create_app(checker=checker, store=store)) as client:
        for _ in range(3):
            assert sign_in(client, "xa04978", "wrong-password").status_code == 401
        limited = sign_in(client, "xa04978")  # the right password, but too many attempts
        assert limited.status_code == 429
        assert "Đăng nhập sai quá nhiều lần" in limited.text
        assert sign_in(client, "xa04990").status_code == 303  # another name from the same address


# Checking and filing

def test_a_good_workbook_is_filed_under_a_generated_name(client, store, env):
    sign_in(client, "xa04978")
    path = workbook(env / "uploads", name="Báo cáo quý III.xlsx")
    answer = upload(client, path)
    assert answer.status_code == 200, text_of(answer.text)
    assert "Đã nhận báo cáo" in answer.text
    (stored,) = filed_files(env)
    assert stored.parent == env / "raw" / "submissions" / PERIOD
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert re.fullmatch(rf"04978_{PERIOD}_\d{{8}}T\d{{12}}Z_{digest[:8]}\.xlsx", stored.name)
    assert stored.read_bytes() == path.read_bytes()
    (filing,) = store.filings_of(PERIOD, "04978")
    assert (filing.username, filing.sha256, filing.size_bytes, filing.is_correction, filing.original_name,
            filing.stored_name) == ("xa04978", digest, path.stat().st_size, False, "Báo cáo quý III.xlsx", stored.name)
    assert digest in answer.text
    assert list((env / "pending").iterdir()) == []  # nothing left outside raw/ either


def test_errors_are_shown_by_sheet_row_column_and_value_and_nothing_is_filed(client, env, checker):
    def break_it(rows):
        rows["investment"][0]["category"] = "cầu treo"
        rows["certified_area"][0]["area_ha"] = "-3"

    sign_in(client, "xa04978")
    path = workbook(env / "uploads", edit=break_it)
    answer = upload(client, path)
    assert answer.status_code == 422
    page = text_of(answer.text)
    assert "Có 2 lỗi, 0 cảnh báo." in page and "Tệp chưa được nhận" in page
    # The messages are those `ntm validate` gives the same file, each in its row of the sheet's table.
    (expected,) = checked_files([path], "vi", PERIOD, checker)
    assert [p.severity for p in expected.problems] == ["critical", "critical"]
    for problem in expected.problems:
        row = f"<td>{problem.row}</td><td>{problem.column}</td><td>{problem.value}</td><td>{problem.message}</td>"
        assert row in answer.text.replace("\n", "")
    assert "<h3>Trang 'Dự án đầu tư'</h3>" in answer.text
    assert "<td>2</td><td>Loại công trình</td><td>cầu treo</td><td>Loại công trình không thuộc danh mục</td>" in \
        answer.text.replace("\n", "")
    assert filed_files(env) == []
    assert list((env / "pending").iterdir()) == []
    client.get("/lang/en")
    english = upload(client, path)
    assert english.status_code == 422
    (expected,) = checked_files([path], "en", PERIOD, checker)
    assert "Found 2 error(s), 0 warning(s)." in text_of(english.text)
    assert all(p.message in english.text for p in expected.problems)
    assert "<td>Loại công trình (category)</td>" in english.text


def test_text_typed_into_a_cell_is_shown_as_typed_never_as_markup(client, env):
    def inject(rows):
        rows["investment"][0]["category"] = "<script>alert(1)</script>"
        rows["investment"][1]["category"] = "=HYPERLINK(\"http://x\",\"y\")"

    sign_in(client, "xa04978")
    answer = upload(client, workbook(env / "uploads", edit=inject))
    assert answer.status_code == 422
    assert "<script>alert(1)</script>" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in answer.text


def test_warnings_only_are_filed_after_the_officer_confirms(client, store, env):
    sign_in(client, "xa04978")
    path = workbook(env / "uploads", hide_row=3)  # a hidden row of Dự án đầu tư: a warning
    answer = upload(client, path)
    assert answer.status_code == 200
    page = text_of(answer.text)
    assert "Có 0 lỗi, 1 cảnh báo." in page and "Xác nhận và gửi tệp" in page
    assert filed_files(env) == [] and store.filings_of() == []
    token = re.search(r'name="token" value="([0-9a-f]{32})"', answer.text).group(1)
    confirmed = client.post("/upload/confirm", data={"csrftoken": token_of(answer.text), "token": token})
    assert confirmed.status_code == 200 and "Đã nhận báo cáo" in confirmed.text
    assert "Tệp được nhận kèm 1 cảnh báo" in text_of(confirmed.text)
    (stored,) = filed_files(env)
    assert stored.read_bytes() == path.read_bytes()
    assert [f.stored_name for f in store.filings_of(PERIOD, "04978")] == [stored.name]
    again = client.post("/upload/confirm", data={"csrftoken": token_of(answer.text), "token": token})
    assert again.status_code == 409 and len(filed_files(env)) == 1  # a token files once
    # A check left unconfirmed is swept after an hour, and can no longer be confirmed.
    late = upload(client, workbook(env / "uploads", name="muon.xlsx", hide_row=3, edit=lambda rows: rows[
        "submission"][0].update(is_correction="x", date_prepared="16/10/2026")), correction=True)
    assert late.status_code == 200 and "Xác nhận và gửi tệp" in late.text
    token = re.search(r'name="token" value="([0-9a-f]{32})"', late.text).group(1)
    intake.sweep_pending(time.time() + intake.PENDING_SECONDS - 60)
    assert intake.pending(token) is not None
    intake.sweep_pending(time.time() + intake.PENDING_SECONDS + 60)
    assert list((env / "pending").iterdir()) == []
    expired = client.post("/upload/confirm", data={"csrftoken": token_of(late.text), "token": token})
    assert expired.status_code == 409 and "Phiên kiểm tra đã hết hạn" in expired.text
    assert len(filed_files(env)) == 1


def test_another_account_cannot_confirm_an_officers_check(client, store, app, env):
    sign_in(client, "xa04978")
    answer = upload(client, workbook(env / "uploads", hide_row=3))
    token = re.search(r'name="token" value="([0-9a-f]{32})"', answer.text).group(1)
    with TestClient(app) as other:
        sign_in(other, "quantri")
        home = other.get("/")
        refused = other.post("/upload/confirm", data={"csrftoken": token_of(home.text), "token": token})
    assert refused.status_code == 409 and filed_files(env) == []


# Rights

def test_a_commune_officer_cannot_file_for_another_commune(client, store, env):
    sign_in(client, "xa04990")
    answer = upload(client, workbook(env / "uploads", "04978"))
    assert answer.status_code == 400
    assert "Tệp báo cáo cho xã có mã 04978, không phải xã của tài khoản này (04990): tệp không được nhận" in answer.text
    assert filed_files(env) == [] and store.filings_of() == []
    assert list((env / "pending").iterdir()) == []
    assert upload(client, workbook(env / "uploads", "04990", "own.xlsx")).status_code == 200


def test_a_province_officer_files_for_the_communes_of_the_province_in_force(client, store, env):
    sign_in(client, "tinh17")  # Hòa Bình: 04978 was its commune until 30/06/2025
    refused = upload(client, workbook(env / "uploads", "04978"))
    assert refused.status_code == 400
    assert "Xã có mã 04978 không thuộc địa bàn của tài khoản này (17) trong quý 2026-Q3" in refused.text
    client.post("/logout", data={"csrftoken": token_of(client.get("/").text)})
    sign_in(client, "tinh25")  # Phú Thọ, which 04978 (Xã Kim Bôi) belongs to from 01/07/2025
    assert upload(client, workbook(env / "uploads", "04978")).status_code == 200
    assert [f.username for f in store.filings_of(PERIOD, "04978")] == ["tinh25"]


def test_can_see_commune_by_the_era_of_the_quarter(env):
    district = User("huyen153", "district", "153", "", False)
    hoa_binh = User("tinh17", "province", "17", "", False)
    phu_tho = User("tinh25", "province", "25", "", False)
    commune = User("xa04978", "commune", "04978", "", False)
    admin = User("quantri", "admin", None, "", False)
    # 04978 is Thị trấn Bo (district 153, Hòa Bình) in 2024-Q4 and Xã Kim Bôi (Phú Thọ, no district) in 2025-Q4.
    assert [can_see_commune(u, "04978", "2024-Q4") for u in (district, hoa_binh, phu_tho, commune, admin)] == \
        [True, True, False, True, True]
    assert [can_see_commune(u, "04978", "2025-Q4") for u in (district, hoa_binh, phu_tho, commune, admin)] == \
        [False, False, True, True, True]
    assert not can_see_commune(commune, "04990", "2025-Q4")
    assert not can_see_commune(phu_tho, "99999", "2025-Q4")
    assert not can_see_commune(User("tinh25", "province", "25", "", True), "04978", "2025-Q4")  # disabled


# Corrections

def test_a_second_file_is_taken_only_as_a_correction_which_the_pipeline_publishes(client, store, env, checker):
    sign_in(client, "xa04978")
    first = workbook(env / "uploads", name="lan-1.xlsx")
    assert upload(client, first).status_code == 200

    def second_version(rows):
        rows["submission"][0]["farms"] = 9

    unmarked = workbook(env / "uploads", name="lan-2.xlsx", edit=second_version)
    refused = upload(client, unmarked)
    assert refused.status_code == 422
    assert "Tệp mới chỉ được nhận như một báo cáo điều chỉnh" in refused.text
    ticked = upload(client, unmarked, correction=True)  # ticked, but the workbook has no x
    assert ticked.status_code == 422
    assert "cột &#39;Báo cáo điều chỉnh&#39; của trang &#39;Thông tin chung&#39; chưa ghi x" in ticked.text
    assert upload(client, first).status_code == 400  # the very same file again
    assert len(filed_files(env)) == 1

    def correction(rows):
        second_version(rows)
        rows["submission"][0]["is_correction"] = "x"
        rows["submission"][0]["date_prepared"] = "15/10/2026"

    corrected = workbook(env / "uploads", name="lan-2-dieu-chinh.xlsx", edit=correction)
    assert upload(client, corrected).status_code == 422  # x in the file, box not ticked
    answer = upload(client, corrected, correction=True)
    assert answer.status_code == 200, text_of(answer.text)
    stored = filed_files(env)
    assert [p.read_bytes() for p in stored] == [first.read_bytes(), corrected.read_bytes()]  # both kept
    assert [f.is_correction for f in store.filings_of(PERIOD, "04978")] == [False, True]
    # The quarter's folder as the pipeline reads it: the correction is published, the first superseded.
    checker.check([(p, PERIOD) for p in stored])
    ranked = checker.conn.execute(
        "SELECT source_file, is_superseded, farms FROM staging.submission ORDER BY source_file").fetchall()
    assert ranked == [(f"submissions/{PERIOD}/{stored[0].name}", True, 6),
                      (f"submissions/{PERIOD}/{stored[1].name}", False, 9)]

    def older_correction(rows):
        correction(rows)
        rows["submission"][0]["farms"] = 7
        rows["submission"][0]["date_prepared"] = "13/10/2026"  # before the correction filed

    late = upload(client, workbook(env / "uploads", name="lan-3.xlsx", edit=older_correction), correction=True)
    assert late.status_code == 422
    assert "một báo cáo điều chỉnh đã gửi trước có &#39;Ngày lập&#39; muộn hơn" in late.text
    assert len(filed_files(env)) == 2


# Hostile files

def zip_bomb(path: Path) -> Path:
    """A workbook whose sheet inflates to 300 MB from a few hundred kilobytes."""
    good = workbook(path.parent, name="base.xlsx")
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = data.replace(b"</sheetData>", b"</sheetData>" + b" " * (300 * 1024 * 1024))
            bomb.writestr(info.filename, data)
    return path


def test_hostile_files_are_refused_with_a_message_and_never_lose_a_good_filing(client, store, env, monkeypatch):
    sign_in(client, "xa04978")
    good = workbook(env / "uploads", name="tot.xlsx")
    assert upload(client, good).status_code == 200
    (kept,) = filed_files(env)
    before = kept.read_bytes()

    macro = upload(client, good, name="bao-cao.xlsm")
    assert macro.status_code == 400 and "Tệp .xlsm chứa macro nên không được nhận" in macro.text
    legacy = upload(client, good, name="bao-cao.xls")
    assert legacy.status_code == 400 and "Chỉ nhận tệp .xlsx (Excel Workbook) hoặc .csv; tệp .xls không được nhận" in legacy.text
    exe = upload(client, good, name="virus.exe")
    assert exe.status_code == 400 and "tệp .exe không được nhận" in exe.text

    bomb = upload(client, zip_bomb(env / "uploads" / "bom.xlsx"))
    assert bomb.status_code == 422
    assert "vượt giới hạn" in bomb.text and "tệp không được đọc" in bomb.text  # the reader's refusal, unparsed

    book = build_workbook(submission_rows("04978"), period=PERIOD)
    book["Dự án đầu tư"].cell(row=250_000, column=1, value="x")  # a sheet over NTM_MAX_ROWS (200,000)
    save_reproducibly(book, env / "uploads" / "dai.xlsx")
    tall = upload(client, env / "uploads" / "dai.xlsx")
    assert tall.status_code == 422
    assert "vượt giới hạn 200.000; tệp không được đọc" in tall.text

    ole = env / "uploads" / "mat-khau.xlsx"  # an encrypted workbook is an OLE container
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    encrypted = upload(client, ole)
    assert encrypted.status_code == 422 and "Cả tệp" in text_of(encrypted.text)

    def corrected(rows):
        rows["submission"][0]["is_correction"] = "x"
        rows["submission"][0]["date_prepared"] = "20/10/2026"

    travel = upload(client, workbook(env / "uploads", name="dc.xlsx", edit=corrected), correction=True,
                    name="../../../../etc/cron.d/evil.xlsx")
    assert travel.status_code == 200
    assert "evil.xlsx" in travel.text  # kept as a label only
    names = [p.relative_to(env / "raw").as_posix() for p in filed_files(env)]
    assert len(names) == 2 and all(re.fullmatch(rf"submissions/{PERIOD}/04978_{PERIOD}_\w+\.xlsx", n) for n in names)
    assert not any(p.name == "evil.xlsx" for p in env.rglob("*")) and not Path("/etc/cron.d/evil.xlsx").exists()
    assert store.filings_of()[-1].original_name == "evil.xlsx"

    monkeypatch.setenv("NTM_MAX_FILE_MB", "0.01")  # 10 KiB: the sample's workbook is larger
    too_big = upload(client, good)
    assert too_big.status_code == 400
    assert "Tệp vượt quá dung lượng cho phép (0.01 MB); tệp không được đọc" in too_big.text
    padded = env / "uploads" / "lon.xlsx"
    padded.write_bytes(good.read_bytes() + b"\0" * 200_000)  # a body over the limit is not even read
    refused = upload(client, padded)
    assert refused.status_code == 413
    assert "Tệp vượt quá dung lượng cho phép (0.01 MB); tệp không được đọc" in refused.text
    assert kept.read_bytes() == before and len(filed_files(env)) == 2
    assert list((env / "pending").iterdir()) == []


def test_a_body_without_content_length_is_cut_at_the_limit(app, monkeypatch):
    monkeypatch.setenv("NTM_MAX_FILE_MB", "0.01")
    sent = []

    async def run():
        chunks = [{"type": "http.request", "body": b"x" * 50_000, "more_body": True}] * 4

        async def receive():
            return chunks.pop(0) if chunks else {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/login", "raw_path": b"/login", "query_string": b"",
                 "headers": [(b"content-type", b"application/x-www-form-urlencoded")], "http_version": "1.1",
                 "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 1), "root_path": ""}
        await app(scope, receive, send)

    import anyio

    anyio.run(run)
    assert sent[0]["status"] == 413


# The other routes

def test_template_of_the_quarter_health_language_and_404(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/template/2026-Q3", follow_redirects=False).status_code == 303  # signed in only
    sign_in(client, "xa04978")
    answer = client.get("/template/2026-Q3")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="bao-cao-quy-xa-2026-Q3.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames[:2] == ["Hướng dẫn", "Thông tin chung"]
    headers = [c.value for c in book["Thông tin chung"][1]]
    assert "Mã xã" in headers and "Mã huyện" not in headers  # no districts from 2025-Q3
    old = openpyxl.load_workbook(io.BytesIO(client.get("/template/2024-Q1").content))
    assert "Mã huyện" in [c.value for c in old["Thông tin chung"][1]]
    assert client.get("/template/2024-Q9").status_code == 404
    assert "Trang này không tồn tại." in client.get("/khong-co").text
    switched = client.get("/lang/en", headers={"referer": "http://testserver/upload"}, follow_redirects=False)
    assert switched.headers["location"] == "/upload"
    assert "Upload a quarterly report" in client.get("/upload").text
    client.get("/lang/vi")
    assert "Gửi báo cáo quý" in client.get("/upload").text
    assert client.get("/lang/fr").status_code == 404


def test_open_quarters_from_the_deadline(monkeypatch):
    monkeypatch.delenv("NTM_INTAKE_LATE_DAYS", raising=False)
    monkeypatch.delenv("NTM_REPORTING_DEADLINE_DAY", raising=False)
    assert intake.deadline("2026-Q3") == date(2026, 10, 20)
    assert intake.deadline("2026-Q4") == date(2027, 1, 20)
    # Open from its first day to 45 days after its deadline (20/10/2026 + 45 = 04/12/2026).
    assert intake.open_quarters(date(2026, 12, 4)) == ["2026-Q4", "2026-Q3"]
    assert intake.open_quarters(date(2026, 12, 5)) == ["2026-Q4"]
    monkeypatch.setenv("NTM_INTAKE_LATE_DAYS", "0")
    assert intake.open_quarters(date(2026, 10, 20)) == ["2026-Q4", "2026-Q3"]
    assert intake.open_quarters(date(2026, 10, 21)) == ["2026-Q4"]


def test_a_closed_quarter_is_refused(client, env, monkeypatch):
    sign_in(client, "xa04978")
    monkeypatch.setenv("NTM_INTAKE_LATE_DAYS", "0")
    answer = upload(client, workbook(env / "uploads", period="2024-Q1", code="04978"), period="2024-Q1")
    assert answer.status_code == 400 and "Quý 2024-Q1 không mở để nhận báo cáo" in answer.text
    assert filed_files(env) == []


def test_excel_text_keeps_formula_like_text_as_text(tmp_path):
    from ntm_pipeline.web.templating import excel_text

    book = openpyxl.Workbook()
    for row, text in enumerate(["=1+1", "+84 912", "-3", "@SUM(A1)", "Kim Bôi"], start=1):
        excel_text(book.active.cell(row=row, column=1), text)
    book.save(tmp_path / "out.xlsx")
    with zipfile.ZipFile(tmp_path / "out.xlsx") as saved:
        sheet = saved.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet
    again = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    assert [again.cell(row=r, column=1).value for r in range(1, 6)] == ["=1+1", "+84 912", "-3", "@SUM(A1)", "Kim Bôi"]


def test_ntm_users_add_list_disable(env, monkeypatch, capsys):
    from ntm_pipeline.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("mat-khau-moi-1\n"))
    assert main(["users", "add", "xa05014", "--role", "commune", "--area", "05014", "--name", "UBND xã Mường Động",
                 "--password-stdin"]) == 0
    assert main(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "added xa05014 (commune 05014)" in out
    assert "xa05014\tcommune\t05014\tactive\tUBND xã Mường Động" in out
    assert "mat-khau-moi-1" not in out
    store = AccountStore()
    assert store.authenticate("xa05014", "mat-khau-moi-1").area_code == "05014"
    assert main(["users", "disable", "xa05014"]) == 0
    assert store.authenticate("xa05014", "mat-khau-moi-1") is None
    monkeypatch.setattr("sys.stdin", io.StringIO("mat-khau-moi-1\n"))
    with pytest.raises(SystemExit):  # a commune account needs its 5-digit commune code
        main(["users", "add", "xa1", "--role", "commune", "--area", "123", "--password-stdin"])
    assert "a commune account needs --area" in capsys.readouterr().err
    store.close()


def test_a_csv_keeps_its_table_in_the_generated_name(client, store, env):
    from ntm_pipeline.contract import SUBMISSION
    from ntm_pipeline.submissions.writer import write_csv

    sign_in(client, "xa04978")
    path = env / "uploads" / "kim-boi.submission.csv"
    write_csv(path, SUBMISSION, submission_rows("04978")["submission"], period=PERIOD)
    answer = upload(client, path)
    assert answer.status_code == 200, text_of(answer.text)
    (stored,) = filed_files(env)
    assert re.fullmatch(rf"04978_{PERIOD}_\w+_[0-9a-f]{{8}}\.submission\.csv", stored.name)
    assert stored.read_bytes() == path.read_bytes()
    unknown = env / "uploads" / "bang.csv"  # no table in its name: the reader's reason
    unknown.write_bytes(path.read_bytes())
    refused = upload(client, unknown)
    assert refused.status_code == 422 and "không xác định được bảng của tệp CSV" in refused.text


def test_two_first_files_checked_at_once_are_not_both_filed_and_nothing_is_overwritten(store, checker, env):
    from ntm_pipeline.web.accounts import FilingConflict

    officer = store.get_user("xa04978")

    def check(name: str, edit=None, correction: bool = False) -> intake.UploadCheck:
        path = workbook(env / "uploads", name=name, edit=edit)
        copy = env / f"{name}.upload"
        copy.write_bytes(path.read_bytes())
        return intake.check_upload(copy, name, PERIOD, officer, store, checker, "vi", correction, can_see_commune)

    first, second = check("a.xlsx"), check("b.xlsx", lambda rows: rows["submission"][0].update(farms=8))
    assert first.problems == [] and second.problems == []  # each checked before the other was filed
    intake.file_checked(first, officer, store)
    with pytest.raises(FilingConflict):
        intake.file_checked(second, officer, store)
    assert [p.name for p in filed_files(env)] == [first.stored_name]
    assert [f.stored_name for f in store.filings_of(PERIOD, "04978")] == [first.stored_name]
    # A file of the generated name already there is never replaced, and the filing is not recorded.
    third = check("c.xlsx", lambda rows: rows["submission"][0].update(is_correction="x", date_prepared="16/10/2026"),
                  correction=True)
    assert third.problems == []
    squatter = env / "raw" / "submissions" / PERIOD / third.stored_name
    squatter.write_bytes(b"earlier bytes")
    with pytest.raises(FileExistsError):
        intake.file_checked(third, officer, store)
    assert squatter.read_bytes() == b"earlier bytes"
    assert [f.stored_name for f in store.filings_of(PERIOD, "04978")] == [first.stored_name]


def test_a_header_error_refuses_the_whole_file_and_says_so(client, env, checker):
    sign_in(client, "xa04978")
    path = workbook(env / "uploads", edit=lambda rows: rows["submission"][0].update(farms="sáu"))
    answer = upload(client, path)
    assert answer.status_code == 422
    (expected,) = checked_files([path], "vi", PERIOD, checker)
    assert [(p.whole_file, p.sheet, p.row, p.column, p.value) for p in expected.problems] == \
        [(True, "Thông tin chung", 2, "Số trang trại", "sáu")]
    assert (f"<td>2</td><td>Số trang trại</td><td>sáu</td><td><strong>Cả tệp không được nhận:</strong> "
            f"{expected.problems[0].message}</td>") in answer.text.replace("\n", "")
    assert "Kỳ báo cáo: Quý III/2026 · Mã xã 04978" in text_of(answer.text)
    assert filed_files(env) == []


def test_a_workbook_of_another_quarter_is_refused_by_the_pipelines_rule(client, env, checker):
    sign_in(client, "xa04978")
    path = workbook(env / "uploads")  # Kỳ báo cáo 2026-Q3
    answer = upload(client, path, period="2026-Q4")
    assert answer.status_code == 422
    (expected,) = checked_files([path], "vi", "2026-Q4", checker)
    assert expected.problems and all(p.severity == "critical" for p in expected.problems)
    assert all(p.message in answer.text.replace("&#39;", "'") for p in expected.problems)
    assert any("2026-Q3" in p.line for p in expected.problems)
    assert filed_files(env) == []
