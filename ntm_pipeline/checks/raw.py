"""Files into raw rows: what the raw layer holds of each file, as read.

Values stay text exactly as the file had them; staging types them. Each row carries its
period (the folder it was dropped in), file, file hash, sheet, row number and the run that
loaded it. A file that cannot be read is logged with its reason (raw.source_file, or
raw.target_file for targets) and the other files still load. The raw assets and the checks
both load files with `load_raw` and `load_targets`.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from ntm_pipeline.checks import raw_csv
from ntm_pipeline.contract import PROVENANCE_COLUMNS, SUBMISSION_TABLES, TARGET, SubmissionTable
from ntm_pipeline.submissions.reader import (
    ParsedFile,
    display_name,
    file_hash,
    link_refusal,
    read_submission_file,
    submission_batch,
)
from ntm_pipeline.settings import READER_LIMITS, reader_limit
from ntm_pipeline.warehouse import delete_partitions, insert_frame, read_sql, require_columns

SQL = Path(__file__).parent / "sql"
FILE_LOG_COLUMNS = [
    "period", "source_file", "file_hash", "batch", "file_format", "size_bytes", "status", "error_code",
    "error", "error_vi", "error_sheet", "error_column", "sheets", "rows_read", "reader_version", "run_id", "loaded_at",
]
# What decides a file's raw rows: the reader's code, the contract's headers and sheet names,
# the template's helper sheets, the SQL of the DuckDB path. `reader_version` hashes them.
READER_SOURCES = (
    Path(__file__).parent / "raw.py", Path(__file__).parent / "raw_csv.py",
    *sorted(SQL.glob("raw_csv_*.sql")),
    *(Path(__file__).parents[1] / name for name in ("contract.py", "settings.py", "submissions/reader.py",
                                                    "submissions/writer.py")),
)
TYPES = {"row_number": "int32", "row_hidden": "bool"}  # every other raw column is text


def create_raw_tables(conn, tables: Sequence[SubmissionTable] = (*SUBMISSION_TABLES, TARGET)) -> None:
    """The file logs and the raw tables of `tables`, if missing. A raw table is laid out as
    the frame `load_raw` builds, so the two cannot differ."""
    conn.execute((SQL / "file_logs.sql").read_text(encoding="utf-8"))
    for table in tables:
        layout = raw_frame(table, [], Path("."), "", None)
        conn.register("layout", layout)
        try:
            conn.execute(f"CREATE TABLE IF NOT EXISTS raw.{table.name} AS SELECT * FROM layout LIMIT 0")
        finally:
            conn.unregister("layout")
        require_columns(conn, f"raw.{table.name}", list(layout.columns))


def raw_frame(table: SubmissionTable, files: Sequence[tuple[str, ParsedFile]], root: Path, run_id: str, loaded_at) -> pd.DataFrame:
    """The rows of one table from parsed files, built column by column (a dict per row costs
    more than the parse at national scale). Targets have no period column."""
    provenance = [c for c in PROVENANCE_COLUMNS if table.partitioned or c != "period"]
    columns: dict[str, list] = {c: [] for c in [*provenance, *table.column_names]}
    for period, parsed in files:
        chunk = parsed.tables.get(table.name)
        if chunk is None or not chunk.rows:
            continue
        n = len(chunk.rows)
        constant = {
            "period": period, "source_file": display_name(parsed.path.relative_to(root).as_posix()),
            "file_hash": parsed.file_hash, "batch": display_name(parsed.batch.relative_to(root).as_posix()),
            "sheet": chunk.sheet, "run_id": run_id,
        }
        for name in provenance:
            if name in constant:
                columns[name].extend([constant[name]] * n)
        columns["row_number"].extend(number for number, _ in chunk.rows)
        columns["row_hidden"].extend(number in chunk.hidden_rows for number, _ in chunk.rows)
        for name in table.column_names:
            columns[name].extend(values[name] for _, values in chunk.rows)
    frame = pd.DataFrame({name: pd.array(values, dtype=TYPES.get(name, "string")) for name, values in columns.items()})
    frame.insert(len(provenance), "loaded_at", pd.Series([loaded_at] * len(frame), dtype="datetime64[us]"))
    return frame


@functools.cache
def _reader_code() -> str:
    digest = hashlib.sha256()
    for path in READER_SOURCES:
        digest.update(path.read_bytes())
    from importlib.metadata import version

    digest.update(f"duckdb {duckdb.__version__} python-calamine {version('python-calamine')}".encode())
    return digest.hexdigest()


def reader_version() -> str:
    """The version of the reader a file's raw rows were read with: a hash of the code that
    decides them (READER_SOURCES, the DuckDB and calamine versions) and of the reader's limits
    in force (NTM_MAX_*). Computed, not bumped by hand, so no change can be forgotten; a change
    to any of those files re-reads every file once, which only costs the first run's time."""
    limits = ",".join(f"{name}={reader_limit(name)!r}" for name in sorted(READER_LIMITS))
    return hashlib.sha256(f"{_reader_code()} {limits}".encode()).hexdigest()[:16]


