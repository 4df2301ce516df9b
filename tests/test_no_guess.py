"""No guess becomes a figure: a number or date that is ambiguous, impossible or not finite is a
finding naming its cell and what was expected, never a published value; text with control
characters or a leading '=', '+', '-', '@' never breaks nor becomes a formula in a report."""

import math
import re
import zipfile
from xml.etree import ElementTree

import duckdb
import pytest
from openpyxl import load_workbook

from conftest import build_warehouse
from ntm_pipeline.contract import CERTIFIED_AREA, CRITERIA, INVESTMENT, OCOP_PRODUCT, SUBMISSION
from ntm_pipeline.presubmit import validate_files
from ntm_pipeline.report.build import Report, Table, to_html, to_markdown, to_workbook
from ntm_pipeline.report.charts import bar_chart
from ntm_pipeline.samples.kim_boi import KimBoiSample, PERIODS
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly, write_csv
from ntm_pipeline.warehouse import MACROS_SQL, read_sql

PERIOD = "2024-Q1"
I = PERIODS.index(PERIOD)
UNREADABLE = "expect_column_values_to_be_null(unparsed_columns)"
A_NUMBER = "Value cannot be read: a number is expected"
A_DATE = "Value cannot be read: a date as dd/mm/yyyy is expected"


# --- the parsers, value by value (fast) ---------------------------------------------------

@pytest.fixture(scope="module")
def macros():
    conn = duckdb.connect()
    conn.execute(read_sql(MACROS_SQL))
    yield conn
    conn.close()


@pytest.mark.parametrize("text, number", [
    ("46,5", 46.5), ("46.5", 46.5), ("1.234,5", 1234.5), ("1.234.567", 1234567), ("1.234.567,25", 1234567.25),
    ("12.25", 12.25), ("0.125", 0.125), ("1234.567", 1234.567), (" 1 234,5 ", 1234.5), ("-5", -5),
    ("1.5e-07", 1.5e-07), ("999999999999", 999999999999),
    # ambiguous: a thousands group or three decimals?
    ("1.234", None), ("1,234", None), ("12.345", None), ("-100,000", None),
    # against the convention (a dot groups thousands, a comma is the decimal mark)
    ("1,234.5", None), ("1,234,567", None), ("1.23.4", None), ("1.2345.6", None),
    # not a finite quantity
    ("NaN", None), ("nan", None), ("inf", None), ("-inf", None), ("Infinity", None),
    ("1e308", None), ("1e+308", None), ("1e12", None), ("-1e15", None),
    ("khoảng 10", None), ("#DIV/0!", None),
])
def test_numbers(macros, text, number):
    assert macros.execute("SELECT parse_decimal($t)", {"t": text}).fetchone()[0] == number


@pytest.mark.parametrize("text, day", [
    ("15/03/2022", "2022-03-15"), ("15/3/2024", "2024-03-15"), ("15-03-2024", "2024-03-15"),
    ("15.03.2024", "2024-03-15"), ("2024-03-15", "2024-03-15"), ("2024-03-15T10:00:00", "2024-03-15"),
    ("29/02/2024", "2024-02-29"),
    ("15/03/22", None), ("15/03/0022", None), ("15/03/3024", None), ("31/02/2024", None),
    ("29/02/2023", None), ("31/12/1899", None), ("infinity", None), ("15/13/2024", None),
])
def test_dates(macros, text, day):
    assert macros.execute("SELECT CAST(parse_date($t) AS VARCHAR)", {"t": text}).fetchone()[0] == day


def test_control_characters_are_spaces_in_staged_text(macros):
    assert macros.execute("SELECT vn_label($t)", {"t": "Gạo\x0bnếp \x1b[31mcẩm\x1b[0m Hoà\x00"}).fetchone()[0] \
        == "Gạo nếp cẩm Hòa"


# --- a real quarter through the pipeline --------------------------------------------------

