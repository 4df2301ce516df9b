"""`ntm run`: materialise every asset for every quarter found in raw/, then summarise.

The data runs as one run of the project's `quarter_job` in this process: the quarters as
one partition range (each partitioned asset has a single-run backfill policy), so a step
costs no process start-up. Once it is published, one run of `report_job` writes the newest
quarter's reports from it: analysts have the data before the reports are written. Both runs
are recorded in the repo's Dagster instance (DAGSTER_HOME) with their partitions, so
`make dev` shows them under their jobs. A Dagster logger prints each step as it starts and
ends, with the rows it wrote.

One writer, and no manual repair after a crash (docs/operations.md, docs/reliability.md):
`ntm run` holds an exclusive lock on `<warehouse>.run.lock` for its whole length (the kernel
drops it when the process dies, kill -9 included); a second `ntm run` exits with
RUN_IN_PROGRESS, or waits with --wait. Holding the lock, it first repairs what a dead run
left in the instance: runs still STARTED whose process is gone are marked failed and their
`duckdb` pool slots freed (Dagster's run monitoring cannot see an in-process run die).
`ntm doctor` reports the same and repairs it with --repair.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from ntm_pipeline import settings

JOB = "quarter_job"
REPORT_JOB = "report_job"
# Exit status of `ntm run` when another run holds the warehouse: EX_TEMPFAIL, "try again later".
RUN_IN_PROGRESS = 75
# How long `ntm run` and `ntm doctor --repair` try for the lock before saying a run holds it:
# the daemon's repair sensor (defs/automation/sensors.py) holds it for a moment every minute.
PATIENCE_S = 2.0
# Tags of a run started by this process: how a later process tells whether it is still alive.
PID_TAG, HOST_TAG = "ntm/pid", "ntm/host"


def materialize_periods(
    periods: list[str],
    instance: dg.DagsterInstance,
    resources: dict | None = None,
    log_level: str = "WARNING",
    selection: dg.AssetSelection | None = None,
    progress: Progress | None = None,
) -> dg.ExecuteInProcessResult:
    """One run of quarter_job over the quarters `periods` (a contiguous range) and the
    unpartitioned assets, or the assets of `selection` only."""
    return _execute(JOB, periods, instance, resources, log_level, selection, progress)


def write_period_reports(
    period: str,
    instance: dg.DagsterInstance,
    resources: dict | None = None,
    log_level: str = "WARNING",
    progress: Progress | None = None,
) -> dg.ExecuteInProcessResult:
    """One run of report_job: the reports of `period`, from the published warehouse."""
    return _execute(REPORT_JOB, [period], instance, resources, log_level, None, progress)


def _execute(job_name: str, periods: list[str], instance: dg.DagsterInstance, resources: dict | None,
             log_level: str, selection: dg.AssetSelection | None, progress: Progress | None) -> dg.ExecuteInProcessResult:
    from ntm_pipeline.definitions import defs

    if resources is not None:  # the same assets and job over another warehouse or raw folder
        defs = dg.Definitions(assets=defs.assets, jobs=defs.jobs, resources=resources, executor=defs.executor)
    job = defs.resolve_job_def(job_name)
    loggers = {"console": {"config": {"log_level": log_level}}}
    if progress is not None:
        job = job.with_logger_defs({**job.loggers, "progress": progress.logger_def()})
        loggers["progress"] = {}
    keys = sorted(selection.resolve(defs.resolve_asset_graph())) if selection is not None else None
    return job.execute_in_process(
        run_config={"loggers": loggers},
        instance=instance,
        asset_selection=keys,
        tags={
            "dagster/asset_partition_range_start": periods[0],
            "dagster/asset_partition_range_end": periods[-1],
            PID_TAG: str(os.getpid()),
            HOST_TAG: socket.gethostname(),
        },
        raise_on_error=False,
    )


class Progress:
    """Prints a run's steps as they start and end, from the events Dagster logs."""

    def __init__(self, out=None):
        self.out = out or (lambda line: print(line, flush=True))
        self.started = time.perf_counter()
        self.step_started: dict[str, float] = {}
        self.rows: dict[str, dict[str, int]] = {}

    def logger_def(self) -> dg.LoggerDefinition:
        handler = _ProgressHandler(self)

        @dg.logger(description="Each step of an `ntm run` as it starts and ends, with the rows it wrote.")
        def progress(_context):
            logger = logging.Logger("ntm.progress", level=logging.DEBUG)
            logger.addHandler(handler)
            return logger

        return progress

    def _line(self, text: str) -> None:
        self.out(f"  [{time.perf_counter() - self.started:6.1f} s] {text}")

    def event(self, event, run_id: str = "") -> None:
        step = (event.step_key or "").replace("__", ".", 1)  # the op of asset core/dim_code is core__dim_code
        if event.event_type == dg.DagsterEventType.RUN_START:
            self._line(f"run {run_id[:8]} started")
        elif event.is_step_start:
            self.step_started[step] = time.perf_counter()
            self._line(f"{step} …")
        elif event.is_step_materialization:
            # A partitioned asset reports once per quarter, each time with what the range wrote
            # (rows_written); dagster/row_count is the whole table's.
            materialization = event.step_materialization_data.materialization
            count = materialization.metadata.get("rows_written") or materialization.metadata.get("dagster/row_count")
            if count is not None:
                self.rows.setdefault(step, {})[".".join(materialization.asset_key.path)] = count.value
        elif event.is_step_success:
            took = time.perf_counter() - self.step_started.get(step, self.started)
            written = "; ".join(
                f"{table} {rows:,} row{'s' if rows != 1 else ''}" for table, rows in self.rows.get(step, {}).items())
            self._line(f"{step} done in {took:.1f} s" + (f": {written}" if written else ""))
        elif event.is_step_up_for_retry:
            self._line(f"{step} will be retried: {_error_message(event.event_specific_data.error)}")
        elif event.is_step_failure:
            self._line(f"{step} FAILED: {_error_message(event.step_failure_data.error)}")
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            if not evaluation.passed:
                verdict = "failed" if evaluation.severity == dg.AssetCheckSeverity.ERROR else "warning"
                self._line(f"check {verdict}: {'.'.join(evaluation.asset_key.path)} {evaluation.check_name}")


