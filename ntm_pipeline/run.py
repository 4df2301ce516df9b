"""`ntm run`: materialise every asset for every quarter found in raw/, then summarise.

Everything runs as one Dagster run in this process: the quarters as one partition range
(each partitioned asset has a single-run backfill policy), so a step costs no process
start-up. The run is recorded in the repo's Dagster instance (DAGSTER_HOME), so `make dev`
shows it.
"""

from __future__ import annotations

import os
import time

import dagster as dg

from ntm_pipeline import settings


def materialize_periods(
    periods: list[str],
    instance: dg.DagsterInstance,
    resources: dict | None = None,
    log_level: str = "WARNING",
    selection: dg.AssetSelection | None = None,
) -> dg.ExecuteInProcessResult:
    """One run over the quarters `periods` (a contiguous range) and the unpartitioned assets."""
    from ntm_pipeline.definitions import defs

    assets = list(defs.assets)
    return dg.materialize(
        assets,
        instance=instance,
        resources=resources or defs.resources,
        tags={
            "dagster/asset_partition_range_start": periods[0],
            "dagster/asset_partition_range_end": periods[-1],
        },
        selection=selection,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        raise_on_error=False,
    )


def _home_instance() -> dg.DagsterInstance:
    os.environ.setdefault("DAGSTER_HOME", str(settings.PROJECT_ROOT / "dagster_home"))
    return dg.DagsterInstance.get()


def run_all(periods: list[str] | None = None) -> int:
    from ntm_pipeline.partitions import QUARTERS
    from ntm_pipeline.submissions.reader import discover_periods

    found = discover_periods(settings.raw_dir())
    periods = sorted(periods or found)
    if not periods:
        print(f"no submissions found under {settings.raw_dir() / 'submissions'}")
        return 1
    # A single run covers a contiguous range of quarters.
    periods = QUARTERS[QUARTERS.index(periods[0]) : QUARTERS.index(periods[-1]) + 1]
    started = time.perf_counter()
    result = materialize_periods(periods, _home_instance())
    elapsed = time.perf_counter() - started
    from ntm_pipeline.summary import print_summary

    print_summary(result, periods, elapsed)
    return 0 if result.success else 1
