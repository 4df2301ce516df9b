"""A corpus of bad submissions: each ends in quarantine with its exact reason, and every
other row still lands. One warehouse is built from all of them at once, beside good files,
and the reconciliation proves that no row is lost."""

import io
import re
import zipfile
from pathlib import Path

import duckdb
import pytest

from conftest import build_warehouse, copy_sample
from ntm_pipeline.contract import INVESTMENT
from ntm_pipeline.samples.kim_boi import PERIODS, KimBoiSample
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

pytestmark = pytest.mark.slow  # builds its own warehouse through the pipeline

PERIOD = "2024-Q1"
GOOD = ["05068", "05080", "05065"]  # sample files copied unchanged (05065 also for 2023-Q4)
SAMPLE = KimBoiSample()
UNITS = {u.code: u for u in SAMPLE.units}


def tables_of(code: str, period: str = PERIOD) -> dict:
    tables, _ = SAMPLE.submission(UNITS[code], PERIODS.index(period))
    return tables


def save(tables: dict, path: Path, edit=None) -> None:
    workbook = build_workbook(tables)
    if edit:
        edit(workbook)
    save_reproducibly(workbook, path)


def set_cached_value(path: Path, formula: str, value: str) -> None:
    """Give a formula cell the value Excel would have stored (openpyxl stores none)."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(f"<f>{formula}</f><v />".encode(), f"<f>{formula}</f><v>{value}</v>".encode())
            target.writestr(info, data)
    path.write_bytes(out.getvalue())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    raw = copy_sample(tmp_path_factory.mktemp("raw"), [PERIOD], communes=GOOD)
    copy_sample(raw, ["2023-Q4"], communes=["05065"])
    folder = raw / "submissions" / PERIOD

    # --- whole files -------------------------------------------------------------------
    (folder / "corrupt.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    (folder / "empty.xlsx").write_bytes(b"")
    t = tables_of("05086")
    save(t, folder / "missing-sheet.xlsx", edit=lambda wb: wb.remove(wb["Tiêu chí"]))
    t = tables_of("05077")
    save(t, folder / "renamed-header.xlsx", edit=lambda wb: wb["Dự án đầu tư"].cell(1, 2, "Mã công trình"))
    t = tables_of("04984")
    t["submission"][0]["commune_code"] = "99999"
    save(t, folder / "unknown-commune.xlsx")
    t = tables_of("04984")
    t["submission"][0].update(commune_code="04924", commune_name="Lương Sơn", district_code="153")  # of district 152
    save(t, folder / "other-district.xlsx")
    t = tables_of("04990")
    t["submission"][0]["reporting_period"] = "Quý 4/2023"
    save(t, folder / "wrong-period.xlsx")
    t = tables_of("04999")
    t["submission"][0]["date_prepared"] = "01/12/2023"
    save(t, folder / "prepared-before-quarter.xlsx")
    t = tables_of("05017")
    t["submission"][0]["proposed_title"] = "NTM nâng cao"  # not NTM yet
    save(t, folder / "proposal-skips-a-title.xlsx")
    save(tables_of("05035"), folder / "05035-kim-lap.xlsx")
    save(tables_of("05035"), folder / "05035-kim-lap-copy.xlsx")  # a second first submission
    t = tables_of("05014")
    t["submission"] = []
    save(t, folder / "no-header-row.xlsx")
    (folder / "legacy.investment.csv").write_bytes(
        "Mã xã,Mã dự án,Loại công trình,Tình trạng\n05068,X1,road,ongoing\n".encode("cp1258", errors="replace")
    )
    with open(folder / "huge.investment.csv", "w", encoding="utf-8") as handle:
        handle.write("commune_code,project_code,project_name,category,status\n")
        line = "05068,P{0:07d},Đường giao thông nông thôn xóm Mới nối với trung tâm xã,road,ongoing\n"
        for i in range(600_000):  # over 50 MB
            handle.write(line.format(i))

    # --- a province target with its code typed without the leading zero ------------------
    (raw / "targets" / "ha-noi-2024.csv").write_text(
        "year,district_code,target_code,value\n2024,1,ntm_communes,300\n", encoding="utf-8")

    # --- a correction replaces an earlier file ------------------------------------------
    t = tables_of("05080")
    t["submission"][0].update(is_correction="x", farms=9, date_prepared="20/04/2024")
    save(t, folder / "05080-sao-bay-dieu-chinh.xlsx")

    # --- rows: Nam Thượng's file carries row-level problems, its other rows must land ---
    t = tables_of("05068")
    inv = t["investment"] = [row for row in t["investment"] if row]  # no blank rows: row numbers are known
    inv[1]["capital_total"] = None
    inv[0]["category"] = "cầu treo"
    inv[1]["capital_credit"] = "hai trăm"
    inv[2]["project_code"] = inv[3]["project_code"]
    inv[4]["capital_total"] = 999_999
    inv[5]["capital_central_budget"] = "46.5"
    inv[5]["capital_local_budget"] = "46,5"
    inv[5]["capital_total"] = None
    inv[9]["status"] = "tạm dừng"  # not a status of the list
    t["criteria"][18] = {"criteria_set": "NTM_2021_2025", "criterion_no": 20, "met": "x"}
    t["ocop_product"] += [
        {"product_code": "OCOP02", "product_name": "Mật ong", "stars": 6, "score": 95, "decision_date": "10/01/2024",
         "event_type": "Công nhận mới"},
        {"product_code": "OCOP03", "product_name": "Chè", "stars": 4, "score": 55, "decision_date": "10/01/2024",
         "event_type": "Công nhận mới"},
        {"product_code": "OCOP04", "product_name": "Rượu", "stars": 3, "score": 60, "decision_date": "01/01/2099",
         "event_type": "Công nhận mới"},
        {"product_code": "OCOP05", "product_name": "Măng", "stars": 3, "score": 60, "decision_date": "01/01/2020",
         "event_type": "Công nhận mới"},
    ]
    t["certified_area"] += [
        {"product": "Cam", "standard": "VietGAP", "area_ha": "-3", "certificate_no": "NEG",
         "issue_date": "01/01/2024", "expiry_date": "01/01/2026"},
        {"product": "Cam", "standard": "VietGAP", "area_ha": "5", "certificate_no": "LATE",
         "issue_date": "15/05/2024", "expiry_date": "14/05/2026"},
        {"product": "Cam", "standard": "VietGAP", "area_ha": "7", "certificate_no": "OLD",
         "issue_date": "01/01/2022", "expiry_date": "31/12/2023"},
        {"product": "Cam", "standard": "VietGAP", "area_ha": "=10+2.5", "certificate_no": "FORMULA",
         "issue_date": "01/01/2024", "expiry_date": "31/12/2025"},
    ]

    def merge_and_hide(workbook):
        sheet = workbook["Dự án đầu tư"]
        status = INVESTMENT.column_names.index("status") + 1
        sheet.merge_cells(start_row=8, start_column=status, end_row=10, end_column=status)  # rows 7-9 of data
        sheet.row_dimensions[12].hidden = True

    path = raw / "submissions" / PERIOD / "05068-nam-thuong.xlsx"
    save(t, path, edit=merge_and_hide)
    nam_thuong = t
    set_cached_value(path, "10+2.5", "12.5")

    t = tables_of("04978")  # Bo town, reporting rural criteria
    t["criteria"] = tables_of("05026")["criteria"]
    save(t, folder / "04978-bo.xlsx")
    t = tables_of("05026")  # NTM commune that lost a criterion
    t["criteria"][0]["met"] = None
    save(t, folder / "05026-vinh-dong.xlsx")
    t = tables_of("05065")  # criterion met last quarter, lost without a note
    lost = SAMPLE.criteria_order["05065"][0]  # met in both quarters
    t["criteria"][lost - 1].update(met=None, note=None)
    save(t, folder / "05065-kim-boi.xlsx")
    t = tables_of("05083")  # English headers, NFD name
    save(t, folder / "05083-english.xlsx", edit=_english_headers)

    database = raw.parent / "corpus.duckdb"
    result = build_warehouse(raw, database, ["2023-Q4", PERIOD])
    with duckdb.connect(str(database), read_only=True) as conn:
        yield result, conn, nam_thuong


def _english_headers(workbook):
    from ntm_pipeline.contract import SUBMISSION_TABLES

    for table in SUBMISSION_TABLES:
        for index, column in enumerate(table.columns, start=1):
            workbook[table.sheet_vi].cell(1, index, column.name)
    import unicodedata

    workbook["Thông tin chung"].cell(2, 2, unicodedata.normalize("NFD", "Mỵ Hòa"))


def quarantined_file(conn, name):
    rows = conn.execute(
        "SELECT rule, message_en, message_vi FROM quarantine.source_file WHERE source_file = ?",
        [f"submissions/{PERIOD}/{name}"],
    ).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def findings(conn, table, name, column=None):
    query = (f"SELECT sheet, row_number, column_name, value, rule, severity, message_en FROM quarantine.{table} "
             "WHERE source_file = ?" + (" AND column_name = ?" if column else "") + " ORDER BY row_number, rule")
    return conn.execute(query, [f"submissions/{PERIOD}/{name}", *([column] if column else [])]).fetchall()


# --- whole files -------------------------------------------------------------------------

@pytest.mark.parametrize("name, rule, message", [
    ("empty.xlsx", "empty", "the file is empty"),
    ("missing-sheet.xlsx", "missing_sheet", "the workbook has no sheet 'Tiêu chí' (criteria)"),
    ("renamed-header.xlsx", "missing_column", "sheet 'Dự án đầu tư' has no column 'Mã dự án' (project_code)"),
    ("unknown-commune.xlsx", "commune_known",
     "Commune code is not in the GSO list of administrative units (commune_code: 99999)"),
    ("other-district.xlsx", "district_matches",
     "The commune does not belong to the district the file names (district_code: 153); the commune Lương Sơn "
     "is in district 152 (Huyện Lương Sơn), province 17 (Tỉnh Hòa Bình)"),
    ("wrong-period.xlsx", "expect_column_pair_values_to_be_equal(reporting_period, period)",
     "Reporting period in the file differs from the period folder it was dropped in (reporting_period, period: Quý 4/2023 | 2024-Q1)"),
    ("prepared-before-quarter.xlsx", "date_prepared_in_or_after_period",
     "The date prepared is before the reporting period (date_prepared: 01/12/2023)"),
    ("proposal-skips-a-title.xlsx", "proposal_follows_title",
     "The proposed title must be the next one above the title held among the titles of the reporting period "
     "(up to 2025: advanced needs NTM, model needs advanced) (proposed_title: NTM nâng cao)"),
    ("no-header-row.xlsx", "no_header_row", "The Thông tin chung sheet has no data row for the commune"),
])
def test_file_taken_out_whole_with_one_reason(corpus, name, rule, message):
    _, conn, _ = corpus
    assert quarantined_file(conn, name)[:2] == (rule, message)


def test_corrupt_workbook(corpus):
    _, conn, _ = corpus
    rule, message, message_vi = quarantined_file(conn, "corrupt.xlsx")
    assert rule == "unreadable" and message.startswith("not a readable .xlsx workbook")
    assert message_vi.startswith("không mở được tệp .xlsx")


def test_csv_in_a_legacy_encoding(corpus):
    _, conn, _ = corpus
    rule, message, message_vi = quarantined_file(conn, "legacy.investment.csv")
    assert rule == "not_utf8"
    assert re.fullmatch(
        r"the CSV is not UTF-8 \(byte \d+\)\. It looks like a legacy Vietnamese encoding "
        r"\(Windows-1258 or TCVN3\)\. Save it as 'CSV UTF-8'\.", message)
    assert "CSV UTF-8" in message_vi


def test_file_over_the_size_limit(corpus):
    _, conn, _ = corpus
    rule, message, _ = quarantined_file(conn, "huge.investment.csv")
    assert rule == "too_large"
    size = re.fullmatch(r"the file is (\d+) MB, over the 25 MB limit \(NTM_MAX_FILE_MB\)", message)
    assert size and int(size.group(1)) >= 50


def test_duplicate_submission_quarantines_both(corpus):
    _, conn, _ = corpus
    for name in ("05035-kim-lap.xlsx", "05035-kim-lap-copy.xlsx"):
        assert quarantined_file(conn, name)[0] == "is_duplicate"
    assert conn.execute("SELECT count(*) FROM core.fact_commune_status WHERE commune_code = '05035'").fetchone()[0] == 0


def test_correction_replaces_the_earlier_file(corpus):
    _, conn, _ = corpus
    farms, source = conn.execute(
        "SELECT farms, source_file FROM core.fact_commune_status WHERE period = ? AND commune_code = '05080'", [PERIOD]
    ).fetchone()
    assert (farms, source) == (9, f"submissions/{PERIOD}/05080-sao-bay-dieu-chinh.xlsx")
    superseded = conn.execute(
        "SELECT sum(rows_superseded), sum(rows_read) FROM core.row_reconciliation WHERE source_file = ?",
        [f"submissions/{PERIOD}/05080-sao-bay.xlsx"],
    ).fetchone()
    assert superseded[0] == superseded[1] > 20


# --- rows --------------------------------------------------------------------------------

NAM_THUONG = "05068-nam-thuong.xlsx"


@pytest.mark.parametrize("table, column, expected", [
    ("investment", "category", [("Dự án đầu tư", 2, "category", "cầu treo", "expect_column_values_to_be_in_set(category)",
                                 "critical", "Project category is not one of the listed categories")]),
    ("investment", "capital_credit", [("Dự án đầu tư", 3, "capital_credit", "hai trăm", "expect_column_values_to_be_null(unparsed_columns)",
                                       "critical", "Value cannot be read: a number is expected")]),
    ("investment", "status", [("Dự án đầu tư", 11, "status", "tạm dừng", "expect_column_values_to_be_in_set(status)",
                               "critical", "Project status is not one of the listed statuses")]),
    ("investment", "capital_total", [("Dự án đầu tư", 6, "capital_total", "999999", "capital_total_matches",
                                      "critical", "Total capital differs from the sum of its sources")]),
    ("criteria", "criterion_no", [("Tiêu chí", 20, "criterion_no", "20", "criterion_known", "critical",
                                   "Criterion number does not exist in the criteria set (indicator 2.1 must belong "
                                   "to a criterion of the set)")]),
    # Certified areas: rows 4-6 hold certificates NEG, LATE and OLD (checked in the test).
    ("certified_area", "area_ha", [("Vùng sản xuất đạt chứng nhận", 4, "area_ha", "-3",
                                    "expect_column_values_to_be_between(area_ha)", "critical", "Area cannot be negative")]),
    ("certified_area", "issue_date", [("Vùng sản xuất đạt chứng nhận", 5, "issue_date", "15/05/2024", "issued_by_period_end",
                                       "critical", "Issue date is after the end of the reporting period")]),
    ("certified_area", "expiry_date", [("Vùng sản xuất đạt chứng nhận", 6, "expiry_date", "31/12/2023", "valid_at_period_end",
                                        "warning", "The certificate expired before the end of the period: its area is not counted")]),
])
def test_row_quarantined_with_its_place(corpus, table, column, expected):
    _, conn, nam_thuong = corpus
    if table == "certified_area":
        # The header is row 1 and rows follow in the order written: 2 + the certificate's place.
        certificates = [r and r["certificate_no"] for r in nam_thuong["certified_area"]]
        certificate = {"area_ha": "NEG", "issue_date": "LATE", "expiry_date": "OLD"}[column]
        assert expected[0][1] == 2 + certificates.index(certificate)
    rows = findings(conn, table, NAM_THUONG, column)
    assert rows == expected
    assert len(rows) == len(expected)


def test_duplicate_project_codes(corpus):
    _, conn, _ = corpus
    rows = findings(conn, "investment", NAM_THUONG, "period, commune_code, project_code")
    assert [(r[1], r[4]) for r in rows] == [
        (4, "expect_compound_columns_to_be_unique(period, commune_code, project_code)"),
        (5, "expect_compound_columns_to_be_unique(period, commune_code, project_code)"),
    ]
    assert rows[0][6] == "Project code is repeated within the commune"


def test_ocop_stars_and_dates(corpus):
    _, conn, _ = corpus
    rows = conn.execute(
        "SELECT value, rule, severity FROM quarantine.ocop_product WHERE source_file = ? ORDER BY row_number, rule",
        [f"submissions/{PERIOD}/{NAM_THUONG}"],
    ).fetchall()
    assert rows == [
        ("6", "expect_column_values_to_be_between(stars)", "critical"),  # six stars
        ("6", "stars_match_score", "critical"),
        ("4", "stars_match_score", "critical"),  # four stars for a score of 55
        ("01/01/2099", "decided_by_period_end", "critical"),  # a decision in the future
        ("01/01/2020", "current_rating_valid", "warning"),  # certificate over 36 months old
    ]


def test_town_reporting_criteria(corpus):
    _, conn, _ = corpus
    rows = findings(conn, "criteria", "04978-bo.xlsx")
    assert len(rows) == 19
    assert {(r[4], r[5], r[6]) for r in rows} == {
        ("is_rural_commune", "critical", "A town or ward does not report rural commune criteria")}


def test_ntm_commune_missing_a_criterion_is_a_warning(corpus):
    _, conn, _ = corpus
    rows = findings(conn, "submission", "05026-vinh-dong.xlsx")
    assert [(r[4], r[5]) for r in rows] == [("ntm_meets_all_criteria", "warning")]
    assert conn.execute("SELECT count(*) FROM core.fact_commune_status WHERE commune_code = '05026'").fetchone()[0] == 1


def test_criterion_lost_without_a_note_is_a_warning(corpus):
    _, conn, _ = corpus
    rows = findings(conn, "criteria", "05065-kim-boi.xlsx")
    assert [(r[4], r[5], r[6]) for r in rows] == [
        ("loss_explained", "warning", "A criterion met last quarter is not met now, with no note saying why")]


def test_accepted_habits_land(corpus):
    """Decimal point and comma, a formula's stored value, merged and hidden cells, English headers, NFD."""
    _, conn, _ = corpus
    central, local = conn.execute(
        "SELECT capital_central_budget, capital_local_budget FROM core.fact_investment WHERE source_file = ? AND row_number = 7",
        [f"submissions/{PERIOD}/{NAM_THUONG}"],
    ).fetchone()
    assert central == local == 46.5
    statuses = conn.execute(
        "SELECT list(r.status ORDER BY r.row_number), list(s.status ORDER BY s.row_number) FROM raw.investment AS r "
        "JOIN staging.investment AS s USING (source_file, row_number) WHERE r.source_file = ? AND r.row_number BETWEEN 8 AND 10",
        [f"submissions/{PERIOD}/{NAM_THUONG}"],
    ).fetchone()
    assert len(set(statuses[0])) == 1 and statuses[0][0] is not None  # the merged value fills the range
    formula = conn.execute(
        "SELECT area_ha FROM staging.certified_area WHERE certificate_no = 'FORMULA'").fetchone()[0]
    assert formula == 12.5
    hidden = findings(conn, "investment", NAM_THUONG, "row_number")
    assert [(r[1], r[4], r[5]) for r in hidden] == [(12, "row_visible", "warning")]
    assert conn.execute(
        "SELECT count(*) FROM core.fact_investment WHERE source_file = ? AND row_number = 12",
        [f"submissions/{PERIOD}/{NAM_THUONG}"]).fetchone()[0] == 1
    english = conn.execute(
        "SELECT commune_name_reported FROM core.fact_commune_status WHERE source_file LIKE '%05083-english%'"
    ).fetchone()
    assert english == ("Mỵ Hòa",)
    assert findings(conn, "submission", "05083-english.xlsx") == []


