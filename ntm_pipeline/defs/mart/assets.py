"""Mart: the quarterly KPI table analysts query and the district report is written from."""


from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from ntm_pipeline.partitions import partition_periods, quarterly_partitions
from ntm_pipeline.warehouse import OWNERS, WAREHOUSE_POOL, materialize_sql

SQL = Path(__file__).parent / "sql"

KPI_COLUMNS = {
    "period": "Quarter, e.g. 2024-Q1.",
    "area_level": "commune, district or province.",
    "area_code": "GSO code of the area (5, 3 or 2 digits).",
    "area_name": "Name of the area in the GSO list.",
    "kpi_code": "KPI code, defined in docs/kpis.md and core.dim_kpi.",
    "kpi_name_vi": "KPI name in Vietnamese.",
    "unit": "Unit of value.",
    "measure": "stock (quarter-end value) or flow (year-to-date sum).",
    "value": "Value for the area and quarter.",
    "value_prev_year": "Value for the same quarter of the previous year.",
    "yoy_delta": "value - value_prev_year.",
    "yoy_pct": "Change on the same quarter last year, percent.",
    "target": "That year's target for the area, where one is set.",
    "target_progress_pct": "value as a percent of target.",
}


@dg.asset(
    key=dg.AssetKey(["mart", "kpi_quarterly"]),
    deps=[
        dg.AssetKey(["core", name])
        for name in (
            "fact_commune_status", "fact_investment", "fact_criteria_snapshot", "fact_ocop_rating",
            "fact_certified_area", "fact_target", "dim_kpi", "dim_period", "dim_commune", "row_reconciliation",
        )
    ],
    group_name="mart",
    kinds={"duckdb", "sql"},
    owners=OWNERS,
    pool=WAREHOUSE_POOL,
    partitions_def=quarterly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    # Follows its upstream facts: a quarter is refreshed whenever one of them changes.
    automation_condition=dg.AutomationCondition.eager(),
)
def kpi_quarterly(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Quarterly KPIs: one row per quarter, area (commune, district, province) and KPI, with
    the value, the same quarter last year, the change on it (yoy_delta, yoy_pct) and that
    year's target. Capital, projects by category and status, VietGAP and GlobalGAP areas,
    cooperatives and farms, OCOP products, criteria met and NTM titles: the figures of the
    district's quarterly report."""
    return materialize_sql(
        duckdb, "mart.kpi_quarterly", SQL / "kpi_quarterly.sql",
        periods=partition_periods(context), descriptions=KPI_COLUMNS,
    )