class _ProgressHandler(logging.Handler):
    def __init__(self, progress: Progress):
        super().__init__(logging.DEBUG)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is not None:
            self.progress.event(event, meta.get("run_id") or "")


def user_error(error):
    """The user code's own exception inside Dagster's wrappers (a SerializableErrorInfo), or None."""
    while error is not None and error.cause is not None:
        error = error.cause
    return error


def _error_message(error) -> str:
    """The user code's own exception, not Dagster's wrapper: its first line."""
    error = user_error(error)
    if error is None:
        return "unknown error"
    lines = error.message.strip().splitlines()
    return lines[0] if lines else error.cls_name or "unknown error"


def _home_instance() -> dg.DagsterInstance:
    os.environ.setdefault("DAGSTER_HOME", str(settings.PROJECT_ROOT / "dagster_home"))
    return dg.DagsterInstance.get()


def quarter_span(periods: list[str]) -> list[str]:
    """Every quarter from the first to the last of `periods`: a run covers a contiguous range."""
    from ntm_pipeline.quarters import QUARTERS

    return QUARTERS[QUARTERS.index(min(periods)) : QUARTERS.index(max(periods)) + 1]  # 'YYYY-Qn' sorts as it reads


def lock_path(warehouse: Path | None = None) -> Path:
    """The run lock beside the warehouse: one run (or `ntm doctor --repair`) at a time."""
    warehouse = warehouse or settings.warehouse_path()
    return warehouse.with_name(warehouse.name + ".run.lock")


