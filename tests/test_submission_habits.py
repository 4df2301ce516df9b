"""Real files' habits all load: labels or codes, decimal commas, dd/mm/yyyy, x/đạt/1, NFD,
"Hoà", stray spaces, blank rows, English headers, CSV with or without BOM, bulk CSV."""

import unicodedata

import duckdb
import pytest

from conftest import build_warehouse
from ntm_pipeline.contract import CERTIFIED_AREA, CRITERIA, INVESTMENT, OCOP_PRODUCT, SUBMISSION
from ntm_pipeline.samples.kim_boi import KimBoiSample, PERIODS
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly, write_csv

PERIOD = "2024-Q1"
I = PERIODS.index(PERIOD)


@pytest.fixture(scope="module")
def habits_warehouse(tmp_path_factory):
    """Three communes: one workbook with every habit, one bulk CSV export of two communes."""
    raw = tmp_path_factory.mktemp("raw")
    sample = KimBoiSample()
    units = {u.code: u for u in sample.units}
    folder = raw / "submissions" / PERIOD

    # 05083 Mỵ Hòa as a workbook typed by hand.
    tables, _ = sample.submission(units["05083"], I)
    header = tables["submission"][0]
    header.update(commune_name=unicodedata.normalize("NFD", "  Xã Mỵ Hoà  "), reporting_period="Quý I/2024",
                  date_prepared="05/04/2024", agri_cooperatives="3", ntm_title="ntm")
    tables["investment"] = [
        {"project_code": " GT99 ", "project_name": "Đường  GTNT xóm Hoà", "category": "road", "status": "chuyển tiếp",
         "capital_central_budget": "1.234,5", "capital_local_budget": "100,5", "capital_people": "50.25"},
        None,  # a blank row
        {"project_code": "KM99", "project_name": "Kênh mương", "category": "Kênh mương", "status": "Chuẩn bị đầu tư"},
    ]
    for row, mark in zip(tables["criteria"], ["x", "đạt", "1", "Đạt", "X", "có", " x "] * 3):
        row["met"] = mark
    tables["certified_area"] = [
        {"product": "Bưởi", "standard": "VietGAP", "area_ha": "46,5", "certificate_no": "VG-1",
         "issue_date": "15/01/2024", "expiry_date": "14/01/2026"},
        {"product": "Nhãn", "standard": "Global GAP", "area_ha": 12.25, "certificate_no": "GG-1",
         "issue_date": "2023-06-01", "expiry_date": "31/05/2024"},
    ]
    save_reproducibly(build_workbook(tables, title="BÁO CÁO QUÝ I/2024"), folder / "05083-my-hoa.xlsx")

    # 05068 and 05080 as a province export: one CSV per table, English headers, with BOM.
    bulk = {SUBMISSION: [], INVESTMENT: [], CRITERIA: [], OCOP_PRODUCT: [], CERTIFIED_AREA: []}
    for code in ("05068", "05080"):
        tables, _ = sample.submission(units[code], I)
        for table in bulk:
            for row in tables[table.name]:
                if row is not None:
                    bulk[table].append({**row, "commune_code": code})
    for table, rows in bulk.items():
        write_csv(folder / "hoa-binh" / f"export.{table.name}.csv", table, rows, english_headers=True, bom=True)
    result = build_warehouse(raw, raw.parent / "habits.duckdb", [PERIOD])
    assert result.success
    with duckdb.connect(str(raw.parent / "habits.duckdb"), read_only=True) as conn:
        yield conn


def test_nothing_quarantined(habits_warehouse):
    for table in ("submission", "investment", "criteria", "ocop_product", "certified_area"):
        findings = habits_warehouse.execute(f"SELECT rule, value FROM quarantine.{table}").fetchall()
        assert findings == [], table


def test_header_typed(habits_warehouse):
    row = habits_warehouse.execute(
        "SELECT commune_name_reported, date_prepared::VARCHAR, agri_cooperatives, ntm_title "
        "FROM core.fact_commune_status WHERE commune_code = '05083'"
    ).fetchone()
    assert row == ("Xã Mỵ Hòa", "2024-04-05", 3, "ntm")


def test_decimal_commas_and_points(habits_warehouse):
    row = habits_warehouse.execute(
        "SELECT project_code, project_name, category, status, capital_central_budget, capital_local_budget, "
        "capital_people, capital_total FROM core.fact_investment WHERE commune_code = '05083' AND project_code = 'GT99'"
    ).fetchone()
    assert row == ("GT99", "Đường GTNT xóm Hòa", "road", "ongoing", 1234.5, 100.5, 50.25, 1385.25)


def test_blank_rows_skipped_and_row_numbers_kept(habits_warehouse):
    rows = habits_warehouse.execute(
        "SELECT project_code, row_number FROM raw.investment WHERE source_file LIKE '%05083%' ORDER BY row_number"
    ).fetchall()
    # Title line, blank line, header on row 3, data from row 4; row 5 was left blank.
    assert rows == [(" GT99 ", 4), ("KM99", 6)]


def test_met_marks(habits_warehouse):
    met = habits_warehouse.execute(
        "SELECT count(*) FILTER (WHERE is_met) FROM core.fact_criteria_snapshot WHERE commune_code = '05083'"
    ).fetchone()[0]
    assert met == 19


def test_areas_valid_at_quarter_end(habits_warehouse):
    rows = habits_warehouse.execute(
        "SELECT standard, certified_area_ha FROM core.fact_certified_area WHERE commune_code = '05083' ORDER BY 1"
    ).fetchall()
    assert rows == [("globalgap", 12.25), ("vietgap", 46.5)]


def test_bulk_csv_rows_keyed_by_commune(habits_warehouse):
    counts = dict(habits_warehouse.execute(
        "SELECT commune_code, count(*) FROM core.fact_criteria_snapshot GROUP BY 1"
    ).fetchall())
    assert counts == {"05068": 19, "05080": 19, "05083": 19}
    ntm = habits_warehouse.execute(
        "SELECT value FROM mart.kpi_quarterly WHERE period = ? AND area_level = 'district' AND kpi_code = 'ntm_communes'",
        [PERIOD],
    ).fetchone()[0]
    assert ntm == 3


def test_provenance_of_csv_rows(habits_warehouse):
    row = habits_warehouse.execute(
        "SELECT source_file, sheet, min(row_number), length(any_value(file_hash)) FROM raw.criteria "
        "WHERE source_file LIKE '%export%' GROUP BY 1, 2"
    ).fetchone()
    assert row == ("submissions/2024-Q1/hoa-binh/export.criteria.csv", "export.criteria.csv", 2, 64)