def test_every_other_row_lands_and_reconciles(corpus):
    result, conn, _ = corpus
    assert result.success
    bad = conn.execute(
        "SELECT source_file, table_name FROM core.row_reconciliation WHERE rows_unaccounted > 0 OR rows_counted_twice > 0"
    ).fetchall()
    assert bad == []
    # Nam Thượng's file: everything not quarantined is published.
    read, published, quarantined = conn.execute(
        "SELECT sum(rows_read), sum(rows_published), sum(rows_quarantined) FROM core.row_reconciliation WHERE source_file = ?",
        [f"submissions/{PERIOD}/{NAM_THUONG}"],
    ).fetchone()
    assert quarantined == 12 and published == read - quarantined
    # The good communes are whole.
    for code in ("05068", "05080", "05065", "05083", "05026"):
        assert conn.execute(
            "SELECT count(*) FROM core.fact_commune_status WHERE period = ? AND commune_code = ?", [PERIOD, code]
        ).fetchone()[0] == 1
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "every_row_accounted_for")
    assert check.passed and check.metadata["rows_unaccounted"].value == 0


def test_critical_check_passes_once_bad_rows_are_quarantined(corpus):
    result, conn, _ = corpus
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    check = evaluations[("quarantine/investment", "published_rows_pass_critical_rules")]
    assert check.passed
    quarantined = conn.execute(
        "SELECT count(DISTINCT (source_file, row_number)) FROM quarantine.investment WHERE severity = 'critical'"
    ).fetchone()[0]
    assert check.metadata["rows_quarantined"].value == quarantined
    assert "capital_total_matches" in check.metadata["failed_rules"].value
    sample = check.metadata["sample: expect_column_values_to_be_in_set(category)"].value
    assert "05068-nam-thuong.xlsx | Dự án đầu tư | 2 | category | cầu treo" in sample
    warnings = evaluations[("quarantine/investment", "warning_rules")]
    assert not warnings.passed and "row_visible" in warnings.metadata["failed_rules"].value


