"""The code location loads and its lineage reads as the data's journey."""

import json
import os
import subprocess
import sys

import dagster as dg
import pytest

from ntm_pipeline.definitions import defs
from ntm_pipeline.quality.suites import load_suite, read_rules, suite_path
from ntm_pipeline.settings import PROJECT_ROOT

LAYERS = ("raw", "staging", "quarantine", "core", "mart")


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def test_asset_keys_name_their_table_and_layer(graph):
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        schema = key.path[0]
        assert len(key.path) == 2 and schema in LAYERS, key
        assert node.group_name == schema, key
        assert node.description, key
        assert node.owners, key
        assert "duckdb" in node.kinds, key


def test_lineage_from_raw_files_to_the_kpi_table(graph):
    ancestors = set()
    frontier = [dg.AssetKey(["mart", "kpi_quarterly"])]
    while frontier:
        key = frontier.pop()
        for parent in graph.get(key).parent_keys:
            if parent not in ancestors:
                ancestors.add(parent)
                frontier.append(parent)
    for table in ("submission", "investment", "criteria", "ocop_product", "certified_area", "target"):
        for layer in ("raw", "staging", "quarantine"):
            assert dg.AssetKey([layer, table]) in ancestors


def test_quarter_partitions_and_single_run_backfills(graph):
    node = graph.get(dg.AssetKey(["core", "fact_investment"]))
    assert node.partitions_def.get_partition_keys()[12:16] == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert node.backfill_policy == dg.BackfillPolicy.single_run()


def test_critical_checks_block(graph):
    checks = {c for c in graph.asset_check_keys}
    blocking = [dg.AssetCheckKey(dg.AssetKey(["quarantine", t]), "published_rows_pass_critical_rules")
                for t in ("submission", "investment", "criteria", "ocop_product", "certified_area", "target")]
    blocking += [dg.AssetCheckKey(dg.AssetKey(["core", f]), "fact_rules") for f in (
        "fact_commune_status", "fact_investment", "fact_criteria_snapshot", "fact_ocop_rating", "fact_certified_area",
        "fact_target")]
    blocking.append(dg.AssetCheckKey(dg.AssetKey(["core", "row_reconciliation"]), "every_row_accounted_for"))
    for key in blocking:
        assert key in checks
        assert graph.get_check_spec(key).blocking


def test_gx_loading_refuses_an_unknown_expectation(tmp_path, monkeypatch):
    from ntm_pipeline.quality.suites import SuiteError

    suite = json.loads((PROJECT_ROOT / "expectations" / "target.json").read_text(encoding="utf-8"))
    suite["expectations"].append({"type": "expect_column_values_to_be_purple", "kwargs": {"column": "year"},
                                  "meta": {"severity": "critical", "message_vi": "x", "message_en": "x"}})
    (tmp_path / "target.json").write_text(json.dumps(suite), encoding="utf-8")
    monkeypatch.setenv("NTM_EXPECTATIONS_DIR", str(tmp_path))
    load_suite.cache_clear()
    try:
        with pytest.raises(SuiteError, match="GX loaded 8 of 9 expectations"):
            load_suite("target")
    finally:
        load_suite.cache_clear()


SUITE_NAMES = sorted(p.stem for p in (PROJECT_ROOT / "expectations").glob("*.json"))


def test_every_suite_is_documented_and_used():
    from ntm_pipeline.docs import SUITES

    assert SUITE_NAMES == sorted(SUITES)
    assert len(SUITE_NAMES) == 12


@pytest.mark.parametrize("name", SUITE_NAMES)
def test_every_suite_loads_whole(name):
    data = json.loads(suite_path(name).read_text(encoding="utf-8"))
    assert len(load_suite(name).expectations) == len(data["expectations"]) == len(read_rules(name))


def test_dagster_loads_the_workspace():
    """What `make dev` loads: the workspace file, through Dagster's own loader."""
    env = {**os.environ, "DAGSTER_HOME": os.environ.get("DAGSTER_HOME", str(PROJECT_ROOT / "dagster_home"))}
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
