"""A run killed with SIGKILL at any step (an OOM kill, a power cut) leaves the published
warehouse as it was and nothing that a person must repair: the next plain `ntm run` marks the
dead run failed, frees its `duckdb` pool slot, finishes, and the warehouse is the one a clean
run builds. An analyst's read-only connection held open all along never fails a query and
keeps the snapshot it opened. `ntm doctor` reports what a kill left and `ntm doctor --repair`
repairs it.

Real processes (`ntm run` in subprocesses, killed with os.kill) on a copy of three communes
of one quarter, each with its own warehouse, Dagster instance and reports folder."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from conftest import copy_sample
from ntm_pipeline.settings import PROJECT_ROOT
from ntm_pipeline.warehouse import SCHEMAS

pytestmark = pytest.mark.slow  # pipeline runs in processes of their own

NTM = str(Path(sys.executable).parent / "ntm")  # the venv the tests run in, as test_cli
PERIOD, COMMUNES = "2024-Q1", ["04978", "04984", "04987"]
# Columns that differ between two runs of the same files by design.
RUN_COLUMNS = {"run_id", "loaded_at"}
# Where the runs are killed: during raw, staging, a fact, a mart, and the report, which is
# written by a run of its own (report_job) after the data run has published.
REPORTS = "mart.quarterly_report"
MOMENTS = ["raw_submissions", "staging.investment", "core.fact_investment", "mart.kpi_quarterly", REPORTS]


class Ntm:
    """An `ntm` command in a process of its own, its output collected line by line."""

    def __init__(self, env: dict, *args: str):
        self.lines: list[str] = []
        self.process = subprocess.Popen([NTM, *args], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 150) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.process.poll() is None, f"ended before {text!r}:\n{self.output[-3000:]}"
            assert time.monotonic() < deadline, f"no {text!r} in {timeout} s:\n{self.output[-3000:]}"
            time.sleep(0.05)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()  # reaped: no zombie left to look alive
        self._reader.join(10)

    def finish(self, timeout: float = 300) -> int:
        code = self.process.wait(timeout)
        self._reader.join(10)
        return code


@pytest.fixture
def ntm():
    """Starts `ntm` processes, and kills any still running when the test ends (a failed
    assertion leaves no run behind, waiting on a pool)."""
    started: list[Ntm] = []

    def start(env: dict, *args: str) -> Ntm:
        started.append(Ntm(env, *args))
        return started[-1]

    yield start
    for process in started:
        if process.process.poll() is None:
            process.kill()


def ntm_env(root: Path, raw: Path) -> dict:
    """An environment of its own under `root`: warehouse, Dagster instance, reports."""
    home = root / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), "NTM_WAREHOUSE": str(root / "ntm.duckdb"),
            "NTM_RAW_DIR": str(raw), "NTM_REPORTS_DIR": str(root / "reports"), "GX_ANALYTICS_ENABLED": "false"}


def instance_of(env: dict) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(env["DAGSTER_HOME"])


def run_status(env: dict, run_prefix: str) -> dg.DagsterRunStatus:
    with instance_of(env) as instance:
        [run] = [r for r in instance.get_runs() if r.run_id.startswith(run_prefix)]
        return run.status


def claimed_slots(env: dict) -> list[tuple[str, str]]:
    with instance_of(env) as instance:
        info = instance.event_log_storage.get_concurrency_info("duckdb")
        return sorted((s.run_id[:8], s.step_key) for s in info.claimed_slots)


def run_id_of(ntm: Ntm) -> str:
    """The 8 first characters of the id of the newest run it started, from its `run xxxxxxxx
    started` line (`ntm run` starts the data run, then, once it is published, the report run)."""
    lines = [line for line in ntm.lines if line.strip().endswith("started") and " run " in line]
    return lines[-1].split(" run ")[1].split()[0]


def tables(database: Path) -> dict[str, list[tuple]]:
    """Every table of the warehouse's layers, its rows sorted, without the run's own columns."""
    with duckdb.connect(str(database), read_only=True) as conn:
        names = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1", [list(SCHEMAS)]).fetchall()
        contents = {}
        for (name,) in names:
            schema, table = name.split(".")
            columns = [c for (c,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                "ORDER BY ordinal_position", [schema, table]).fetchall() if c not in RUN_COLUMNS]
            # identifiers from the catalogue, never from data
            select = ", ".join(f'"{c}"' for c in columns)
            contents[name] = sorted(conn.execute(f"SELECT {select} FROM {schema}.{table}").fetchall(), key=repr)
        return contents


# An analyst's session: one read-only connection held open for the whole test, a query every
# 0.2 s, each answer printed (communes published, or the error), until the stop file appears.
READER = """
import sys, time
from pathlib import Path
import duckdb
conn = duckdb.connect(sys.argv[1], read_only=True)
while not Path(sys.argv[2]).exists():
    try:
        print("ok", conn.execute("SELECT count(*) FROM core.fact_commune_status").fetchone()[0], flush=True)
    except Exception as error:
        print("failed", type(error).__name__, error, flush=True)
    time.sleep(0.2)
