"""A corpus of hostile files, each dropped beside good submissions of one quarter: every
file is taken out whole with a clear reason (or, when it is no submission, listed as
ignored), the good communes of the quarter are published with every row they sent, and
`ntm validate` gives the same reason without a traceback. The files are built here, from
the sample's own workbooks and the project's writer; one warehouse is built from all of
them by the real pipeline."""

import io
import os
import struct
import zipfile
from pathlib import Path

import duckdb
import pytest

from conftest import build_warehouse, copy_sample
from ntm_pipeline.presubmit import validate_files
from ntm_pipeline.contract import TARGET
from ntm_pipeline.samples.kim_boi import PERIODS, KimBoiSample
from ntm_pipeline.submissions.reader import read_submission_file
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

pytestmark = pytest.mark.slow  # builds its own warehouse through the pipeline

PERIOD = "2024-Q1"
GOOD = ["05068", "05080", "05065"]
SAMPLE = KimBoiSample()
UNITS = {u.code: u for u in SAMPLE.units}
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CSV_HEADER = "commune_code,project_code,project_name,category,status\n"


def workbook(path: Path, code: str = "05086", edit=None) -> Path:
    tables, _ = SAMPLE.submission(UNITS[code], PERIODS.index(PERIOD))
    book = build_workbook(tables)
    if edit:
        edit(book)
    save_reproducibly(book, path)
    return path


