"""Two runs started at once on the same warehouse both finish: the duckdb pool of the
shipped instance lets one step write at a time, and connections wait for the lock."""

import os
import shutil
import subprocess
import sys

import duckdb

from conftest import copy_sample
from ntm_pipeline.settings import PROJECT_ROOT

RUN = """
import sys
import dagster as dg
from dagster_duckdb import DuckDBResource
from ntm_pipeline.resources import SubmissionStore
from ntm_pipeline.run import materialize_periods
result = materialize_periods(
    [sys.argv[1]], dg.DagsterInstance.get(),
    resources={"duckdb": DuckDBResource(database=sys.argv[2]), "submissions": SubmissionStore(raw_dir=sys.argv[3])},
)
print("RESULT", result.success)
"""


def test_two_runs_at_once_both_finish(tmp_path):
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
