"""Dagster definitions by layer: raw, reference, staging, quarantine, core, mart."""

import warnings

import dagster as dg

# backfill_policy is marked beta; we rely on single-run backfills of quarter ranges.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
