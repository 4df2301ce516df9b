"""CSV files into raw rows by DuckDB's own reader: the bulk path of `load_raw`.

A quarter's CSV files of one table and one header line are read in ONE `read_csv` call and
inserted into raw.<table> in SQL, with the provenance the Python reader gives each row
(period, file, hash, batch, sheet = the file's name, row number = the record's place in the
file, header = 1). DuckDB is taken only for files it reads exactly as `reader._read_csv` does;
`plan` looks at each file's bytes first (UTF-8, header on the first line, no blank line, no
quote beside white space, ...) and any file it is unsure of, or that DuckDB refuses, goes to
the Python reader, which reads it or explains its fault as ever (same codes, same messages).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ntm_pipeline.contract import SubmissionTable
from ntm_pipeline.settings import reader_limit
from ntm_pipeline.submissions.reader import (
    ParsedFile,
    ParsedTable,
    csv_table,
    display_name,
    header_key,
    link_refusal,
    max_file_bytes,
    submission_batch,
    table_header_lookup,
)
from ntm_pipeline.warehouse import read_sql

SQL = Path(__file__).parent / "sql"
# DuckDB drops a space between a quote and its delimiter ('"a" ,b' is 'a'); Python keeps it
# (other white space there is an error of DuckDB's, which sends the file to Python).
_SPACE_BY_QUOTE = re.compile(r'(?:^|,) +"|" +(?:,|\r?$)', re.M)


@dataclass
class CsvFile:
    """A CSV file DuckDB may read: its table, header line and where each template column is."""

    path: Path
    file_hash: str
    table: SubmissionTable
    header: str  # the header line as in the file: files of one layout share it
    width: int
    columns: dict[int, str]  # position -> canonical column name


def plan(path: Path, root: Path, check_links: bool) -> CsvFile | None:
    """The file as DuckDB will read it, or None when the Python reader must (a habit or a
    fault this path does not handle: the Python reader then reads it, or says what is wrong)."""
    try:
        if path.suffix.lower() != ".csv" or path.is_symlink() or not path.is_file():
            return None  # links are the Python reader's (refused out of raw/, or read through)
        if check_links and link_refusal(path, root) is not None:
            return None
        table = csv_table(path)
        size = path.stat().st_size
        if (table is None or size == 0 or size > max_file_bytes() or path.name.startswith(".")
                or display_name(path) != str(path)):
            return None
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if ("\x00" in text or text.startswith(("\n", "\r"))  # a NUL; a blank first line
            or "\n\n" in text or "\n\r\n" in text  # a blank line: DuckDB skips it, Python counts it
            or text.count("\r") != text.count("\r\n")  # a lone carriage return
            or text.count('"') % 2  # a quote left open, or a quote inside an unquoted value
            or ('"' in text and _SPACE_BY_QUOTE.search(text))
            or text.count("\n") + 1 > reader_limit("max_rows")):
        return None
    first = text.split("\n", 1)[0].removesuffix("\r")
    if first.count('"') % 2:  # the header record spans lines
        return None
    header = next(csv.reader([first]), [])
    lookup = table_header_lookup(table)
    columns = {i: lookup[key] for i, v in enumerate(header) if v.strip() and (key := header_key(v)) in lookup}
    required = {c.name for c in table.columns if c.required}
    if (len(columns) < 2 or not required <= set(columns.values()) or len(set(columns.values())) != len(columns)
            or len(header) > reader_limit("max_columns")):
        return None
    return CsvFile(path, hashlib.sha256(raw).hexdigest(), table, first, len(header), columns)


def load(conn: duckdb.DuckDBPyConnection, period: str, files: Sequence[CsvFile], root: Path, run_id: str,
         loaded_at) -> tuple[dict[Path, ParsedFile], dict[Path, int], list[Path]]:
    """Insert the rows of `files` into their raw tables, one `read_csv` per table and header
    line. Returns the files read (as ParsedFile: their rows are in the warehouse, not on the
    object), their rows read, and the paths DuckDB did not take, for the Python reader."""
    parsed: dict[Path, ParsedFile] = {}
    rows_read: dict[Path, int] = {}
    refused: list[Path] = []
    if not files:
        return parsed, rows_read, refused
    conn.execute(read_sql(SQL / "raw_csv_macros.sql"))
    groups: dict[tuple[str, str], list[CsvFile]] = {}
    for f in files:
        groups.setdefault((f.table.name, f.header), []).append(f)
    for group in groups.values():
        good = _probe(conn, group)
        refused.extend(f.path for f in group if f not in good)
        if not good:
            continue
        _read_group(conn, period, good, root, run_id, loaded_at)
        counts = dict(conn.execute(
            read_sql(SQL / "raw_csv_rows_read.sql").format(table=good[0].table.name),
            {"period": period, "run_id": run_id, "source_files": [_name(f.path, root) for f in good]},
        ).fetchall())
        for f in good:
            sheet = display_name(f.path.name)
            parsed[f.path] = ParsedFile(path=f.path, file_hash=f.file_hash, batch=submission_batch(f.path),
                                        tables={f.table.name: ParsedTable(f.table, sheet)})
            rows_read[f.path] = counts.get(_name(f.path, root), 0)
    conn.execute("DROP TABLE IF EXISTS raw_csv_record; DROP TABLE IF EXISTS raw_csv_file")
    return parsed, rows_read, refused


def _probe(conn: duckdb.DuckDBPyConnection, group: list[CsvFile]) -> list[CsvFile]:
    """The files of one layout DuckDB reads without error and without a field over
    NTM_MAX_FIELD_KB, found by a dry read on a cursor of its own (an error in the step's
    transaction would abort it). When the group fails, each file is tried alone."""
    limit = reader_limit("max_field_kb") * 1024
    width = group[0].width
    sql = read_sql(SQL / "raw_csv_probe.sql").format(
        lengths=", ".join(f"coalesce(length(c{i}), 0)" for i in range(width)))
    columns = {f"c{i}": "VARCHAR" for i in range(width)}
    with conn.cursor() as cursor:
        def longest(files: list[CsvFile]) -> dict[str, int] | None:
            try:
                return dict(cursor.execute(sql, {"files": [str(f.path) for f in files], "columns": columns}).fetchall())
            except duckdb.Error:  # a row longer than its header, a quote left open, a line over 2 MB
                return None
        found = longest(group)
        if found is None:
            found = {name: n for f in group if (one := longest([f])) for name, n in one.items()}
    return [f for f in group if found.get(str(f.path), limit + 1) <= limit]


def _read_group(conn, period: str, group: list[CsvFile], root: Path, run_id: str, loaded_at) -> None:
    """One read_csv over the files of one layout, then its rows into raw.<table>."""
    table, width = group[0].table, group[0].width
    paths = [str(f.path) for f in group]
    conn.execute(read_sql(SQL / "raw_csv_read.sql"),
                 {"files": paths, "columns": {f"c{i}": "VARCHAR" for i in range(width)}})
    conn.execute(read_sql(SQL / "raw_csv_file.sql"), {
        "paths": paths, "periods": [period] * len(group), "source_files": [_name(f.path, root) for f in group],
        "hashes": [f.file_hash for f in group], "batches": [_name(submission_batch(f.path), root) for f in group],
        "sheets": [display_name(f.path.name) for f in group],
    })
    # The same columns as the Python reader: one per template column mapped by the header
    # (identifiers of the contract and positions, never text of the file).
    values = ", ".join(f"raw_csv_text(r.c{i}) AS {name}" for i, name in sorted(group[0].columns.items()))
    any_value = " OR ".join(f"{name} IS NOT NULL" for name in group[0].columns.values())
    conn.execute(read_sql(SQL / "raw_csv_insert.sql").format(table=table.name, values=values, any_value=any_value),
                 {"run_id": run_id, "loaded_at": loaded_at})


def _name(path: Path, root: Path) -> str:
    return display_name(path.relative_to(root).as_posix())