def file_log(files: Sequence[tuple[str, ParsedFile]], root: Path, run_id: str, loaded_at, partitioned: bool = True,
             rows_read: dict[Path, int] | None = None) -> pd.DataFrame:
    """File log rows: one per file, parsed or rejected with its reason and its place.
    `rows_read` gives the count of the files whose rows DuckDB inserted (not held in Python)."""
    rows_read, version = rows_read or {}, reader_version()
    frame = pd.DataFrame.from_records(
        [
            {
                "period": period,
                "source_file": display_name(f.path.relative_to(root).as_posix()),
                "file_hash": f.file_hash,
                "batch": display_name(f.batch.relative_to(root).as_posix()),
                "file_format": display_name(f.path.suffix.lower().lstrip(".")),
                "size_bytes": _size(f.path),
                "status": "rejected" if f.error else "parsed",
                "error_code": f.error.code if f.error else None,
                "error": f.error.message_en if f.error else None,
                "error_vi": f.error.message_vi if f.error else None,
                "error_sheet": f.error.sheet if f.error else None,
                "error_column": f.error.column if f.error else None,
                "sheets": [t.sheet for t in f.tables.values()],
                "rows_read": rows_read.get(f.path, f.row_count),
                "reader_version": version,
                "run_id": run_id,
                "loaded_at": loaded_at,
            }
            for period, f in files
        ],
        columns=FILE_LOG_COLUMNS,
    )
    return frame if partitioned else frame.drop(columns="period")


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:  # a broken link
        return None


def _read(path: Path, root: Path, check_links: bool) -> ParsedFile:
    """One file read, or refused as a link out of raw/ (the pipeline's raw/ only: the
    checks library places the files it is given as links)."""
    refusal = link_refusal(path, root) if check_links else None
    if refusal is None:
        return read_submission_file(path)
    try:  # the hash the sensor sees through the link, so that it does not take the file for changed
        digest = file_hash(path)
    except OSError:
        digest = ""
    return ParsedFile(path=path, file_hash=digest, batch=submission_batch(path), error=refusal)


def load_raw(conn, period: str, paths: Sequence[Path], root: Path, run_id: str, loaded_at,
             check_links: bool = False) -> list[ParsedFile]:
    """Read the submission files of one quarter and append their rows to the raw tables and
    their log to raw.source_file; returns the parsed files (rejected ones carry `error`).
    Names are paths relative to `root` (the raw/ folder); with `check_links`, a link leading
    out of `root` is rejected unread. CSV files go to DuckDB's reader (`raw_csv`), a quarter's
    files of one table in one read; workbooks, and any CSV file that path does not take, to
    the Python reader. The caller deletes the quarter's earlier rows (`clear_raw`) and holds
    the transaction; memory holds one quarter's workbooks."""
    planned = {path: f for path in paths if (f := raw_csv.plan(path, root, check_links)) is not None}
    by_duckdb, rows_read, _ = raw_csv.load(conn, period, list(planned.values()), root, run_id, loaded_at)
    by_python = {path: _read(path, root, check_links) for path in paths if path not in by_duckdb}
    files = [(period, by_duckdb.get(path) or by_python[path]) for path in paths]
    insert_frame(conn, "raw.source_file", file_log(files, root, run_id, loaded_at, rows_read=rows_read))
    good = [(period, f) for path, f in by_python.items() if not f.error]
    for table in SUBMISSION_TABLES:
        insert_frame(conn, f"raw.{table.name}", raw_frame(table, good, root, run_id, loaded_at))
    return [f for _, f in files]


def unchanged_files(conn, period: str, paths: Sequence[Path], root: Path) -> list[str]:
    """The files of `paths` (as source_file names) whose raw rows, file-log row and sheets not
    read may be kept: loaded for `period` with the same hash by the same `reader_version`.
    A link is always read again (what it is refused for depends on where it leads)."""
    held = dict(conn.execute(read_sql(SQL / "raw_held_files.sql"),
                             {"period": period, "version": reader_version()}).fetchall())
    kept = []
    for path in paths:
        name = display_name(path.relative_to(root).as_posix())
        if name in held and not path.is_symlink() and path.is_file():
            try:
                if file_hash(path) == held[name]:
                    kept.append(name)
            except OSError:
                pass  # read again: the reader says what is wrong
    return kept


def clear_raw_files(conn, period: str, kept: Sequence[str]) -> None:
    """Inside a transaction: delete the raw rows and file log of `period` but those of the
    files `kept` (`unchanged_files`): the rows of changed and removed files go."""
    for name in ("source_file", *(t.name for t in SUBMISSION_TABLES)):
        conn.execute(read_sql(SQL / "raw_clear_files.sql").format(table=name), {"period": period, "kept": list(kept)})


def clear_raw(conn, periods: Sequence[str]) -> None:
    """Inside a transaction: delete the raw rows and file log of `periods`, before loading them again."""
    for name in ("source_file", *(t.name for t in SUBMISSION_TABLES)):
        delete_partitions(conn, f"raw.{name}", list(periods))


def load_targets(conn, paths: Sequence[Path], root: Path, run_id: str, loaded_at) -> list[ParsedFile]:
    """Replace raw.target and raw.target_file with the targets files `paths` (CSV, or a
    workbook's 'Chỉ tiêu' sheet), inside the caller's transaction; returns the parsed files."""
    files = [("", read_submission_file(path, default_table=TARGET)) for path in paths]
    rows = raw_frame(TARGET, [(p, f) for p, f in files if not f.error], root, run_id, loaded_at)
    for table, frame in (("raw.target", rows), ("raw.target_file", file_log(files, root, run_id, loaded_at, partitioned=False))):
        conn.execute(f"DELETE FROM {table}")
        insert_frame(conn, table, frame)
    return [f for _, f in files]