HOSTILE_PROJECTS = {  # project code: (column, value as typed)
    "GT90": ("capital_central_budget", "NaN"),
    "GT91": ("capital_local_budget", "inf"),
    "GT92": ("capital_integrated", "-inf"),
    "GT93": ("capital_credit", 1e308),  # a number cell
    "GT94": ("capital_people", "1,234.5"),
    "GT95": ("capital_enterprise", "1.234"),
    "GT96": ("capital_central_budget", "1,234"),
    "GT98": ("capital_total", "1e12"),
    # formulas without a usable value: an error Excel stored, or none (a file written by a script)
    "GT85": ("capital_people", "=1/0"),
    "GT86": ("capital_credit", "=#REF!+1"),
    "GT87": ("capital_integrated", "=SUM(F4:G4)"),
}
SHOWN = {"GT93": str(int(1e308)),  # the reader writes a whole float out in digits
         "GT85": "#DIV/0!", "GT86": "#REF!"}
STORED_ERRORS = {b"1/0": b"#DIV/0!", b"#REF!+1": b"#REF!"}


def _store_errors(path):
    """The workbook as Excel saves it after computing: these formulas' stored values are errors."""
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    for name, xml in parts.items():
        if name.startswith("xl/worksheets/"):
            for formula, error in STORED_ERRORS.items():
                xml = re.sub(rb'<c r="([A-Z]+\d+)"><f>' + re.escape(formula) + rb'</f><v\s*/>|<c r="([A-Z]+\d+)"><f>'
                             + re.escape(formula) + rb"</f><v></v>",
                             lambda m: b'<c r="' + (m.group(1) or m.group(2)) + b'" t="e"><f>' + formula + b"</f><v>"
                             + error + b"</v>", xml)
            parts[name] = xml
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """05083 typed with every guess a reader could make; 05068 exported as CSV with control
    characters and formula-like text; 05080 the sample's own file, untouched."""
    raw = tmp_path_factory.mktemp("raw")
    sample = KimBoiSample()
    units = {u.code: u for u in sample.units}
    folder = raw / "submissions" / PERIOD

    tables, _ = sample.submission(units["05083"], I)
    tables["investment"] = [
        {"project_code": code, "project_name": f"Đường xóm {code}", "category": "road", "status": "ongoing",
         column: value} for code, (column, value) in HOSTILE_PROJECTS.items()
    ] + [{"project_code": "GT97", "project_name": "Đường xóm Vó", "category": "road", "status": "ongoing",
          "capital_central_budget": "1.234.567", "capital_local_budget": "100,5"}]
    tables["certified_area"] = [
        {"product": "Bưởi", "standard": "VietGAP", "area_ha": "46,5", "certificate_no": "VG-1",
         "issue_date": "15/03/22", "expiry_date": "14/01/2026"},
        {"product": "Nhãn", "standard": "VietGAP", "area_ha": "12,5", "certificate_no": "VG-2",
         "issue_date": "15/01/2024", "expiry_date": "31/02/2026"},
        {"product": "Cam", "standard": "VietGAP", "area_ha": "10", "certificate_no": "VG-3",
         "issue_date": "15/01/2024", "expiry_date": "14/01/2026"},
    ]
    save_reproducibly(build_workbook(tables, title="BÁO CÁO QUÝ I/2024"), folder / "05083-my-hoa.xlsx")
    _store_errors(folder / "05083-my-hoa.xlsx")

    tables, _ = sample.submission(units["05068"], I)
    for row in tables["ocop_product"]:
        row.update(product_name="Gạo\x0bnếp \x1b[31mcẩm\x1b[0m Nam Thượng", producer="=HYPERLINK(\"http://x\",\"HTX\")")
    tables["investment"][0]["project_name"] = "@SUM(A1)"
    for table in (SUBMISSION, INVESTMENT, CRITERIA, OCOP_PRODUCT, CERTIFIED_AREA):
        write_csv(folder / "nam-thuong" / f"05068.{table.name}.csv", table,
                  [{**r, "commune_code": "05068"} for r in tables[table.name] if r is not None], english_headers=True)

    tables, _ = sample.submission(units["05080"], I)
    save_reproducibly(build_workbook(tables, title="BÁO CÁO QUÝ I/2024"), folder / "05080-sao-bay.xlsx")
    reports = raw.parent / "reports"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NTM_REPORTS_DIR", str(reports))
        result = build_warehouse(raw, raw.parent / "ntm.duckdb", [PERIOD])
    assert result.success  # the report step too, with control characters in the quarter's text
    with duckdb.connect(str(raw.parent / "ntm.duckdb"), read_only=True) as conn:
        yield conn, raw, reports / PERIOD


