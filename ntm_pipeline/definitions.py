"""The Dagster code location: every asset, check and resource of ntm_pipeline.

Steps run in the run's own process: here a step in a process of its own costs 2-3 s of
start-up, more than most of our steps take, and DuckDB takes one writer per file anyway.
"""

import dagster as dg

from ntm_pipeline.defs.automation.alerts import run_failure_alert
from ntm_pipeline.defs.automation.jobs import quarter_job, reference_job
from ntm_pipeline.defs.automation.schedules import close_quarter
from ntm_pipeline.defs.automation.sensors import new_submission_files, refresh_marts
from ntm_pipeline.defs.core import assets as core_assets
from ntm_pipeline.defs.mart import assets as mart_assets
from ntm_pipeline.defs.quarantine import assets as quarantine_assets
from ntm_pipeline.defs.raw import assets as raw_assets
from ntm_pipeline.defs.reference import assets as reference_assets
from ntm_pipeline.defs.staging import assets as staging_assets
from ntm_pipeline.resources import default_resources
from ntm_pipeline.warehouse import table_name

ASSET_MODULES = [raw_assets, reference_assets, staging_assets, quarantine_assets, core_assets, mart_assets]
# Assets that write files, not a table of the warehouse.
NOT_TABLES = {dg.AssetKey(["mart", "quarterly_report"])}


def with_table_name(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The table an asset writes, as definition metadata: the asset's page shows it, and the
    catalogue finds it (`table_name:raw.submission`). Dagster's graph labels a node by the last
    part of its key only (`submission`), so the table's schema is its group around it."""
    if spec.key in NOT_TABLES:
        return spec
    return spec.merge_attributes(metadata={"dagster/table_name": table_name(spec.key)})


defs = dg.Definitions(
    assets=dg.map_asset_specs(
        with_table_name, dg.with_source_code_references(dg.load_assets_from_modules(ASSET_MODULES))
    ),
    jobs=[quarter_job, reference_job],
    sensors=[new_submission_files, refresh_marts, run_failure_alert],
    schedules=[close_quarter],
    resources=default_resources(),
    executor=dg.in_process_executor,
)
