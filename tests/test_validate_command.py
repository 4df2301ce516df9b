"""`ntm validate` explains a bad file in Vietnamese before it is sent, with the pipeline's rules."""

import os
import subprocess
import sys
from pathlib import Path

from ntm_pipeline.presubmit import validate_files
from ntm_pipeline.samples.kim_boi import PERIODS, KimBoiSample
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

SAMPLE = KimBoiSample()
UNITS = {u.code: u for u in SAMPLE.units}


def workbook(tmp_path: Path, code: str, name: str, edit=None) -> Path:
    tables, _ = SAMPLE.submission(UNITS[code], PERIODS.index("2024-Q1"))
    tables["investment"] = [r for r in tables["investment"] if r]
    if edit:
        edit(tables)
    path = tmp_path / name
    save_reproducibly(build_workbook(tables), path)
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
    assert lines[-1] == "Kết quả: 2 lỗi, 0 cảnh báo. Cần sửa các lỗi trước khi gửi."


def test_english_and_whole_file_reasons(tmp_path):
    unknown = workbook(tmp_path, "05068", "unknown.xlsx", lambda t: t["submission"][0].update(commune_code="99999"))
    good = workbook(tmp_path, "05080", "good.xlsx")
    lines: list[str] = []
    assert validate_files([unknown], lang="en", out=lines.append) == 1
    assert lines[1] == ("  ERROR     Whole file: Commune code is not in the GSO list of administrative units "
                        "(commune_code: 99999)")
    lines.clear()
    assert validate_files([good], lang="en", out=lines.append) == 0
    assert lines == ["File good.xlsx (period 2024-Q1)", "  No problems.", "Result: 0 errors, 0 warnings. The file can be sent."]
