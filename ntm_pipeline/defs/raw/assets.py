"""Raw layer: every sheet of every submission file, as read, with where each row came from.

Values stay text exactly as the file had them; the staging layer types them. Each row
carries its period (the folder it was dropped in), file, file hash, sheet, row number and
the run that loaded it. A file that cannot be read is logged in raw.source_file with its
reason and the other files still load.

raw.ignored_entry lists what raw/ holds and the run does not take, each entry with its
reason, in the transaction of the step that sees it: raw_submissions lists raw/submissions/,
the sheets of its workbooks not read and whatever else is directly under raw/; raw_target
lists raw/targets/ and its workbooks' sheets not read. Nothing under raw/ is dropped without a word.

The two assets here are written by hand, not with `sql_table`: they load the files through
the checks library (ntm_pipeline/checks/), as `ntm validate` does: workbooks with the Python
reader (ntm_pipeline/submissions/), CSV files with DuckDB's read_csv where it reads them as
that reader does (checks/raw_csv.py). raw_submissions reads only new and changed files: the
rows of a file whose hash and reader version are unchanged are kept (docs/architecture.md).
"""


from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from ntm_pipeline.checks import create_raw_tables, load_raw, load_targets
from ntm_pipeline.checks.raw import clear_raw_files, unchanged_files
from ntm_pipeline.contract import SUBMISSION_TABLES, TARGET, column_descriptions
from ntm_pipeline.defs import keys
from ntm_pipeline.partitions import by_quarter, partition_periods
from ntm_pipeline.resources import SubmissionStore
from ntm_pipeline.submissions.reader import (
    discover_submission_files,
    discover_target_files,
    TARGETS,
    display_name,
    ignored_entries,
    ignored_target_entries,
    sheets_not_read,
)
from ntm_pipeline.warehouse import (
    WAREHOUSE_POOL,
    comment_table,
    insert_frame,
    partition_rows,
    read_sql,
    scalar,
    table_metadata,
    table_name,
    transaction,
    warehouse,
)

SQL = Path(__file__).parent / "sql"
IGNORED_COLUMNS = ["period", "path", "sheet", "kind", "reason_vi", "reason_en"]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            keys.RAW_SOURCE_FILE, kinds={"duckdb", "python"},
            description="One row per submission file and period: its hash, format, the sheets "
            "read, rows read, and status 'parsed' or 'rejected' with the reason a file could not be read.",
        ),
        dg.AssetSpec(
            keys.RAW_IGNORED_ENTRY, kinds={"duckdb", "python"},
            description="One row per entry under raw/ that the run sees and does not take (lock and system "
            "files, files of other kinds, links to folders, folders of no quarter of the calendar, files outside "
            "any quarter folder or directly under raw/, a workbook's sheets with data that are not of the "
            "template): its quarter (empty outside any), path, sheet, kind and reason. raw/targets/'s entries "
            "are written by raw_target.",
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
    """Parse the submission files of the run's quarters that are new or changed (.xlsx with
    calamine, .csv with DuckDB's read_csv or, for the habits it does not take, as UTF-8 in Python).

    The run's quarters are brought up to date in one transaction across the raw tables: a file
    whose hash and reader version are those it was read with keeps its rows; the rows of
    changed and removed files are deleted and the new and changed files read, a quarter at a
    time, so Python holds one quarter's workbooks however many the run covers."""
    periods = partition_periods(context)
    root = submissions.path
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    tables = [keys.RAW_SOURCE_FILE, keys.RAW_IGNORED_ENTRY, *(keys.raw(t) for t in SUBMISSION_TABLES)]
    read_count, kept_count = 0, 0
    # What raw/submissions/ holds and no submission is: listed, never dropped without a word.
    ignored = ignored_entries(root, periods)
    for entry in ignored:
        context.log.info(f"{entry.period or 'no quarter'}: {entry.path} ignored: {entry.reason_en}")
    with warehouse(duckdb) as conn:
        create_raw_tables(conn, SUBMISSION_TABLES)
        conn.execute(read_sql(SQL / "ignored_entry_table.sql"))
        with transaction(conn):
            # Files unchanged since they were read (same hash, same reader) keep their rows, file-log
            # row and sheets not read; the rows of changed and removed files go, then the rest is read.
            paths = {period: [path for _, path in discover_submission_files(root, [period])] for period in periods}
            kept = {period: unchanged_files(conn, period, paths[period], root) for period in periods}
            for period in periods:
                clear_raw_files(conn, period, kept[period])
            held = [name for names in kept.values() for name in names]
            conn.execute(read_sql(SQL / "ignored_entry_clear.sql"), {"periods": periods, "targets": f"{TARGETS}/", "kept": held})
            conn.execute(read_sql(SQL / "ignored_entry_kept.sql"), {"kept": held, "run_id": context.run_id, "loaded_at": loaded_at})
            for period in periods:
                held = set(kept[period])
                to_read = [path for path in paths[period] if display_name(path.relative_to(root).as_posix()) not in held]
                kept_count += len(held)
                read_count += len(to_read)
                context.log.info(f"{period}: {len(held)} files unchanged and kept, {len(to_read)} read")
                for parsed in load_raw(conn, period, to_read, root, context.run_id, loaded_at, check_links=True):
                    if parsed.error:
                        context.log.warning(f"{period}: {display_name(parsed.path.name)} rejected: {parsed.error.message_en}")
                    else:
                        ignored.extend(sheets := sheets_not_read(parsed, period, root))
                        for entry in sheets:
                            context.log.info(f"{period}: {entry.path} ignored: {entry.reason_en}")
            if ignored:
                insert_frame(conn, "raw.ignored_entry", ignored_frame(ignored, context.run_id, loaded_at))
            for key in tables:
                comment_table(conn, table_name(key))
        # The files of the run's quarters as the raw layer now holds them, kept or read.
        rejected = conn.execute(read_sql(SQL / "rejected_files.sql"), {"periods": periods}).fetchall()
        parsed_count = scalar(conn, read_sql(SQL / "parsed_files.sql"), {"periods": periods})
        listed = conn.execute(read_sql(SQL / "ignored_entry_listed.sql"),
                              {"periods": periods, "targets": f"{TARGETS}/"}).fetchall()
        yield dg.MaterializeResult(
            asset_key=keys.RAW_SOURCE_FILE,
            metadata={
                **table_metadata(conn, "raw.source_file", partition_rows(conn, "raw.source_file", periods)),
                "periods": dg.MetadataValue.text(", ".join(periods)),
                "files_parsed": parsed_count,
                "files_rejected": len(rejected),
                "files_kept": kept_count,
                "files_read": read_count,
            },
        )
        yield dg.MaterializeResult(
            asset_key=keys.RAW_IGNORED_ENTRY,
            metadata={
                **table_metadata(conn, "raw.ignored_entry", len(listed)),
                "files_ignored": len(listed),
                "ignored": dg.MetadataValue.md(
                    "\n".join(f"- `{path}` ({period or 'no quarter'}): {reason}" for period, path, reason in listed) or "none"
                ),
            },
        )
        yield dg.AssetCheckResult(
            check_name="every_file_readable",
            asset_key=keys.RAW_SOURCE_FILE,
            passed=not rejected,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "files_rejected": len(rejected),
                "rejected": dg.MetadataValue.md("\n".join(f"- `{name}`: {error}" for name, error in rejected) or "none"),
            },
        )
        for table in SUBMISSION_TABLES:
            name = f"raw.{table.name}"
            yield dg.MaterializeResult(
                asset_key=keys.raw(table),
                metadata=table_metadata(conn, name, partition_rows(conn, name, periods), column_descriptions(table)),
            )


