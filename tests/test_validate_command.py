"""`ntm validate` explains a bad file in Vietnamese before it is sent, with the pipeline's rules:
the reader's reason for a whole file first, each problem's sheet, row and Vietnamese column,
one error per cell, where a commune of another district belongs, and targets files too."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import build_warehouse
from ntm_pipeline.cli import main
from ntm_pipeline.contract import SUBMISSION_TABLES, TARGET
from ntm_pipeline.presubmit import is_targets_file, validate_files
from ntm_pipeline.samples.kim_boi import PERIODS, KimBoiSample
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly, write_csv

pytestmark = pytest.mark.slow  # Great Expectations runs seconds per test; one test builds its own warehouse

SAMPLE = KimBoiSample()
UNITS = {u.code: u for u in SAMPLE.units}
VERDICT_FIX = "Kết quả: {} lỗi, 0 cảnh báo. Cần sửa các lỗi trước khi gửi."


def workbook(tmp_path: Path, code: str, name: str, edit=None, tables=SUBMISSION_TABLES) -> Path:
    rows, _ = SAMPLE.submission(UNITS[code], PERIODS.index("2024-Q1"))
    rows["investment"] = [r for r in rows["investment"] if r]
    if edit:
        edit(rows)
    path = tmp_path / name
    save_reproducibly(build_workbook(rows, tables=tables), path)
    return path


def break_it(tables):
    tables["investment"][0]["category"] = "cầu treo"
    tables["certified_area"][0]["area_ha"] = "-3"


def test_console_script_in_vietnamese(tmp_path):
    bad = workbook(tmp_path, "05068", "bad.xlsx", break_it)
    good = workbook(tmp_path, "05080", "good.xlsx")
    script = Path(sys.executable).parent / "ntm"
    result = subprocess.run([str(script), "validate", str(bad), str(good)], capture_output=True, text=True,
                            env={**os.environ, "GX_ANALYTICS_ENABLED": "false"}, timeout=300)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "Tệp bad.xlsx (kỳ 2024-Q1)" in lines
    assert ("  LỖI       trang 'Dự án đầu tư', dòng 2, cột 'Loại công trình': "
            "Loại công trình không thuộc danh mục (giá trị: cầu treo)") in lines
    assert ("  LỖI       trang 'Vùng sản xuất đạt chứng nhận', dòng 2, cột 'Diện tích (ha)': "
            "Diện tích không được âm (giá trị: -3)") in lines
    assert lines[lines.index("Tệp good.xlsx (kỳ 2024-Q1)") + 1] == "  Không có lỗi."
    assert lines[-1] == VERDICT_FIX.format(2)
    assert "Traceback" not in result.stderr


def test_whole_file_reasons_name_the_sheet_row_and_vietnamese_column(tmp_path):
    unknown = workbook(tmp_path, "05068", "unknown.xlsx", lambda t: t["submission"][0].update(commune_code="99999"))
    lines: list[str] = []
    assert validate_files([unknown], out=lines.append) == 1
    assert lines == [
        "Tệp unknown.xlsx (kỳ 2024-Q1)",
        "  LỖI       Cả tệp: trang 'Thông tin chung', dòng 2, cột 'Mã xã': "
        "Mã xã không có trong danh mục đơn vị hành chính GSO (giá trị: 99999)",
        VERDICT_FIX.format(1),
    ]
    lines.clear()
    assert validate_files([unknown], lang="en", out=lines.append) == 1
    assert lines[1] == ("  ERROR     Whole file: sheet 'Thông tin chung', row 2, column 'Mã xã (commune_code)': "
                        "Commune code is not in the GSO list of administrative units (value: 99999)")
    assert lines[2] == "Result: 1 error, 0 warnings. Fix the errors before sending."
    good = workbook(tmp_path, "05080", "good.xlsx")
    lines.clear()
    assert validate_files([good], lang="en", out=lines.append) == 0
    assert lines == ["File good.xlsx (period 2024-Q1)", "  No problems.", "Result: 0 errors, 0 warnings. The file can be sent."]


def test_a_missing_sheet_is_said_whatever_the_period(tmp_path):
    """The reader's reason comes first: with the period filled in, and without --period, the
    officer learns the sheet is missing, not that the period cannot be told."""
    no_criteria = workbook(tmp_path, "05068", "thieu-tieu-chi.xlsx",
                           tables=tuple(t for t in SUBMISSION_TABLES if t.name != "criteria"))
    expected = ["Tệp thieu-tieu-chi.xlsx", "  LỖI       Cả tệp: tệp thiếu trang 'Tiêu chí'", VERDICT_FIX.format(1)]
    lines: list[str] = []
    assert validate_files([no_criteria], out=lines.append) == 1
    assert lines == expected


def test_a_commune_of_another_district_is_told_where_it_belongs(tmp_path):
    # 05395 is Xã Phú Nghĩa of Huyện Lạc Thủy (159) in the GSO list; the file says district 153.
    moved = workbook(tmp_path, "05068", "phu-nghia.xlsx",
                     lambda t: t["submission"][0].update(commune_code="05395", commune_name="Phú Nghĩa"))
    lines: list[str] = []
    assert validate_files([moved], out=lines.append) == 1
    assert lines == [
        "Tệp phu-nghia.xlsx (kỳ 2024-Q1)",
        "  LỖI       Cả tệp: trang 'Thông tin chung', dòng 2, cột 'Mã huyện': Xã không thuộc huyện ghi trong tệp "
        "(giá trị: 153); xã 05395 là Xã Phú Nghĩa, thuộc Huyện Lạc Thủy (mã 159), Tỉnh Hòa Bình (mã 17)",
        VERDICT_FIX.format(1),
    ]


def unreadable_cells(tables):
    tables["certified_area"][0].update(area_ha="khoảng 10 ha", issue_date="đầu năm")
    tables["ocop_product"][0]["stars"] = "ba sao"


def test_a_text_in_a_number_cell_is_one_error_saying_what_is_expected(tmp_path):
    path = workbook(tmp_path, "05068", "chu.xlsx", unreadable_cells)
    lines: list[str] = []
    assert validate_files([path], out=lines.append) == 1
    assert lines == [
        "Tệp chu.xlsx (kỳ 2024-Q1)",
        "  LỖI       trang 'Sản phẩm OCOP', dòng 2, cột 'Số sao': Giá trị không đọc được: cần một số nguyên "
        "(giá trị: ba sao)",
        "  LỖI       trang 'Vùng sản xuất đạt chứng nhận', dòng 2, cột 'Diện tích (ha)': "
        "Giá trị không đọc được: cần một số (giá trị: khoảng 10 ha)",
        "  LỖI       trang 'Vùng sản xuất đạt chứng nhận', dòng 2, cột 'Ngày cấp': "
        "Giá trị không đọc được: cần một ngày dạng dd/mm/yyyy (giá trị: đầu năm)",
        VERDICT_FIX.format(3),
    ]


def test_the_pipeline_quarantines_one_finding_per_unreadable_cell(tmp_path):
    """Not only the validator: the quarantine tables of a real run hold one finding per cell,
    not a 'missing' one beside the 'cannot be read' one."""
    raw = tmp_path / "raw"
    workbook(raw / "submissions" / "2024-Q1", "05068", "05068-nam-thuong.xlsx", unreadable_cells)
    database = tmp_path / "ntm.duckdb"
    assert build_warehouse(raw, database, ["2024-Q1"]).success
    with duckdb.connect(str(database), read_only=True) as conn:
        rows = conn.execute(
            "SELECT row_number, column_name, value, rule, message_en FROM quarantine.certified_area "
            "UNION ALL SELECT row_number, column_name, value, rule, message_en FROM quarantine.ocop_product "
            "WHERE severity = 'critical' ORDER BY 1, 2"
        ).fetchall()
    rule = "expect_column_values_to_be_null(unparsed_columns)"
    assert rows == [
        (2, "area_ha", "khoảng 10 ha", rule, "Value cannot be read: a number is expected"),
        (2, "issue_date", "đầu năm", rule, "Value cannot be read: a date as dd/mm/yyyy is expected"),
        (2, "stars", "ba sao", rule, "Value cannot be read: a whole number is expected"),
    ]


def test_period_option_takes_every_spelling_a_file_may_use(tmp_path, capsys):
    good = workbook(tmp_path, "05080", "good.xlsx")
    assert main(["validate", "--period", "Quý I/2024", str(good)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Tệp good.xlsx (kỳ 2024-Q1)", "  Không có lỗi.", "Kết quả: 0 lỗi, 0 cảnh báo. Có thể gửi tệp."]
    with pytest.raises(SystemExit) as refused:
        main(["validate", "--period", "1/2024", str(good)])
    assert refused.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "ntm validate: error: --period: '1/2024' không phải là một quý; "
        "hãy viết 2024-Q1, Q1/2024, Quý 1/2024, Quý I/2024 hoặc 2024Q1")


def test_a_blank_or_other_period_under_period_option_is_one_error(tmp_path):
    """A blank Kỳ báo cáo is missing, not also 'differs from the folder'; a different one names
    the cell as the file has it, not the folder's English key."""
    blank = workbook(tmp_path, "05080", "trong.xlsx", lambda t: t["submission"][0].update(reporting_period=None))
    other = workbook(tmp_path, "05083", "quy-2.xlsx", lambda t: t["submission"][0].update(reporting_period="Quý 2/2024"))
    lines: list[str] = []
    assert validate_files([blank, other], period="Q1/2024", out=lines.append) == 1
    assert lines == [
        "Tệp trong.xlsx (kỳ 2024-Q1)",
        "  LỖI       Cả tệp: trang 'Thông tin chung', dòng 2, cột 'Kỳ báo cáo': Thiếu kỳ báo cáo",
        "Tệp quy-2.xlsx (kỳ 2024-Q1)",
        "  LỖI       Cả tệp: trang 'Thông tin chung', dòng 2, cột 'Kỳ báo cáo': "
        "Kỳ báo cáo trong tệp khác với thư mục kỳ báo cáo của tệp (giá trị: Quý 2/2024)",
        VERDICT_FIX.format(2),
    ]