def test_province_target_typed_without_its_leading_zero(corpus):
    _, conn, _ = corpus
    assert conn.execute("SELECT count(*) FROM quarantine.target WHERE source_file = 'targets/ha-noi-2024.csv'").fetchone()[0] == 0
    assert conn.execute(
        "SELECT area_level, area_code, target_value FROM core.fact_target WHERE kpi_code = 'ntm_communes' AND area_code = '01'"
    ).fetchall() == [("province", "01", 300.0)]


def test_a_whole_file_reason_has_its_place_and_vietnamese_column_names(corpus):
    _, conn, _ = corpus
    rows = dict((r[0].rsplit("/", 1)[-1], r[1:]) for r in conn.execute(
        "SELECT source_file, sheet, row_number, column_name, value, message_vi FROM quarantine.source_file"
    ).fetchall())
    assert rows["unknown-commune.xlsx"] == (
        "Thông tin chung", 2, "commune_code", "99999", "Mã xã không có trong danh mục đơn vị hành chính GSO (Mã xã: 99999)")
    assert rows["other-district.xlsx"][:4] == ("Thông tin chung", 2, "district_code", "153")
    assert rows["other-district.xlsx"][4] == (
        "Xã không thuộc huyện ghi trong tệp (Mã huyện: 153); xã Lương Sơn thuộc Huyện Lương Sơn, Tỉnh Hòa Bình")
    assert rows["missing-sheet.xlsx"][:3] == ("Tiêu chí", None, None)
    assert rows["renamed-header.xlsx"][:3] == ("Dự án đầu tư", None, "project_code")


def test_the_checks_library_gives_the_pipelines_verdict_on_every_file(corpus, checker):
    """ntm validate's checks (ntm_pipeline/checks), run on the corpus's files alone, find for
    each file exactly what the pipeline's quarantine tables hold for it."""
    from test_checks import assert_same_verdict, warehouse_raw_dir

    _, conn, _ = corpus
    results = assert_same_verdict(checker, warehouse_raw_dir(conn), conn, ["2023-Q4", PERIOD])
    # corrupt, empty, missing-sheet, renamed-header, legacy and huge (unreadable); unknown-commune,
    # other-district, wrong-period, prepared-before-quarter, proposal-skips-a-title, no-header-row
    # and the two 05035 files (their header)
    assert sum(r.taken_out_whole for r in results) == 14