class RunLock:
    """An exclusive flock(2) on lock_path(), held while a run writes. The kernel releases it
    when the holder exits in any way, so a killed run never leaves it held; the file itself
    stays, and only says who held it last (pid, host, time).

    Re-entrant within a process: `ntm run` holds it, and the run's warehouse resource, which
    takes it for every run (CLI or daemon), finds it already held by its own process."""

    _held: dict[Path, list] = {}  # path -> [open file, holders] of the locks this process holds

    def __init__(self, path: Path | None = None):
        self.path = (path or lock_path()).resolve()
        self._holding = False

    def acquire(self, wait: bool = False, patience: float = 0.0) -> bool:
        """Take the lock: waiting for it with `wait`; else trying for up to `patience` seconds
        (the daemon's repair sensor holds it for a moment every minute), then giving up."""
        deadline = time.monotonic() + patience
        while not self._try(wait):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True

    def _try(self, wait: bool) -> bool:
        held = RunLock._held.get(self.path)
        if held is not None:
            held[1] += 1
            self._holding = True
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            file.close()
            return False
        file.truncate(0)
        file.write(f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n")
        file.flush()
        RunLock._held[self.path] = [file, 1]
        self._holding = True
        return True

    @property
    def reentered(self) -> bool:
        """Whether this process held the lock before this holder took it."""
        held = RunLock._held.get(self.path)
        return self._holding and held is not None and held[1] > 1

    def holder(self) -> str:
        """Who holds (or last held) the lock, as its holder wrote it."""
        try:
            return self.path.read_text(encoding="utf-8").strip() or "unknown"
        except OSError:
            return "unknown"

    def release(self) -> None:
        if not self._holding:
            return
        self._holding = False
        held = RunLock._held[self.path]
        held[1] -= 1
        if held[1] == 0:
            del RunLock._held[self.path]
            held[0].close()  # closing the descriptor drops the flock

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _process_start(pid: int) -> float | None:
    """When process `pid` started (epoch seconds), from /proc; None where /proc cannot say."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, StopIteration, ValueError):
        return None


def process_alive(pid: int, since: float | None = None) -> bool:
    """Whether process `pid` still runs and is the one that started at or before `since`
    (a pid reused after a reboot is another process). A zombie is dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in ("Z", "X"):
            return False
    except (OSError, IndexError):
        return True
    started = _process_start(pid)
    return not (since is not None and started is not None and started > since + 2)


@dataclass
class StaleRun:
    run_id: str
    status: str
    pid: int | None
    reason: str


def _run_worker(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[int | None, str | None]:
    """The pid and host of the process executing `run`: its ntm tags (`ntm run`, the tests), or
    the engine event a daemon-launched run worker logs first ("Started process for run (pid: N)")."""
    if PID_TAG in run.tags:
        return int(run.tags[PID_TAG]), run.tags.get(HOST_TAG)
    for record in instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=20).records:
        data = record.event_log_entry.dagster_event.event_specific_data
        pid = getattr(data, "metadata", {}).get("pid") if data is not None else None
        if pid is not None:
            return int(pid.value), None
    return None, None


def stale_runs(instance: dg.DagsterInstance) -> list[StaleRun]:
    """Runs the instance shows in progress (STARTING, STARTED, CANCELING) whose process has
    ended: killed, out of memory, a power cut. A run whose process cannot be found out
    (a launch the daemon's run monitoring is still timing) is left alone. Runs of another
    host are left alone: the instance is assumed to be one machine's (deploy/README.md)."""
    here = socket.gethostname()
    stale = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=[
            dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING])):
        run = record.dagster_run
        pid, host = _run_worker(instance, run)
        if pid is None or (host is not None and host != here):
            continue
        if not process_alive(pid, since=record.start_time):  # its worker was up when the run started
            stale.append(StaleRun(run.run_id, run.status.value, pid,
                                  f"its process (pid {pid}) ended without finishing the run"))
    return stale