TARGET_ROWS = [
    {"year": 2025, "district_code": "153", "target_code": "ntm_communes", "value": 9},
    {"year": 2025, "district_code": "999", "target_code": "farms", "value": "khoảng 10"},
    {"year": 2025, "district_code": "153", "target_code": "khong_co", "value": "1"},
]
TARGET_LINES = [
    "  LỖI       {sheet}dòng 3, cột 'Mã huyện': Mã tỉnh/huyện/xã không có trong danh mục GSO tại ngày 01/01 của năm chỉ tiêu (giá trị: 999)",
    "  LỖI       {sheet}dòng 3, cột 'Giá trị': Giá trị không đọc được: cần một số (giá trị: khoảng 10)",
    "  LỖI       {sheet}dòng 4, cột 'Mã chỉ tiêu': Mã chỉ tiêu không có trong danh mục KPI (docs/kpis.md) "
    "(giá trị: khong_co)",
]


def test_targets_files_are_checked_as_targets(tmp_path):
    book = tmp_path / "chi-tieu-2025.xlsx"
    save_reproducibly(build_workbook({"target": TARGET_ROWS}, tables=(TARGET,)), book)
    named = tmp_path / "kim-boi.target.csv"
    write_csv(named, TARGET, TARGET_ROWS)
    lines: list[str] = []
    assert validate_files([book], out=lines.append) == 1
    assert lines == [
        "Tệp chỉ tiêu chi-tieu-2025.xlsx",
        *(line.format(sheet="trang 'Chỉ tiêu', ") for line in TARGET_LINES),
        VERDICT_FIX.format(3),
    ]
    lines.clear()  # one at a time: two files giving the same targets are duplicates of each other
    assert validate_files([named], out=lines.append) == 1
    assert lines == [
        "Tệp chỉ tiêu kim-boi.target.csv",
        *(line.format(sheet="") for line in TARGET_LINES),  # a CSV's only sheet is the file itself
        VERDICT_FIX.format(3),
    ]


