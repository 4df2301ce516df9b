"""Quarterly partitions. Partition keys are the periods themselves: '2024-Q1'."""

from __future__ import annotations

import dagster as dg

from ntm_pipeline.quarters import (  # noqa: F401 (the quarters, re-exported for the definitions)
    FIRST_YEAR,
    LAST_YEAR,
    PERIOD_PATTERN,
    QUARTERS,
    current_quarter,
    parse_period,
    period_from_text,
    quarter_end,
    quarters_begun,
    quarters_through,
    shift_period,
)

# The partitions: 2021-Q1 to the current quarter, computed when the code location loads, so
# the UI never counts a quarter still to come as missing. A quarter folder dated later is
# not placed by the sensor until the quarter has begun (and the location is reloaded).
quarterly_partitions = dg.StaticPartitionsDefinition(quarters_begun())


def by_quarter(partitioned: bool = True) -> dict:
    """An asset's partitioning: by quarter, a range of quarters backfilled as one run (each
    step sees the whole range), or none for a table that is not kept by period."""
    if not partitioned:
        return {}
    return {"partitions_def": quarterly_partitions, "backfill_policy": dg.BackfillPolicy.single_run()}


def partition_periods(context: dg.AssetExecutionContext) -> list[str]:
    """The periods a run covers: one partition, or a range in a single-run backfill."""
    return list(context.partition_keys)