@pytest.mark.slow  # the hostile quarter is built through the pipeline
def test_every_guess_is_one_finding_naming_its_cell(hostile):
    conn, _, _ = hostile
    rows = conn.execute(
        "SELECT r.project_code, q.column_name, q.value, q.rule, q.severity, q.message_en FROM quarantine.investment AS q "
        "JOIN raw.investment AS r USING (period, source_file, sheet, row_number) ORDER BY 1"
    ).fetchall()
    assert rows == [(code, column, SHOWN.get(code, value), UNREADABLE, "critical", A_NUMBER)
                    for code, (column, value) in sorted(HOSTILE_PROJECTS.items())]
    dates = conn.execute(
        "SELECT row_number, column_name, value, rule, message_en FROM quarantine.certified_area ORDER BY 1"
    ).fetchall()
    assert dates == [(4, "issue_date", "15/03/22", UNREADABLE, A_DATE), (5, "expiry_date", "31/02/2026", UNREADABLE, A_DATE)]


@pytest.mark.slow  # the hostile quarter is built through the pipeline
def test_no_guess_is_published(hostile):
    conn, _, _ = hostile
    projects = conn.execute(
        "SELECT project_code, capital_central_budget, capital_local_budget, capital_total FROM core.fact_investment "
        "WHERE commune_code = '05083'"
    ).fetchall()
    assert projects == [("GT97", 1234567.0, 100.5, 1234667.5)]  # thousands dots are unambiguous
    areas = conn.execute(
        "SELECT standard, certified_area_ha FROM core.fact_certified_area WHERE commune_code = '05083'"
    ).fetchall()
    assert areas == [("vietgap", 10.0)]
    capital = conn.execute(
        "SELECT sum(capital_qtd) FROM mart.capital_by_source WHERE period = ? AND area_level = 'commune' "
        "AND area_code = '05083'", [PERIOD]).fetchone()[0]
    assert capital == 1234667.5 and all(math.isfinite(v) for (v,) in conn.execute(
        "SELECT value FROM mart.kpi_quarterly WHERE value IS NOT NULL").fetchall())


@pytest.mark.slow  # the hostile quarter is built through the pipeline
def test_the_neighbours_are_published_whole(hostile):
    conn, raw, _ = hostile
    sample = KimBoiSample()
    units = {u.code: u for u in sample.units}
    for code in ("05068", "05080"):
        tables, _ = sample.submission(units[code], I)
        published = conn.execute(
            "SELECT count(*) FROM core.fact_investment WHERE commune_code = ?", [code]).fetchone()[0]
        assert published == len([r for r in tables["investment"] if r is not None]) > 0, code
    assert conn.execute("SELECT count(*) FROM quarantine.source_file").fetchone()[0] == 0
    assert conn.execute("SELECT product_name, producer FROM core.fact_ocop_rating WHERE commune_code = '05068' "
                        "LIMIT 1").fetchone() == ("Gạo nếp cẩm Nam Thượng", "=HYPERLINK(\"http://x\",\"HTX\")")


@pytest.mark.slow  # the hostile quarter is built through the pipeline
def test_validate_agrees_with_the_run(hostile):
    _, raw, _ = hostile
    lines: list[str] = []
    assert validate_files([raw / "submissions" / PERIOD / "05083-my-hoa.xlsx"], lang="en", out=lines.append) == 1
    errors = [line for line in lines if "cannot be read" in line]
    assert len(errors) == len(HOSTILE_PROJECTS) + 2
    assert any("(value: 1,234.5)" in line for line in errors) and any("(value: 15/03/22)" in line for line in errors)