def test_a_broken_targets_workbook_gets_the_readers_reason(tmp_path):
    broken = build_workbook({"target": TARGET_ROWS[:1]}, tables=(TARGET,))
    broken["Chỉ tiêu"].delete_cols(4)
    path = tmp_path / "muc-tieu.xlsx"  # not named as targets: its sheets say so
    save_reproducibly(broken, path)
    lines: list[str] = []
    assert validate_files([path], out=lines.append) == 1
    assert lines == ["Tệp chỉ tiêu muc-tieu.xlsx", "  LỖI       Cả tệp: trang 'Chỉ tiêu' thiếu cột 'Giá trị'",
                     VERDICT_FIX.format(1)]


def test_what_makes_a_targets_file(tmp_path):
    only_targets = dataclasses.replace(TARGET)
    paths = {
        "chi-tieu-2025.csv": True, "kim-boi.target.csv": True, "target.csv": True, "export.investment.csv": False,
    }
    for name in paths:
        (tmp_path / name).write_text("Năm\n", encoding="utf-8")
    save_reproducibly(build_workbook({}, tables=(only_targets,)), tmp_path / "nam-2025.xlsx")
    save_reproducibly(build_workbook({}, tables=(*SUBMISSION_TABLES, TARGET)), tmp_path / "bao-cao.xlsx")
    assert {name: is_targets_file(tmp_path / name) for name in paths} == paths
    assert is_targets_file(tmp_path / "nam-2025.xlsx") is True
    assert is_targets_file(tmp_path / "bao-cao.xlsx") is False  # a submission that also carries targets


