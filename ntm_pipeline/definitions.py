"""The Dagster code location: the defs folder, loaded as Dagster's own projects load theirs.

`dg.load_from_defs_folder` finds every asset, check, job, sensor and schedule under
ntm_pipeline/defs/ (one folder per layer; each folder's defs.yaml gives its assets their group
and owners). This module adds what belongs to the location as a whole: the resources, the
executor, and links from each asset to its code and its table.

Steps run in the run's own process: here a step in a process of its own costs 2-3 s of
start-up, more than most of our steps take, and DuckDB takes one writer per file anyway.
"""

from pathlib import Path

import dagster as dg

from ntm_pipeline.defs import keys
from ntm_pipeline.resources import default_resources
from ntm_pipeline.warehouse import table_name

# Assets that write files, not a table of the warehouse.
NOT_TABLES = {keys.QUARTERLY_REPORT}


def with_table_name(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The table an asset writes, as definition metadata: the asset's page shows it, and the
    catalogue finds it (`table_name:raw.submission`). Dagster's graph labels a node by the last
    part of its key only (`submission`), so the table's schema is its group around it."""
    if spec.key in NOT_TABLES:
        return spec
    return spec.merge_attributes(metadata={"dagster/table_name": table_name(spec.key)})


def _location() -> dg.Definitions:
    folder = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    return dg.Definitions(
        assets=dg.map_asset_specs(with_table_name, dg.with_source_code_references(list(folder.assets or []))),
        asset_checks=list(folder.asset_checks or []),
        jobs=list(folder.jobs or []),
        sensors=list(folder.sensors or []),
        schedules=list(folder.schedules or []),
        resources=default_resources(),
        executor=dg.in_process_executor,
    )


defs = _location()
