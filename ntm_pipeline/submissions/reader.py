"""Parse submission files (.xlsx or .csv) into rows keyed by canonical column names.

This is the edge of the pipeline: every value is kept as the text that was read, and
typing happens later in SQL. A file that cannot be read is reported with a reason instead
of stopping the others.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from ntm_pipeline.contract import (
    SUBMISSION,
    SubmissionTable,
    header_lookup,
    table_for_name,
    text_key,
)

SUBMISSION_SUFFIXES = (".xlsx", ".csv")
HEADER_SEARCH_ROWS = 10  # a template may carry title lines above its header row


@dataclass
class ParsedTable:
    table: SubmissionTable
    sheet: str
    rows: list[tuple[int, dict[str, str | None]]] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)


@dataclass
class ParsedFile:
    path: Path
    file_hash: str
    tables: dict[str, ParsedTable] = field(default_factory=dict)
    error: str | None = None

    @property
    def row_count(self) -> int:
        return sum(len(t.rows) for t in self.tables.values())


class SubmissionFileError(Exception):
    """A file that cannot be taken at all; the message says why."""


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


def _parse_grid(table: SubmissionTable, sheet: str, grid: list[list[object]]) -> ParsedTable:
    lookup = header_lookup(table)
    header_index, header_map = None, {}
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        mapped = {i: lookup[text_key(v)] for i, v in enumerate(row) if v is not None and text_key(v) in lookup}
        if len(mapped) >= 2 or (len(mapped) == 1 and len(table.columns) == 1):
            header_index, header_map = index, mapped
            break
    if header_index is None:
        raise SubmissionFileError(f"sheet '{sheet}': no header row with the template's column names")
    parsed = ParsedTable(table, sheet)
    parsed.ignored_headers = [
        str(v) for i, v in enumerate(grid[header_index]) if i not in header_map and cell_text(v) is not None
    ]
    for index, row in enumerate(grid[header_index + 1 :], start=header_index + 2):
        values = {name: None for name in table.column_names}
        for position, name in header_map.items():
            if position < len(row):
                values[name] = cell_text(row[position])
        if any(v is not None for v in values.values()):
            parsed.rows.append((index, values))
    return parsed


def _read_xlsx(path: Path) -> dict[str, ParsedTable]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types for damaged files
        raise SubmissionFileError(f"not a readable .xlsx workbook ({exc})") from exc
    tables = {}
    for sheet in workbook.sheet_names:
        table = table_for_name(sheet)
        if table is None:
            continue  # instructions, code lists and other helper sheets
        grid = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        tables[table.name] = _parse_grid(table, sheet, grid)
    return tables


def _read_csv(path: Path, default_table: SubmissionTable | None) -> dict[str, ParsedTable]:
    stem = path.stem
    table = table_for_name(stem.rsplit(".", 1)[-1]) or table_for_name(stem) or default_table
    if table is None:
        raise SubmissionFileError(
            f"cannot tell which table the CSV holds: name it <anything>.<table>.csv, table one of "
            "submission, investment, criteria, ocop_product, certified_area, target"
        )
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionFileError(f"CSV is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    grid = [[cell if cell != "" else None for cell in row] for row in csv.reader(io.StringIO(text))]
    return {table.name: _parse_grid(table, path.name, grid)}


def read_submission_file(path: Path, default_table: SubmissionTable | None = None) -> ParsedFile:
    """Parse one file. Never raises for bad content: the error is returned on the result.

    A CSV holds the table its name ends with (`hoa-binh.investment.csv`), else `default_table`.
    """
    parsed = ParsedFile(path=path, file_hash=file_hash(path))
    try:
        if path.stat().st_size == 0:
            raise SubmissionFileError("the file is empty")
        tables = _read_xlsx(path) if path.suffix.lower() == ".xlsx" else _read_csv(path, default_table)
        if not tables:
            raise SubmissionFileError("no sheet of the submission template found")
        _fill_commune_code(tables)
        parsed.tables = tables
    except SubmissionFileError as exc:
        parsed.error = str(exc)
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


def _is_submission_file(path: Path) -> bool:
    return (
        path.is_file()
        and path.suffix.lower() in SUBMISSION_SUFFIXES
        and not path.name.startswith(("~$", "."))
    )
