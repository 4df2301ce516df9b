"""Parse submission files (.xlsx or .csv) into rows keyed by canonical column names.

This is the edge of the pipeline: every value is kept as the text that was read, and
typing happens later in SQL. A file that cannot be taken at all (damaged, empty, too
large, not UTF-8, a sheet or a required column missing) is reported with one reason, in
Vietnamese and English, instead of stopping the others. Reading is isolated: a workbook's
size, zip ratio and sheet extent are checked before calamine parses it (the limits of
settings.READER_LIMITS), and any other exception of one file is that file's reason.
A workbook's bytes are read once for its hash and those checks, which also scan its XML
for what calamine does not say (hidden rows, formulas without a value, sheets not read);
calamine then opens the file to parse the template's sheets.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from ntm_pipeline.settings import READER_LIMITS, reader_limit
from ntm_pipeline.contract import (
    SUBMISSION,
    SUBMISSION_TABLES,
    SubmissionTable,
    header_lookup,
    table_for_name,
    text_key,
)
from ntm_pipeline.submissions.writer import CODE_LIST_SHEET, GUIDE_SHEET

SUBMISSION_SUFFIXES = (".xlsx", ".csv")
# Spreadsheet formats an officer may save by mistake: taken out whole with "save as .xlsx".
OTHER_SPREADSHEETS = (".xls", ".xlsm", ".xlsb", ".xltx", ".xltm", ".ods", ".numbers")
# Files the operating system or Office leave beside a workbook: listed as ignored, never read.
SYSTEM_FILES = (".ds_store", "thumbs.db", "desktop.ini")
HEADER_SEARCH_ROWS = 10  # a template may carry title lines above its header row
RATIO_FLOOR_BYTES = 16 * 1024 * 1024  # below this uncompressed size a high zip ratio is harmless
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted .xlsx, or an .xls renamed
# The template's own sheets that hold no data (its instructions and code lists): never listed as not read.
HELPER_SHEETS = frozenset(text_key(name) for name in (GUIDE_SHEET, CODE_LIST_SHEET))
_SHEET_DATA = re.compile(rb"<(?:v|is|f)\b")  # a cell's value, inline text or formula: the sheet holds data


@dataclass
class ParsedTable:
    table: SubmissionTable
    sheet: str
    rows: list[tuple[int, dict[str, str | None]]] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)

    def columns(self) -> dict[str, list]:
        """The rows as columns, in row order: `row_number`, `row_hidden`, then each column of
        the table (its text, or None): what a columnar builder (a frame or an Arrow table
        handed to DuckDB) takes whole, one list per column, with no dict per row."""
        numbers = [number for number, _ in self.rows]
        hidden = self.hidden_rows
        columns: dict[str, list] = {"row_number": numbers, "row_hidden": [n in hidden for n in numbers]}
        for name in self.table.column_names:
            columns[name] = [values[name] for _, values in self.rows]
        return columns


class SubmissionFileError(Exception):
    """A file that cannot be taken at all, with its reason in English and Vietnamese."""

    def __init__(self, code: str, message_en: str, message_vi: str, sheet: str | None = None, column: str | None = None):
        super().__init__(message_en)
        self.code, self.message_en, self.message_vi = code, message_en, message_vi
        self.sheet, self.column = sheet, column  # where the problem is, when it has a place


@dataclass
class ParsedFile:
    path: Path
    file_hash: str
    batch: Path  # the submission this file belongs to: the workbook, or a set of CSV files
    tables: dict[str, ParsedTable] = field(default_factory=dict)
    error: SubmissionFileError | None = None
    # Sheets with data that are not of the template and are not read, as (name, English,
    # Vietnamese reason); empty when the file is refused (its one reason says all).
    sheets_not_read: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(t.rows) for t in self.tables.values())


def max_file_bytes() -> int:
    return int(reader_limit("max_file_mb") * 1024 * 1024)


def display_name(path: Path | str) -> str:
    """A path as text that any table can hold: a name that is not valid UTF-8 (a file
    copied from an old Windows or a zip archive) has its undecodable bytes as U+FFFD."""
    return os.fsencode(str(path)).decode("utf-8", errors="replace")


def _too_large(code: str, what_en: str, what_vi: str, limit_name: str) -> SubmissionFileError:
    variable = READER_LIMITS[limit_name][0]
    limit = reader_limit(limit_name)
    shown = f"{limit:,.0f}" if limit.is_integer() else f"{limit:g}"
    return SubmissionFileError(
        code,
        f"{what_en}, over the limit of {shown} ({variable}); the file was not parsed",
        f"{what_vi}, vượt giới hạn {shown.replace(',', '.')}; tệp không được đọc",
    )


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


AMBIGUOUS_DECIMAL = re.compile(r"-?[1-9]\d{0,2}\.\d{3}$")


def cell_text(value: object) -> str | None:
    """The text of a cell as read: numbers without float noise, dates as ISO."""
    if value is None:
        return None
    if isinstance(value, str):  # the common case, and every CSV cell
        return value if value.strip() else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = format(value, ".15g")
        # A number cell is not ambiguous, but its text 12.345 would read as thousands or
        # decimals (parse_decimal refuses it): a fourth decimal says which it is.
        return text + "0" if AMBIGUOUS_DECIMAL.match(text) else text
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


# A header cell's key, remembered: the same few headers recur in every file of a run.
header_key = functools.lru_cache(maxsize=4096, typed=True)(text_key)
_LOOKUPS: dict[int, tuple[SubmissionTable, dict[str, str]]] = {}


def table_header_lookup(table: SubmissionTable) -> dict[str, str]:
    """`header_lookup(table)`, built once per table (keyed by identity: tables are constants)."""
    kept = _LOOKUPS.get(id(table))
    if kept is None or kept[0] is not table:
        kept = _LOOKUPS[id(table)] = (table, header_lookup(table))
    return kept[1]


def _parse_grid(table: SubmissionTable, sheet: str, grid: list[list[object]], in_workbook: bool) -> ParsedTable:
    lookup = table_header_lookup(table)
    header_index, header_map = None, {}
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        mapped = {}
        for i, v in enumerate(row):
            if v is not None and (name := lookup.get(header_key(v))) is not None:
                mapped[i] = name
        if len(mapped) >= 2:
            header_index, header_map = index, mapped
            break
    if header_index is None:
        raise SubmissionFileError(
            "no_header",
            f"sheet '{sheet}': no header row with the template's column names",
            f"trang '{sheet}': không có dòng tiêu đề với tên cột của biểu mẫu",
            sheet=sheet,
        )
    # In a one-commune workbook the detail sheets may omit the commune code: the header's applies.
    optional_here = {"commune_code"} if in_workbook and table is not SUBMISSION else set()
    missing = [c for c in table.columns if c.required and c.name not in header_map.values() and c.name not in optional_here]
    if missing:
        column = missing[0]
        raise SubmissionFileError(
            "missing_column",
            f"sheet '{sheet}' has no column '{column.header_vi}' ({column.name})",
            f"trang '{sheet}' thiếu cột '{column.header_vi}'",
            sheet=sheet, column=column.name,
        )
    parsed = ParsedTable(table, sheet)
    parsed.ignored_headers = [
        str(v) for i, v in enumerate(grid[header_index]) if i not in header_map and cell_text(v) is not None
    ]
    # The hot loop of a national run (1.75 million rows): one dict copy per row that holds
    # text in some template column (a blank row costs none), and cell_text's first case, a
    # text cell, inline.
    blank = dict.fromkeys(table.column_names)
    columns = list(header_map.items())
    rows = parsed.rows
    for index, row in enumerate(grid[header_index + 1 :], start=header_index + 2):
        values, width = None, len(row)
        for position, name in columns:
            if position < width:
                value = row[position]
                if value.__class__ is str:
                    if not value.strip():
                        continue
                    text = value
                elif value is None or (text := cell_text(value)) is None:
                    continue
                if values is None:
                    values = blank.copy()
                values[name] = text
        if values is not None:
            rows.append((index, values))
    return parsed


def _fill_merged_cells(grid: list[list[object]], merged) -> None:
    """A merged range holds its value in its first cell; it applies to every cell of it."""
    for (first_row, first_col), (last_row, last_col) in merged or []:
        if first_row >= len(grid) or first_col >= len(grid[first_row]):
            continue
        value = grid[first_row][first_col]
        for r in range(first_row, min(last_row, len(grid) - 1) + 1):
            for c in range(first_col, min(last_col, len(grid[r]) - 1) + 1):
                grid[r][c] = value


_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_HIDDEN_ROW = re.compile(rb'<row\b([^>]*?)\bhidden="(?:1|true)"([^>]*)>')
# A cell's reference is its first attribute as Excel, LibreOffice and openpyxl write it; any
# other order is looked for only when some cell's reference is not found so.
_CELL_REFERENCE = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"')
_ANY_CELL_COLUMN = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})')
_ANY_CELL_ROW = re.compile(rb'<c\b[^>]*?\br="[A-Z]{1,3}(\d+)"')


@functools.lru_cache(maxsize=256)
def _table_of_sheet(name: str) -> SubmissionTable | None:
    return table_for_name(name)


def _expects(expected: tuple[SubmissionTable, ...], table: SubmissionTable | None) -> bool:
    """`table in expected`, without comparing every field of two tables whose names differ."""
    return table is not None and any(t is table or (t.name == table.name and t == table) for t in expected)


# A cell with a formula: its attributes and content (<f>, and <v> when Excel computed it).
_FORMULA_CELL = re.compile(rb'<c\b([^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*)>((?:(?!</c>).)*?<f\b(?:(?!</c>).)*?)</c>', re.S)
_FORMULA_TEXT = re.compile(rb'<f\b[^>]*?(?:/>|>(.*?)</f>)', re.S)
_VALUE = re.compile(rb'<v>(.*?)</v>', re.S)
_FORMULA = re.compile(rb"<f\b")  # a formula element (not a data validation's <formula1>)


@functools.lru_cache(maxsize=1024)
def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def workbook_sheet_names(path: Path) -> list[str]:
    """The sheet names of a workbook, from its workbook.xml alone: nothing else is parsed
    (calamine reads every shared string on opening a workbook, a zip bomb's included)."""
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/workbook.xml").decode("utf-8")
    return [_unescape(n) for n in re.findall(r'<sheet\b[^>]*?name="([^"]+)"', xml)]


def _unescape(name: str) -> str:
    return name.replace("&amp;", "&").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&apos;", "'")


def _check_container(path: Path, data: bytes | None = None) -> None:
    """A workbook that is not a zip archive: an encrypted one (Office keeps a password-
    protected .xlsx in an OLE container) or an old .xls renamed; said before calamine opens it."""
    if data is not None:
        head = data[: 1 << 16]
    else:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
    if head.startswith(OLE_SIGNATURE):
        if "EncryptionInfo".encode("utf-16-le") in head or b"EncryptedPackage" in head:
            raise SubmissionFileError(
                "encrypted", "the workbook is protected by a password: save it without one",
                "tệp được đặt mật khẩu: hãy lưu lại tệp không có mật khẩu",
            )
        raise SubmissionFileError(
            "legacy_xls", "the file is an old Excel 97-2003 workbook (.xls) named .xlsx: save it as .xlsx",
            "tệp là bảng tính Excel 97-2003 (.xls) được đặt tên .xlsx: hãy lưu lại dưới dạng .xlsx",
        )


def _unusable_formulas(xml: bytes) -> dict[tuple[int, int], str]:
    """(row, column) from 0 -> text, for each formula cell without a usable value: its stored
    error (#DIV/0!, #REF!), or '=' and the formula when Excel never computed it (a file written
    by a script). Calamine reads both as a blank, which a capital would count as 0."""
    if _FORMULA.search(xml) is None:
        return {}
    found = {}
    for attributes, letters, row, content in _FORMULA_CELL.findall(xml):
        value = _VALUE.search(content)
        if b't="e"' in attributes and value:
            text = value.group(1)
        elif value is None or not (value.group(1).strip() or b't="str"' in attributes):  # "" computed is a blank
            formula = _FORMULA_TEXT.search(content)
            text = b"=" + (formula.group(1) or b"") if formula else b"="
        else:
            continue
        found[int(row) - 1, _column_number(letters) - 1] = _unescape(text.decode("utf-8", errors="replace"))
    return found


def _inflated(archive: zipfile.ZipFile, data: bytes | None, info: zipfile.ZipInfo, limit: float) -> bytes | None:
    """A member's bytes inflated straight from the workbook's bytes (`data`), when it is a plain
    deflated or stored member of at most `limit` bytes whose local header, size and CRC agree
    with the directory: what zipfile would read, without its per-member cost. None for
    anything else (encryption, another method, a lie about the size, damage): the caller
    then reads it with zipfile, which says what is wrong as it always did."""
    if (data is None or info.file_size > limit or info.flag_bits & 0x61 or info.compress_type not in (0, 8)
            or archive.metadata_encoding is not None):
        return None
    try:
        offset = info.header_offset
        if data[offset:offset + 4] != b"PK\x03\x04" or len(data) < offset + 30:
            return None
        flags, name_length, extra_length = (int.from_bytes(data[offset + 6:offset + 8], "little"),
                                            int.from_bytes(data[offset + 26:offset + 28], "little"),
                                            int.from_bytes(data[offset + 28:offset + 30], "little"))
        name = data[offset + 30:offset + 30 + name_length]
        if name.decode("utf-8" if flags & 0x800 else "cp437") != info.orig_filename:
            return None
        start = offset + 30 + name_length + extra_length
        raw = data[start:start + info.compress_size]
        if len(raw) != info.compress_size:
            return None
        if info.compress_type == 8:
            content = zlib.decompressobj(-15).decompress(raw, info.file_size + 1)
        else:
            content = raw
        return content if len(content) == info.file_size and zlib.crc32(content) == info.CRC else None
    except Exception:  # noqa: BLE001 - anything odd is zipfile's to say
        return None


def _read_member(archive: zipfile.ZipFile, data: bytes | None, member: str, limit: float | None = None) -> bytes:
    """`archive.read(member)`, or with `limit` its first `limit` + 1 bytes (more than that is
    over the limit), by the fast path of `_inflated` when it can be taken."""
    content = _inflated(archive, data, archive.getinfo(member), float("inf") if limit is None else int(limit))
    if content is not None:
        return content
    if limit is None:
        return archive.read(member)
    with archive.open(member) as handle:
        return handle.read(int(limit) + 1)


def _inspect_xlsx(path: Path, expected: tuple[SubmissionTable, ...], data: bytes | None = None
                  ) -> tuple[dict[str, set[int]], dict, list]:
    """Check a workbook against the limits before it is parsed, and read the rows hidden in
    each sheet (1-based; calamine does not say). The parts' sizes are those declared, then
    those actually inflated (a zip bomb may lie); each sheet of the `expected` tables is
    measured by its cells' references, as calamine will lay it out: a single cell at
    XFD1048576 would make a grid of 17 billion cells. Also returns each sheet's formula cells
    without a usable value (`_unusable_formulas`), and the sheets not read (`_sheets_not_read`).
    `data`, the file's bytes when the caller has read them, spares reading it again."""
    max_unzipped = reader_limit("max_unzipped_mb") * 1024 * 1024
    limits = {name: reader_limit(name) for name in ("max_rows", "max_columns", "max_cells")}
    with zipfile.ZipFile(path if data is None else io.BytesIO(data)) as archive:
        infos = archive.infolist()
        declared = sum(i.file_size for i in infos)
        compressed = max(1, sum(i.compress_size for i in infos))
        if declared > max_unzipped:
            raise _too_large("too_large_unzipped", f"the workbook inflates to {declared / 2**20:.0f} MB",
                             f"tệp giải nén ra {declared / 2**20:.0f} MB", "max_unzipped_mb")
        if declared > RATIO_FLOOR_BYTES and declared / compressed > reader_limit("max_zip_ratio"):
            raise _too_large("zip_ratio", f"the workbook inflates {declared / compressed:.0f} times its size",
                             f"tệp giải nén lớn gấp {declared / compressed:.0f} lần", "max_zip_ratio")
        names = {i.filename for i in infos}
        workbook = _read_member(archive, data, "xl/workbook.xml").decode("utf-8")
        rels = _read_member(archive, data, "xl/_rels/workbook.xml.rels").decode("utf-8")
        targets = {m.group(1): m.group(2) for m in re.finditer(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels)}
        targets |= {m.group(2): m.group(1) for m in re.finditer(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)}
        budget = max_unzipped
        strings = next((n for n in names if n.lower() == "xl/sharedstrings.xml"), None)
        if strings:  # calamine reads every shared string on opening the workbook
            content = _inflated(archive, data, archive.getinfo(strings), budget)
            if content is not None:
                budget -= len(content)
            else:
                with archive.open(strings) as handle:
                    while chunk := handle.read(1 << 20):
                        budget -= len(chunk)
                        if budget < 0:
                            raise _too_large("too_large_unzipped", "the workbook's shared strings inflate beyond the limit",
                                             "bảng chuỗi của tệp giải nén quá lớn", "max_unzipped_mb")
        hidden: dict[str, set[int]] = {}
        formulas: dict[str, dict[tuple[int, int], str]] = {}
        for match in re.finditer(r'<sheet\b[^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', workbook):
            name = _unescape(match.group(1))
            target = targets.get(match.group(2), "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if member not in names or not _expects(expected, _table_of_sheet(name)):
                continue
            xml = _read_member(archive, data, member, budget)
            budget -= len(xml)
            if budget < 0:
                raise _too_large("too_large_unzipped", f"sheet '{name}' inflates beyond the limit",
                                 f"trang '{name}' giải nén quá lớn", "max_unzipped_mb")
            _check_extent(name, xml, limits)
            hidden[name] = {int(m.group(1)) for m in (_ROW_NUMBER.search(a + b" " + b) for a, b in _HIDDEN_ROW.findall(xml)) if m
                            } if b"hidden" in xml else set()
            formulas[name] = _unusable_formulas(xml)
        not_read = _sheets_not_read(archive, workbook, targets, names, expected, max_unzipped, data)
    return hidden, formulas, not_read


def _sheets_not_read(archive: zipfile.ZipFile, workbook: str, targets: dict[str, str], names: set[str],
                     expected: tuple[SubmissionTable, ...], cap: float, data: bytes | None = None) -> list[tuple[str, bool]]:
    """(name, hidden) of each sheet that holds data and is of no `expected` table and no
    helper of the template: what the reader leaves unread. A sheet without a cell value is
    left out (nothing of it is lost); one whose XML cannot be inflated within `cap` bytes
    counts as holding data. Its XML is scanned, never parsed."""
    found = []
    for element in re.finditer(r"<sheet\b([^>]*)>", workbook):
        attributes = dict(re.findall(r'([\w:]+)="([^"]*)"', element.group(1)))
        name = _unescape(attributes.get("name", ""))
        if _expects(expected, _table_of_sheet(name)) or text_key(name) in HELPER_SHEETS:
            continue
        relation = next((v for k, v in attributes.items() if k.endswith(":id")), "")
        target = targets.get(relation, "")
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if member in names and _holds_data(archive, member, cap, data):
            found.append((name, attributes.get("state") in ("hidden", "veryHidden")))
    return found


def _holds_data(archive: zipfile.ZipFile, member: str, cap: float, data: bytes | None = None) -> bool:
    """Some cell of the sheet's XML has a value: read in chunks until one is seen."""
    content = _inflated(archive, data, archive.getinfo(member), 1 << 20)  # one chunk: the same scan
    if content is not None:
        return _SHEET_DATA.search(content) is not None or len(content) > cap
    seen, tail = 0, b""
    try:
        with archive.open(member) as handle:
            while chunk := handle.read(1 << 20):
                if _SHEET_DATA.search(tail + chunk):
                    return True
                seen += len(chunk)
                if seen > cap:
                    return True
                tail = chunk[-8:]
    except Exception:  # noqa: BLE001 - a damaged part of a sheet not read: listed, as it may hold data
        return True
    return False


def _check_extent(sheet: str, xml: bytes, limits: dict[str, float] | None = None) -> None:
    """The rows, columns and cells calamine would lay out for one sheet, from its XML
    (`limits`: the reader's, read once per workbook by the caller)."""
    references = _CELL_REFERENCE.findall(xml)
    count = xml.count(b"<c ") + xml.count(b"<c>")
    if len(references) == count:  # every cell's reference is its first attribute: one scan says all
        letters, numbers = [r[0] for r in references], [r[1] for r in references]
    else:
        letters, numbers = _ANY_CELL_COLUMN.findall(xml), _ANY_CELL_ROW.findall(xml)
    rows = max(map(int, numbers), default=0)
    rows = max(rows, xml.count(b"<row ") + xml.count(b"<row>"))  # rows may omit their number; each still takes a line
    columns = max(map(_column_number, set(letters)), default=0)
    cells = max(rows * columns, count)
    for name, value, en, vi in (
        ("max_rows", rows, "rows", "dòng"), ("max_columns", columns, "columns", "cột"), ("max_cells", cells, "cells", "ô"),
    ):
        if value > (limits[name] if limits else reader_limit(name)):
            error = _too_large(f"too_many_{en}", f"sheet '{sheet}' spans {value:,} {en}",
                               f"trang '{sheet}' có {f'{value:,}'.replace(',', '.')} {vi}", name)
            error.sheet = sheet
            raise error


def _read_xlsx(path: Path, expected: tuple[SubmissionTable, ...] = SUBMISSION_TABLES, data: bytes | None = None
               ) -> tuple[dict[str, ParsedTable], list[tuple[str, bool]]]:
    """The sheets of the `expected` tables (a submission's five, or the targets sheet alone),
    and (name, hidden) of the other sheets that hold data: those are not read (the template's
    instructions and code lists are helpers, and not listed). `data`: the file's bytes, when
    the caller has read them."""
    from python_calamine import CalamineWorkbook

    _check_container(path, data)
    try:
        hidden, formulas, not_read = _inspect_xlsx(path, expected, data)
        workbook = CalamineWorkbook.from_path(str(path))
    except SubmissionFileError:
        raise
    except Exception as exc:  # calamine and zipfile raise several types for damaged files
        raise SubmissionFileError(
            "unreadable", f"not a readable .xlsx workbook ({exc})", f"không mở được tệp .xlsx (tệp hỏng hoặc sai định dạng: {exc})"
        ) from exc
    tables: dict[str, ParsedTable] = {}
    for sheet_name in workbook.sheet_names:
        table = _table_of_sheet(sheet_name)
        if not _expects(expected, table):
            continue  # instructions, code lists and other helper sheets
        if table.name in tables:  # a copied sheet ('Dự án đầu tư (2)'): which one is meant cannot be told
            first = tables[table.name].sheet
            raise SubmissionFileError(
                "duplicate_sheet",
                f"two sheets could be '{table.sheet_vi}' ({table.name}): '{first}' and '{sheet_name}'; keep one",
                f"có hai trang cùng là '{table.sheet_vi}': '{first}' và '{sheet_name}'; hãy giữ lại một trang",
                sheet=sheet_name,
            )
        sheet = workbook.get_sheet_by_name(sheet_name)
        grid = sheet.to_python(skip_empty_area=False)
        _fill_merged_cells(grid, sheet.merged_cell_ranges)
        for (r, c), text in formulas.get(sheet_name, {}).items():  # never a blank: staging cannot read it
            if r < len(grid):
                grid[r].extend([None] * (c + 1 - len(grid[r])))
                grid[r][c] = text
        parsed = _parse_grid(table, sheet_name, grid, in_workbook=True)
        parsed.hidden_rows = hidden.get(sheet_name, set())
        tables[table.name] = parsed
    missing = [t for t in expected if t.name not in tables]
    if (tables or len(expected) == 1) and missing:
        raise SubmissionFileError(
            "missing_sheet",
            f"the workbook has no sheet '{missing[0].sheet_vi}' ({missing[0].name})",
            f"tệp thiếu trang '{missing[0].sheet_vi}'",
            sheet=missing[0].sheet_vi,
        )
    return tables, not_read


def _read_csv(path: Path, default_table: SubmissionTable | None) -> dict[str, ParsedTable]:
    table = csv_table(path) or default_table
    if table is None:
        raise SubmissionFileError(
            "unknown_table",
            "cannot tell which table the CSV holds: name it <anything>.<table>.csv, table one of "
            "submission, investment, criteria, ocop_product, certified_area, target",
            "không xác định được bảng của tệp CSV: đặt tên tệp <tên>.<bảng>.csv, ví dụ hoa-binh.investment.csv",
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        legacy = ""
        try:
            raw.decode("cp1258")
            legacy = " It looks like a legacy Vietnamese encoding (Windows-1258 or TCVN3)."
        except UnicodeDecodeError:
            pass
        raise SubmissionFileError(
            "not_utf8",
            f"the CSV is not UTF-8 (byte {exc.start}).{legacy} Save it as 'CSV UTF-8'.",
            "tệp CSV không dùng bảng mã UTF-8 (có thể là bảng mã cũ Windows-1258/TCVN3); "
            "hãy lưu lại dưới dạng 'CSV UTF-8'",
        ) from exc
    if "\x00" in text:
        raise SubmissionFileError(
            "malformed_csv", "the CSV holds NUL characters: it is not a text file saved as CSV",
            "tệp CSV chứa ký tự NUL: tệp không phải văn bản CSV",
        )
    field_limit = int(reader_limit("max_field_kb") * 1024)
    previous = csv.field_size_limit(field_limit)
    try:
        grid = list(csv.reader(io.StringIO(text)))  # an empty cell is "", which cell_text reads as blank
    except csv.Error as exc:  # a field over the limit, a NUL byte, a quote left open at the end
        if "field larger than field limit" in str(exc):
            raise _too_large("field_too_large", "a field of the CSV holds more text than a cell may",
                             "một ô của tệp CSV chứa quá nhiều ký tự", "max_field_kb") from exc
        raise SubmissionFileError(
            "malformed_csv", f"the CSV cannot be read as CSV ({exc})", f"tệp CSV bị lỗi định dạng, không đọc được ({exc})",
        ) from exc
    finally:
        csv.field_size_limit(previous)
    if len(grid) > reader_limit("max_rows"):
        raise _too_large("too_many_rows", f"the CSV has {len(grid):,} rows", f"tệp CSV có {f'{len(grid):,}'.replace(',', '.')} dòng", "max_rows")
    columns = max((len(row) for row in grid), default=0)
    if columns > reader_limit("max_columns"):
        raise _too_large("too_many_columns", f"the CSV has {columns:,} columns", f"tệp CSV có {f'{columns:,}'.replace(',', '.')} cột", "max_columns")
    return {table.name: _parse_grid(table, display_name(path.name), grid, in_workbook=False)}


def csv_table(path: Path) -> SubmissionTable | None:
    """The table a CSV file holds, from its name: `<anything>.<table>.csv` or `<table>.csv`."""
    stem = path.stem
    return table_for_name(stem.rsplit(".", 1)[-1]) or table_for_name(stem)


def submission_batch(path: Path) -> Path:
    """Files of one submission: a workbook alone; CSV files that differ only by their table."""
    if path.suffix.lower() == ".csv" and csv_table(path) is not None and "." in path.stem:
        return path.with_name(path.stem.rsplit(".", 1)[0])
    return path


def read_submission_file(path: Path, default_table: SubmissionTable | None = None) -> ParsedFile:
    """Parse one file. Never raises for bad content: the error is returned on the result.

    A CSV holds the table its name ends with (`hoa-binh.investment.csv`), else `default_table`.
    With `default_table` (the targets of raw/targets/), a workbook is read for that table's
    sheet alone.
    """
    parsed = ParsedFile(path=path, file_hash="", batch=submission_batch(path))
    try:
        if not path.is_file():  # a pipe or a device would block the read forever
            raise SubmissionFileError("not_a_file", "not a regular file (a pipe, a device or a folder)",
                                      "không phải một tệp thông thường")
        size = path.stat().st_size
        # A workbook within the size limit is read once: its bytes are hashed, then inspected.
        data = path.read_bytes() if path.suffix.lower() == ".xlsx" and 0 < size <= max_file_bytes() else None
        parsed.file_hash = file_hash(path) if data is None else hashlib.sha256(data).hexdigest()
        if display_name(path) != str(path):
            raise SubmissionFileError(
                "bad_file_name", "the file name is not valid UTF-8 text: rename the file",
                "tên tệp có ký tự không hợp lệ (không phải UTF-8): hãy đổi tên tệp",
            )
        if path.suffix.lower() in OTHER_SPREADSHEETS:
            raise SubmissionFileError(
                "unsupported_format", f"a {path.suffix.lower()} file is not read: save it as .xlsx (Excel Workbook)",
                f"tệp {path.suffix.lower()} không được đọc: hãy lưu lại dưới dạng .xlsx (Excel Workbook)",
            )
        if path.name.startswith("."):
            raise SubmissionFileError(
                "hidden_file", "the file name starts with a dot, which hides it on most computers: rename it",
                "tên tệp bắt đầu bằng dấu chấm nên bị ẩn trên hầu hết máy tính: hãy đổi tên tệp",
            )
        if size == 0:
            raise SubmissionFileError("empty", "the file is empty", "tệp rỗng, không có dữ liệu")
        if size > max_file_bytes():
            limit = max_file_bytes() // (1024 * 1024)
            raise SubmissionFileError(
                "too_large",
                f"the file is {size / 1024 / 1024:.0f} MB, over the {limit} MB limit (NTM_MAX_FILE_MB)",
                f"tệp có dung lượng {size / 1024 / 1024:.0f} MB, vượt giới hạn {limit} MB",
            )
        not_read: list[tuple[str, bool]] = []
        if path.suffix.lower() == ".xlsx":
            tables, not_read = _read_xlsx(path, (default_table,) if default_table else SUBMISSION_TABLES, data)
        else:
            tables = _read_csv(path, default_table)
        if not tables:
            raise SubmissionFileError(
                "no_template_sheet", "no sheet of the submission template found", "không có trang nào của biểu mẫu báo cáo"
            )
        _fill_commune_code(tables)
        parsed.tables = tables
        template = ("the annual targets template", "biểu mẫu chỉ tiêu năm") if default_table else (
            "the quarterly report template", "biểu mẫu báo cáo quý")
        parsed.sheets_not_read = [(name, *sheet_not_read_reason(name, hidden, *template)) for name, hidden in not_read]
    except SubmissionFileError as exc:
        parsed.error = exc
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - anything else of one file (a calamine panic, memory) is its reason
        parsed.tables = {}
        kind = "out_of_memory" if isinstance(exc, MemoryError) else "read_failed"
        detail = f"{type(exc).__name__}: {exc}"[:300]
        parsed.error = SubmissionFileError(
            kind, f"the file could not be read ({detail})", f"không đọc được tệp ({detail})",
        )
    return parsed


def sheet_not_read_reason(name: str, hidden: bool, template_en: str, template_vi: str) -> tuple[str, str]:
    """Why a workbook's sheet is not read, in English and Vietnamese: raw.ignored_entry's
    reason and `ntm validate`'s warning."""
    return (f"{'hidden sheet' if hidden else 'sheet'} '{name}' is not a sheet of {template_en}: not read",
            f"{'trang ẩn' if hidden else 'trang'} '{name}' không phải là trang của {template_vi} nên không được đọc")


def _fill_commune_code(tables: dict[str, ParsedTable]) -> None:
    """In a one-commune workbook the detail sheets may leave the commune code blank."""
    header = tables.get(SUBMISSION.name)
    if header is None:
        return
    codes = {values["commune_code"] for _, values in header.rows if values["commune_code"]}
    if len(codes) != 1:
        return
    (code,) = codes
    for name, table in tables.items():
        if name != SUBMISSION.name and "commune_code" in table.table.column_names:
            for _, values in table.rows:
                values["commune_code"] = values["commune_code"] or code


def discover_submission_files(raw_dir: Path, periods: list[str]) -> list[tuple[str, Path]]:
    """Files of the given periods the pipeline takes: every file under raw/submissions/<period>/
    that is not listed by `ignored_entries` (a spreadsheet the reader refuses is still taken,
    to be rejected with its reason)."""
    found = []
    for period in periods:
        folder = raw_dir / "submissions" / period
        if folder.is_dir():
            found.extend((period, p) for p in _walk(folder) if _ignore_reason(p) is None)
    return found


def _walk(folder: Path) -> list[Path]:
    """Every entry under `folder`, sorted; a link to a folder is listed and not followed."""
    entries = []
    for top, dirs, files in os.walk(folder, followlinks=False):
        entries.extend(Path(top) / name for name in files)
        entries.extend(Path(top) / name for name in dirs if (Path(top) / name).is_symlink())
    return sorted(entries)


def _ignore_reason(path: Path) -> tuple[str, str, str] | None:
    """Why an entry of a quarter folder is no submission, as (kind, English, Vietnamese), or
    None when it is taken."""
    name = path.name.lower()
    if path.is_symlink() and path.is_dir():
        return "folder_link", "a link to a folder, not followed", "liên kết tới một thư mục, không đọc theo liên kết"
    if name.startswith(("~$", ".~lock.")) or name in SYSTEM_FILES:
        return ("lock_or_system_file", "a lock or system file of Office or the operating system",
                "tệp khóa hoặc tệp hệ thống của Office hay của hệ điều hành")
    if path.suffix.lower() not in (*SUBMISSION_SUFFIXES, *OTHER_SPREADSHEETS):
        return ("not_a_submission", f"not a submission: only .xlsx and .csv are read ({path.suffix or 'no extension'})",
                f"không phải tệp báo cáo: chỉ đọc tệp .xlsx và .csv ({path.suffix or 'không có phần mở rộng'})")
    return None


def link_refusal(path: Path, raw_dir: Path) -> SubmissionFileError | None:
    """A link under raw/ that leads outside it, or nowhere: raw/ is the record of what was
    received, so its content is not read (copy the file in instead)."""
    if not path.is_symlink():
        return None
    target = path.resolve()
    if not target.exists():
        return SubmissionFileError("broken_link", f"a link to a file that does not exist ({display_name(target)})",
                                   "liên kết tới một tệp không tồn tại")
    if not target.is_relative_to(raw_dir.resolve()):
        return SubmissionFileError(
            "outside_raw", f"a link to a file outside raw/ ({display_name(target)}): copy the file into raw/ instead",
            "liên kết tới một tệp nằm ngoài thư mục raw/: hãy chép tệp vào raw/",
        )
    return None


@dataclass(frozen=True)
class IgnoredEntry:
    """An entry under raw/ that the pipeline does not take: its quarter (None when it is
    outside any quarter folder), its path under raw/, the sheet for a workbook's sheet not
    read (None otherwise), its kind and the reason in both languages."""

    period: str | None
    path: str
    kind: str
    reason_en: str
    reason_vi: str
    sheet: str | None = None


# Folders of raw/ the pipeline reads, and those it knows and leaves alone: the blank templates
# (written by `make sample`) and the web intake's staging folder (files being filed, moved into
# raw/submissions/ once checked). Anything else directly under raw/ is listed as ignored.
TARGETS = "targets"
RAW_FOLDERS = ("submissions", TARGETS)
KNOWN_FOLDERS = ("templates", ".intake")


def sheets_not_read(parsed: ParsedFile, period: str | None, raw_dir: Path) -> list[IgnoredEntry]:
    """The entries of a read workbook's sheets that hold data and are not read (none for a
    file refused: `ParsedFile.sheets_not_read`)."""
    path = display_name(parsed.path.relative_to(raw_dir).as_posix())
    return [IgnoredEntry(period, path, "sheet_not_read", en, vi, sheet=name) for name, en, vi in parsed.sheets_not_read]


def _outside_count(entry: Path, en: str, vi: str) -> tuple[str, str]:
    """A folder's reason says how many files it holds, none of them read."""
    count = sum(1 for _ in _walk(entry)) if entry.is_dir() and not entry.is_symlink() else 0
    if count:
        en += f"; {count} file{'s' if count != 1 else ''} not read"
        vi += f"; {count} tệp không được đọc"
    return en, vi


def ignored_target_entries(raw_dir: Path) -> list[IgnoredEntry]:
    """What under raw/targets/ the pipeline sees and does not take, by the rule of a quarter
    folder (lock and system files, files of other kinds, links to folders); period None."""
    folder = raw_dir / TARGETS
    if not folder.is_dir():
        return []
    return [IgnoredEntry(None, display_name(p.relative_to(raw_dir).as_posix()), *reason)
            for p in _walk(folder) if (reason := _ignore_reason(p)) is not None]


def ignored_entries(raw_dir: Path, periods: list[str] | None = None) -> list[IgnoredEntry]:
    """What under raw/submissions/ the pipeline sees and does not take: lock and system files,
    files of other kinds and links to folders in the quarter folders of `periods` (all
    quarters when None), and, period None, files outside any quarter folder or in a folder of
    a quarter the calendar does not hold or that has not begun; and, period None, whatever is
    directly under raw/ besides its folders (RAW_FOLDERS, KNOWN_FOLDERS). raw/targets/ is
    `ignored_target_entries`', listed by the step that reads it."""
    from ntm_pipeline.quarters import QUARTERS, quarters_begun

    listed: list[IgnoredEntry] = []
    if raw_dir.is_dir():
        for entry in sorted(raw_dir.iterdir()):
            if entry.name not in (*RAW_FOLDERS, *KNOWN_FOLDERS):
                en, vi = _outside_count(entry, "not under raw/submissions/ or raw/targets/",
                                        "không nằm trong raw/submissions/ hay raw/targets/")
                listed.append(IgnoredEntry(None, display_name(entry.relative_to(raw_dir).as_posix()),
                                           "outside_raw_folders", en, vi))
    folder = raw_dir / "submissions"
    if not folder.is_dir():
        return listed
    begun = set(quarters_begun())
    for entry in sorted(folder.iterdir()):
        relative = display_name(entry.relative_to(raw_dir).as_posix())
        if entry.is_dir() and not entry.is_symlink() and entry.name in begun:
            if periods is None or entry.name in periods:
                listed.extend(IgnoredEntry(entry.name, display_name(p.relative_to(raw_dir).as_posix()), *reason)
                              for p in _walk(entry) if (reason := _ignore_reason(p)) is not None)
        elif entry.name not in begun or entry.is_symlink():
            calendar = f"{QUARTERS[0]}..{QUARTERS[-1]}"
            if entry.is_symlink():
                kind, en, vi = "link", "a link, not followed", "một liên kết, không đọc theo liên kết"
            elif entry.is_dir() and entry.name in QUARTERS:
                kind, en, vi = "quarter_not_begun", f"{entry.name} has not begun", f"quý {entry.name} chưa bắt đầu"
            elif entry.is_dir():
                kind, en, vi = ("not_a_quarter", f"not a quarter of the calendar ({calendar})",
                                f"không phải một quý của lịch báo cáo ({calendar})")
            else:
                kind, en, vi = ("outside_quarter_folder", "not under a quarter folder such as 2024-Q1",
                                "không nằm trong thư mục của một quý, ví dụ 2024-Q1")
            listed.append(IgnoredEntry(None, relative, kind, *_outside_count(entry, en, vi)))
    return listed


def discover_target_files(raw_dir: Path) -> list[Path]:
    folder = raw_dir / "targets"
    return sorted(p for p in folder.rglob("*") if _is_submission_file(p)) if folder.is_dir() else []


def discover_periods(raw_dir: Path) -> list[str]:
    """Periods that have a folder with at least one submission file in raw/submissions/."""
    from ntm_pipeline.partitions import QUARTERS

    folder = raw_dir / "submissions"
    if not folder.is_dir():
        return []
    return [
        p.name
        for p in sorted(folder.iterdir())
        if p.name in QUARTERS and any(_is_submission_file(f) for f in p.rglob("*"))
    ]



def place_file(raw_dir: Path, path: Path) -> tuple[str | None, str | None]:
    """Where a file under raw/ belongs, by the rule the pipeline reads files with: its quarter
    (raw/submissions/<quarter>/...) or 'targets' (raw/targets/...), and None with the reason
    when it belongs nowhere. Office's lock files (~$...) and system files are neither; a
    spreadsheet of another format, a hidden file and a link belong to their quarter, where
    the reader rejects them with the reason."""
    from ntm_pipeline.quarters import QUARTERS, quarters_begun

    if not path.is_file():  # a folder, a dangling link, a pipe: nothing the sensor can hash
        return None, None
    name = path.name.lower()
    if name.startswith(("~$", ".~lock.")) or name in SYSTEM_FILES:
        return None, None
    parts = path.relative_to(raw_dir).parts
    if path.suffix.lower() not in (*SUBMISSION_SUFFIXES, *OTHER_SPREADSHEETS):
        return None, "not .xlsx or .csv"
    if parts[0] == TARGETS:
        return TARGETS, None
    if parts[0] == "submissions" and len(parts) >= 3 and parts[1] in quarters_begun():
        return parts[1], None
    if parts[0] == "submissions" and len(parts) >= 3 and parts[1] in QUARTERS:
        return None, f"{parts[1]} has not begun"
    return None, "not under a quarter folder such as 2024-Q1"


def _is_submission_file(path: Path) -> bool:
    return (path.is_file() or path.is_symlink()) and not path.is_dir() and _ignore_reason(path) is None
