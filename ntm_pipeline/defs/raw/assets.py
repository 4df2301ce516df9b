"""Raw layer: every sheet of every submission file, as read, with where each row came from.

Values stay text exactly as the file had them; the staging layer types them. Each row
carries its period (the folder it was dropped in), file, file hash, sheet, row number and
the run that loaded it. A file that cannot be read is logged in raw.source_file with its
reason and the other files still load.
"""


from datetime import datetime, timezone

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from ntm_pipeline.contract import PROVENANCE_COLUMNS, SUBMISSION_TABLES, TARGET, SubmissionTable, column_descriptions
from ntm_pipeline.partitions import partition_periods, quarterly_partitions
from ntm_pipeline.resources import SubmissionStore
from ntm_pipeline.submissions.reader import (
    ParsedFile,
    discover_submission_files,
    discover_target_files,
    read_submission_file,
)
from ntm_pipeline.warehouse import OWNERS, WAREHOUSE_POOL, replace_partitions, replace_table, table_metadata, warehouse

GROUP = "raw"
SOURCE_FILE_KEY = dg.AssetKey(["raw", "source_file"])


def raw_key(table: SubmissionTable) -> dg.AssetKey:
    return dg.AssetKey(["raw", table.name])


def _raw_ddl(table: SubmissionTable, partitioned: bool = True) -> str:
    provenance = [c for c in PROVENANCE_COLUMNS if partitioned or c != "period"]
    types = {"row_number": "INTEGER", "row_hidden": "BOOLEAN"}
    columns = [f"{c} {types.get(c, 'VARCHAR')}" for c in provenance]
    columns += ["loaded_at TIMESTAMP"] + [f"{c} VARCHAR" for c in table.column_names]
    return f"CREATE TABLE IF NOT EXISTS raw.{table.name} ({', '.join(columns)})"


SOURCE_FILE_DDL = """
CREATE TABLE IF NOT EXISTS raw.source_file (
    period VARCHAR, source_file VARCHAR, file_hash VARCHAR, batch VARCHAR, file_format VARCHAR,
    size_bytes BIGINT, status VARCHAR, error_code VARCHAR, error VARCHAR, error_vi VARCHAR,
    sheets VARCHAR[], rows_read INTEGER, run_id VARCHAR, loaded_at TIMESTAMP
)
"""
SOURCE_FILE_COLUMNS = [
    "period", "source_file", "file_hash", "batch", "file_format", "size_bytes", "status", "error_code",
    "error", "error_vi", "sheets", "rows_read", "run_id", "loaded_at",
]


