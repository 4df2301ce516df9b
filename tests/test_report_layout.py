"""The report's layout: coverage stated, headings true to their data, Vietnamese collation,
alignment, the workbook formatted as the HTML, the header block. On the sample warehouse and,
for partial coverage and a commune missing in one quarter, on a small raw folder built from
the sample's own files through the pipeline."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from conftest import SAMPLE_RAW, build_warehouse, copy_sample
from ntm_pipeline.report.build import Header, Report, Table, build_report, to_html, to_markdown, write_report
from ntm_pipeline.submissions.reader import read_submission_file

pytestmark = pytest.mark.slow  # builds its own warehouses through the pipeline

# --- An oracle for Vietnamese order, independent of the ICU collation the product uses: the
# alphabet a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y, letters first, then tones
# in dictionary order (ngang, huyền, hỏi, ngã, sắc, nặng), a space before any letter.
ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vi_key(text: str):
    letters, tones = [], []
    for ch in text.lower():
        base, *marks = unicodedata.normalize("NFD", ch)
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in TONES))
        letters.append(0 if letter == " " else ALPHABET.index(letter) + 1 if letter in ALPHABET else 100 + ord(letter))
        tones.append(next((TONES[m] for m in marks if m in TONES), 0))
    return letters, tones, text


def test_the_oracle_is_the_vietnamese_alphabet():
    assert sorted(["Vĩnh Tiến", "Đông Bắc", "Dũng", "Ea", "Vĩnh Đồng", "Da", "Đa", "Bá", "Bà", "Ba"], key=vi_key) == [
        "Ba", "Bà", "Bá", "Da", "Dũng", "Đa", "Đông Bắc", "Ea", "Vĩnh Đồng", "Vĩnh Tiến"]


# --- Facts taken from the raw files, not from the warehouse.

def raw_submissions(raw: Path, period: str) -> dict[str, date]:
    """Commune code -> date prepared, of every workbook of a quarter in a raw folder."""
    found = {}
    for path in sorted((raw / "submissions" / period).glob("*.xlsx")):
        row = read_submission_file(path).tables["submission"].rows[0][1]
        text = row["date_prepared"]
        found[row["commune_code"]] = (datetime.strptime(text, "%Y-%m-%d") if "-" in text
                                      else datetime.strptime(text, "%d/%m/%Y")).date()
    return found


def gso_units(conn, level: str, code: str) -> list[tuple[str, str, str, str, str]]:
    """The area's commune-level units in the GSO list: code, name, unit type, district label and name."""
    column = "district_code" if level == "district" else "province_code"
    return conn.execute(
        f"SELECT commune_code, commune_name, unit_type, district_full_name, district_name FROM core.dim_commune "
        f"WHERE admin_era = 'pre_2025' AND commune_code IS NOT NULL AND {column} = ?", [code]).fetchall()


def named(unit_type: str, name: str) -> str:
    return f"{unit_type.lower()} {name}"


def paragraphs(report: Report) -> list[str]:
    return [b[1] for b in report.blocks if b[0] == "p"]


def table(report: Report, title: str) -> Table:
    return next(t for t in report.tables if t.title == title)


