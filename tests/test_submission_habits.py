"""Real files' habits all load: labels or codes, decimal commas, dd/mm/yyyy, x/đạt/1, NFD,
"Hoà", stray spaces, blank rows, English headers, CSV with or without BOM, bulk CSV."""

import unicodedata

import duckdb
import pytest

from conftest import build_warehouse
from ntm_pipeline.contract import CERTIFIED_AREA, CRITERIA, INVESTMENT, OCOP_PRODUCT, SUBMISSION
from ntm_pipeline.samples.kim_boi import KimBoiSample, PERIODS
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly, write_csv

pytestmark = pytest.mark.slow  # builds its own warehouses through the pipeline

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


# --- one submission in three spellings ---------------------------------------------------

def _plain(text: str) -> str:
    """As typed on a keyboard without Vietnamese input: no accents, d for đ."""
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in text if not unicodedata.combining(ch))


CODED = {c.name for t in (SUBMISSION, INVESTMENT, CRITERIA, OCOP_PRODUCT, CERTIFIED_AREA) for c in t.columns
         if c.code_list or c.name == "met"}
SPELLINGS = {"05068": "Nam Thượng", "05080": "Sào Báy", "05077": "Cuối Hạ"}


@pytest.fixture(scope="module")
def spellings_warehouse(tmp_path_factory):
    """Nam Thượng's 2024-Q1 submission sent three times over, by three communes: as the
    template writes it (05068), with every text in NFD (05080), and with sheet names,
    headers and coded labels typed without diacritics, d for đ (05077)."""
    sample = KimBoiSample()
    units = {u.code: u for u in sample.units}
    tables, _ = sample.submission(units["05068"], I)
    # Every coded column in a label with diacritics, each code list at least once.
    tables["criteria"][0]["criteria_set"] = "Bộ tiêu chí quốc gia về xã NTM giai đoạn 2021-2025"
    tables["ocop_product"].append(
        {"product_code": "OCOP09", "product_name": "Rượu ngô men lá", "producer": "Công ty Đại Đồng",
         "producer_type": "Doanh nghiệp", "product_group": "Đồ uống", "score": 72, "stars": 4,
         "decision_no": "15/QĐ-UBND", "decision_date": "15/01/2024", "certifying_level": "Cấp tỉnh",
         "event_type": "Nâng hạng"})
    tables["certified_area"].append(
        {"product": "Rau cải", "standard": "Hữu cơ", "area_ha": "3,5", "certificate_no": "HC-01",
         "issue_date": "01/02/2024", "expiry_date": "31/01/2027"})
    raw = tmp_path_factory.mktemp("spellings")
    folder = raw / "submissions" / PERIOD

    def copy_for(code, spell_text=None, spell_label=None):
        copied = {name: [None if r is None else dict(r) for r in rows] for name, rows in tables.items()}
        copied["submission"][0].update(commune_code=code, commune_name=SPELLINGS[code])
        for rows in copied.values():
            for row in rows:
                for column, value in (row or {}).items():
                    if isinstance(value, str):
                        spell = spell_label if column in CODED else spell_text
                        row[column] = spell(value) if spell else value
        return copied

    save_reproducibly(build_workbook(copy_for("05068")), folder / "05068-nfc.xlsx")
    nfd = lambda s: unicodedata.normalize("NFD", s)
    workbook = build_workbook(copy_for("05080", nfd, nfd))
    _respell_sheets(workbook, nfd)
    save_reproducibly(workbook, folder / "05080-nfd.xlsx")
    workbook = build_workbook(copy_for("05077", None, _plain))
    _respell_sheets(workbook, _plain)
    save_reproducibly(workbook, folder / "05077-khong-dau.xlsx")

    database = raw / "spellings.duckdb"
    assert build_warehouse(raw, database, [PERIOD]).success
    with duckdb.connect(str(database), read_only=True) as conn:
        yield conn, folder


def _respell_sheets(workbook, spell):
    """Headers and sheet names respelled (a sheet name Excel would refuse, over 31
    characters once decomposed, keeps its spelling)."""
    for sheet in workbook.worksheets:
        for cell in sheet[1]:
            if isinstance(cell.value, str):
                cell.value = spell(cell.value)
        if len(spell(sheet.title)) <= 31:
            sheet.title = spell(sheet.title)


FACTS = {  # what differs by design between the three copies: the commune and the file
    "core.fact_commune_status": "commune_code, commune_name_reported, source_file, file_hash, batch, sheet",
    "core.fact_investment": "commune_code, source_file, sheet",
    "core.fact_criteria_snapshot": "commune_code, source_file, sheet",
    "core.fact_ocop_rating": "commune_code, source_file, sheet",
    "core.fact_certified_area": "commune_code, source_file",
}