def ignored_frame(ignored, run_id: str, loaded_at: datetime) -> pd.DataFrame:
    """The rows of raw.ignored_entry for the entries `reader.ignored_entries` listed."""
    frame = pd.DataFrame(
        {c: pd.array([getattr(e, c) for e in ignored], dtype="string") for c in IGNORED_COLUMNS}
    )
    frame["run_id"] = run_id
    frame["loaded_at"] = pd.Series([loaded_at] * len(frame), dtype="datetime64[us]")
    return frame


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
    ignored = ignored_target_entries(root)  # what raw/targets/ holds and no targets file is
    with warehouse(duckdb) as conn:
        create_raw_tables(conn, [TARGET])
        conn.execute(read_sql(SQL / "ignored_entry_table.sql"))
        with transaction(conn):
            files = load_targets(conn, discover_target_files(root), root, context.run_id, loaded_at)
            ignored += [entry for parsed in files for entry in sheets_not_read(parsed, None, root)]
            conn.execute(read_sql(SQL / "ignored_entry_clear_targets.sql"), {"targets": f"{TARGETS}/"})
            if ignored:
                insert_frame(conn, "raw.ignored_entry", ignored_frame(ignored, context.run_id, loaded_at))
            for table in ("raw.target", "raw.target_file", "raw.ignored_entry"):
                comment_table(conn, table)
        for parsed in files:
            if parsed.error:
                context.log.warning(f"{parsed.path.name} rejected: {parsed.error.message_en}")
        for entry in ignored:
            context.log.info(f"{entry.path} ignored: {entry.reason_en}")
        rows = scalar(conn, "SELECT count(*) FROM raw.target")
        yield dg.MaterializeResult(
            asset_key=keys.raw(TARGET),
            metadata=table_metadata(conn, "raw.target", rows, column_descriptions(TARGET)),
        )
        yield dg.MaterializeResult(
            asset_key=keys.RAW_TARGET_FILE,
            metadata={
                **table_metadata(conn, "raw.target_file", len(files)),
                "files_rejected": sum(1 for f in files if f.error),
                "ignored_in_targets": dg.MetadataValue.md(
                    "\n".join(f"- `{e.path}`: {e.reason_en}" for e in ignored) or "none"),
            },
        )