def _frame(table: SubmissionTable, files: list[tuple[str, ParsedFile]], root, run_id: str, loaded_at, partitioned=True) -> pd.DataFrame:
    records = []
    for period, parsed in files:
        chunk = parsed.tables.get(table.name)
        if chunk is None:
            continue
        for row_number, values in chunk.rows:
            record = {
                "period": period,
                "source_file": parsed.path.relative_to(root).as_posix(),
                "file_hash": parsed.file_hash,
                "batch": parsed.batch.relative_to(root).as_posix(),
                "sheet": chunk.sheet,
                "row_number": row_number,
                "row_hidden": row_number in chunk.hidden_rows,
                "run_id": run_id,
                "loaded_at": loaded_at,
                **values,
            }
            if not partitioned:
                record.pop("period")
            records.append(record)
    columns = [c for c in PROVENANCE_COLUMNS if partitioned or c != "period"] + ["loaded_at", *table.column_names]
    frame = pd.DataFrame.from_records(records, columns=columns)
    text_columns = [c for c in columns if c not in ("row_number", "row_hidden", "loaded_at")]
    frame[text_columns] = frame[text_columns].astype("string")
    return frame.astype({"row_number": "int32", "row_hidden": "bool"})


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            SOURCE_FILE_KEY, group_name=GROUP, kinds={"duckdb", "python"}, owners=OWNERS,
            description="One row per submission file and period: its hash, format, the sheets "
            "read, rows read, and status 'parsed' or 'rejected' with the reason a file could not be read.",
        ),
        *[
            dg.AssetSpec(
                raw_key(t), group_name=GROUP, kinds={"duckdb", "excel", "csv"}, owners=OWNERS,
                description=f"Sheet '{t.sheet_vi}' ({t.name}) of every submission, as read: "
                f"{t.description} All values are text; provenance columns say file, sheet and row.",
            )
            for t in SUBMISSION_TABLES
        ],
    ],
    partitions_def=quarterly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[
        dg.AssetCheckSpec(
            "every_file_readable", asset=SOURCE_FILE_KEY,
            description="Every file dropped in raw/submissions/<period>/ could be read; lists those that could not.",
        )
    ],
    name="raw_submissions",
    pool=WAREHOUSE_POOL,
)
def raw_submissions(context: dg.AssetExecutionContext, duckdb: DuckDBResource, submissions: SubmissionStore):
    """Parse every submission file of the run's quarters (.xlsx with calamine, .csv as UTF-8)."""
    periods = partition_periods(context)
    root = submissions.path
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    files = [(period, read_submission_file(path)) for period, path in discover_submission_files(root, periods)]
    rejected = [(period, f) for period, f in files if f.error]
    for period, parsed in rejected:
        context.log.warning(f"{period}: {parsed.path.name} rejected: {parsed.error.message_en}")
    log = pd.DataFrame.from_records(
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
                "sheets": [t.sheet for t in f.tables.values()],
                "rows_read": f.row_count,
                "run_id": context.run_id,
                "loaded_at": loaded_at,
            }
            for period, f in files
        ],
        columns=SOURCE_FILE_COLUMNS,
    )
    with warehouse(duckdb) as conn:
        conn.execute(SOURCE_FILE_DDL)
        conn.register("incoming_files", log)
        rows = replace_partitions(conn, "raw.source_file", periods, "SELECT * FROM incoming_files")
        yield dg.MaterializeResult(
            asset_key=SOURCE_FILE_KEY,
            metadata={
                **table_metadata(conn, "raw.source_file", rows),
                "periods": dg.MetadataValue.text(", ".join(periods)),
                "files_parsed": len(files) - len(rejected),
                "files_rejected": len(rejected),
            },
        )
        yield dg.AssetCheckResult(
            check_name="every_file_readable",
            asset_key=SOURCE_FILE_KEY,
            passed=not rejected,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "files_rejected": len(rejected),
                "rejected": dg.MetadataValue.md(
                    "\n".join(f"- `{f.path.relative_to(root).as_posix()}`: {f.error.message_en}" for _, f in rejected)
                    or "none"
                ),
            },
        )
        good = [(period, f) for period, f in files if not f.error]
        for table in SUBMISSION_TABLES:
            name = f"raw.{table.name}"
            conn.execute(_raw_ddl(table))
            conn.register("incoming_rows", _frame(table, good, root, context.run_id, loaded_at))
            rows = replace_partitions(conn, name, periods, "SELECT * FROM incoming_rows")
            yield dg.MaterializeResult(
                asset_key=raw_key(table), metadata=table_metadata(conn, name, rows, column_descriptions(table))
            )


@dg.asset(key=raw_key(TARGET), group_name=GROUP, kinds={"duckdb", "csv"}, owners=OWNERS, pool=WAREHOUSE_POOL)
def raw_target(context: dg.AssetExecutionContext, duckdb: DuckDBResource, submissions: SubmissionStore) -> dg.MaterializeResult:
    """District and province annual targets from raw/targets/, as read (year, area code,
    KPI code, value), with the file and row each came from."""
    root = submissions.path
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    files = [read_submission_file(path, default_table=TARGET) for path in discover_target_files(root)]
    for parsed in files:
        if parsed.error:
            context.log.warning(f"{parsed.path.name} rejected: {parsed.error.message_en}")
    frame = _frame(TARGET, [("", f) for f in files if not f.error], root, context.run_id, loaded_at, partitioned=False)
    with warehouse(duckdb) as conn:
        conn.register("incoming_rows", frame)
        rows = replace_table(conn, "raw.target", "SELECT * FROM incoming_rows")
        return dg.MaterializeResult(metadata={
            **table_metadata(conn, "raw.target", rows, column_descriptions(TARGET)),
            "files_rejected": sum(1 for f in files if f.error),
        })
