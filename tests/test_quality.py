"""Validation on the sample and on the warehouse: checks, reconciliation, suites."""

import shutil
import subprocess
import sys

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from conftest import SAMPLE_RAW
from ntm_pipeline.defs.core.assets import RECONCILIATION_KEY
from ntm_pipeline.resources import SubmissionStore
from ntm_pipeline.run import materialize_periods


def test_sample_runs_clean_with_its_warnings_explained(sample_build):
    database, result = sample_build
    evaluations = result.get_asset_check_evaluations()
    assert all(e.passed for e in evaluations if e.severity == dg.AssetCheckSeverity.ERROR)
    with duckdb.connect(str(database), read_only=True) as conn:
        critical = conn.execute(
            "SELECT count(*) FROM (SELECT severity FROM quarantine.submission UNION ALL SELECT severity FROM quarantine.investment "
            "UNION ALL SELECT severity FROM quarantine.criteria UNION ALL SELECT severity FROM quarantine.ocop_product "
            "UNION ALL SELECT severity FROM quarantine.certified_area) WHERE severity = 'critical'"
        ).fetchone()[0]
        assert critical == 0
        assert conn.execute("SELECT count(*) FROM quarantine.source_file").fetchone()[0] == 0
        warnings = conn.execute(
            "SELECT period, source_file, rule FROM quarantine.ocop_product UNION ALL "
            "SELECT period, source_file, rule FROM quarantine.certified_area ORDER BY 1"
        ).fetchall()
    # The deliberate ones: Kim Bôi mineral water expired before its 2023 re-rating, Cơm lam
    # Mường Động expired in 2024-Q4 and not yet re-rated, and a VietGAP plot that lapsed.
    assert warnings == [
        ("2023-Q2", "submissions/2023-Q2/05065-kim-boi.xlsx", "current_rating_valid"),
        ("2023-Q3", "submissions/2023-Q3/05077-cuoi-ha.xlsx", "valid_at_period_end"),
        ("2024-Q4", "submissions/2024-Q4/05014-dong-bac.xlsx", "current_rating_valid"),
    ]


def test_reconciliation_passes_on_the_sample_and_fails_on_a_forged_loss(sample_warehouse, tmp_path):
    with duckdb.connect(str(sample_warehouse), read_only=True) as conn:
        assert conn.execute(
            "SELECT sum(rows_unaccounted) + sum(rows_counted_twice), sum(rows_read) = sum(rows_published) "
            "FROM core.row_reconciliation"
        ).fetchone() == (0, True)
    forged = tmp_path / "forged.duckdb"
    shutil.copy(sample_warehouse, forged)
    with duckdb.connect(str(forged)) as conn:
        deleted = conn.execute(
            "DELETE FROM core.fact_investment WHERE period = '2024-Q1' AND source_file LIKE '%05068%' AND row_number = "
            "(SELECT min(row_number) FROM core.fact_investment WHERE period = '2024-Q1' AND source_file LIKE '%05068%')"
        ).fetchall()[0][0]
        assert deleted == 1
    result = materialize_periods(
        ["2024-Q1"], dg.DagsterInstance.ephemeral(),
        resources={"duckdb": DuckDBResource(database=str(forged)), "submissions": SubmissionStore(raw_dir=str(SAMPLE_RAW))},
        selection=dg.AssetSelection.assets(RECONCILIATION_KEY),
    )
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert check.metadata["rows_unaccounted"].value == 1
    assert "05068-nam-thuong.xlsx | investment" in check.metadata["problems"].value


def test_definitions_load_without_great_expectations():
    """GX is imported only when a validation runs, so the UI loads the code location fast."""
    code = "import sys, ntm_pipeline.definitions; print('great_expectations' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr


def test_a_failed_critical_check_stops_the_facts(tmp_path, monkeypatch):
    """A critical rule that fails for the whole table (here: a column that does not exist)
    fails the blocking check, and the facts downstream are not rebuilt from that data."""
    import json

    from conftest import build_warehouse, copy_sample
    from ntm_pipeline.quality.suites import load_suite
    from ntm_pipeline.settings import PROJECT_ROOT

    suites = tmp_path / "expectations"
    shutil.copytree(PROJECT_ROOT / "expectations", suites)
    suite = json.loads((suites / "investment.json").read_text(encoding="utf-8"))
    suite["expectations"].append({
        "type": "expect_column_values_to_not_be_null", "kwargs": {"column": "no_such_column"},
        "meta": {"severity": "critical", "message_vi": "x", "message_en": "x"},
    })
    (suites / "investment.json").write_text(json.dumps(suite), encoding="utf-8")
    monkeypatch.setenv("NTM_EXPECTATIONS_DIR", str(suites))
    load_suite.cache_clear()
    try:
        raw = copy_sample(tmp_path / "raw", ["2024-Q1"], communes=["05068"])
        result = build_warehouse(raw, tmp_path / "ntm.duckdb", ["2024-Q1"])
    finally:
        load_suite.cache_clear()
    check = next(e for e in result.get_asset_check_evaluations()
                 if e.asset_key == dg.AssetKey(["quarantine", "investment"]) and e.check_name == "published_rows_pass_critical_rules")
    assert not check.passed
    assert "whole table" in check.metadata["failed_rules"].value
    materialized = {e.event_specific_data.materialization.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey(["core", "fact_criteria_snapshot"]) in materialized
    assert dg.AssetKey(["core", "fact_investment"]) not in materialized
    assert dg.AssetKey(["mart", "kpi_quarterly"]) not in materialized
