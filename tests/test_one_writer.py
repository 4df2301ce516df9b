"""One writer, enforced: while an `ntm run` writes the warehouse, a second `ntm run` writes
nothing and says so with exit status 75 within seconds, `ntm run --wait` waits for it and then
runs, and `ntm doctor` leaves the live run alone. Real processes on the sample's communes of one
quarter."""

from __future__ import annotations

import os
import signal
import subprocess

import dagster as dg
import pytest

from conftest import copy_sample
from ntm_pipeline.run import RUN_IN_PROGRESS
from test_crash_recovery import NTM, PERIOD, instance_of, ntm, ntm_env  # noqa: F401 (ntm: fixture)

pytestmark = pytest.mark.slow  # pipeline runs in processes of their own


def test_second_run_is_refused_or_waits_and_doctor_leaves_a_live_run_alone(tmp_path, ntm):
    raw = copy_sample(tmp_path / "raw", [PERIOD])
    env = ntm_env(tmp_path / "w", raw)
    first = ntm(env, "run")
    first.wait_for("] raw_submissions …")
    # Held still (alive, the lock its own) until the waiting run is seen waiting: a quarter's
    # run is quicker than the checks made during it.
    os.kill(first.process.pid, signal.SIGSTOP)
    try:
        waiting = _checks_while_a_run_is_live(env, first, ntm)
    finally:
        os.kill(first.process.pid, signal.SIGCONT)
    assert first.finish() == 0, first.output[-3000:]
    assert waiting.finish() == 0, waiting.output[-3000:]

    with instance_of(env) as instance:
        records = sorted(instance.get_run_records(), key=lambda r: r.start_time)
        # Each `ntm run` made its data run, then its report run: four, one after the other.
        assert [(r.dagster_run.job_name, r.dagster_run.status) for r in records] == [
            (job, dg.DagsterRunStatus.SUCCESS) for job in ("quarter_job", "report_job") * 2]
        runs = records[::2]  # the two data runs
        # One after the other: the waiting run started only once the first had ended (its reports too).
        assert runs[1].start_time >= records[1].end_time
        assert runs[0].dagster_run.tags["ntm/pid"] == str(first.process.pid)


def _checks_while_a_run_is_live(env: dict, first, ntm):
    """A second run refused, the doctor leaving the live run alone, and a run that waits."""
    second = subprocess.run([NTM, "run"], env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == RUN_IN_PROGRESS == 75, second.stdout + second.stderr
    assert f"another run is writing {env['NTM_WAREHOUSE']} (pid {first.process.pid} on " in second.stdout, second.stdout
    assert "as Dagster job" not in second.stdout  # it never started a run

    # The live run is STARTED and its process alive: nothing stale, nothing repaired.
    doctor = subprocess.run([NTM, "doctor", "--repair"], env=env, capture_output=True, text=True, timeout=60)
    assert doctor.returncode == RUN_IN_PROGRESS, doctor.stdout
    assert "a run is in progress" in doctor.stdout and "nothing repaired" in doctor.stdout, doctor.stdout
    report = subprocess.run([NTM, "doctor"], env=env, capture_output=True, text=True, timeout=60)
    assert (report.returncode, report.stdout.splitlines()[-1]) == (
        0, "nothing left by a crash (a run is in progress)"), report.stdout

    waiting = ntm(env, "run", "--wait")
    waiting.wait_for("waiting for the run in progress (pid")
    return waiting
