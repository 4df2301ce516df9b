"""Quarantine layer: the Great Expectations suites run over staging, row by row.

For each staged table, `quarantine.<table>` holds one finding per row and broken rule:
period, file, sheet, row number, column, the value as typed, the rule, its severity and a
message in Vietnamese and English. Rows with a critical finding are left out of the core
facts; rows with only warnings are published and reported. Two asset checks surface the
results in Dagster; the critical one blocks the facts when a rule fails for the table as a
whole (a failure no quarantined row can explain).
"""


from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from ntm_pipeline.checks import column_labels, validate, write_findings
from ntm_pipeline.contract import ALL_TABLES, SUBMISSION, SubmissionTable
from ntm_pipeline.defs import keys
from ntm_pipeline.defs.sql_asset import sql_table
from ntm_pipeline.partitions import by_quarter, partition_periods
from ntm_pipeline.quality.validate import ROW_KEY
from ntm_pipeline.warehouse import WAREHOUSE_POOL, table_metadata, table_name, warehouse

SQL = Path(__file__).parent / "sql"

CRITICAL_CHECK = "published_rows_pass_critical_rules"
WARNING_CHECK = "warning_rules"


def _quarantine_asset(table: SubmissionTable) -> dg.AssetsDefinition:
    """Hand-written: Great Expectations, not SQL, decides which rows break which rule."""
    key = keys.quarantine(table)
    partitioned = table.partitioned

    @dg.asset(
        key=key,
        deps=[keys.staging(table), keys.core("dim_code")],
        kinds={"duckdb", "great_expectations"},
        pool=WAREHOUSE_POOL,
        description=f"Findings of the expectations/{table.name}.json suite on staging.{table.name}: one row "
        "per row and broken rule, with file, sheet, row, column, value and a Vietnamese and English "
        "message. Rows with a critical finding are kept out of the facts.",
        **by_quarter(partitioned),
        check_specs=[
            dg.AssetCheckSpec(
                CRITICAL_CHECK, asset=key, blocking=True,
                description="After quarantine, the rows to publish pass every critical rule; fails (and "
                "blocks the facts) when a critical rule fails for the table as a whole.",
            ),
            dg.AssetCheckSpec(
                WARNING_CHECK, asset=key,
                description="Warning rules: the rows are published, the findings are reported here.",
            ),
        ],
    )
    def _asset(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
        periods = partition_periods(context) if partitioned else None
        target = table_name(key)
        with warehouse(duckdb) as conn:
            # The checks library's own steps, as `ntm validate` runs them on a few files.
            validation = validate(conn, table, periods)
            rows = write_findings(conn, table, periods, validation)
            quarantined = validation.quarantined_rows
            yield dg.MaterializeResult(metadata={
                **table_metadata(conn, target, rows),
                "rows_checked": validation.rows_checked,
                "rows_quarantined": quarantined,
                "rows_with_warnings_only": len(
                    validation.findings[ROW_KEY].drop_duplicates()
                ) - quarantined if rows else 0,
            })
        table_failures = validation.table_level_critical_failures
        yield dg.AssetCheckResult(
            check_name=CRITICAL_CHECK,
            passed=not table_failures,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={**validation.check_metadata("critical"), "rows_quarantined": quarantined},
        )
        yield dg.AssetCheckResult(
            check_name=WARNING_CHECK,
            passed=not validation.failed("warning"),
            severity=dg.AssetCheckSeverity.WARN,
            metadata=validation.check_metadata("warning"),
        )

    return _asset


quarantine_assets = [_quarantine_asset(t) for t in ALL_TABLES]


quarantined_files = sql_table(
    keys.QUARANTINED_FILES, SQL / "source_file.sql",
    description="Files taken out whole, each with one reason in Vietnamese and English and, where it has "
    "one, its sheet, row and column: files that could not be read (damaged, empty, too large, "
    "not UTF-8, a sheet or column missing), submissions and targets alike (a targets file has "
    "no period), and the files of a one-commune submission whose header broke a critical rule "
    "(unknown commune, wrong period or district, a duplicate submission). None of their rows "
    "is published. Not partitioned: the table is small and rebuilt whole, so a targets file "
    "and every quarter's files are listed in one place.",
    deps=[keys.RAW_SOURCE_FILE, keys.RAW_TARGET_FILE, keys.staging(SUBMISSION), keys.quarantine(SUBMISSION),
          keys.core("dim_commune"), keys.core("dim_period")],
    frames=lambda: {"column_labels": column_labels()},
    descriptions={"rule": "Code of the reason.", "message_vi": "Reason, in Vietnamese.", "message_en": "Reason, in English."},
)