def _facts(conn, code):
    return {table: sorted(conn.execute(
        f"SELECT * EXCLUDE ({excluded}) FROM {table} WHERE commune_code = ?", [code]).fetchall(), key=repr)
        for table, excluded in FACTS.items()}


def test_every_spelling_loads_without_a_finding(spellings_warehouse):
    conn, _ = spellings_warehouse
    for table in ("submission", "investment", "criteria", "ocop_product", "certified_area", "source_file"):
        assert conn.execute(f"SELECT * FROM quarantine.{table}").fetchall() == [], table
    assert conn.execute("SELECT commune_code, count(*) FROM core.fact_criteria_snapshot GROUP BY 1 ORDER BY 1").fetchall() == [
        ("05068", 19), ("05077", 19), ("05080", 19)]


def test_headers_and_sheets_without_diacritics_d_for_dj(spellings_warehouse):
    """Sheet `Du an dau tu`, headers `Von ngan sach trung uong (trieu dong)`, `Dien tich (ha)`,
    `Dat`, labels `Duong giao thong nong thon`, `Dat chuan NTM`: the same facts as the template's."""
    from python_calamine import CalamineWorkbook

    conn, folder = spellings_warehouse
    workbook = CalamineWorkbook.from_path(str(folder / "05077-khong-dau.xlsx"))
    assert {"Thong tin chung", "Du an dau tu", "Tieu chi", "San pham OCOP", "Vung san xuat dat chung nhan"} <= set(
        workbook.sheet_names)
    headers = {h for name in workbook.sheet_names for h in workbook.get_sheet_by_name(name).to_python()[0]}
    assert {"Von ngan sach trung uong (trieu dong)", "Dien tich (ha)", "Dat", "Ma du an", "Danh hieu de nghi xet",
            "So hop tac xa nong nghiep"} <= headers
    labels = conn.execute(
        "SELECT (SELECT list(DISTINCT status ORDER BY status) FROM raw.investment WHERE source_file LIKE '%khong-dau%'), "
        "(SELECT any_value(ntm_title) FROM raw.submission WHERE source_file LIKE '%khong-dau%')"
    ).fetchone()
    assert labels == (["Chuan bi dau tu", "Chuyen tiep", "Hoan thanh"], "Dat chuan NTM")
    assert _facts(conn, "05077") == _facts(conn, "05068")


def test_coded_labels_in_nfd(spellings_warehouse):
    """Status, category, standard, met flags, NTM titles and every other coded label typed
    in decomposed Unicode resolve to the same codes, and names compose back to NFC."""
    conn, _ = spellings_warehouse
    raw = conn.execute(
        "SELECT r.status, r.category FROM raw.investment AS r WHERE source_file LIKE '%nfd%' AND project_code = 'GT01'"
    ).fetchone()
    assert raw == (unicodedata.normalize("NFD", "Chuyển tiếp"), unicodedata.normalize("NFD", "Đường giao thông nông thôn"))
    assert raw[0] != "Chuyển tiếp"  # the file really holds NFD
    reference = _facts(conn, "05068")
    assert _facts(conn, "05080") == reference
    codes = conn.execute(
        "SELECT ntm_title, proposed_title FROM core.fact_commune_status WHERE commune_code = '05080'").fetchone()
    assert codes == ("ntm", "advanced")
    assert conn.execute(
        "SELECT (SELECT list(DISTINCT status ORDER BY status) FROM core.fact_investment WHERE commune_code = '05080'), "
        "(SELECT list(standard ORDER BY standard) FROM core.fact_certified_area WHERE commune_code = '05080'), "
        "(SELECT list((event_type, producer_type, product_group, certifying_level) ORDER BY product_code) "
        " FROM core.fact_ocop_rating WHERE commune_code = '05080'), "
        "(SELECT count(*) FILTER (WHERE is_met) FROM core.fact_criteria_snapshot WHERE commune_code = '05080')"
    ).fetchone() == (["completed", "ongoing", "preparing"], ["organic", "vietgap", "vietgap"],
                     [("new", "cooperative", "food", "district"), ("upgrade", "enterprise", "beverage", "province")], 19)
    kpis = {code: conn.execute(
        "SELECT list((kpi_code, value) ORDER BY kpi_code) FROM mart.kpi_quarterly WHERE area_level = 'commune' AND area_code = ?",
        [code]).fetchone()[0] for code in SPELLINGS}
    assert kpis["05080"] == kpis["05077"] == kpis["05068"]
