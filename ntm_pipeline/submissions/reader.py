"""Parse submission files (.xlsx or .csv) into rows keyed by canonical column names.

This is the edge of the pipeline: every value is kept as the text that was read, and
typing happens later in SQL. A file that cannot be taken at all (damaged, empty, too
large, not UTF-8, a sheet or a required column missing) is reported with one reason, in
Vietnamese and English, instead of stopping the others.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from ntm_pipeline.contract import (
    SUBMISSION,
    SUBMISSION_TABLES,
    SubmissionTable,
    header_lookup,
    table_for_name,
    text_key,
)

SUBMISSION_SUFFIXES = (".xlsx", ".csv")
HEADER_SEARCH_ROWS = 10  # a template may carry title lines above its header row
DEFAULT_MAX_FILE_MB = 25  # a commune's quarter fits in well under 1 MB; a province export in a few


@dataclass
class ParsedTable:
    table: SubmissionTable
    sheet: str
    rows: list[tuple[int, dict[str, str | None]]] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)


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

    @property
    def row_count(self) -> int:
        return sum(len(t.rows) for t in self.tables.values())


def max_file_bytes() -> int:
    return int(float(os.environ.get("NTM_MAX_FILE_MB", DEFAULT_MAX_FILE_MB)) * 1024 * 1024)


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _parse_grid(table: SubmissionTable, sheet: str, grid: list[list[object]], in_workbook: bool) -> ParsedTable:
    lookup = header_lookup(table)
    header_index, header_map = None, {}
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        mapped = {i: lookup[text_key(v)] for i, v in enumerate(row) if v is not None and text_key(v) in lookup}
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
    # The hot loop of a national run (1.75 million rows): one dict copy per row, and a row
    # counts when any of its template columns holds text.
    blank = dict.fromkeys(table.column_names)
    columns = list(header_map.items())
    for index, row in enumerate(grid[header_index + 1 :], start=header_index + 2):
        values, found, width = blank.copy(), False, len(row)
        for position, name in columns:
            if position < width:
                text = cell_text(row[position])
                if text is not None:
                    values[name], found = text, True
        if found:
            parsed.rows.append((index, values))
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


def _hidden_rows(path: Path) -> dict[str, set[int]]:
    """Rows hidden in each sheet (1-based), read from the workbook's XML: calamine does not say."""
    hidden: dict[str, set[int]] = {}
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode("utf-8")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        targets = {m.group(1): m.group(2) for m in re.finditer(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels)}
        targets |= {m.group(2): m.group(1) for m in re.finditer(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)}
        for match in re.finditer(r'<sheet\b[^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', workbook):
            name = match.group(1).replace("&amp;", "&").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
            target = targets.get(match.group(2), "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if member in archive.namelist():
                xml = archive.read(member).decode("utf-8", errors="replace")
                rows = {int(m.group(1)) for m in re.finditer(r'<row\b[^>]*?\br="(\d+)"[^>]*?\bhidden="(?:1|true)"', xml)}
                rows |= {int(m.group(1)) for m in re.finditer(r'<row\b[^>]*?\bhidden="(?:1|true)"[^>]*?\br="(\d+)"', xml)}
                hidden[name] = rows
    return hidden


def _read_xlsx(path: Path, expected: tuple[SubmissionTable, ...] = SUBMISSION_TABLES) -> dict[str, ParsedTable]:
    """The sheets of the `expected` tables (a submission's five, or the targets sheet alone);
    other sheets (instructions, code lists) are helpers and are not read."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        hidden = _hidden_rows(path)
    except Exception as exc:  # calamine and zipfile raise several types for damaged files
        raise SubmissionFileError(
            "unreadable", f"not a readable .xlsx workbook ({exc})", f"không mở được tệp .xlsx (tệp hỏng hoặc sai định dạng: {exc})"
        ) from exc
    tables = {}
    for sheet_name in workbook.sheet_names:
        table = table_for_name(sheet_name)
        if table not in expected:
            continue  # instructions, code lists and other helper sheets
        sheet = workbook.get_sheet_by_name(sheet_name)
        grid = sheet.to_python(skip_empty_area=False)
        _fill_merged_cells(grid, sheet.merged_cell_ranges)
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
    return tables


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
    grid = list(csv.reader(io.StringIO(text)))  # an empty cell is "", which cell_text reads as blank
    return {table.name: _parse_grid(table, path.name, grid, in_workbook=False)}


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
    parsed = ParsedFile(path=path, file_hash=file_hash(path), batch=submission_batch(path))
    try:
        size = path.stat().st_size
        if size == 0:
            raise SubmissionFileError("empty", "the file is empty", "tệp rỗng, không có dữ liệu")
        if size > max_file_bytes():
            limit = max_file_bytes() // (1024 * 1024)
            raise SubmissionFileError(
                "too_large",
                f"the file is {size / 1024 / 1024:.0f} MB, over the {limit} MB limit (NTM_MAX_FILE_MB)",
                f"tệp có dung lượng {size / 1024 / 1024:.0f} MB, vượt giới hạn {limit} MB",
            )
        if path.suffix.lower() == ".xlsx":
            tables = _read_xlsx(path, (default_table,) if default_table else SUBMISSION_TABLES)
        else:
            tables = _read_csv(path, default_table)
        if not tables:
            raise SubmissionFileError(
                "no_template_sheet", "no sheet of the submission template found", "không có trang nào của biểu mẫu báo cáo"
            )
        _fill_commune_code(tables)
        parsed.tables = tables
    except SubmissionFileError as exc:
        parsed.error = exc
    return parsed


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
    """Submission files of the given periods: raw/submissions/<period>/**/*.xlsx|csv."""
    found = []
    for period in periods:
        folder = raw_dir / "submissions" / period
        if folder.is_dir():
            found.extend((period, p) for p in sorted(folder.rglob("*")) if _is_submission_file(p))
    return found


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


TARGETS = "targets"


def place_file(raw_dir: Path, path: Path) -> tuple[str | None, str | None]:
    """Where a file under raw/ belongs, by the rule the pipeline reads files with: its quarter
    (raw/submissions/<quarter>/...) or 'targets' (raw/targets/...), and None with the reason
    when it belongs nowhere. Office files' lock files (~$...) and hidden files are neither."""
    from ntm_pipeline.quarters import QUARTERS, quarters_begun

    if not path.is_file() or path.name.startswith(("~$", ".")):
        return None, None
    parts = path.relative_to(raw_dir).parts
    if path.suffix.lower() not in SUBMISSION_SUFFIXES:
        return None, "not .xlsx or .csv"
    if parts[0] == TARGETS:
        return TARGETS, None
    if parts[0] == "submissions" and len(parts) >= 3 and parts[1] in quarters_begun():
        return parts[1], None
    if parts[0] == "submissions" and len(parts) >= 3 and parts[1] in QUARTERS:
        return None, f"{parts[1]} has not begun"
    return None, "not under a quarter folder such as 2024-Q1"


def _is_submission_file(path: Path) -> bool:
    return (
        path.is_file()
        and path.suffix.lower() in SUBMISSION_SUFFIXES
        and not path.name.startswith(("~$", "."))
    )
