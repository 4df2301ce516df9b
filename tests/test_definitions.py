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
    for table in ("submission", "investment", "criteria", "ocop_product", "certified_area", "target"):
        key = dg.AssetCheckKey(dg.AssetKey(["quarantine", table]), "published_rows_pass_critical_rules")
        assert key in checks
        assert graph.get_check_spec(key).blocking


@pytest.mark.parametrize("name", ["submission", "investment", "criteria", "ocop_product", "certified_area", "target"])
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
