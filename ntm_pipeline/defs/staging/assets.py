"""Staging layer: raw text typed and normalised, codes resolved, nothing dropped yet.

Decimal commas, dd/mm/yyyy dates, "x"/"đạt"/"1" for met, NFD names and "Hoà" spellings
are all read here, in SQL (see ntm_pipeline/sql/macros.sql). Each row keeps its file,
sheet and row number, and gains the helper columns the validation rules test.
"""


from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from ntm_pipeline.contract import ALL_TABLES, SUBMISSION, TARGET, SubmissionTable, column_descriptions
from ntm_pipeline.defs.raw.assets import raw_key
from ntm_pipeline.partitions import by_quarter, partition_periods
from ntm_pipeline.warehouse import OWNERS, WAREHOUSE_POOL, materialize_sql, sql_reference, table_name

SQL = Path(__file__).parent / "sql"
REFERENCE_DEPS = [dg.AssetKey(["core", n]) for n in ("dim_code_key", "dim_commune", "dim_period")]
EXTRA_DEPS = {
    "submission": [dg.AssetKey(["core", n]) for n in ("dim_commune_alias", "dim_criteria_set")] + [
        dg.AssetKey(["raw", "criteria"])
    ],
    "criteria": [dg.AssetKey(["core", "dim_criterion"])],
    "ocop_product": [dg.AssetKey(["core", "dim_ocop_star_band"])],
    "target": [dg.AssetKey(["core", "dim_kpi"])],
}


QUARANTINED_FILES_KEY = dg.AssetKey(["quarantine", "source_file"])


def staging_key(table: SubmissionTable) -> dg.AssetKey:
    return dg.AssetKey(["staging", table.name])


def is_partitioned(table: SubmissionTable) -> bool:
    """Targets are set per year, in a file of their own; everything else is per quarter."""
    return table is not TARGET


def _staging_asset(table: SubmissionTable) -> dg.AssetsDefinition:
    key = staging_key(table)
    partitioned = is_partitioned(table)
    deps = [raw_key(table), *REFERENCE_DEPS, *EXTRA_DEPS.get(table.name, [])]
    if partitioned and table is not SUBMISSION:
        # Detail rows count only for a commune whose header row passed validation.
        deps += [staging_key(SUBMISSION), dg.AssetKey(["quarantine", SUBMISSION.name]), QUARANTINED_FILES_KEY]

    @dg.asset(
        key=key,
        deps=deps,
        group_name="staging",
        kinds={"duckdb", "sql"},
        owners=OWNERS,
        pool=WAREHOUSE_POOL,
        description=f"{table.description} Typed and normalised from raw.{table.name}; "
        "every row is kept, with its file, sheet and row number, for validation.",
        metadata=sql_reference(SQL / f"{table.name}.sql"),
        **by_quarter(partitioned),
    )
    def _asset(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
        return materialize_sql(
            duckdb, table_name(key), SQL / f"{table.name}.sql",
            periods=partition_periods(context) if partitioned else None,
            descriptions=column_descriptions(table),
            lineage_from=[raw_key(table)],
        )

    return _asset


staging_assets = [_staging_asset(t) for t in ALL_TABLES]