def held_slots(instance: dg.DagsterInstance, dead: set[str] = frozenset()) -> dict[str, list[str]]:
    """Pool slots (and queued claims) held by runs that are finished, or in `dead`: run id ->
    the pools' steps it holds. Such a slot is never given back, and blocks the pool for good."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return {}
    held: dict[str, list[str]] = {}
    for pool in sorted(storage.get_concurrency_keys()):
        info = storage.get_concurrency_info(pool)
        for run_id, step in [(s.run_id, s.step_key) for s in info.claimed_slots] + [
                (s.run_id, s.step_key) for s in info.pending_steps]:
            record = instance.get_run_record_by_id(run_id)
            if record is None or record.dagster_run.is_finished or run_id in dead:
                held.setdefault(run_id, [])
                if f"{pool}: {step}" not in held[run_id]:  # a claimed slot is also a pending step
                    held[run_id].append(f"{pool}: {step}")
    return held


def leftover_files(warehouse: Path | None = None) -> list[Path]:
    """Files a killed process leaves behind: the build it had not published (and its spill
    folder), DuckDB's spill folder beside the warehouse and the report writer's staged
    manifests (*.tmp). Never the published file or its WAL."""
    from ntm_pipeline.publish import leftover_build, spill_path

    warehouse = warehouse or settings.warehouse_path()
    spill = spill_path(warehouse)
    found = leftover_build(warehouse) + (sorted(p for p in spill.rglob("*") if p.is_file()) if spill.is_dir() else [])
    reports = settings.reports_dir()
    return found + (sorted(reports.rglob("*.tmp")) if reports.is_dir() else [])


def _in_progress(instance: dg.DagsterInstance) -> set[str]:
    return {r.dagster_run.run_id for r in instance.get_run_records(filters=dg.RunsFilter(statuses=[
        dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]))}


def recover(instance: dg.DagsterInstance, out, current: str | None = None, warehouse: Path | None = None) -> int:
    """Repair what dead runs left: mark them failed, free the slots of finished runs, delete
    leftover files of `warehouse` (only when no run but `current`, the caller's own, is in
    progress: a live run's files are in use). Call it holding the RunLock. Returns the number
    of things repaired."""
    repaired = 0
    for run in stale_runs(instance):
        dagster_run = instance.get_run_by_id(run.run_id)
        instance.report_run_failed(dagster_run, message=f"Marked failed by ntm: {run.reason} "
                                   "(killed, out of memory or a power cut).")
        out(f"run {run.run_id[:8]} was {run.status}, but {run.reason}: marked failed")
        repaired += 1
    for run_id, slots in held_slots(instance).items():
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        out(f"run {run_id[:8]} no longer runs but held the pool slot{'s' if len(slots) > 1 else ''} "
            f"of {', '.join(slots)}: freed")
        repaired += 1
    for path in [] if _in_progress(instance) - {current} else leftover_files(warehouse):
        path.unlink(missing_ok=True)
        out(f"removed leftover file {path}")
        repaired += 1
    return repaired


def doctor(repair: bool = False, out=None) -> int:
    """`ntm doctor`: what a crash left (runs still STARTED with no process, pool slots of
    finished runs, leftover files), repaired with `repair`. Exit 0 when nothing is left (or all
    was repaired), 1 when something is left, RUN_IN_PROGRESS when a run holds the lock."""
    out = out or (lambda line: print(line, flush=True))
    instance = _home_instance()
    lock = RunLock()
    if repair:
        if not lock.acquire(wait=False, patience=PATIENCE_S):
            out(f"a run is in progress ({lock.holder()}): nothing repaired; try again when it ends")
            return RUN_IN_PROGRESS
        with lock:
            repaired = recover(instance, out)
        out(f"repaired {repaired} thing{'s' if repaired != 1 else ''}" if repaired else "nothing to repair")
        return 0
    running = not lock.acquire(wait=False)
    if running:
        out(f"a run is in progress: {lock.holder()}")
    lock.release()
    found = 0
    stale = stale_runs(instance)
    for run in stale:
        out(f"stale run {run.run_id}: {run.status}, but {run.reason}")
        found += 1
    for run_id, slots in held_slots(instance, {run.run_id for run in stale}).items():
        out(f"pool slots held by {'dead' if run_id in {r.run_id for r in stale} else 'finished'} run {run_id}: "
            f"{', '.join(slots)}")
        found += 1
    live = _in_progress(instance) - {run.run_id for run in stale}
    for path in [] if running or live else leftover_files():  # a live run's files are in use
        out(f"leftover file {path}")
        found += 1
    if found:
        out(f"{found} thing{'s' if found != 1 else ''} left by a crash: `ntm doctor --repair` repairs "
            "them (and every `ntm run` does first)")
        return 1
    out("nothing left by a crash" + (" (a run is in progress)" if running else ""))
    return 0


def run_all(periods: list[str] | None = None, out=None, wait: bool = False) -> int:
    """`ntm run`: holding the run lock, repair what a crashed run left, then run."""
    out = out or (lambda line: print(line, flush=True))
    lock = RunLock()
    if not lock.acquire(wait=False, patience=PATIENCE_S):
        if not wait:
            out(f"ntm run: another run is writing {settings.warehouse_path()} ({lock.holder()}); "
                "nothing done. Run again when it ends, or with --wait to wait for it")
            return RUN_IN_PROGRESS
        out(f"ntm run: waiting for the run in progress ({lock.holder()}) to end")
        lock.acquire(wait=True)
    with lock:
        instance = _home_instance()
        recover(instance, out)
        return _run(periods, out, instance)


def _run(periods: list[str] | None, out, instance: dg.DagsterInstance) -> int:
    from ntm_pipeline.submissions.reader import discover_periods
    from ntm_pipeline.summary import print_summary

    found = discover_periods(settings.raw_dir())
    periods = periods or found
    if not periods:
        out(f"no submissions found under {settings.raw_dir() / 'submissions'}")
        return 1
    from ntm_pipeline.partitions import quarterly_partitions
    from ntm_pipeline.resources import default_resources

    keys = quarterly_partitions.get_partition_keys()
    later = sorted(p for p in periods if p not in keys)
    if later:  # a folder dated ahead: its quarter has not begun, so it is no partition yet
        out(f"skipped {', '.join(later)}: not a quarter of the partitions ({keys[0]} to {keys[-1]})")
    periods = [p for p in periods if p in keys]
    if not periods:
        return 1
    periods = quarter_span(periods)
    span = periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
    out(f"ntm run: {span} ({len(periods)} quarter{'s' if len(periods) > 1 else ''}) as Dagster job {JOB}, "
        f"raw files from {settings.raw_dir()}")
    progress = Progress(out)
    started = time.perf_counter()
    # The console logger stays quiet: the progress lines say what happens, and a failure's
    # traceback is kept in the run's event log (the Dagster UI), not printed.
    # Resources from the environment now, not as it was when the definitions were imported.
    result = materialize_periods(
        periods, instance, resources=default_resources(), log_level="CRITICAL", progress=progress)
    published = publication(instance, result.run_id)
    if published:
        out(f"published: {settings.warehouse_path()} at {published}; writing the reports of {periods[-1]}")
    # The reports of the newest quarter, from what was just published; none from a run that was not.
    reports = write_period_reports(
        periods[-1], instance, resources=default_resources(), log_level="CRITICAL", progress=progress,
    ) if published else None
    print_summary(result, periods, time.perf_counter() - started, out=out, reports=reports)
    out(f"published: {settings.warehouse_path()} at {published}" if published else
        f"NOT published: {settings.warehouse_path()} is as it was before this run (its steps are in the run's "
        "event log: make dev)")
    return 0 if result.success and published and reports.success else 1


def publication(instance: dg.DagsterInstance, run_id: str) -> str | None:
    """When the run's build was published (its `ntm/published` tag), or None if it was not."""
    from ntm_pipeline.resources import PUBLISHED_TAG

    tag = instance.get_run_by_id(run_id).tags.get(PUBLISHED_TAG)
    return None if tag in (None, "no") else tag


if __name__ == "__main__":
    # As the package's module, not this `__main__` copy of it: the run's warehouse resource
    # imports ntm_pipeline.run, and its RunLock must find the lock this process already holds
    # (with this copy's own RunLock, `python -m ntm_pipeline.run` waited on itself for ever).
    from ntm_pipeline.run import run_all as package_run_all

    sys.exit(package_run_all())
