"""Core facts: what the communes reported, validated, at the grain analysts join on.

Each fact reads its staging table minus the rows quarantined for a critical finding, and
keeps only rows of communes whose submission header was published for the period.
"""


from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from ntm_pipeline.contract import CERTIFIED_AREA, CRITERIA, INVESTMENT, OCOP_PRODUCT, SUBMISSION, TARGET, SubmissionTable
from ntm_pipeline.defs.quarantine.assets import quarantine_key
from ntm_pipeline.defs.staging.assets import staging_key
from ntm_pipeline.partitions import partition_periods, quarterly_partitions
from ntm_pipeline.warehouse import materialize_sql

SQL = Path(__file__).parent / "sql"
COMMUNE_STATUS = dg.AssetKey(["core", "fact_commune_status"])


def _fact(name: str, source: SubmissionTable, description: str, extra_deps: list[str] = ()) -> dg.AssetsDefinition:
    key = dg.AssetKey(["core", name])
    partitioned = source is not TARGET
    deps = [staging_key(source), quarantine_key(source), *(dg.AssetKey(["core", d]) for d in extra_deps)]
    if partitioned and source is not SUBMISSION:
        deps.append(COMMUNE_STATUS)

    @dg.asset(
        key=key,
        deps=deps,
        group_name="core",
        kinds={"duckdb", "sql"},
        owners=["team:ntm-data"],
        description=description,
        partitions_def=quarterly_partitions if partitioned else None,
        backfill_policy=dg.BackfillPolicy.single_run() if partitioned else None,
    )
    def _asset(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
        return materialize_sql(
            duckdb, f"core.{name}", SQL / f"{name}.sql",
            periods=partition_periods(context) if partitioned else None,
        )

    return _asset


fact_commune_status = _fact(
    "fact_commune_status", SUBMISSION,
    "One row per commune and quarter that sent a valid submission: its NTM title and the "
    "year it was recognised, the title it is proposed for, and its agricultural cooperatives "
    "and farms at quarter end. The spine every other fact joins to.",
)
fact_investment = _fact(
    "fact_investment", INVESTMENT,
    "One row per investment project and quarter: category, status at quarter end (ongoing, "
    "preparing, completed) and capital mobilised during the quarter by source, million VND.",
)
fact_criteria_snapshot = _fact(
    "fact_criteria_snapshot", CRITERIA,
    "One row per commune, criterion and quarter: whether the commune met the criterion of its "
    "criteria set at quarter end. Towns do not appear: they are not scored on rural criteria.",
    ["dim_criterion"],
)
fact_ocop_rating = _fact(
    "fact_ocop_rating", OCOP_PRODUCT,
    "One row per OCOP rating event (new certification, re-rating, upgrade) as listed in each "
    "quarter's register: stars, score, decision, certificate validity (36 months) and whether "
    "it is the product's current rating and still valid at quarter end.",
    ["dim_ocop_star_band"],
)
fact_certified_area = _fact(
    "fact_certified_area", CERTIFIED_AREA,
    "One row per commune, product, standard (VietGAP, GlobalGAP, organic) and quarter: "
    "hectares under a certificate valid at quarter end, beside the hectares reported.",
)
fact_target = _fact(
    "fact_target", TARGET,
    "Annual targets by year, area (district or province) and KPI code, from raw/targets/.",
    ["dim_kpi"],
)