def test_sheets_not_read_are_warned_of(tmp_path):
    """A workbook with sheets of its own beside the template's: each sheet with data is a
    warning with the reason raw.ignored_entry gives (a hidden one said so; an empty one, the
    instructions and the code lists are not mentioned); the file can still be sent. A file
    the reader refuses says its one reason, and nothing of its sheets."""
    from openpyxl import load_workbook

    path = workbook(tmp_path, "05068", "extra.xlsx")
    book = load_workbook(path)
    book.create_sheet("Sheet1")["C7"] = "ghi chú"
    book.create_sheet("Trống")
    book.create_sheet("Dự án 2023").append(["P1", 1200])
    book["Dự án 2023"].sheet_state = "veryHidden"
    book.save(path)
    lines: list[str] = []
    assert validate_files([path], out=lines.append) == 0
    assert lines == [
        "Tệp extra.xlsx (kỳ 2024-Q1)",
        "  CẢNH BÁO  trang 'Sheet1' không phải là trang của biểu mẫu báo cáo quý nên không được đọc",
        "  CẢNH BÁO  trang ẩn 'Dự án 2023' không phải là trang của biểu mẫu báo cáo quý nên không được đọc",
        "Kết quả: 0 lỗi, 2 cảnh báo. Có thể gửi tệp.",
    ]
    lines = []
    assert validate_files([path], lang="en", out=lines.append) == 0
    assert lines[1:3] == ["  WARNING   sheet 'Sheet1' is not a sheet of the quarterly report template: not read",
                          "  WARNING   hidden sheet 'Dự án 2023' is not a sheet of the quarterly report template: not read"]
    del book["Thông tin chung"]
    book.save(path)
    lines = []
    assert validate_files([path], lang="en", out=lines.append) == 1
    assert lines[1:] == ["  ERROR     Whole file: the workbook has no sheet 'Thông tin chung' (submission)",
                         "Result: 1 error, 0 warnings. Fix the errors before sending."]
