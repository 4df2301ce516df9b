"""The two jobs the sensor and the schedule launch."""

import dagster as dg

from ntm_pipeline.contract import TARGET
from ntm_pipeline.defs.quarantine.assets import quarantine_key
from ntm_pipeline.defs.raw.assets import raw_key
from ntm_pipeline.defs.reference import assets as reference_assets
from ntm_pipeline.defs.staging.assets import staging_key
from ntm_pipeline.partitions import quarterly_partitions

# Reference dimensions and annual targets: the assets not bound to a quarter (with whatever
# else the step that writes raw.target writes, such as its file log).
REFERENCE_AND_TARGETS = dg.AssetSelection.assets(
    *dg.load_assets_from_modules([reference_assets]),
    raw_key(TARGET), staging_key(TARGET), quarantine_key(TARGET), dg.AssetKey(["core", "fact_target"]),
).required_multi_asset_neighbors()

# A transient failure (DuckDB still busy with another process after the connection's own
# backoff) is retried with a growing delay. Bad files never fail a step, so retries stay rare.
LOCK_RETRY = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL)

# Everything, so that a quarter dropped into a fresh warehouse finds its reference tables.
quarter_job = dg.define_asset_job(
    "quarter_job",
    selection=dg.AssetSelection.all(),
    partitions_def=quarterly_partitions,
    op_retry_policy=LOCK_RETRY,
    description="One quarter, or a range of quarters in one run, from files to KPIs, with the "
    "reference tables and targets they need.",
)

reference_job = dg.define_asset_job(
    "reference_job",
    selection=REFERENCE_AND_TARGETS,
    op_retry_policy=LOCK_RETRY,
    description="Reference dimensions and annual targets, when raw/targets/ changes; the KPIs follow "
    "through the refresh_marts sensor when their content changed.",
)
