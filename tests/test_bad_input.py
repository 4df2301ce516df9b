"""Bad input is named where it is, and nothing else is lost."""

import duckdb
import pytest

from conftest import build_warehouse, copy_sample
from ntm_pipeline.samples.kim_boi import KimBoiSample, PERIODS
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

PERIOD = "2024-Q1"
GOOD = ["05068", "05080"]


@pytest.fixture(scope="module")
def bad_warehouse(tmp_path_factory):
    raw = copy_sample(tmp_path_factory.mktemp("raw"), [PERIOD], communes=GOOD)
    folder = raw / "submissions" / PERIOD
    (folder / "05999-broken.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    (folder / "empty.xlsx").write_bytes(b"")
    sample = KimBoiSample()
    unit = next(u for u in sample.units if u.code == "05035")
    tables, _ = sample.submission(unit, PERIODS.index(PERIOD))
    tables["investment"][0]["category"] = "cầu treo"  # not a category
    tables["investment"][1]["capital_credit"] = "hai trăm"  # text in a number column
    tables["certified_area"].append({
        "product": "Cam", "standard": "VietGAP", "area_ha": "-3", "certificate_no": "X",
        "issue_date": "01/01/2024", "expiry_date": "01/01/2026",
    })
    tables["criteria"][19 - 1:] = [{"criteria_set": "NTM_2021_2025", "criterion_no": 20, "met": "x"}]
    save_reproducibly(build_workbook(tables), folder / "05035-kim-lap.xlsx")
    # A file dropped in the wrong quarter's folder: its header is quarantined, and with it every row.
    unit = next(u for u in sample.units if u.code == "05086")
    tables, _ = sample.submission(unit, PERIODS.index(PERIOD))
    tables["submission"][0]["reporting_period"] = "Quý 4/2023"
    save_reproducibly(build_workbook(tables), folder / "05086-nuong-dam.xlsx")
    database = raw.parent / "bad.duckdb"
    result = build_warehouse(raw, database, [PERIOD])
    with duckdb.connect(str(database), read_only=True) as conn:
        yield result, conn


def test_run_succeeds_and_reports_rejected_files(bad_warehouse):
    result, conn = bad_warehouse
    assert result.success
    rejected = dict(conn.execute(
        "SELECT source_file, error FROM raw.source_file WHERE status = 'rejected'"
    ).fetchall())
    assert set(rejected) == {"submissions/2024-Q1/05999-broken.xlsx", "submissions/2024-Q1/empty.xlsx"}
    assert rejected["submissions/2024-Q1/empty.xlsx"] == "the file is empty"
    assert "not a readable .xlsx workbook" in rejected["submissions/2024-Q1/05999-broken.xlsx"]
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "every_file_readable")
    assert not check.passed


def finding(conn, table, column):
    return conn.execute(
        f"SELECT source_file, sheet, row_number, value, severity, message_vi, message_en "
        f"FROM quarantine.{table} WHERE column_name = ?", [column],
    ).fetchall()


def test_unknown_category_quarantined_with_place(bad_warehouse):
    _, conn = bad_warehouse
    rows = finding(conn, "investment", "category")
    assert rows == [("submissions/2024-Q1/05035-kim-lap.xlsx", "Dự án đầu tư", 2, "cầu treo", "critical",
                     "Loại công trình không thuộc danh mục", "Project category is not one of the listed categories")]


def test_text_in_number_column_quarantined(bad_warehouse):
    _, conn = bad_warehouse
    rows = finding(conn, "investment", "capital_credit")
    assert [(r[2], r[3], r[4]) for r in rows] == [(3, "hai trăm", "critical")]


def test_negative_area_quarantined(bad_warehouse):
    _, conn = bad_warehouse
    rows = finding(conn, "certified_area", "area_ha")
    assert [(r[1], r[3], r[6]) for r in rows] == [("Vùng sản xuất đạt chứng nhận", "-3", "Area cannot be negative")]


def test_criterion_20_not_in_the_2021_2025_set(bad_warehouse):
    _, conn = bad_warehouse
    rows = finding(conn, "criteria", "criterion_no")
    assert [(r[2], r[3]) for r in rows] == [(20, "20")]


def test_every_other_row_lands(bad_warehouse):
    _, conn = bad_warehouse
    for table, fact in (("investment", "fact_investment"), ("criteria", "fact_criteria_snapshot")):
        staged = conn.execute(f"SELECT count(*) FROM staging.{table}").fetchone()[0]
        quarantined = conn.execute(
            f"SELECT count(DISTINCT (source_file, sheet, row_number)) FROM quarantine.{table} WHERE severity = 'critical'"
        ).fetchone()[0]
        published = conn.execute(f"SELECT count(*) FROM core.{fact}").fetchone()[0]
        assert quarantined > 0
        assert published == staged - quarantined
    assert {r[0] for r in conn.execute("SELECT commune_code FROM core.fact_commune_status").fetchall()} == {
        "05068", "05080", "05035"}


def test_critical_check_passes_once_bad_rows_are_quarantined(bad_warehouse):
    result, conn = bad_warehouse
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()
    }
    check = evaluations[("quarantine/investment", "published_rows_pass_critical_rules")]
    assert check.passed
    quarantined = conn.execute(
        "SELECT count(DISTINCT (source_file, row_number)) FILTER (WHERE commune_code = '05035'), "
        "count(DISTINCT (source_file, row_number)) FROM quarantine.investment WHERE severity = 'critical'"
    ).fetchone()
    assert quarantined[0] == 2  # the unknown category and the text in a number column
    assert check.metadata["rows_quarantined"].value == quarantined[1] > 2  # and the orphaned 05086 rows
    assert "category" in check.metadata["failed_rules"].value


def test_file_of_another_quarter_is_kept_out_whole(bad_warehouse):
    _, conn = bad_warehouse
    header = finding(conn, "submission", "reporting_period, period")
    assert [(r[0], r[3], r[6]) for r in header] == [
        ("submissions/2024-Q1/05086-nuong-dam.xlsx", "Quý 4/2023 | 2024-Q1",
         "Reporting period in the file differs from the period folder it was dropped in")]
    staged, orphaned = conn.execute(
        "SELECT (SELECT count(*) FROM staging.criteria WHERE commune_code = '05086'), "
        "(SELECT count(*) FROM quarantine.criteria WHERE commune_code = '05086' AND column_name = 'commune_code')"
    ).fetchone()
    assert staged == orphaned == 19
    published = conn.execute("SELECT count(*) FROM core.fact_criteria_snapshot WHERE commune_code = '05086'").fetchone()[0]
    assert published == 0