def rezip(path: Path, replace: dict[str, bytes]) -> None:
    """The workbook with some of its parts replaced (or added), as a tool could write it."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, replace.pop(info.filename, source.read(info.filename)))
        for name, data in replace.items():
            target.writestr(name, data)
    path.write_bytes(out.getvalue())


def lie_about_size(path: Path, member: str, size: int) -> None:
    """The zip's headers declare `size` bytes for `member`, whatever it inflates to: a bomb
    that passes a check of declared sizes."""
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, zipfile.ZipFile(path).getinfo(member).header_offset + 22, size)  # local header
    entry = data.find(b"PK\x01\x02")
    while entry != -1:  # the central directory's entries
        length = struct.unpack_from("<H", data, entry + 28)[0]
        if data[entry + 46: entry + 46 + length] == member.encode():
            struct.pack_into("<I", data, entry + 24, size)
        entry = data.find(b"PK\x01\x02", entry + 4)
    path.write_bytes(bytes(data))


def ole_file(path: Path, streams: list[str]) -> None:
    """An OLE compound file's header and a directory sector naming `streams` (UTF-16), as
    Office writes a password-protected .xlsx (EncryptionInfo, EncryptedPackage) or an .xls."""
    header = OLE + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + b"\x00" * (512 - 32)
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64 for name in ["Root Entry", *streams])
    path.write_bytes(header + directory.ljust(512 * 4, b"\x00"))


# name under the quarter folder -> (rule, the start of the English reason)
REJECTED: dict[str, tuple[str, str]] = {
    "xfd.xlsx": ("too_many_rows", "sheet 'Dự án đầu tư' spans 1,048,576 rows, over the limit of 200,000 (NTM_MAX_ROWS)"),
    "z-column.xlsx": ("too_many_rows", "sheet 'Tiêu chí' spans 1,048,576 rows"),
    "wide.xlsx": ("too_many_columns", "sheet 'Thông tin chung' spans 702 columns, over the limit of 256 (NTM_MAX_COLUMNS)"),
    "many-cells.xlsx": ("too_many_cells", "sheet 'Sản phẩm OCOP' spans 6,000,000 cells, over the limit of 5,000,000 (NTM_MAX_CELLS)"),
    "bomb.xlsx": ("zip_ratio", "the workbook inflates"),
    "lying-bomb.xlsx": ("unreadable", "not a readable .xlsx workbook (Bad CRC-32 for file 'xl/sharedStrings.xml')"),
    "big-field.investment.csv": ("field_too_large", "a field of the CSV holds more text than a cell may"),
    "wide.investment.csv": ("too_many_columns", "the CSV has 300 columns"),
    "truncated.xlsx": ("unreadable", "not a readable .xlsx workbook"),
    "zero.xlsx": ("empty", "the file is empty"),
    "random.xlsx": ("unreadable", "not a readable .xlsx workbook"),
    "word-renamed.xlsx": ("unreadable", "not a readable .xlsx workbook"),
    "password.xlsx": ("encrypted", "the workbook is protected by a password"),
    "old-excel.xlsx": ("legacy_xls", "the file is an old Excel 97-2003 workbook"),
    "bao-cao.xls": ("unsupported_format", "a .xls file is not read: save it as .xlsx"),
    "macro.xlsm": ("unsupported_format", "a .xlsm file is not read: save it as .xlsx"),
    ".hidden.xlsx": ("hidden_file", "the file name starts with a dot"),
    "._05086.xlsx": ("hidden_file", "the file name starts with a dot"),
    "broken-xml.xlsx": ("unreadable", "not a readable .xlsx workbook"),
    "no-template.xlsx": ("no_template_sheet", "no sheet of the submission template found"),
    "copied-sheet.xlsx": ("duplicate_sheet",
                          "two sheets could be 'Dự án đầu tư' (investment): 'Dự án đầu tư' and 'Dự án đầu tư (2)'"),
    "nul.investment.csv": ("malformed_csv", "the CSV holds NUL characters"),
    "unknown.csv": ("unknown_table", "cannot tell which table the CSV holds"),
    "blank.investment.csv": ("no_header", "sheet 'blank.investment.csv': no header row"),
    "bao-cao-x\ufffd-\ufffd.xlsx": ("bad_file_name", "the file name is not valid UTF-8 text"),
    "utf16.investment.csv": ("not_utf8", "the CSV is not UTF-8"),
    "long.investment.csv": ("too_many_rows", "the CSV has 250,001 rows, over the limit of 200,000 (NTM_MAX_ROWS)"),
    "pipe.investment.csv": ("not_a_file", "not a regular file"),
    "missing-part.xlsx": ("read_failed", "the file could not be read (WorksheetNotFound: Thông tin chung)"),
    "linked.xlsx": ("outside_raw", "a link to a file outside raw/"),
    "dangling.xlsx": ("broken_link", "a link to a file that does not exist"),
}


def only_a_helper_sheet(book) -> None:
    book.create_sheet("Sheet1")
    for name in book.sheetnames[:-1]:
        book.remove(book[name])


def hostile(folder: Path, outside: Path) -> None:
    def reject(name, rule, message):
        assert REJECTED[name] == (rule, message) or REJECTED[name][1].startswith(message), name
        return folder / name

    # --- sizes and shapes that would exhaust the machine --------------------------------
    workbook(reject("xfd.xlsx", "too_many_rows", "sheet 'Dự án đầu tư' spans 1,048,576 rows"),
             edit=lambda b: b["Dự án đầu tư"].cell(1048576, 16384, "x"))
    workbook(reject("z-column.xlsx", "too_many_rows", "sheet 'Tiêu chí' spans 1,048,576 rows"),
             edit=lambda b: b["Tiêu chí"].cell(1048576, 26, "x"))
    workbook(reject("wide.xlsx", "too_many_columns", "sheet 'Thông tin chung' spans 702 columns"),
             edit=lambda b: b["Thông tin chung"].cell(3, 702, "x"))
    workbook(reject("many-cells.xlsx", "too_many_cells", "sheet 'Sản phẩm OCOP' spans 6,000,000 cells"),
             edit=lambda b: (b["Sản phẩm OCOP"].cell(100_000, 1, "x"), b["Sản phẩm OCOP"].cell(1, 60, "x")))
    bomb = workbook(reject("bomb.xlsx", "zip_ratio", "the workbook inflates"))
    strings = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    rezip(bomb, {"xl/sharedStrings.xml": strings + b"<si><t>NTM</t></si>" * 1_200_000 + b"</sst>"})
    lying = workbook(reject("lying-bomb.xlsx", "unreadable", "not a readable .xlsx workbook"))
    rezip(lying, {"xl/sharedStrings.xml": strings + b"<si><t>NTM</t></si>" * 1_200_000 + b"</sst>"})
    lie_about_size(lying, "xl/sharedStrings.xml", 1000)
    big = "05068,P1,Đường " + "x" * 200_000 + ",road,ongoing\n"
    reject("big-field.investment.csv", "field_too_large", "a field of the CSV holds more text than a cell may").write_text(
        CSV_HEADER + big, encoding="utf-8")
    reject("wide.investment.csv", "too_many_columns", "the CSV has 300 columns").write_text(
        CSV_HEADER + ",".join(["05068", "P2"] + ["v"] * 298) + "\n", encoding="utf-8")

    # --- damaged, protected or of another format -----------------------------------------
    good = workbook(folder.parent / "whole.xlsx").read_bytes()
    (folder.parent / "whole.xlsx").unlink()
    reject("truncated.xlsx", "unreadable", "not a readable .xlsx workbook").write_bytes(good[: len(good) // 2])
    reject("zero.xlsx", "empty", "the file is empty").write_bytes(b"")
    reject("random.xlsx", "unreadable", "not a readable .xlsx workbook").write_bytes(os.urandom(4096))
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    reject("word-renamed.xlsx", "unreadable", "not a readable .xlsx workbook").write_bytes(docx.getvalue())
    ole_file(reject("password.xlsx", "encrypted", "the workbook is protected by a password"),
             ["EncryptionInfo", "EncryptedPackage"])
    ole_file(reject("old-excel.xlsx", "legacy_xls", "the file is an old Excel 97-2003 workbook"), ["Workbook"])
    ole_file(reject("bao-cao.xls", "unsupported_format", "a .xls file is not read: save it as .xlsx"), ["Workbook"])
    workbook(reject("macro.xlsm", "unsupported_format", "a .xlsm file is not read: save it as .xlsx"))
    workbook(reject(".hidden.xlsx", "hidden_file", "the file name starts with a dot"))
    reject("._05086.xlsx", "hidden_file", "the file name starts with a dot").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 80)
    broken_xml = workbook(reject("broken-xml.xlsx", "unreadable", "not a readable .xlsx workbook"))
    rezip(broken_xml, {"xl/workbook.xml": b"<workbook><sheets><sheet name="})
    workbook(reject("no-template.xlsx", "no_template_sheet", "no sheet of the submission template found"),
             edit=only_a_helper_sheet)
    workbook(reject("copied-sheet.xlsx", "duplicate_sheet",
                    "two sheets could be 'Dự án đầu tư' (investment): 'Dự án đầu tư' and 'Dự án đầu tư (2)'"),
             edit=lambda b: setattr(b.copy_worksheet(b["Dự án đầu tư"]), "title", "Dự án đầu tư (2)"))
    reject("nul.investment.csv", "malformed_csv", "the CSV holds NUL characters").write_bytes(
        (CSV_HEADER + "05068,P3,Cầu\x00,bridge,ongoing\n").encode())
    reject("unknown.csv", "unknown_table", "cannot tell which table the CSV holds").write_text(CSV_HEADER, encoding="utf-8")
    reject("blank.investment.csv", "no_header", "sheet 'blank.investment.csv': no header row").write_text(
        "\n\n\n", encoding="utf-8")
    reject("utf16.investment.csv", "not_utf8", "the CSV is not UTF-8").write_bytes(
        (CSV_HEADER + "05068,P4,Cầu,bridge,ongoing\n").encode("utf-16"))  # Excel's 'Unicode Text'
    reject("long.investment.csv", "too_many_rows", "the CSV has 250,001 rows").write_text(
        CSV_HEADER + ",\n" * 250_000, encoding="utf-8")
    os.mkfifo(reject("pipe.investment.csv", "not_a_file", "not a regular file"))
    missing = workbook(reject("missing-part.xlsx", "read_failed", "the file could not be read"))
    source = zipfile.ZipFile(io.BytesIO(missing.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:  # the sheets' parts left out
        for info in source.infolist():
            if not info.filename.startswith("xl/worksheets/"):
                archive.writestr(info, source.read(info.filename))
    missing.write_bytes(out.getvalue())
    name = os.fsdecode(b"bao-cao-x\xe3-\xff.xlsx")  # cp1258 bytes in a name, as an old zip leaves them
    workbook(folder / name)

    # --- links out of raw/ -------------------------------------------------------------
    target = workbook(outside / "05086-on-the-desktop.xlsx")
    reject("linked.xlsx", "outside_raw", "a link to a file outside raw/").symlink_to(target)
    reject("dangling.xlsx", "broken_link", "a link to a file that does not exist").symlink_to(outside / "gone.xlsx")


def extra_sheets(book) -> None:
    """The template's sheets, and what an officer adds: a 'Sheet1' with data, last year's
    projects on a hidden sheet, an empty 'Sheet2' (nothing to lose: not listed), the
    instructions sheet of the template (not listed)."""
    book.create_sheet("Sheet1").append(["Ghi chú", "Dự án đường thôn 3 (chưa nhập)"])
    stale = book.create_sheet("Dự án 2023")
    stale.append(["Mã dự án", "Vốn"])
    stale.append(["P2023-1", 1200])
    stale.sheet_state = "hidden"
    book.create_sheet("Sheet2")
    book.create_sheet("Hướng dẫn", 0).append(["Điền mỗi trang theo tiêu đề cột."])


def targets_workbook(raw: Path, csv_name: str) -> Path:
    """The targets of `csv_name` moved into a targets workbook (its 'Chỉ tiêu' sheet, the
    template's instructions and code lists) with a sheet 'Ghi chú' of notes: the same targets."""
    csv_path = raw / "targets" / csv_name
    rows = [values for _, values in read_submission_file(csv_path, default_table=TARGET).tables["target"].rows]
    book = build_workbook({"target": rows}, tables=(TARGET,), guide=["Chỉ tiêu năm của huyện."])
    book.create_sheet("Ghi chú").append(["Số liệu tạm tính"])
    path = csv_path.with_suffix(".xlsx")
    save_reproducibly(book, path)
    csv_path.unlink()
    return path


LOCK = ("lock_or_system_file", "a lock or system file of Office or the operating system",
        "tệp khóa hoặc tệp hệ thống của Office hay của hệ điều hành")
EXTRA = f"submissions/{PERIOD}/05065-extra-sheets.xlsx"  # a good commune's workbook with sheets of its own
TARGETS_BOOK = "targets/153-kim-boi-2024.xlsx"


def sheet(name: str, template: str = "the quarterly report template", template_vi: str = "biểu mẫu báo cáo quý",
          hidden: bool = False) -> tuple[str, str, str]:
    return ("sheet_not_read", f"{'hidden sheet' if hidden else 'sheet'} '{name}' is not a sheet of {template}: not read",
            f"{'trang ẩn' if hidden else 'trang'} '{name}' không phải là trang của {template_vi} nên không được đọc")
NO_QUARTER = ("not_a_quarter", "not a quarter of the calendar (2021-Q1..2030-Q4); 1 file not read",
              "không phải một quý của lịch báo cáo (2021-Q1..2030-Q4); 1 tệp không được đọc")
OUTSIDE = ("outside_raw_folders", "not under raw/submissions/ or raw/targets/",
           "không nằm trong raw/submissions/ hay raw/targets/")
IGNORED = {  # (path under raw/, sheet) -> (period, kind, reason in English, in Vietnamese)
    f"submissions/{PERIOD}/~$05068-nam-thuong.xlsx": (PERIOD, *LOCK),
    f"submissions/{PERIOD}/.DS_Store": (PERIOD, *LOCK),
    f"submissions/{PERIOD}/.~lock.05080-sao-bay.xlsx#": (PERIOD, *LOCK),
    f"submissions/{PERIOD}/Thumbs.db": (PERIOD, *LOCK),
    f"submissions/{PERIOD}/cong-van.pdf": (PERIOD, "not_a_submission", "not a submission: only .xlsx and .csv are read (.pdf)",
                                           "không phải tệp báo cáo: chỉ đọc tệp .xlsx và .csv (.pdf)"),
    f"submissions/{PERIOD}/linked-folder": (PERIOD, "folder_link", "a link to a folder, not followed",
                                            "liên kết tới một thư mục, không đọc theo liên kết"),
    "submissions/2019-Q4": (None, *NO_QUARTER),
    "submissions/2030-Q4": (None, "quarter_not_begun", "2030-Q4 has not begun; 1 file not read",
                            "quý 2030-Q4 chưa bắt đầu; 1 tệp không được đọc"),
    "submissions/quy-1": (None, *NO_QUARTER),
    "submissions/loose.xlsx": (None, "outside_quarter_folder", "not under a quarter folder such as 2024-Q1",
                               "không nằm trong thư mục của một quý, ví dụ 2024-Q1"),
    "submissions/shortcut.xlsx": (None, "link", "a link, not followed", "một liên kết, không đọc theo liên kết"),
    (EXTRA, "Sheet1"): (PERIOD, *sheet("Sheet1")),
    (EXTRA, "Dự án 2023"): (PERIOD, *sheet("Dự án 2023", hidden=True)),
    # raw/targets/, by the step that reads it: the quarter folders' rule, and a read workbook's sheets
    "targets/~$chi-tieu-2025.xlsx": (None, *LOCK),
    "targets/quyet-dinh-giao-chi-tieu.pdf": (None, "not_a_submission", "not a submission: only .xlsx and .csv are read (.pdf)",
                                             "không phải tệp báo cáo: chỉ đọc tệp .xlsx và .csv (.pdf)"),
    (TARGETS_BOOK, "Ghi chú"): (None, *sheet("Ghi chú", "the annual targets template", "biểu mẫu chỉ tiêu năm")),
    # directly under raw/, beside submissions/ and targets/ (templates/ and .intake/ are known: not listed)
    "ghi-chu.txt": (None, *OUTSIDE),
    "2022": (None, OUTSIDE[0], OUTSIDE[1] + "; 2 files not read", OUTSIDE[2] + "; 2 tệp không được đọc"),
}
IGNORED = {key if isinstance(key, tuple) else (key, None): entry for key, entry in IGNORED.items()}
BY_TARGETS = {key for key in IGNORED if key[0].startswith("targets/")}  # raw_target's entries


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    raw = copy_sample(tmp_path_factory.mktemp("raw"), [PERIOD], communes=GOOD)
    outside = tmp_path_factory.mktemp("desktop")
    folder = raw / "submissions" / PERIOD
    hostile(folder, outside)
    (folder / "~$05068-nam-thuong.xlsx").write_bytes(b"\x00" * 165)
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / ".~lock.05080-sao-bay.xlsx#").write_text(",Cán bộ xã,may-tinh,01.04.2024 08:00,file:///C:/;", encoding="utf-8")
    (folder / "Thumbs.db").write_bytes(OLE)
    (folder / "cong-van.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    for quarter in ("2019-Q4", "2030-Q4", "quy-1"):
        (raw / "submissions" / quarter).mkdir()
        workbook(raw / "submissions" / quarter / "05086.xlsx")
    workbook(raw / "submissions" / "loose.xlsx")
    (raw / "submissions" / "shortcut.xlsx").symlink_to(outside / "05086-on-the-desktop.xlsx")
    (good,) = folder.glob("05065*.xlsx")
    good.unlink()
    workbook(raw / EXTRA, code="05065", edit=extra_sheets)
    (raw / "targets" / "~$chi-tieu-2025.xlsx").write_bytes(b"\x00" * 165)
    (raw / "targets" / "quyet-dinh-giao-chi-tieu.pdf").write_bytes(b"%PDF-1.4\n")
    assert raw / targets_workbook(raw, "153-kim-boi-2024.csv") == raw / TARGETS_BOOK
    # a targets workbook the reader refuses (no 'Chỉ tiêu' sheet) lists no sheet: its one reason says all
    notes = build_workbook({}, tables=())
    notes.create_sheet("Sheet1").append(["Chỉ tiêu 2025 (bản nháp)", 42])
    save_reproducibly(notes, raw / "targets" / "nhap.xlsx")
    (raw / "ghi-chu.txt").write_text("Nhận đủ báo cáo quý 1.", encoding="utf-8")
    for name in ("2022/05086.xlsx", "2022/cu/05068.xlsx"):
        workbook(raw / name)
    workbook(raw / "templates" / "bao-cao-quy-xa.xlsx")
    workbook(raw / ".intake" / "upload-1.xlsx")  # the web intake's file being filed
    database = raw.parent / "hostile.duckdb"
    result = build_warehouse(raw, database, [PERIOD])
    with duckdb.connect(str(database), read_only=True) as conn:
        yield raw, result, conn


def test_the_corpus_is_large(corpus):
    assert len(REJECTED) + len(IGNORED) >= 40


def test_the_run_succeeds(corpus):
    _, result, _ = corpus
    assert result.success


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_each_hostile_file_is_taken_out_whole_with_its_reason(corpus, name):
    _, _, conn = corpus
    rule, message = REJECTED[name]
    rows = conn.execute(
        "SELECT rule, message_en, message_vi FROM quarantine.source_file WHERE period = ? AND source_file = ?",
        [PERIOD, f"submissions/{PERIOD}/{name}"],
    ).fetchall()
    assert len(rows) == 1, rows
    assert rows[0][0] == rule
    assert rows[0][1].startswith(message), rows[0][1]
    assert rows[0][2]  # a Vietnamese reason for the officer


def test_every_file_of_the_quarter_is_accounted_for(corpus):
    """Every entry of the quarter folder is either read, rejected with its reason or listed as
    ignored; the run's file log names each, and nothing else."""
    raw, _, conn = corpus
    logged = {r[0] for r in conn.execute("SELECT source_file FROM raw.source_file WHERE period = ?", [PERIOD]).fetchall()}
    good = {f"submissions/{PERIOD}/{p.name}" for p in (raw / "submissions" / PERIOD).glob("0*.xlsx")}
    assert len(good) == len(GOOD)
    assert logged == good | {f"submissions/{PERIOD}/{n}" for n in REJECTED}
    on_disk = {os.fsencode(p.name).decode("utf-8", "replace") for p in (raw / "submissions" / PERIOD).iterdir()}
    ignored_here = {Path(p).name for (p, sheet), (period, *_) in IGNORED.items() if period == PERIOD and sheet is None}
    assert on_disk == {Path(p).name for p in logged} | ignored_here


def ignored_rows(conn) -> list[tuple]:
    return conn.execute("SELECT path, sheet, period, kind, reason_en, reason_vi FROM raw.ignored_entry "
                        "ORDER BY path, sheet NULLS FIRST").fetchall()


def in_order(entries):
    """As the table and the summary list them: by path, a workbook's sheets after it."""
    return sorted(entries, key=lambda item: (item[0][0], item[0][1] or ""))


def test_what_is_no_submission_is_listed_as_ignored_with_its_reason(corpus):
    """raw.ignored_entry holds one row per ignored entry, with its quarter (none outside any
    quarter folder), kind and reasons, seen by the run; the UI's materialization says the same."""
    _, result, conn = corpus
    assert ignored_rows(conn) == [(*key, *entry) for key, entry in in_order(IGNORED.items())]
    assert conn.execute("SELECT DISTINCT run_id FROM raw.ignored_entry").fetchall() == [(result.run_id,)]
    assert conn.execute("SELECT count(DISTINCT loaded_at), count(loaded_at) FROM raw.ignored_entry").fetchone() == (
        2, len(IGNORED))  # raw_submissions' time, and raw_target's for raw/targets/
    assert conn.execute(  # the table and each of its 8 columns described in both languages
        "SELECT count(*) FILTER (comment LIKE '% | %'), count(*) FROM duckdb_columns() "
        "WHERE schema_name = 'raw' AND table_name = 'ignored_entry'").fetchone() == (8, 8)
    assert " | " in conn.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = 'ignored_entry'").fetchone()[0]
    (materialization,) = [m for m in result.asset_materializations_for_node("raw_submissions")
                          if m.asset_key.path == ["raw", "ignored_entry"]]
    metadata = materialization.metadata
    by_submissions = {key: entry for key, entry in IGNORED.items() if key not in BY_TARGETS}
    assert metadata["files_ignored"].value == metadata["dagster/row_count"].value == len(by_submissions)
    listed = metadata["ignored"].value.splitlines()
    assert sorted(listed) == sorted(f"- `{path}` ({period or 'no quarter'}): {reason}"
                                    for (path, _), (period, _, reason, _) in by_submissions.items())
    (targets,) = [m for m in result.asset_materializations_for_node("raw_target")
                  if m.asset_key.path == ["raw", "target_file"]]
    assert sorted(targets.metadata["ignored_in_targets"].value.splitlines()) == sorted(
        f"- `{path}`: {IGNORED[path, sheet][2]}" for path, sheet in BY_TARGETS)
    (files,) = [m for m in result.asset_materializations_for_node("raw_submissions")
                if m.asset_key.path == ["raw", "source_file"]]
    assert files.metadata["files_rejected"].value == len(REJECTED)


def test_a_rerun_replaces_the_ignored_entries_of_its_quarters(corpus, tmp_path):
    """The raw step run again on a copy of the warehouse gives the same rows, by the new run:
    a stale entry of the run's quarter and one outside any quarter are gone, another
    quarter's entry is kept."""
    import shutil

    import dagster as dg

    from ntm_pipeline.defs.raw.assets import raw_submissions
    from ntm_pipeline.resources import warehouse_resources
    from ntm_pipeline.run import materialize_periods

    raw, _, conn = corpus
    database = tmp_path / "rerun.duckdb"
    shutil.copy(raw.parent / "hostile.duckdb", database)
    stale = [(PERIOD, f"submissions/{PERIOD}/gone.pdf"), (None, "submissions/gone"), ("2023-Q4", "submissions/2023-Q4/a.pdf")]
    with duckdb.connect(str(database)) as writer:
        writer.executemany("INSERT INTO raw.ignored_entry (period, path, kind) VALUES (?, ?, 'not_a_submission')", stale)
    result = materialize_periods(
        [PERIOD], dg.DagsterInstance.ephemeral(),
        resources=warehouse_resources(database, raw),
        selection=dg.AssetSelection.assets(*raw_submissions.keys),
    )
    assert result.success
    with duckdb.connect(str(database), read_only=True) as again:
        rows = ignored_rows(again)
        runs = again.execute("SELECT DISTINCT run_id FROM raw.ignored_entry WHERE period IS DISTINCT FROM '2023-Q4' "
                            "AND NOT starts_with(path, 'targets/')").fetchall()
        targets_runs = again.execute("SELECT DISTINCT run_id FROM raw.ignored_entry WHERE starts_with(path, 'targets/')").fetchall()
    kept = ("submissions/2023-Q4/a.pdf", None, "2023-Q4", "not_a_submission", None, None)
    assert rows == sorted([*ignored_rows(conn), kept], key=lambda r: (r[0], r[1] or ""))
    assert runs == [(result.run_id,)]
    first_run = conn.execute("SELECT DISTINCT run_id FROM raw.ignored_entry").fetchall()
    assert targets_runs == first_run  # raw/targets/'s entries are raw_target's, which did not run again


def test_the_run_summary_lists_the_ignored_entries(corpus, monkeypatch):
    """`ntm run`'s summary, read from the warehouse: after the files taken out whole, a count
    and each ignored entry with its reason."""
    from ntm_pipeline.summary import print_summary

    raw, result, _ = corpus
    monkeypatch.setenv("NTM_WAREHOUSE", str(raw.parent / "hostile.duckdb"))
    lines: list[str] = []
    print_summary(result, [PERIOD], 1.0, out=lines.append)
    start = lines.index(f"ignored, {PERIOD} (raw.ignored_entry): {len(IGNORED)} entries under raw/ not read:")
    assert lines[start + 1: start + 1 + len(IGNORED)] == [
        f"    {path}: {reason}" for (path, _), (_, _, reason, _) in in_order(IGNORED.items())]
    assert lines[start + 1 + len(IGNORED)] == "rows per table:"
    quarantined = [i for i, line in enumerate(lines) if line.startswith(f"    submissions/{PERIOD}/")
                   and line.split(": ", 1)[0].strip().removeprefix(f"submissions/{PERIOD}/") in REJECTED]
    assert len(quarantined) == len(REJECTED) and max(quarantined) < start  # the files taken out come first


def test_the_good_communes_are_published_with_every_row(corpus):
    """The three good files' rows, as the reader reads them from the sample, all reach core."""
    raw, _, conn = corpus
    communes = {r[0] for r in conn.execute(
        "SELECT commune_code FROM core.fact_commune_status WHERE period = ?", [PERIOD]).fetchall()}
    assert communes == set(GOOD)
    for code in GOOD:
        (path,) = (raw / "submissions" / PERIOD).glob(f"{code}*.xlsx")
        parsed = read_submission_file(path)
        expected = len([1 for _, v in parsed.tables["investment"].rows if v["project_code"]])
        published = conn.execute(
            "SELECT count(*) FROM core.fact_investment WHERE period = ? AND commune_code = ?", [PERIOD, code]).fetchone()[0]
        assert published == expected > 0
    lost = conn.execute(
        "SELECT count(*) FROM core.row_reconciliation WHERE period = ? "
        "AND rows_read <> rows_published + rows_quarantined + rows_superseded", [PERIOD]).fetchone()[0]
    assert lost == 0


@pytest.mark.parametrize("name", sorted(n for n, (rule, _) in REJECTED.items() if rule not in ("outside_raw", "broken_link")))
def test_ntm_validate_gives_the_same_reason_without_a_traceback(corpus, name):
    """`ntm validate` on the file (a link out of raw/ is the pipeline's rule alone: validate
    reads the file it is given) says the run's reason and exits 1."""
    raw, _, _ = corpus
    folder = raw / "submissions" / PERIOD
    path = folder / name if (folder / name).exists() else next(p for p in folder.iterdir() if "\ufffd" in os.fsencode(
        p.name).decode("utf-8", "replace"))
    lines: list[str] = []
    assert validate_files([path], lang="en", period=PERIOD, out=lines.append) == 1
    text = "\n".join(lines)
    assert REJECTED[name][1] in text, text
    assert "Traceback" not in text


def test_the_limits_are_configurable(tmp_path, monkeypatch):
    path = workbook(tmp_path / "05086.xlsx")
    assert read_submission_file(path).error is None
    monkeypatch.setenv("NTM_MAX_ROWS", "10")
    error = read_submission_file(path).error
    assert error.code == "too_many_rows" and "(NTM_MAX_ROWS)" in error.message_en
    monkeypatch.setenv("NTM_MAX_ROWS", "1000")
    monkeypatch.setenv("NTM_MAX_UNZIPPED_MB", "0.01")
    assert read_submission_file(path).error.code == "too_large_unzipped"


def test_the_ntm_command_refuses_the_worst_files_without_a_traceback(corpus):
    """The console script itself, on the files that aborted the process or exhausted its
    memory: exit status 1, each file's reason, nothing on stderr."""
    import subprocess
    import sys

    raw, _, _ = corpus
    folder = raw / "submissions" / PERIOD
    names = ["xfd.xlsx", "z-column.xlsx", "bomb.xlsx", "lying-bomb.xlsx", "big-field.investment.csv", "password.xlsx"]
    script = Path(sys.executable).with_name("ntm")
    result = subprocess.run([str(script), "validate", "--lang", "en", *(str(folder / n) for n in names)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    for name in names:
        assert REJECTED[name][1] in result.stdout


def test_the_sensor_places_what_the_run_logged(corpus):
    """The new-file sensor hashes the files by the reader's rule: every file the run logged
    with a hash is placed in its quarter with that hash (so the first tick after a build runs
    nothing for it), and a dangling link or a pipe, which cannot be hashed, never stops it."""
    from ntm_pipeline.defs.automation.sensors import scan
    from ntm_pipeline.resources import SubmissionStore
    from ntm_pipeline.submissions.reader import display_name

    raw, _, conn = corpus
    hashes, unplaced = scan(SubmissionStore(raw_dir=str(raw)))
    placed = {display_name(path): digest for path, digest in hashes.items() if path.startswith("submissions/")}
    logged = dict(conn.execute(
        "SELECT source_file, file_hash FROM raw.source_file WHERE period = ? AND file_hash <> ''", [PERIOD]).fetchall())
    assert placed == logged
    assert {f"submissions/{PERIOD}/{n}" for n in ("dangling.xlsx", "pipe.investment.csv")}.isdisjoint(placed)
    assert "submissions/loose.xlsx (not under a quarter folder such as 2024-Q1)" in unplaced


@pytest.mark.parametrize("path", [EXTRA, TARGETS_BOOK])
def test_ntm_validate_warns_of_the_sheets_the_run_lists(corpus, path):
    """`ntm validate` on a workbook whose sheets the run listed as not read: a warning with
    the table's own reason for each, in English and Vietnamese, and the file can be sent."""
    raw, _, conn = corpus
    rows = conn.execute("SELECT reason_en, reason_vi FROM raw.ignored_entry WHERE path = ? AND kind = 'sheet_not_read' "
                        "ORDER BY sheet", [path]).fetchall()
    assert rows == sorted((en, vi) for (p, _), (_, _, en, vi) in IGNORED.items() if p == path)
    for lang, warning, column in (("en", "WARNING", 0), ("vi", "CẢNH BÁO", 1)):
        lines: list[str] = []
        assert validate_files([raw / path], lang=lang, out=lines.append) == 0
        assert sorted(line for line in lines if line.startswith(f"  {warning} ")) == sorted(
            f"  {warning:<9} {row[column]}" for row in rows), lines
