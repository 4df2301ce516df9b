"""The Dagster code location: every asset, check and resource of ntm_pipeline.

Steps run in the run's own process: here a step in a process of its own costs 2-3 s of
start-up, more than most of our steps take, and DuckDB takes one writer per file anyway.
"""

import dagster as dg

from ntm_pipeline.defs.core import assets as core_assets
from ntm_pipeline.defs.mart import assets as mart_assets
from ntm_pipeline.defs.quarantine import assets as quarantine_assets
from ntm_pipeline.defs.raw import assets as raw_assets
from ntm_pipeline.defs.reference import assets as reference_assets
from ntm_pipeline.defs.staging import assets as staging_assets
from ntm_pipeline.resources import default_resources

ASSET_MODULES = [raw_assets, reference_assets, staging_assets, quarantine_assets, core_assets, mart_assets]

defs = dg.Definitions(
    assets=dg.load_assets_from_modules(ASSET_MODULES),
    resources=default_resources(),
    executor=dg.in_process_executor,
)
