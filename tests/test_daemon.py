"""With the daemon running, a quarter's files dropped into raw/ become that quarter's facts
and KPIs without a click: sensor, run queue and run launcher of the shipped instance; and
the marts' automation sensor, on as shipped, starts no second run after it."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.instance.ref import InstanceRef

from conftest import copy_sample
from ntm_pipeline.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow  # starts dagster-daemon and waits for its runs


def test_dropped_files_are_materialised_by_the_daemon(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    raw, database = tmp_path / "raw", tmp_path / "ntm.duckdb"
    env = {**os.environ, "DAGSTER_HOME": str(home), "NTM_RAW_DIR": str(raw), "NTM_WAREHOUSE": str(database),
           "NTM_ALERT_FILE": str(tmp_path / "alerts.jsonl"), "GX_ANALYTICS_ENABLED": "false",
           "NTM_REPORTS_DIR": str(tmp_path / "reports")}
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        copy_sample(raw, ["2024-Q1"])  # the district office drops its communes' files
        deadline = time.monotonic() + 420
        with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
            runs = []
            while time.monotonic() < deadline:
                runs = instance.get_runs()
                if any(r.status == dg.DagsterRunStatus.SUCCESS and r.tags.get("dagster/partition") == "2024-Q1"
                       and r.job_name == "report_job" for r in runs):
                    break
                assert not any(r.status == dg.DagsterRunStatus.FAILURE for r in runs), [r.run_id for r in runs]
                time.sleep(3)
            else:
                raise AssertionError(f"no successful run of 2024-Q1 within 7 minutes: {[(r.job_name, r.status) for r in runs]}")
            # The quarter's data, then, once it was published, its reports.
            run = next(r for r in runs if r.tags.get("dagster/partition") == "2024-Q1" and r.job_name == "quarter_job")
            assert run.tags.get("dagster/sensor_name") == "new_submission_files"
            reports = next(r for r in runs if r.job_name == "report_job")
            assert reports.tags.get("dagster/sensor_name") == "reports_after_publish"
            assert reports.tags.get("dagster/partition") == "2024-Q1"
            finished = instance.get_run_record_by_id(run.run_id).end_time
            # The marts' automation sensor is on as shipped and ticks; the quarter's run
            # rebuilt its marts already, so it starts nothing, and no second run is made.
            ticks = []
            while time.monotonic() < deadline + 120:
                state = next((s for s in instance.all_instigator_state() if s.name == "refresh_marts"), None)
                ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id) if state else []
                if any(t.timestamp > finished for t in ticks):
                    break
                time.sleep(3)
            else:
                raise AssertionError(f"refresh_marts did not tick after the run: {ticks}")
            assert state.is_running
            assert all(not t.run_ids for t in ticks), [t.run_ids for t in ticks]
            assert [r.run_id for r in instance.get_runs()] == [reports.run_id, run.run_id]
            assert instance.get_backfills() == []
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
    assert sorted(p.name for p in (tmp_path / "reports" / "2024-Q1").glob("*.md")) == [
        "2024-Q1-district-153.md", "2024-Q1-province-17.md"]
    with duckdb.connect(str(database), read_only=True) as conn:
        assert conn.execute(
            "SELECT value FROM mart.kpi_quarterly WHERE period = '2024-Q1' AND area_level = 'district' "
            "AND kpi_code = 'ocop_products'"
        ).fetchone() == (12.0,)
