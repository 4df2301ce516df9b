"""Raw layer: every sheet of every submission file, as read, with where each row came from.

Values stay text exactly as the file had them; the staging layer types them. Each row
carries its period (the folder it was dropped in), file, file hash, sheet, row number and
the run that loaded it. A file that cannot be read is logged in raw.source_file with its
reason and the other files still load.

The two assets here are written by hand, not with `sql_table`: reading workbooks and CSV
files is Python's work (the reader in ntm_pipeline/submissions/), not a query's.
"""


from datetime import datetime, timezone

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from ntm_pipeline.contract import PROVENANCE_COLUMNS, SUBMISSION_TABLES, TARGET, SubmissionTable, column_descriptions
from ntm_pipeline.defs import keys
from ntm_pipeline.partitions import by_quarter, partition_periods
from ntm_pipeline.resources import SubmissionStore
from ntm_pipeline.submissions.reader import (
    ParsedFile,
    discover_submission_files,
    discover_target_files,
    read_submission_file,
)
from ntm_pipeline.warehouse import (
    WAREHOUSE_POOL,
    comment_table,
    delete_partitions,
    insert_frame,
    partition_rows,
    table_metadata,
    table_name,
    transaction,
    warehouse,
)



def _raw_ddl(table: SubmissionTable, partitioned: bool = True) -> str:
    provenance = [c for c in PROVENANCE_COLUMNS if partitioned or c != "period"]
    types = {"row_number": "INTEGER", "row_hidden": "BOOLEAN"}
    columns = [f"{c} {types.get(c, 'VARCHAR')}" for c in provenance]
    columns += ["loaded_at TIMESTAMP"] + [f"{c} VARCHAR" for c in table.column_names]
    return f"CREATE TABLE IF NOT EXISTS raw.{table.name} ({', '.join(columns)})"


# The log of the files read: one row per file, parsed or rejected with its reason and, when
# the problem has a place, its sheet and column. raw.source_file holds the submissions by
# period; raw.target_file the files of raw/targets/, which belong to no quarter.
FILE_LOG_COLUMNS = {
    "period": "VARCHAR", "source_file": "VARCHAR", "file_hash": "VARCHAR", "batch": "VARCHAR",
    "file_format": "VARCHAR", "size_bytes": "BIGINT", "status": "VARCHAR", "error_code": "VARCHAR",
    "error": "VARCHAR", "error_vi": "VARCHAR", "error_sheet": "VARCHAR", "error_column": "VARCHAR",
    "sheets": "VARCHAR[]", "rows_read": "INTEGER", "run_id": "VARCHAR", "loaded_at": "TIMESTAMP",
}
SOURCE_FILE_COLUMNS = list(FILE_LOG_COLUMNS)


def _create_file_log(conn, table: str, partitioned: bool) -> None:
    """Create the file log, and add the columns a warehouse of an earlier version lacks."""
    columns = {c: t for c, t in FILE_LOG_COLUMNS.items() if partitioned or c != "period"}
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    for column, kind in columns.items():
        conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")


def _frame(table: SubmissionTable, files: list[tuple[str, ParsedFile]], root, run_id: str, loaded_at, partitioned=True) -> pd.DataFrame:
    """The rows of one table from parsed files, built column by column (a dict per row costs
    more than the parse at national scale)."""
    provenance = [c for c in PROVENANCE_COLUMNS if partitioned or c != "period"]
    columns: dict[str, list] = {c: [] for c in [*provenance, *table.column_names]}
    for period, parsed in files:
        chunk = parsed.tables.get(table.name)
        if chunk is None or not chunk.rows:
            continue
        n = len(chunk.rows)
        constant = {
            "period": period, "source_file": parsed.path.relative_to(root).as_posix(), "file_hash": parsed.file_hash,
            "batch": parsed.batch.relative_to(root).as_posix(), "sheet": chunk.sheet, "run_id": run_id,
        }
        for name in provenance:
            if name in constant:
                columns[name].extend([constant[name]] * n)
        columns["row_number"].extend(number for number, _ in chunk.rows)
        columns["row_hidden"].extend(number in chunk.hidden_rows for number, _ in chunk.rows)
        for name in table.column_names:
            columns[name].extend(values[name] for _, values in chunk.rows)
    frame = pd.DataFrame({
        name: pd.array(values, dtype={"row_number": "int32", "row_hidden": "bool"}.get(name, "string"))
        for name, values in columns.items()
    })
    frame.insert(len(provenance), "loaded_at", pd.Series([loaded_at] * len(frame), dtype="datetime64[us]"))
    return frame


