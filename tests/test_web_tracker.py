"""The tracker (ntm_pipeline/web/tracker.py) against real warehouses built by the pipeline:
every status for the right commune with the counts the warehouse's own rows give, the rights
of each kind of account, the deadline, and the area's mart.kpi_wide as a workbook.

Two warehouses: the shared Kim Bôi build (published, with warnings, not received; both eras),
and one quarter built here from files written by the project's writer, with a file whose rows
break rules, three files taken out whole and files that arrive after the run."""

from __future__ import annotations

import hashlib
import io
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import build_warehouse, copy_sample
from fastapi.testclient import TestClient

from ntm_pipeline.samples.kim_boi import PERIODS, KimBoiSample
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly
from ntm_pipeline.web import tracker as tracker_module
from ntm_pipeline.web.accounts import AccountStore
from ntm_pipeline.web.app import create_app
from ntm_pipeline.web.auth import require_user

pytestmark = pytest.mark.slow  # builds a warehouse of its own through the pipeline

PERIOD = "2024-Q1"
SAMPLE = KimBoiSample()
UNITS = {u.code: u for u in SAMPLE.units}
TABLES = ("submission", "investment", "criteria", "ocop_product", "certified_area")


def tables_of(code: str, period: str = PERIOD) -> dict:
    tables, _ = SAMPLE.submission(UNITS[code], PERIODS.index(period))
    return tables


