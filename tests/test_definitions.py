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
        # The reference lists live in core beside the facts, in a group of their own.
        expected_group = "reference" if key.path[1].startswith("dim_") else schema
        assert node.group_name == expected_group, key
        assert node.description, key
        assert node.owners, key
        assert "duckdb" in node.kinds, key
        # The asset's page names the table it writes (the report writes files, not a table).
        if key != dg.AssetKey(["mart", "quarterly_report"]):
            assert node.metadata["dagster/table_name"] == f"{schema}.{key.path[1]}", key


def test_groups_read_left_to_right(graph):
    """The group graph: reference and raw feed staging and quarantine, then core, then mart,
    and no edge runs back (the dimensions' old place in core made core → staging). Staging
    and quarantine feed each other: a detail row is staged for a header that passed."""
    order = {"reference": 0, "raw": 0, "staging": 1, "quarantine": 1, "core": 2, "mart": 3}
    for key in graph.get_all_asset_keys():
        for parent in graph.get(key).parent_keys:
            assert order[graph.get(parent).group_name] <= order[graph.get(key).group_name], (parent, key)
    assert {graph.get(k).group_name for k in graph.get_all_asset_keys()} == set(order)


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
    """Partitions run from the programme's first quarter to the current one, none to come."""
    from datetime import date

    today = date.today()
    node = graph.get(dg.AssetKey(["core", "fact_investment"]))
    keys = node.partitions_def.get_partition_keys()
    assert keys[0] == "2021-Q1" and keys[-1] == f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    assert len(keys) == (today.year - 2021) * 4 + (today.month - 1) // 3 + 1
    assert keys[12:16] == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert node.backfill_policy == dg.BackfillPolicy.single_run()


def test_current_quarter_stays_within_the_programme():
    from datetime import date

    from ntm_pipeline.partitions import QUARTERS, current_quarter, quarters_through

    assert current_quarter(date(2024, 4, 1)) == "2024-Q2" and current_quarter(date(2024, 12, 31)) == "2024-Q4"
    assert current_quarter(date(2019, 5, 1)) == "2021-Q1" and current_quarter(date(2031, 1, 1)) == "2030-Q4"
    assert quarters_through("2021-Q2") == ["2021-Q1", "2021-Q2"]
    assert len(QUARTERS) == 40  # folder names and options still take every programme quarter


def test_sensors_and_schedules_are_described_and_on():
    repository = defs.get_repository_def()
    instigators = [*repository.sensor_defs, *repository.schedule_defs]
    assert sorted(i.name for i in instigators) == [
        "close_quarter", "new_submission_files", "refresh_marts", "repair_after_crash", "reports_after_publish",
        "run_failure_alert"]
    for instigator in instigators:
        assert instigator.description and len(instigator.description) > 60, instigator.name
        assert instigator.default_status.value == "RUNNING", instigator.name


def test_the_marts_automation_sensor_covers_every_mart_table(graph):
    """Every mart table follows its inputs; the reports follow a published run instead
    (reports_after_publish), in report_job, which is all they are in: quarter_job writes data only."""
    from ntm_pipeline.defs.automation.jobs import quarter_job, report_job
    from ntm_pipeline.defs.automation.sensors import refresh_marts

    reports = dg.AssetKey(["mart", "quarterly_report"])
    marts = {k for k in graph.get_all_asset_keys() if k.path[0] == "mart"} - {reports}
    conditioned = {k for k in graph.get_all_asset_keys() if graph.get(k).automation_condition is not None}
    assert conditioned == marts
    assert refresh_marts.asset_selection.resolve(graph) == marts
    assert report_job.selection.resolve(graph) == {reports}
    assert quarter_job.selection.resolve(graph) == graph.get_all_asset_keys() - {reports}


def test_critical_checks_block(graph):
    checks = {c for c in graph.asset_check_keys}
    blocking = [dg.AssetCheckKey(dg.AssetKey(["quarantine", t]), "published_rows_pass_critical_rules")
                for t in ("submission", "investment", "criteria", "ocop_product", "certified_area", "target")]
    blocking += [dg.AssetCheckKey(dg.AssetKey(["core", f]), "fact_rules") for f in (
        "fact_commune_status", "fact_investment", "fact_criteria_snapshot", "fact_criteria_indicator",
        "fact_ocop_rating", "fact_certified_area", "fact_target")]
    blocking.append(dg.AssetCheckKey(dg.AssetKey(["core", "row_reconciliation"]), "every_row_accounted_for"))
    blocking += [dg.AssetCheckKey(dg.AssetKey(["mart", "kpi_quarterly"]), c)
                 for c in ("areas_add_up_from_communes", "every_kpi_for_every_reporting_area")]
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
    assert len(SUITE_NAMES) == 13


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
