"""A partitioned SQL step writes a run's quarters in batches (warehouse.statement_batches), so
its memory is one batch's however many quarters a backfill holds. Written in other batches,
every table must hold the same rows: the sample built with batches of two or three quarters
(one of them across the 2025 reform) equals the sample built in one statement per step."""

from __future__ import annotations

import duckdb
import pytest

from conftest import SAMPLE_PERIODS, SAMPLE_RAW, assert_same_tables, build_warehouse
from ntm_pipeline.quarters import quarter_batches
from ntm_pipeline.warehouse import statement_batches


def test_quarters_are_grouped_in_order_within_the_cap():
    counts = {"2025-Q1": 10_035, "2025-Q2": 10_035, "2025-Q3": 3_321, "2025-Q4": 3_321, "2026-Q1": 3_321,
              "2026-Q2": 3_321}
    assert quarter_batches(list(counts), counts, 12_000) == [
        ["2025-Q1"], ["2025-Q2"], ["2025-Q3", "2025-Q4", "2026-Q1"], ["2026-Q2"]]
    # a quarter over the cap is a batch of its own; a quarter with no rows costs nothing
    assert quarter_batches(["a", "b", "c"], {"a": 5, "b": 50, "c": 5}, 10) == [["a"], ["b"], ["c"]]
    assert quarter_batches(["a", "b", "c"], {"a": 5}, 10) == [["a", "b", "c"]]
    # quarters of another kind (a suite's parameters) never share a batch
    assert quarter_batches(["a", "b", "c"], {}, 10, {"a": 1, "b": 1, "c": 2}.get) == [["a", "b"], ["c"]]


def test_the_batches_count_the_quarters_submissions(sample_db, monkeypatch):
    monkeypatch.setenv("NTM_SUBMISSIONS_PER_STATEMENT", "40")
    batches = statement_batches(sample_db, SAMPLE_PERIODS)
    assert [p for batch in batches for p in batch] == SAMPLE_PERIODS
    counts = dict(sample_db.execute("SELECT period, count(*) FROM raw.submission GROUP BY period").fetchall())
    assert all(sum(counts[p] for p in batch) <= 40 or len(batch) == 1 for batch in batches)
    assert ["2025-Q1", "2025-Q2", "2025-Q3"] in batches  # 17 + 17 + 5 communes, across the reform
    monkeypatch.delenv("NTM_SUBMISSIONS_PER_STATEMENT")
    assert statement_batches(sample_db, SAMPLE_PERIODS) == [SAMPLE_PERIODS]  # the sample in one statement
    assert statement_batches(duckdb.connect(), ["2024-Q1", "2024-Q2"]) == [["2024-Q1", "2024-Q2"]]  # no raw yet


@pytest.mark.slow
def test_a_build_in_batches_equals_one_in_one_statement(sample_warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("NTM_SUBMISSIONS_PER_STATEMENT", "40")
    batched = tmp_path / "batched.duckdb"
    assert build_warehouse(SAMPLE_RAW, batched, SAMPLE_PERIODS, reports=False).success
    assert assert_same_tables(batched, sample_warehouse) > 10_000