"""


def communes_published(database: Path) -> int:
    """From a new connection in a process of its own (this one may hold an older snapshot)."""
    return int(subprocess.run([sys.executable, "-c", "import duckdb, sys; print(duckdb.connect(sys.argv[1], "
                               "read_only=True).execute('SELECT count(*) FROM core.fact_commune_status').fetchone()[0])",
                               str(database)], capture_output=True, text=True, check=True).stdout)


def test_kill_at_every_layer_then_plain_runs_recover_unattended(tmp_path, ntm):
    raw = copy_sample(tmp_path / "raw", [PERIOD], COMMUNES[:2])
    env = ntm_env(tmp_path / "crashed", raw)
    database = tmp_path / "crashed" / "ntm.duckdb"
    # The clean run of all three communes, in a world of its own, while the other is killed
    # again and again.
    clean_env = ntm_env(tmp_path / "clean", copy_sample(tmp_path / "raw-all", [PERIOD], COMMUNES))
    clean = ntm(clean_env, "run")
    # The published warehouse of two communes; then the third commune's file arrives.
    first = ntm(env, "run")
    assert first.finish() == 0, first.output[-3000:]
    before = tables(database)
    copy_sample(raw, [PERIOD], COMMUNES[2:])
    stop = tmp_path / "stop-reading"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(database), str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    try:
        killed: list[str] = []
        held_slot: list[bool] = []  # whether each killed run was left holding its pool slot
        for moment in MOMENTS:
            run = ntm(env, "run")
            run.wait_for(f"] {moment} …")
            time.sleep(0.3)  # inside the step, not at its edge
            run.kill()
            if moment == REPORTS:
                # The data run had published (the third commune) before its reports' run was killed.
                assert "published: " in run.output and communes_published(database) == 3, run.output[-3000:]
            else:
                # The published warehouse is exactly as before the killed run.
                assert tables(database) == before, moment
            if killed:
                # This plain run repaired the one killed before it, unattended, then got past the
                # pool to a later step: the dead run's slot no longer held it up.
                assert f"run {killed[-1]} was STARTED, but its process (pid" in run.output, run.output[-3000:]
                if held_slot[-1]:
                    assert f"run {killed[-1]} no longer runs but held the pool slot" in run.output, run.output[-3000:]
                assert run_status(env, killed[-1]) == dg.DagsterRunStatus.FAILURE
            killed.append(run_id_of(run))
            # What the kill left, as Dagster alone would leave it: the run STARTED for ever and
            # its step's slot of the pool held (a plain run would wait on it for ever), unless the
            # step had ended when the kill came (a busy machine) and the next had not begun.
            assert run_status(env, killed[-1]) == dg.DagsterRunStatus.STARTED
            held = [run_id for run_id, _ in claimed_slots(env)]
            assert held in ([killed[-1]], []), held
            held_slot.append(bool(held))
        assert sum(held_slot) >= 3, held_slot  # the slot's repair was exercised, not only the run's

        # `ntm doctor` names what the last kill left, and repairs it with --repair.
        report = subprocess.run([NTM, "doctor"], env=env, capture_output=True, text=True, timeout=120)
        assert report.returncode == 1, report.stdout + report.stderr
        assert f"stale run {killed[-1]}" in report.stdout and "STARTED" in report.stdout, report.stdout
        assert f"pool slots held by dead run {killed[-1]}" in report.stdout or not held_slot[-1], report.stdout
        assert run_status(env, killed[-1]) == dg.DagsterRunStatus.STARTED  # reporting repairs nothing
        repair = subprocess.run([NTM, "doctor", "--repair"], env=env, capture_output=True, text=True, timeout=120)
        assert repair.returncode == 0, repair.stdout + repair.stderr
        assert f"run {killed[-1]} was STARTED" in repair.stdout, repair.stdout
        after = subprocess.run([NTM, "doctor"], env=env, capture_output=True, text=True, timeout=120)
        assert (after.returncode, after.stdout.strip()) == (0, "nothing left by a crash"), after.stdout

        final = ntm(env, "run")
        assert final.finish() == 0, final.output[-3000:]
        assert "marked failed" not in final.output  # nothing was left to repair
        assert clean.finish() == 0, clean.output[-3000:]
    finally:
        stop.touch()  # the reader ends even when an assertion failed
    # The analyst's connection answered every query, from the snapshot it opened (two
    # communes) while new connections see the run just published (three).
    answers = reader.communicate(timeout=60)[0].splitlines()
    assert len(answers) > 50 and set(answers) == {"ok 2"}, answers[-20:]
    assert communes_published(database) == len(COMMUNES)

    with instance_of(env) as instance:
        runs = {r.run_id[:8]: r for r in instance.get_runs()}
    assert {k: runs[k].status for k in killed} == {k: dg.DagsterRunStatus.FAILURE for k in killed}
    # Every other run succeeded: the data and report runs of the first and the final `ntm run`,
    # and the data run that published before its report run was killed.
    others = [r for k, r in runs.items() if k not in killed]
    assert {r.status for r in others} == {dg.DagsterRunStatus.SUCCESS}
    assert sorted(r.job_name for r in others) == ["quarter_job"] * 3 + ["report_job"] * 2
    assert claimed_slots(env) == []
    crashed, reference = tables(tmp_path / "crashed" / "ntm.duckdb"), tables(tmp_path / "clean" / "ntm.duckdb")
    assert sorted(crashed) == sorted(reference)
    assert len(reference["core.fact_commune_status"]) == len(COMMUNES)
    for name in reference:
        assert crashed[name] == reference[name], name


def test_the_daemon_repairs_a_killed_run_on_its_own(tmp_path, ntm):
    """A run killed while the daemon serves (no `ntm run` after it): the repair sensor marks it
    failed and frees its pool slot, so the run queue, one run at a time, is not held for ever."""
    from ntm_pipeline.defs.automation.sensors import repair_after_crash
    from ntm_pipeline.resources import warehouse_resources

    env = ntm_env(tmp_path, copy_sample(tmp_path / "raw", [PERIOD], COMMUNES[:1]))
    run = ntm(env, "run")
    run.wait_for("] staging.investment …")
    run.kill()
    dead = run_id_of(run)
    assert [run_id for run_id, _ in claimed_slots(env)] == [dead]
    with instance_of(env) as instance:
        resources = {"duckdb": warehouse_resources(env["NTM_WAREHOUSE"], env["NTM_RAW_DIR"])["duckdb"]}
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            first = repair_after_crash(context)
        assert f"run {dead} was STARTED, but its process (pid {run.process.pid}) ended" in first.skip_message
        assert f"run {dead} no longer runs but held the pool slot" in first.skip_message
        assert "removed leftover file" in first.skip_message and ".ntm.duckdb.build" in first.skip_message
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            again = repair_after_crash(context)
        assert again.skip_message == "nothing left by a crash"
    assert run_status(env, dead) == dg.DagsterRunStatus.FAILURE
    assert claimed_slots(env) == []
