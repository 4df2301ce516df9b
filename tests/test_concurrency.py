"""Two runs started at once on the same warehouse both finish, one after the other: the
warehouse resource of every run takes the run lock (the rule `ntm run` and the daemon's runs
share), so the second builds from what the first published and neither loses the other's work."""

import os
import shutil
import subprocess
import sys

import dagster as dg
import duckdb
import pytest
from dagster import DagsterEventType

from conftest import copy_sample
from ntm_pipeline.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow  # two pipeline runs at once, in processes of their own

RUN = """
import sys
import dagster as dg
from ntm_pipeline.resources import warehouse_resources
from ntm_pipeline.run import materialize_periods
result = materialize_periods(
    [sys.argv[1]], dg.DagsterInstance.get(),
    resources=warehouse_resources(sys.argv[2], sys.argv[3]),
)
print("RESULT", result.success)
"""


def test_two_runs_at_once_both_finish_one_after_the_other(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    raw = copy_sample(tmp_path / "raw", ["2024-Q1", "2024-Q2"])
    database = tmp_path / "ntm.duckdb"
    env = {**os.environ, "DAGSTER_HOME": str(home), "GX_ANALYTICS_ENABLED": "false"}
    # The instance exists before the runs, as in any deployment: two processes creating its
    # SQLite tables at the same moment race each other, which is not what is tested here.
    subprocess.run([sys.executable, "-c", "import dagster as dg; dg.DagsterInstance.get()"], env=env, check=True)
    runs = [
        subprocess.Popen([sys.executable, "-c", RUN, period, str(database), str(raw)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        for period in ("2024-Q1", "2024-Q2")
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for output in outputs:
        assert "RESULT True" in output, output[-3000:]
        # DuckDB's own words when a second writer is refused ("blocked" on the pool is fine).
        assert "could not set lock" not in output.lower(), output[-3000:]
        assert "conflicting lock" not in output.lower(), output[-3000:]
    with duckdb.connect(str(database), read_only=True) as conn:
        assert conn.execute(
            "SELECT period, count(*) FROM core.fact_commune_status GROUP BY 1 ORDER BY 1"
        ).fetchall() == [("2024-Q1", 17), ("2024-Q2", 17)]
        assert conn.execute("SELECT count(DISTINCT period) FROM mart.kpi_quarterly").fetchone()[0] == 2
    # One after the other: from the instance's event log, every step of one run ended before
    # the other's first step started, and each run published.
    instance = dg.DagsterInstance.from_config(str(home))
    spans = {}
    for run in instance.get_runs():
        assert run.tags.get("ntm/published", "no") != "no", run.tags
        steps = instance.all_logs(run.run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS})
        spans[run.tags["dagster/asset_partition_range_start"]] = sorted(e.timestamp for e in steps)
    assert sorted(spans) == ["2024-Q1", "2024-Q2"]
    first, second = sorted(spans.values())
    assert len(first) > 40 and len(second) > 40  # every step started and succeeded
    assert first[-1] < second[0]
    # The run that waited said so in its log.
    waited = [e.user_message for run in instance.get_runs() for e in instance.all_logs(run.run_id)
              if "waiting for the run in progress" in (e.user_message or "")]
    assert len(waited) == 1, waited
