"""The workbook reader inflates a workbook's parts from the bytes it has read once (one pass
over the file, not a zipfile handle per part), and leaves to zipfile every part that is not a
plain honest one: a damaged or lying workbook is refused with the very reason zipfile gives,
and one whose directory overstates a part's size is still read. Real workbooks of the sample,
damaged here byte by byte as a broken copy or a crafted file would be."""

import io
import shutil
import struct
import zipfile
from pathlib import Path

import pytest

from ntm_pipeline.contract import INVESTMENT
from ntm_pipeline.settings import PROJECT_ROOT
from ntm_pipeline.submissions.reader import _inflated, read_submission_file
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

SAMPLE = PROJECT_ROOT / "raw" / "submissions" / "2024-Q1" / "05068-nam-thuong.xlsx"
SHEET = "xl/worksheets/sheet2.xml"  # 'Dự án đầu tư'


def copy(tmp_path: Path, name: str = "05068-nam-thuong.xlsx") -> Path:
    return Path(shutil.copy(SAMPLE, tmp_path / name))


def patch(path: Path, member: str, local: dict[int, bytes] | None = None, central: dict[int, bytes] | None = None) -> None:
    """Overwrite bytes of `member`'s local header and of its entry in the central directory,
    at offsets from the start of each."""
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo(member)
    for offset, value in (local or {}).items():
        data[info.header_offset + offset: info.header_offset + offset + len(value)] = value
    entry = data.find(b"PK\x01\x02")
    while entry != -1:
        length = struct.unpack_from("<H", data, entry + 28)[0]
        if data[entry + 46: entry + 46 + length] == member.encode():
            for offset, value in (central or {}).items():
                data[entry + offset: entry + offset + len(value)] = value
        entry = data.find(b"PK\x01\x02", entry + 4)
    path.write_bytes(bytes(data))


def zipfile_reason(path: Path, member: str) -> str:
    """What zipfile says of reading `member`: the reason the reader must give."""
    with pytest.raises(Exception) as raised:
        zipfile.ZipFile(path).read(member)
    return f"not a readable .xlsx workbook ({raised.value})"


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_every_part_inflated_as_zipfile_reads_it(tmp_path, compression):
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(SAMPLE) as source, zipfile.ZipFile(path, "w", compression) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename), compress_type=compression)
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            assert _inflated(archive, data, info, float("inf")) == archive.read(info.filename), info.filename
        # a part over the limit is left to zipfile, which reads only up to it
        sheet = archive.getinfo(SHEET)
        assert _inflated(archive, data, sheet, sheet.file_size - 1) is None
        assert _inflated(archive, data, sheet, sheet.file_size) == archive.read(SHEET)
    assert read_submission_file(path).tables["investment"].rows == read_submission_file(SAMPLE).tables["investment"].rows


def test_a_wrong_checksum_is_zipfiles_reason(tmp_path):
    path = copy(tmp_path)
    crc = struct.pack("<I", zipfile.ZipFile(path).getinfo(SHEET).CRC ^ 1)
    patch(path, SHEET, local={14: crc}, central={16: crc})
    parsed = read_submission_file(path)
    assert (parsed.error.code, parsed.error.message_en) == ("unreadable", zipfile_reason(path, SHEET))
    assert "Bad CRC-32 for file 'xl/worksheets/sheet2.xml'" in parsed.error.message_en
    assert parsed.tables == {}


def test_a_part_named_otherwise_in_its_header_is_zipfiles_reason(tmp_path):
    path = copy(tmp_path)
    patch(path, SHEET, local={30 + len("xl/worksheets/"): b"shee7"})
    parsed = read_submission_file(path)
    assert (parsed.error.code, parsed.error.message_en) == ("unreadable", zipfile_reason(path, SHEET))
    assert "File name in directory 'xl/worksheets/sheet2.xml' and header b'xl/worksheets/shee72.xml' differ" \
        in parsed.error.message_en


def test_a_damaged_stream_is_zipfiles_reason(tmp_path):
    path = copy(tmp_path)
    info = zipfile.ZipFile(path).getinfo(SHEET)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(SHEET) + struct.unpack_from("<H", data, info.header_offset + 28)[0]
    data[start] = 0xFF  # a deflate block of a reserved type
    path.write_bytes(bytes(data))
    parsed = read_submission_file(path)
    assert (parsed.error.code, parsed.error.message_en) == ("unreadable", zipfile_reason(path, SHEET))


def test_a_size_overstated_in_the_directory_is_still_read(tmp_path):
    """zipfile reads such a part whole (its checksum is right); the fast path leaves it to zipfile."""
    path = copy(tmp_path)
    size = struct.pack("<I", zipfile.ZipFile(path).getinfo(SHEET).file_size + 1000)
    patch(path, SHEET, local={22: size}, central={24: size})
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert _inflated(archive, data, archive.getinfo(SHEET), float("inf")) is None
    parsed, honest = read_submission_file(path), read_submission_file(SAMPLE)
    assert parsed.error is None
    assert {n: t.rows for n, t in parsed.tables.items()} == {n: t.rows for n, t in honest.tables.items()}
    assert parsed.tables["investment"].rows


def test_hidden_rows_formulas_sheets_not_read_and_columns(tmp_path):
    """What the reader reads from the sheets' XML itself, beside calamine's grid, and a
    table's rows as the columns a columnar builder takes."""
    rows = [{"commune_code": "05068", "project_code": f"P{i}", "project_name": f"Đường thôn {i}",
             "category": "Giao thông", "status": "Hoàn thành", "capital_central_budget": 10 * i} for i in range(1, 5)]
    book = build_workbook({"submission": [{"commune_code": "05068", "period": "2024-Q1"}], "investment": rows})
    sheet = book[INVESTMENT.sheet_vi]
    sheet.row_dimensions[3].hidden = True
    sheet.row_dimensions[5].hidden = True
    column = INVESTMENT.column_names.index("capital_local_budget") + 1
    sheet.cell(4, column, "=F4/0")  # a formula Excel never computed: its text, never a blank
    extra = book.create_sheet("Ghi chú")
    extra["A1"] = "số liệu tạm"
    book.create_sheet("Trống")  # no cell: nothing of it is lost
    path = tmp_path / "05068.xlsx"
    save_reproducibly(book, path)
    parsed = read_submission_file(path)
    assert parsed.error is None
    investment = parsed.tables["investment"]
    assert investment.hidden_rows == {3, 5}
    assert [(n, v["project_code"], v["capital_local_budget"]) for n, v in investment.rows] == [
        (2, "P1", None), (3, "P2", None), (4, "P3", "=F4/0"), (5, "P4", None)]
    assert parsed.sheets_not_read == [
        ("Ghi chú", "sheet 'Ghi chú' is not a sheet of the quarterly report template: not read",
         "trang 'Ghi chú' không phải là trang của biểu mẫu báo cáo quý nên không được đọc")]
    columns = investment.columns()
    assert list(columns) == ["row_number", "row_hidden", *INVESTMENT.column_names]
    assert columns["row_number"] == [2, 3, 4, 5]
    assert columns["row_hidden"] == [False, True, False, True]
    assert columns["project_code"] == ["P1", "P2", "P3", "P4"]
    assert columns["capital_local_budget"] == [None, None, "=F4/0", None]
    assert columns["capital_central_budget"] == ["10", "20", "30", "40"]
    assert columns["commune_code"] == ["05068"] * 4