@pytest.mark.slow  # the hostile quarter is built through the pipeline
def test_the_quarters_reports_hold_the_text_cleaned_and_never_a_formula(hostile):
    _, _, reports = hostile
    workbook_path = reports / "2024-Q1-district-153.xlsx"
    with zipfile.ZipFile(workbook_path) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml
    ocop = load_workbook(workbook_path)["Sản phẩm OCOP"]
    rows = [[c.value for c in row] for row in ocop.iter_rows(min_row=4)]
    ours = [r for r in rows if r[1] == "Gạo nếp cẩm Nam Thượng"]
    assert ours and all(r[3] == "=HYPERLINK(\"http://x\",\"HTX\")" for r in ours)
    assert "Gạo nếp cẩm Nam Thượng" in (reports / "2024-Q1-district-153.md").read_text(encoding="utf-8")


# --- the report's writers on text no format can hold (fast) -------------------------------

DIRTY = ["Gạo\x0bnếp", "\x1b[31mCam\x1b[0m Cao Phong", "=1+1", "+84 912", "-Đường", "@SUM(A1)", "Bưởi\x00\x07 Diễn"]
CLEAN = ["Gạo nếp", "Cam Cao Phong", "=1+1", "+84 912", "-Đường", "@SUM(A1)", "Bưởi Diễn"]


def _dirty_report() -> Report:
    report = Report(PERIOD, "district", "153", "Huyện Kim\x0bBôi")
    report.blocks = [("h1", "Báo cáo\x1b[1m quý"), ("p", "Sản phẩm\x0c mới."),
                     ("table", Table("Sản phẩm OCOP", ["Sản phẩm\x0b"], [[t] for t in DIRTY], note="Ghi\x1bchú"))]
    return report


def test_workbook_holds_cleaned_text_as_text(tmp_path):
    path = tmp_path / "r.xlsx"
    to_workbook(_dirty_report()).save(path)
    sheet = load_workbook(path)["Sản phẩm OCOP"]
    assert [sheet.cell(row=r, column=1).value for r in range(4, 4 + len(DIRTY))] == CLEAN
    assert all(sheet.cell(row=r, column=1).data_type == "s" for r in range(4, 4 + len(DIRTY)))
    assert sheet["A3"].value == "Sản phẩm" and sheet["A2"].value == "Ghi chú"


def test_markdown_html_and_svg_hold_cleaned_text():
    report = _dirty_report()
    for text in (to_markdown(report), to_html(report)):
        assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in text)
        assert all(clean in text for clean in ("Cam Cao Phong", "Bưởi Diễn", "Báo cáo quý"))
    svg = bar_chart(["\x1b[31mXã Mỵ Hòa", "Gạo\x0bnếp"], [17.0, 12.0], "Tiêu\x0bchí")
    labels = {t.text for t in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")}
    assert {"Tiêu chí", "Xã Mỵ Hòa", "Gạo nếp"} <= labels


def test_a_number_cell_is_read_as_the_number_it_holds(macros, tmp_path):
    """12.345 typed as text is ambiguous (a finding), but a cell Excel holds as the number
    12.345 is not: the reader gives its text a fourth decimal, so it reads as 12.345."""
    from ntm_pipeline.submissions.reader import read_submission_file

    tables = {"submission": [{"commune_code": "05068", "commune_name": "Nam Thượng", "district_code": "153",
                              "province_code": "17", "reporting_period": "2024-Q1", "date_prepared": "05/04/2024"}],
              "certified_area": [
        {"commune_code": "05068", "product": "Bưởi", "standard": "vietgap", "area_ha": area,
         "certificate_no": f"VG-{n}", "issue_date": "01/01/2024", "expiry_date": "31/12/2026"}
        for n, area in enumerate((12.345, 0.125, 1234.5, 987.654, "12.345"))]}
    path = tmp_path / "05068.xlsx"
    save_reproducibly(build_workbook(tables), path)
    parsed = read_submission_file(path)
    texts = [values["area_ha"] for _, values in parsed.tables["certified_area"].rows]
    read = [macros.execute("SELECT parse_decimal(?)", [text]).fetchone()[0] for text in texts]
    assert read == [12.345, 0.125, 1234.5, 987.654, None]
