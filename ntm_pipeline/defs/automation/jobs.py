"""The jobs the sensors and the schedule launch: the data of a quarter, the reference tables,
and the reports, written after the data they are written from is published."""

import dagster as dg

from ntm_pipeline.contract import ALL_TABLES
from ntm_pipeline.defs import keys
from ntm_pipeline.partitions import quarterly_partitions

# Reference dimensions and the annual tables (targets) in every layer: the assets not bound
# to a quarter, as the contract's roles say, with the files taken out whole (a broken targets
# file is one) and whatever else the step that writes raw.target writes (its file log).
REFERENCE_AND_TARGETS = (
    dg.AssetSelection.groups("reference")
    | dg.AssetSelection.assets(
        keys.QUARANTINED_FILES,
        *(k for t in ALL_TABLES if not t.partitioned
          for k in (keys.raw(t), keys.staging(t), keys.quarantine(t), keys.fact(t))),
    )
).required_multi_asset_neighbors()

REPORTS = dg.AssetSelection.assets(keys.QUARTERLY_REPORT)

# No retry policy: a run writes its own build of the warehouse (ntm_pipeline/publish.py), which
# no other process holds, so a failed step is no lock to wait out but an error to read.
# Every table, so that a quarter dropped into a fresh warehouse finds its reference tables;
# not the reports: the data is published before they are written (report_job).
quarter_job = dg.define_asset_job(
    "quarter_job",
    selection=dg.AssetSelection.all() - REPORTS,
    partitions_def=quarterly_partitions,
    description="One quarter, or a range of quarters in one run, from files to KPIs, with the "
    "reference tables and targets they need. Its reports follow in report_job once it is published.",
)

report_job = dg.define_asset_job(
    "report_job",
    selection=REPORTS,
    partitions_def=quarterly_partitions,
    description="The reports of one quarter, written from the published warehouse: launched by the "
    "reports_after_publish sensor (and by `ntm run`) for the newest quarter of a published data run.",
)

reference_job = dg.define_asset_job(
    "reference_job",
    selection=REFERENCE_AND_TARGETS,
    description="Reference dimensions and annual targets, when raw/targets/ changes; the KPIs follow "
    "through the refresh_marts sensor when their content changed.",
)