class Tables(HTMLParser):
    """Every <table> of a page as rows of (class, text) cells, headers included."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = [dict(attrs).get("class"), ""]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(tuple(self._cell))
            self._cell = None


def html_tables(page: str) -> list[list[list[tuple[str, str]]]]:
    parser = Tables()
    parser.feed(page)
    return parser.tables


def shown(cell) -> str:
    """What a cell shows under its number format with Vietnamese regional settings."""
    value, fmt = cell.value, cell.number_format
    if value is None:
        return ""
    if isinstance(value, datetime):
        assert fmt == "dd/mm/yyyy"
        return value.strftime("%d/%m/%Y")
    if isinstance(value, (int, float)):
        assert fmt in ("#,##0", "#,##0.0"), fmt
        text = f"{value:,.{0 if fmt == '#,##0' else 1}f}"
        return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    assert cell.data_type == "s"
    return value


# --- The sample: all 17 units of Kim Bôi reported every quarter; the province holds only them.

@pytest.fixture(scope="module")
def sample_reports(sample_warehouse, tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    with duckdb.connect(str(sample_warehouse), read_only=True) as conn:
        reports = {(level, code): build_report(conn, "2024-Q1", level, code)
                   for level, code in (("district", "153"), ("province", "17"))}
    for report in reports.values():
        write_report(report, folder)
    return reports, folder


def test_full_district_states_its_coverage_in_the_opening_and_the_tables(sample_reports, sample_db):
    report = sample_reports[0][("district", "153")]
    reported = raw_submissions(SAMPLE_RAW, "2024-Q1")
    units = gso_units(sample_db, "district", "153")
    assert set(reported) == {u[0] for u in units}  # every unit of the district sent its file
    ratio = f"{len(reported)}/{len(units)}"
    assert ratio == "17/17"
    opening = paragraphs(report)[0]
    assert opening == f"Số liệu tổng hợp từ {ratio} xã đã gửi báo cáo quý 1/2024."
    assert "3 tháng đầu năm 2024, huyện Kim Bôi đã huy động được trên 267 tỷ đồng" in paragraphs(report)[1]
    headline = table(report, "Chỉ tiêu chính")
    last_year = raw_submissions(SAMPLE_RAW, "2023-Q1")
    assert headline.rows[0] == ["Số xã đã gửi báo cáo", ratio, f"{len(last_year)}/{len(units)}", None, None]
    for title in ("Chỉ tiêu chính", "Công trình", "Tiêu chí theo xã", "Vốn theo nguồn", "Sản phẩm OCOP"):
        assert table(report, title).note == f"Số liệu tổng hợp từ {ratio} xã đã gửi báo cáo quý 1/2024."
    assert table(report, "Gửi báo cáo").rows == [["Huyện Kim Bôi", 17, 17, 0, None]]
    # Counts are integers in every format, measures keep their decimals.
    projects = table(report, "Công trình").rows
    assert all(type(v) is int for row in projects for v in row[1:]) and projects[0][1:] == [31, 28]
    farms = next(r for r in headline.rows if r[0] == "Trang trại")
    assert [type(v) for v in farms[1:4]] == [int, int, int]
    assert type(next(r for r in headline.rows if r[0] == "Bình quân tiêu chí/xã")[1]) is float
    gap = table(report, "Diện tích GAP")
    assert [r[3] for r in gap.rows] == [f"{len(raw_submissions(SAMPLE_RAW, p))}/{len(units)}"
                                        for p in ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1")]


def test_a_partial_province_says_whose_figures_they_are(sample_reports, sample_db):
    report = sample_reports[0][("province", "17")]
    reporting = len(raw_submissions(SAMPLE_RAW, "2024-Q1"))
    units = gso_units(sample_db, "province", "17")
    ratio, missing = f"{reporting}/{len(units)}", len(units) - reporting
    assert ratio == "17/151"
    text = to_markdown(report)
    assert paragraphs(report)[0] == (
        f"Số liệu tổng hợp từ {ratio} xã đã gửi báo cáo quý 1/2024; {missing} xã chưa gửi báo cáo, nên các số liệu "
        f"dưới đây là của {reporting} xã đã gửi báo cáo, chưa phải số liệu của toàn tỉnh. Danh sách các xã chưa gửi "
        "báo cáo theo từng huyện ở bảng Tình hình gửi báo cáo.")
    # Next to each total, whose it is; never the province's.
    assert (f"3 tháng đầu năm 2024, các xã đã gửi báo cáo của tỉnh Hòa Bình ({ratio} xã) đã huy động được "
            "trên 267 tỷ đồng") in text
    assert f"Hiện nay, các xã đã gửi báo cáo của tỉnh Hòa Bình ({ratio} xã) có tổng số 12 sản phẩm" in text
    assert "Các xã đã gửi báo cáo có 31 hợp tác xã" in text
    assert "bình quân tiêu chí của các xã đã gửi báo cáo đạt 14,9 tiêu chí/xã" in text
    for whole in ("tỉnh Hòa Bình đã huy động", "Toàn tỉnh có", "của cả tỉnh", "tỉnh Hòa Bình có tổng số"):
        assert whole not in text
    assert table(report, "Chỉ tiêu chính").rows[0][1] == ratio
    coverage = table(report, "Gửi báo cáo")
    per_district = {}
    for code, _, _, label, name in units:
        per_district.setdefault((name, label), []).append(code)
    expected = [[label, len(c), len(c) if label == "Huyện Kim Bôi" else 0, 0 if label == "Huyện Kim Bôi" else len(c),
                 None if label == "Huyện Kim Bôi" else "chưa có xã nào gửi báo cáo"]
                for (_, label), c in sorted(per_district.items(), key=lambda item: vi_key(item[0][0]))]
    assert coverage.rows == expected + [["Toàn tỉnh", len(units), reporting, missing, None]]


def test_gap_heading_says_the_quarters_it_shows(sample_warehouse):
    with duckdb.connect(str(sample_warehouse), read_only=True) as conn:
        for period, expected in (("2024-Q1", "qua 5 quý (Quý 1/2023 – Quý 1/2024)"),
                                 ("2024-Q4", "qua 8 quý (Quý 1/2023 – Quý 4/2024)"),
                                 ("2023-Q1", "quý 1/2023")):
            year, quarter = int(period[:4]), int(period[-1])
            window = [f"{y}-Q{q}" for y in (year - 2, year - 1, year) for q in range(1, 5)
                      if 0 <= (year * 4 + quarter) - (y * 4 + q) < 8]
            shown_quarters = [p for p in window if (SAMPLE_RAW / "submissions" / p).is_dir()]
            report = build_report(conn, period, "district", "153")
            headings = [b[1] for b in report.blocks if b[0] == "h2"]
            assert f"Diện tích đạt chứng nhận {expected}" in headings
            assert len(table(report, "Diện tích GAP").rows) == len(shown_quarters)
            assert f"Diện tích VietGAP và GlobalGAP (ha) {expected}" in report.charts["gap"]
            assert "tám quý" not in to_markdown(report)


def test_names_are_in_vietnamese_order(sample_reports, sample_db):
    report = sample_reports[0][("district", "153")]
    criteria = table(report, "Tiêu chí theo xã").rows
    assert criteria == sorted(criteria, key=lambda r: (-r[1], vi_key(r[0])))
    nineteen = [name for name, met in criteria if met == 19]
    assert nineteen == ["Đông Bắc", "Mỵ Hòa", "Nam Thượng", "Sào Báy", "Vĩnh Đồng", "Vĩnh Tiến"]  # Đ after D, not after V
    register = table(report, "Sản phẩm OCOP").rows
    assert register == sorted(register, key=lambda r: (-r[2], vi_key(r[1])))
    assert [r[1] for r in register[2:4]] == ["Bưởi da xanh Nam Thượng", "Bưởi Mường Động"]  # case does not sort
    products = [p for (p,) in sample_db.execute(
        "SELECT DISTINCT product FROM core.fact_certified_area "
        "WHERE period = '2024-Q1' AND standard = 'vietgap' AND certified_area_ha > 0").fetchall()]
    listed = ", ".join(p.lower() for p in sorted(products, key=vi_key))
    assert f"VietGAP ({listed}) đạt" in paragraphs(report)[2]


def test_ocop_table_text_left_numbers_right_in_html_and_workbook(sample_reports):
    report, folder = sample_reports[0][("district", "153")], sample_reports[1]
    page = (folder / "2024-Q1-district-153.html").read_text(encoding="utf-8")
    ocop = next(t for t in html_tables(page) if t[0][0][1] == "Xã" and len(t[0]) == 6)
    expected = ["left", "left", "right", "left", "center", "center"]  # commune, product, stars, producer, two dates
    assert [c[0] for c in ocop[0]] == expected
    assert all([c[0] for c in row] == expected for row in ocop[1:]) and len(ocop) - 1 == len(table(report, "Sản phẩm OCOP").rows)
    sheet = load_workbook(folder / "2024-Q1-district-153.xlsx")["Sản phẩm OCOP"]
    for row in sheet.iter_rows(min_row=3, max_row=sheet.max_row):
        assert [c.alignment.horizontal for c in row] == expected


def test_workbook_shows_what_the_html_shows(sample_reports):
    folder = sample_reports[1]
    for slug in ("2024-Q1-district-153", "2024-Q1-province-17"):
        workbook = load_workbook(folder / f"{slug}.xlsx")
        pages = html_tables((folder / f"{slug}.html").read_text(encoding="utf-8"))
        sheets = workbook.sheetnames[1:]
        assert len(sheets) == len(pages)
        for name, page_table in zip(sheets, pages):
            sheet = workbook[name]
            grid = [[shown(c) for c in row][:len(page_table[0])]
                    for row in sheet.iter_rows(min_row=3, max_row=sheet.max_row, max_col=len(page_table[0]))]
            assert grid == [[text for _, text in row] for row in page_table], name
    projects = load_workbook(folder / "2024-Q1-district-153.xlsx")["Công trình"]
    assert projects["B4"].value == 31 and type(projects["B4"].value) is int and projects["B4"].number_format == "#,##0"
    headline = load_workbook(folder / "2024-Q1-district-153.xlsx")["Chỉ tiêu chính"]
    capital = next(r for r in headline.iter_rows(min_row=4) if r[0].value.startswith("Vốn huy động"))
    assert (capital[2].value, capital[2].number_format) == (154472.3, "#,##0.0")
    ocop = load_workbook(folder / "2024-Q1-district-153.xlsx")["Sản phẩm OCOP"]
    assert isinstance(ocop["E4"].value, datetime) and ocop["E4"].number_format == "dd/mm/yyyy"
    assert projects.page_setup.orientation == "landscape" and projects.print_title_rows == "$3:$3"


def test_header_block_in_every_format_dated_by_the_submissions(sample_reports):
    (district, province), folder = sample_reports[0].values(), sample_reports[1]
    latest = max(raw_submissions(SAMPLE_RAW, "2024-Q1").values())
    assert latest == date(2024, 4, 15)
    dated = f"ngày {latest.day:02d} tháng {latest.month} năm {latest.year}"
    for report, office, place in ((district, "VĂN PHÒNG ĐIỀU PHỐI NÔNG THÔN MỚI HUYỆN KIM BÔI", "Kim Bôi"),
                                  (province, "VĂN PHÒNG ĐIỀU PHỐI NÔNG THÔN MỚI TỈNH HÒA BÌNH", "Hòa Bình")):
        place_date = f"{place}, {dated}"
        assert report.blocks[0] == ("header", Header(office, place_date))
        markdown = (folder / f"{report.slug}.md").read_text(encoding="utf-8")
        assert markdown.startswith(f"**{office}**\n\n**CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM**  \n"
                                   f"**Độc lập - Tự do - Hạnh phúc**\n\n*{place_date}*\n\n# ")
        page = (folder / f"{report.slug}.html").read_text(encoding="utf-8")
        assert (f'<header class="doc-header"><div>{office}</div><div>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<br>'
                f'<u>Độc lập - Tự do - Hạnh phúc</u></div></header>\n<p class="dated">{place_date}</p>') in page
        workbook = load_workbook(folder / f"{report.slug}.xlsx")
        assert [workbook["Báo cáo"][f"A{r}"].value for r in range(1, 5)] == [
            office, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", place_date]
        for sheet in workbook:  # and on every printed page
            assert (sheet.oddHeader.left.text, sheet.oddHeader.right.text) == (office, place_date)


def test_dates_of_official_documents():
    from ntm_pipeline.report.build import vi_date

    assert vi_date(date(2024, 1, 5)) == "ngày 05 tháng 01 năm 2024"
    assert vi_date(date(2024, 2, 28)) == "ngày 28 tháng 02 năm 2024"
    assert vi_date(date(2024, 10, 15)) == "ngày 15 tháng 10 năm 2024"


def test_a_quarter_without_submissions_is_dated_its_last_day(sample_db):
    from ntm_pipeline.report.build import AreaRows

    assert AreaRows(sample_db, "2022-Q4", [("district", "153")]).of("date_prepared", "district", "153") \
        == [(date(2022, 12, 31),)]


def test_header_and_notes_are_escaped():
    report = Report("2024-Q1", "district", "153", "<Kim Bôi>")
    report.blocks = [("header", Header("<b>VĂN PHÒNG</b>", "A & B")),
                     ("table", Table("T", ["Xã", "Số"], [["<i>x</i>", 1]], note="<script>x</script>"))]
    page = to_html(report)
    assert "&lt;b&gt;VĂN PHÒNG&lt;/b&gt;" in page and "A &amp; B" in page and "&lt;script&gt;" in page
    assert "<b>" not in page and "<script>" not in page and "<i>" not in page


# --- A small raw folder: five of the sample's units in 2024-Q1 and 2024-Q2, one of them
# (Hùng Sơn) without its 2024-Q2 file.

KEPT = ["04978", "04984", "04987", "05014", "05038"]
LAPSED = "04987"


@pytest.fixture(scope="module")
def partial(tmp_path_factory):
    root = tmp_path_factory.mktemp("partial")
    raw = copy_sample(root / "raw", ["2024-Q1", "2024-Q2"], communes=KEPT)
    (lapsed,) = (raw / "submissions" / "2024-Q2").glob(f"{LAPSED}-*.xlsx")
    lapsed.unlink()
    database = root / "ntm.duckdb"
    assert build_warehouse(raw, database, ["2024-Q1", "2024-Q2"]).success
    with duckdb.connect(str(database), read_only=True) as conn:
        yield raw, conn, {level: build_report(conn, "2024-Q2", level, code)
                          for level, code in (("district", "153"), ("province", "17"))}


def test_partial_district_names_every_missing_unit_and_the_lapsed_one(partial):
    raw, conn, reports = partial
    report = reports["district"]
    q1, q2 = raw_submissions(raw, "2024-Q1"), raw_submissions(raw, "2024-Q2")
    units = gso_units(conn, "district", "153")
    assert len(q2) == 4 and LAPSED in q1
    ratio = f"{len(q2)}/{len(units)}"
    missing = sorted((u for u in units if u[0] not in q2), key=lambda u: vi_key(u[1]))
    names = ", ".join(named(u[2], u[1]) + (" (đã gửi báo cáo quý 1/2024)" if u[0] in q1 else "") for u in missing)
    assert "xã Hùng Sơn (đã gửi báo cáo quý 1/2024)" in names and "thị trấn Bo" not in names
    assert paragraphs(report)[0] == (
        f"Số liệu tổng hợp từ {ratio} xã đã gửi báo cáo quý 2/2024; {len(missing)} xã chưa gửi báo cáo, nên các "
        f"số liệu dưới đây là của {len(q2)} xã đã gửi báo cáo, chưa phải số liệu của toàn huyện. "
        f"Các xã chưa gửi báo cáo quý 2/2024: {names}.")
    assert paragraphs(report)[1].startswith(f"6 tháng đầu năm 2024, các xã đã gửi báo cáo của huyện Kim Bôi ({ratio} xã) "
                                            "đã huy động được")
    assert table(report, "Gửi báo cáo").rows == [["Huyện Kim Bôi", len(units), len(q2), len(missing), names]]
    assert table(report, "Chỉ tiêu chính").rows[0] == ["Số xã đã gửi báo cáo", ratio, None, None, None]
    latest = max(q2.values())
    assert latest == date(2024, 7, 10)  # Đông Bắc's; the sample's latest (15/07) is not in this folder
    assert report.blocks[0][1].place_date == f"Kim Bôi, ngày {latest.day:02d} tháng {latest.month} năm {latest.year}"


def test_partial_province_names_the_unit_that_stopped_reporting(partial):
    raw, conn, reports = partial
    report = reports["province"]
    q2 = raw_submissions(raw, "2024-Q2")
    units = gso_units(conn, "province", "17")
    (lapsed,) = [u for u in units if u[0] == LAPSED]
    assert paragraphs(report)[0] == (
        f"Số liệu tổng hợp từ {len(q2)}/{len(units)} xã đã gửi báo cáo quý 2/2024; {len(units) - len(q2)} xã chưa "
        f"gửi báo cáo, nên các số liệu dưới đây là của {len(q2)} xã đã gửi báo cáo, chưa phải số liệu của toàn tỉnh. "
        f"Chưa gửi báo cáo quý 2/2024 dù đã gửi báo cáo quý trước: {named(lapsed[2], lapsed[1])} "
        "(đã gửi báo cáo quý 1/2024). Danh sách các xã chưa gửi báo cáo theo từng huyện ở bảng Tình hình gửi báo cáo.")
    kim_boi = next(r for r in table(report, "Gửi báo cáo").rows if r[0] == "Huyện Kim Bôi")
    assert kim_boi == table(reports["district"], "Gửi báo cáo").rows[0]


def test_a_city_is_called_a_city_not_a_district(tmp_path):
    """Thành phố Hòa Bình (district 148) is a thành phố: its report says so, not 'huyện'."""
    import copy

    from ntm_pipeline.samples.kim_boi import PERIODS, KimBoiSample
    from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

    sample = KimBoiSample()
    (unit,) = [u for u in sample.units if u.code == "05068"]
    tables = copy.deepcopy(sample.submission(unit, PERIODS.index("2024-Q1"))[0])
    tables["submission"][0].update(commune_code="04789", commune_name="Phường Thái Bình", district_code="148")
    tables["criteria"] = []  # a ward is not scored on rural commune criteria
    for name in ("investment", "ocop_product", "certified_area"):
        for row in tables[name]:
            if row:
                row["commune_code"] = "04789"
    save_reproducibly(build_workbook(tables), tmp_path / "raw" / "submissions" / "2024-Q1" / "04789.xlsx")
    database = tmp_path / "ntm.duckdb"
    assert build_warehouse(tmp_path / "raw", database, ["2024-Q1"]).success
    with duckdb.connect(str(database), read_only=True) as conn:
        text = to_markdown(build_report(conn, "2024-Q1", "district", "148"))
    assert "VĂN PHÒNG ĐIỀU PHỐI NÔNG THÔN MỚI THÀNH PHỐ HÒA BÌNH" in text
    assert "thành phố Hòa Bình" in text and "huyện Hòa Bình" not in text
