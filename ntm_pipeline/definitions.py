"""The Dagster code location: every asset, check and resource of ntm_pipeline.

Steps run in the run's own process: here a step in a process of its own costs 2-3 s of
start-up, more than most of our steps take, and DuckDB takes one writer per file anyway.
"""

import dagster as dg

from ntm_pipeline.defs.automation.alerts import run_failure_alert
from ntm_pipeline.defs.automation.jobs import quarter_job, reference_job
from ntm_pipeline.defs.automation.schedules import close_quarter
from ntm_pipeline.defs.automation.sensors import new_submission_files
from ntm_pipeline.defs.core import assets as core_assets
from ntm_pipeline.defs.mart import assets as mart_assets
from ntm_pipeline.defs.quarantine import assets as quarantine_assets
from ntm_pipeline.defs.raw import assets as raw_assets
from ntm_pipeline.defs.reference import assets as reference_assets
from ntm_pipeline.defs.staging import assets as staging_assets
from ntm_pipeline.resources import default_resources

ASSET_MODULES = [raw_assets, reference_assets, staging_assets, quarantine_assets, core_assets, mart_assets]

defs = dg.Definitions(
    assets=dg.with_source_code_references(dg.load_assets_from_modules(ASSET_MODULES)),
    jobs=[quarter_job, reference_job],
    sensors=[new_submission_files, run_failure_alert],
    schedules=[close_quarter],
    resources=default_resources(),
    executor=dg.in_process_executor,
)