def save(tables: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_reproducibly(build_workbook(tables), path)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def quarter(tmp_path_factory):
    """2024-Q1 of district 153 built by the pipeline from: Nam Thượng's sample file (clean);
    Sào Báy's with two broken investment rows and an expired certificate; Vĩnh Đồng's, an
    NTM commune missing a criterion (a warning); Bình Sơn's naming another quarter (taken out
    whole); an unreadable 05077-cuoi-ha.xlsx; an unreadable bao-cao.xlsx the intake filed for
    Kim Bôi (05065). After the run: a correction from Nam Thượng and Mỵ Hòa's first file."""
    base = tmp_path_factory.mktemp("tracker")
    raw = copy_sample(base / "raw", [PERIOD], communes=["05068"])
    folder = raw / "submissions" / PERIOD
    t = tables_of("05080")
    inv = t["investment"] = [row for row in t["investment"] if row]
    inv[0]["category"] = "cầu treo"  # not a category of the list
    inv[1]["capital_credit"] = "hai trăm"  # not a number
    t["certified_area"] += [{"product": "Cam", "standard": "VietGAP", "area_ha": "7", "certificate_no": "OLD",
                             "issue_date": "01/01/2022", "expiry_date": "31/12/2023"}]  # expired: a warning
    save(t, folder / "05080-sao-bay.xlsx")
    t = tables_of("05026")
    t["criteria"][0]["met"] = None  # an NTM commune missing a criterion: a warning
    save(t, folder / "05026-vinh-dong.xlsx")
    t = tables_of("04990")
    t["submission"][0]["reporting_period"] = "Quý 4/2023"
    save(t, folder / "04990-binh-son.xlsx")
    (folder / "05077-cuoi-ha.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    (folder / "bao-cao.xlsx").write_bytes(b"PK\x03\x04 not a workbook either")
    database = base / "ntm.duckdb"
    assert build_warehouse(raw, database, [PERIOD]).success

    store = AccountStore(f"sqlite:///{base / 'intake.sqlite'}")
    store.record_filing(username="kimboi", period=PERIOD, commune_code="05065", stored_name="bao-cao.xlsx",
                        sha256=sha256(folder / "bao-cao.xlsx"), size_bytes=(folder / "bao-cao.xlsx").stat().st_size,
                        is_correction=False, original_name="Báo cáo quý 1.xlsx",
                        filed_at=datetime(2024, 4, 10, 2, 30))  # 09:30 in Vietnam
    # After the run: files whose hash the warehouse has not seen.
    t = tables_of("05068")
    t["submission"][0].update(is_correction="x", farms=99)
    save(t, folder / "05068-nam-thuong-dieu-chinh.xlsx")
    save(tables_of("05083"), folder / "05083-my-hoa.xlsx")
    yield database, raw, store
    store.close()


def client_for(database: Path, raw: Path, store: AccountStore, user, monkeypatch) -> TestClient:
    """The intake app, as `user`: signing in is the intake's and tested there
    (tests/test_web_intake.py); here require_user is the account given."""
    monkeypatch.setenv("NTM_WAREHOUSE", str(database))
    monkeypatch.setenv("NTM_RAW_DIR", str(raw))
    monkeypatch.setenv("NTM_INTAKE_SECRET", "a secret of the tests")
    app = create_app(store=store)
    app.dependency_overrides[require_user] = lambda: user
    return TestClient(app)


def account(store: AccountStore, username: str, role: str, area: str | None):
    existing = store.get_user(username)
    return existing or store.add_user(username, "mật khẩu dài 123", role, area)


def statuses(page: str) -> dict[str, str]:
    """commune code -> status, as the page's rows carry them."""
    import re

    return dict(re.findall(r'<tr id="commune-(\d{5})" class="status-\w+" data-status="(\w+)"', page))


def counts(page: str) -> dict[str, int]:
    import re

    return {k: int(v) for k, v in re.findall(r'<td data-status="(\w+)">(\d+)</td>', page)}


def query(database: Path, sql: str, params=None):
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def critical_rows(database: Path, period: str, commune: str) -> int:
    """Rows the reconciliation counts as quarantined for the commune's files."""
    return query(database, """
        SELECT coalesce(sum(rows_quarantined), 0) FROM core.row_reconciliation
        WHERE period = ? AND source_file IN (SELECT source_file FROM staging.submission WHERE commune_code = ?)""",
                 [period, commune])[0][0]


def warning_rows(database: Path, period: str, commune: str) -> int:
    union = " UNION ALL ".join(f"SELECT severity, commune_code, period FROM quarantine.{t}" for t in TABLES)
    return query(database, f"SELECT count(*) FROM ({union}) WHERE severity = 'warning' AND period = ? "
                           "AND commune_code = ?", [period, commune])[0][0]


def district_units(database: Path, district: str) -> list[str]:
    return [r[0] for r in query(database, "SELECT commune_code FROM core.dim_commune WHERE admin_era = 'pre_2025' "
                                          "AND district_code = ? ORDER BY commune_code", [district])]


# --- every status, for the right commune ----------------------------------------------------

def test_every_status_for_the_right_commune(quarter, monkeypatch):
    database, raw, store = quarter
    district = account(store, "kimboi-huyen", "district", "153")
    page = client_for(database, raw, store, district, monkeypatch).get(f"/tracker/{PERIOD}")
    assert page.status_code == 200
    got = statuses(page.text)
    units = district_units(database, "153")
    assert sorted(got) == units and len(units) == 17
    expected = {
        "05068": "waiting",  # published, and a correction not yet run
        "05083": "waiting",  # its first file, not yet run
        "05080": "quarantined",
        "05026": "warnings",
        "04990": "taken_out",  # a header naming another quarter
        "05077": "taken_out",  # unreadable; its commune from its name
        "05065": "taken_out",  # unreadable; its commune from the intake's filing
    }
    assert {c: s for c, s in got.items() if c in expected} == expected
    assert {s for c, s in got.items() if c not in expected} == {"not_received"}
    assert counts(page.text) == {
        "total": 17, "received": 7, "not_received": 10, "waiting": 2, "published": 0, "warnings": 1,
        "quarantined": 1, "taken_out": 3}


def test_counts_and_findings_are_the_warehouses_own(quarter, monkeypatch):
    database, raw, store = quarter
    district = account(store, "kimboi-huyen", "district", "153")
    monkeypatch.setenv("NTM_RAW_DIR", str(raw))
    with duckdb.connect(str(database), read_only=True) as conn:
        conn.execute(tracker_module.read_sql(tracker_module.MACROS_SQL))
        board = tracker_module.tracker(conn, PERIOD, tracker_module.resolve_area(conn, PERIOD, "153"), store)
    rows = {r["commune_code"]: r for r in board.rows}
    sao_bay = rows["05080"]
    assert sao_bay["published"] and sao_bay["rows_quarantined"] == critical_rows(database, PERIOD, "05080") == 2
    assert sao_bay["warnings"] == warning_rows(database, PERIOD, "05080") == 1
    findings = query(database, "SELECT row_number, column_name, value, message_vi FROM quarantine.investment "
                               "WHERE commune_code = '05080' AND severity = 'critical' ORDER BY row_number")
    assert [(f["row_number"], f["column_name"], f["value"], f["message_vi"]) for f in sao_bay["findings"]
            if f["severity"] == "critical"] == findings
    assert rows["05026"]["warnings"] == warning_rows(database, PERIOD, "05026") == 1
    assert rows["05026"]["rows_quarantined"] == 0
    # A file taken out whole says why, in the warehouse's words.
    for code, name in (("04990", "04990-binh-son.xlsx"), ("05077", "05077-cuoi-ha.xlsx"), ("05065", "bao-cao.xlsx")):
        reason = query(database, "SELECT message_vi FROM quarantine.source_file WHERE source_file = ?",
                       [f"submissions/{PERIOD}/{name}"])
        assert [f["message_vi"] for f in rows[code]["taken_out"]] == [reason[0][0]], code
        assert not rows[code]["published"]
        assert rows[code]["rows_quarantined"] == critical_rows(database, PERIOD, code) == 0  # the file's reason is its own
    # Waiting: Nam Thượng is published until its correction runs; Mỵ Hòa was never loaded.
    assert (rows["05068"]["status_loaded"], rows["05068"]["files_waiting"]) == ("published", 1)
    assert (rows["05083"]["status_loaded"], rows["05083"]["files_waiting"]) == ("not_received", 1)
    assert rows["05065"]["last_filing"].username == "kimboi"

    page = client_for(database, raw, store, district, monkeypatch).get(f"/tracker/{PERIOD}").text
    for _, _, _, message in findings:
        assert message in page
    assert "09:30 10/04/2024" in page or "10/04/2024 09:30" in page  # the filing, in Vietnam's time


def test_a_file_that_arrives_is_waiting_and_one_removed_is_not(quarter, monkeypatch):
    database, raw, store = quarter
    district = account(store, "kimboi-huyen", "district", "153")
    client = client_for(database, raw, store, district, monkeypatch)
    extra = raw / "submissions" / PERIOD / "05086-nuong-dam.xlsx"
    save(tables_of("05086"), extra)
    try:
        assert statuses(client.get(f"/tracker/{PERIOD}").text)["05086"] == "waiting"
    finally:
        extra.unlink()
    assert statuses(client.get(f"/tracker/{PERIOD}").text)["05086"] == "not_received"
    # A loaded file overwritten in place (same name, new bytes) waits for its run: files are
    # known by their content, as the sensor knows them.
    loaded = raw / "submissions" / PERIOD / "05026-vinh-dong.xlsx"
    before = loaded.read_bytes()
    t = tables_of("05026")
    t["submission"][0]["farms"] = 77
    save(t, loaded)
    try:
        assert statuses(client.get(f"/tracker/{PERIOD}").text)["05026"] == "waiting"
    finally:
        loaded.write_bytes(before)
    assert statuses(client.get(f"/tracker/{PERIOD}").text)["05026"] == "warnings"


def test_published_and_warnings_on_the_sample(sample_build, quarter, monkeypatch):
    database = sample_build[0]
    _, _, store = quarter
    raw = copy_sample(Path(store.engine.url.database).parent / "sample-raw", ["2023-Q2"])
    district = account(store, "kimboi-huyen", "district", "153")
    got = statuses(client_for(database, raw, store, district, monkeypatch).get("/tracker/2023-Q2").text)
    warned = {r[0] for r in query(database, "SELECT DISTINCT commune_code FROM quarantine.ocop_product "
                                            "WHERE period = '2023-Q2' AND severity = 'warning'")}
    assert warned == {"05065"}
    assert got == {c: "warnings" if c in warned else "published" for c in district_units(database, "153")}


def test_post_reform_province_and_district(sample_build, quarter, monkeypatch):
    """2025-Q3: the 148 communes of the new Phú Thọ, of which the sample's 5 published; a
    district officer sees no post-reform quarter."""
    database = sample_build[0]
    _, _, store = quarter
    raw = copy_sample(Path(store.engine.url.database).parent / "sample-raw-2025", ["2025-Q3"])
    province = account(store, "phutho", "province", "25")
    page = client_for(database, raw, store, province, monkeypatch).get("/tracker/2025-Q3")
    got = statuses(page.text)
    units = [r[0] for r in query(database, "SELECT commune_code FROM core.dim_commune WHERE admin_era = 'post_2025' "
                                           "AND province_code = '25'")]
    published = {r[0] for r in query(database, "SELECT commune_code FROM core.fact_commune_status "
                                               "WHERE period = '2025-Q3'")}
    assert sorted(got) == sorted(units) and len(units) == 148
    assert {c for c, s in got.items() if s == "published"} == published and len(published) == 5
    assert counts(page.text)["not_received"] == 143
    monkeypatch.setattr(tracker_module, "today", lambda: date(2025, 10, 5))  # 2025-Q4 begun, 2025-Q3 due on 20/10
    index = client_for(database, raw, store, province, monkeypatch).get("/tracker").text
    assert index.count("5/148") == 2 and "/tracker/2025-Q4" in index and "20/10/2025" in index
    assert "còn 15 ngày" in index

    district = account(store, "kimboi-huyen", "district", "153")
    client = client_for(database, raw, store, district, monkeypatch)
    refused = client.get("/tracker/2025-Q3")
    assert refused.status_code == 404 and "không còn cấp huyện" in refused.text
    assert client.get("/tracker/2025-Q2").status_code == 200
    index = client.get("/tracker").text
    assert "/tracker/2025-Q2" in index and "/tracker/2025-Q3" not in index


# --- rights --------------------------------------------------------------------------------

def test_a_commune_officer_sees_only_their_commune(quarter, monkeypatch):
    database, raw, store = quarter
    officer = account(store, "namthuong", "commune", "05068")
    client = client_for(database, raw, store, officer, monkeypatch)
    page = client.get(f"/tracker/{PERIOD}")
    assert statuses(page.text) == {"05068": "waiting"}
    assert "05080" not in page.text
    for other in ("05080", "153", "17"):
        assert client.get(f"/tracker/{PERIOD}?area={other}").status_code == 403
        assert client.get(f"/tracker/{PERIOD}/kpi.xlsx?area={other}").status_code == 403
    assert client.get(f"/tracker/{PERIOD}?area=05068").status_code == 200


def test_a_district_officer_sees_only_its_communes(quarter, monkeypatch):
    database, raw, store = quarter
    other = account(store, "luongson-huyen", "district", "152")  # Lương Sơn, beside Kim Bôi
    client = client_for(database, raw, store, other, monkeypatch)
    got = statuses(client.get(f"/tracker/{PERIOD}").text)
    assert sorted(got) == district_units(database, "152") and len(got) == 11
    assert set(got.values()) == {"not_received"}  # Kim Bôi's files are not theirs
    assert client.get(f"/tracker/{PERIOD}?area=05080").status_code == 403
    assert client.get(f"/tracker/{PERIOD}?area=153").status_code == 403
    kim_boi = client_for(database, raw, store, account(store, "kimboi-huyen", "district", "153"), monkeypatch)
    assert statuses(kim_boi.get(f"/tracker/{PERIOD}?area=05080").text) == {"05080": "quarantined"}
    assert kim_boi.get(f"/tracker/{PERIOD}?area=17").status_code == 403  # the province is above it


def test_province_and_admin(quarter, monkeypatch):
    database, raw, store = quarter
    province = client_for(database, raw, store, account(store, "hoabinh", "province", "17"), monkeypatch)
    got = statuses(province.get(f"/tracker/{PERIOD}").text)
    units = [r[0] for r in query(database, "SELECT commune_code FROM core.dim_commune WHERE admin_era = 'pre_2025' "
                                           "AND province_code = '17'")]
    assert sorted(got) == sorted(units)
    assert statuses(province.get(f"/tracker/{PERIOD}?area=153").text).keys() == set(district_units(database, "153"))
    assert province.get(f"/tracker/{PERIOD}?area=01").status_code == 403  # Hà Nội
    admin = client_for(database, raw, store, account(store, "admin", "admin", None), monkeypatch)
    country = admin.get(f"/tracker/{PERIOD}")
    assert country.status_code == 200 and 'href="?area=17"' in country.text
    assert counts(country.text)["total"] == query(database, "SELECT count(*) FROM core.dim_commune "
                                                            "WHERE admin_era = 'pre_2025'")[0][0]
    assert statuses(admin.get(f"/tracker/{PERIOD}?area=05080").text) == {"05080": "quarantined"}
    assert admin.get(f"/tracker/{PERIOD}?area=99999").status_code == 404
    assert admin.get("/tracker/2024-Q5").status_code == 404
    assert admin.get("/tracker/2030-Q4").status_code == 404  # not begun


# --- the deadline ----------------------------------------------------------------------------

def test_deadline_and_days_left(quarter, monkeypatch):
    database, raw, store = quarter
    client = client_for(database, raw, store, account(store, "kimboi-huyen", "district", "153"), monkeypatch)
    monkeypatch.setattr(tracker_module, "today", lambda: date(2024, 4, 15))
    page = client.get(f"/tracker/{PERIOD}").text
    assert "20/04/2024" in page and "còn 5 ngày" in page
    monkeypatch.setattr(tracker_module, "today", lambda: date(2024, 4, 23))
    assert "đã quá hạn 3 ngày" in client.get(f"/tracker/{PERIOD}").text
    monkeypatch.setenv("NTM_REPORTING_DEADLINE_DAY", "25")
    assert "25/04/2024" in client.get(f"/tracker/{PERIOD}").text and "còn 2 ngày" in client.get(f"/tracker/{PERIOD}").text


# --- the area's KPIs as a workbook -------------------------------------------------------------

def workbook_rows(response) -> tuple[list, list, list[tuple]]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), list(rows[1]), rows[2:]


@pytest.mark.parametrize("period, role, area, expected_where", [
    ("2024-Q1", "district", "153",
     ("(area_level = 'district' AND area_code = '153') OR (area_level = 'commune' AND area_code IN "
      "(SELECT commune_code FROM core.dim_commune WHERE admin_era = 'pre_2025' AND district_code = '153'))")),
    ("2025-Q3", "province", "25",
     ("(area_level = 'province' AND area_code = '25') OR (area_level = 'commune' AND area_code IN "
      "(SELECT commune_code FROM core.dim_commune WHERE admin_era = 'post_2025' AND province_code = '25'))")),
    ("2024-Q1", "commune", "05068", "area_level = 'commune' AND area_code = '05068'"),
])
def test_kpi_workbook_is_the_areas_kpi_wide(sample_build, quarter, monkeypatch, period, role, area, expected_where):
    database = sample_build[0]
    _, _, store = quarter
    raw = Path(store.engine.url.database).parent / "empty-raw"
    user = account(store, f"kpi-{role}-{area}", role, area)
    response = client_for(database, raw, store, user, monkeypatch).get(f"/tracker/{period}/kpi.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(tracker_module.XLSX)
    labels, names, rows = workbook_rows(response)
    with duckdb.connect(str(database), read_only=True) as conn:
        cursor = conn.execute(f"SELECT * FROM mart.kpi_wide WHERE period = ? AND ({expected_where}) "
                              "ORDER BY area_level = 'commune', area_code", [period])
        expected = cursor.fetchall()
        columns = [d[0] for d in cursor.description]
    assert names == columns
    assert labels[columns.index("ntm_communes")] == "Xã đạt chuẩn NTM"
    assert rows == expected
    assert len(expected) == (1 if role == "commune" else 1 + query(
        database, "SELECT count(*) FROM core.fact_commune_status WHERE period = ?", [period])[0][0])


def test_kpi_workbook_text_is_never_a_formula():
    data = tracker_module.kpi_workbook(PERIOD, ["area_name", "value"], ["Tên", "Giá trị"],
                                       [("=HYPERLINK(\"http://x\")\x07", 1.5), ("@SUM(A1)", None)])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["A3"].value == '=HYPERLINK("http://x")' and sheet["A3"].data_type == "s"
    assert sheet["A4"].value == "@SUM(A1)" and sheet["A4"].data_type == "s"
    assert sheet["B3"].value == 1.5


def test_the_warehouse_is_read_only_and_closed(quarter, monkeypatch, tmp_path):
    """A page holds no connection once answered: a writer opens the file right after. No
    warehouse yet: a page saying so, not a stack trace."""
    database, raw, store = quarter
    copy = tmp_path / "ntm.duckdb"
    shutil.copy(database, copy)
    client = client_for(copy, raw, store, account(store, "kimboi-huyen", "district", "153"), monkeypatch)
    assert client.get(f"/tracker/{PERIOD}").status_code == 200
    assert client.get(f"/tracker/{PERIOD}/kpi.xlsx").status_code == 200
    with duckdb.connect(str(copy)) as writer:  # DuckDB refuses a writer while any reader holds the file
        writer.execute("CREATE TABLE main.touched AS SELECT 1")
    missing = client_for(tmp_path / "none.duckdb", raw, store, account(store, "kimboi-huyen", "district", "153"),
                         monkeypatch).get(f"/tracker/{PERIOD}")
    assert missing.status_code == 503 and "Chưa đọc được kho dữ liệu" in missing.text