def _file_log(files: list[tuple[str, ParsedFile]], root, run_id: str, loaded_at, partitioned=True) -> pd.DataFrame:
    """File log rows: one per file, parsed or rejected with its reason."""
    frame = pd.DataFrame.from_records(
        [
            {
                "period": period,
                "source_file": f.path.relative_to(root).as_posix(),
                "file_hash": f.file_hash,
                "batch": f.batch.relative_to(root).as_posix(),
                "file_format": f.path.suffix.lower().lstrip("."),
                "size_bytes": f.path.stat().st_size,
                "status": "rejected" if f.error else "parsed",
                "error_code": f.error.code if f.error else None,
                "error": f.error.message_en if f.error else None,
                "error_vi": f.error.message_vi if f.error else None,
                "error_sheet": f.error.sheet if f.error else None,
                "error_column": f.error.column if f.error else None,
                "sheets": [t.sheet for t in f.tables.values()],
                "rows_read": f.row_count,
                "run_id": run_id,
                "loaded_at": loaded_at,
            }
            for period, f in files
        ],
        columns=SOURCE_FILE_COLUMNS,
    )
    return frame if partitioned else frame.drop(columns="period")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            keys.RAW_SOURCE_FILE, kinds={"duckdb", "python"},
            description="One row per submission file and period: its hash, format, the sheets "
            "read, rows read, and status 'parsed' or 'rejected' with the reason a file could not be read.",
        ),
        *[
            dg.AssetSpec(
                keys.raw(t), kinds={"duckdb", "excel", "csv"},
                description=f"Sheet '{t.sheet_vi}' ({t.name}) of every submission, as read: "
                f"{t.description} All values are text; provenance columns say file, sheet and row.",
            )
            for t in SUBMISSION_TABLES
        ],
    ],
    **by_quarter(),
    check_specs=[
        dg.AssetCheckSpec(
            "every_file_readable", asset=keys.RAW_SOURCE_FILE,
            description="Every file dropped in raw/submissions/<period>/ could be read; lists those that could not.",
        )
    ],
    name="raw_submissions",
    pool=WAREHOUSE_POOL,
)
def raw_submissions(context: dg.AssetExecutionContext, duckdb: DuckDBResource, submissions: SubmissionStore):
    """Parse every submission file of the run's quarters (.xlsx with calamine, .csv as UTF-8).

    The run's quarters are replaced in one transaction across the raw tables; files are read
    a quarter at a time, so Python holds one quarter's rows however many the run covers."""
    periods = partition_periods(context)
    root = submissions.path
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    tables = [keys.RAW_SOURCE_FILE, *(keys.raw(t) for t in SUBMISSION_TABLES)]
    parsed_count, rejected = 0, []
    with warehouse(duckdb) as conn:
        _create_file_log(conn, "raw.source_file", partitioned=True)
        for table in SUBMISSION_TABLES:
            conn.execute(_raw_ddl(table))
        with transaction(conn):
            for key in tables:
                delete_partitions(conn, table_name(key), periods)
            for period in periods:
                files = [(period, read_submission_file(path)) for _, path in discover_submission_files(root, [period])]
                for _, parsed in files:
                    if parsed.error:
                        rejected.append(parsed)
                        context.log.warning(f"{period}: {parsed.path.name} rejected: {parsed.error.message_en}")
                parsed_count += sum(1 for _, f in files if not f.error)
                insert_frame(conn, "raw.source_file", _file_log(files, root, context.run_id, loaded_at))
                good = [(p, f) for p, f in files if not f.error]
                for table in SUBMISSION_TABLES:
                    insert_frame(conn, f"raw.{table.name}", _frame(table, good, root, context.run_id, loaded_at))
            for key in tables:
                comment_table(conn, table_name(key))
        yield dg.MaterializeResult(
            asset_key=keys.RAW_SOURCE_FILE,
            metadata={
                **table_metadata(conn, "raw.source_file", partition_rows(conn, "raw.source_file", periods)),
                "periods": dg.MetadataValue.text(", ".join(periods)),
                "files_parsed": parsed_count,
                "files_rejected": len(rejected),
            },
        )
        yield dg.AssetCheckResult(
            check_name="every_file_readable",
            asset_key=keys.RAW_SOURCE_FILE,
            passed=not rejected,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "files_rejected": len(rejected),
                "rejected": dg.MetadataValue.md(
                    "\n".join(f"- `{f.path.relative_to(root).as_posix()}`: {f.error.message_en}" for f in rejected)
                    or "none"
                ),
            },
        )
        for table in SUBMISSION_TABLES:
            name = f"raw.{table.name}"
            yield dg.MaterializeResult(
                asset_key=keys.raw(table),
                metadata=table_metadata(conn, name, partition_rows(conn, name, periods), column_descriptions(table)),
            )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            keys.raw(TARGET), kinds={"duckdb", "excel", "csv"},
            description="District and province annual targets from raw/targets/, as read (year, area "
            "code, KPI code, value), with the file and row each came from.",
        ),
        dg.AssetSpec(
            keys.RAW_TARGET_FILE, kinds={"duckdb", "python"},
            description="One row per file of raw/targets/ (.csv, or a workbook with a 'Chỉ tiêu' sheet): "
            "its hash, the rows read, and status 'parsed' or 'rejected' with the reason.",
        ),
    ],
    name="raw_target",
    pool=WAREHOUSE_POOL,
)
def raw_target(context: dg.AssetExecutionContext, duckdb: DuckDBResource, submissions: SubmissionStore):
    """Read every targets file of raw/targets/: a CSV or a targets workbook (template
    raw/templates/chi-tieu-nam.xlsx). Both tables are replaced in one transaction; a file that
    cannot be read is logged with its reason and goes on to quarantine.source_file."""
    root = submissions.path
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    files = [("", read_submission_file(path, default_table=TARGET)) for path in discover_target_files(root)]
    for _, parsed in files:
        if parsed.error:
            context.log.warning(f"{parsed.path.name} rejected: {parsed.error.message_en}")
    rows = _frame(TARGET, [(p, f) for p, f in files if not f.error], root, context.run_id, loaded_at, partitioned=False)
    log = _file_log(files, root, context.run_id, loaded_at, partitioned=False)
    with warehouse(duckdb) as conn:
        _create_file_log(conn, "raw.target_file", partitioned=False)
        conn.execute(_raw_ddl(TARGET, partitioned=False))
        with transaction(conn):
            for table, frame in (("raw.target", rows), ("raw.target_file", log)):
                conn.execute(f"DELETE FROM {table}")
                insert_frame(conn, table, frame)
                comment_table(conn, table)
        yield dg.MaterializeResult(
            asset_key=keys.raw(TARGET),
            metadata=table_metadata(conn, "raw.target", len(rows), column_descriptions(TARGET)),
        )
        yield dg.MaterializeResult(
            asset_key=keys.RAW_TARGET_FILE,
            metadata={
                **table_metadata(conn, "raw.target_file", len(log)),
                "files_rejected": sum(1 for _, f in files if f.error),
            },
        )
