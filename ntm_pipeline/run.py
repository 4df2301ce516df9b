"""`ntm run`: materialise every asset for every quarter found in raw/, then summarise.

Everything runs as one run of the project's `quarter_job` in this process: the quarters as
one partition range (each partitioned asset has a single-run backfill policy), so a step
costs no process start-up. The run is recorded in the repo's Dagster instance
(DAGSTER_HOME) with its partition range, so `make dev` shows it under that job. A Dagster
logger prints each step as it starts and ends, with the rows it wrote.
"""

from __future__ import annotations

import logging
import os
import sys
import time

import dagster as dg

from ntm_pipeline import settings

JOB = "quarter_job"


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
    from ntm_pipeline.definitions import defs

    if resources is not None:  # the same assets and job over another warehouse or raw folder
        defs = dg.Definitions(assets=defs.assets, jobs=defs.jobs, resources=resources, executor=defs.executor)
    job = defs.resolve_job_def(JOB)
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


def run_all(periods: list[str] | None = None, out=None) -> int:
    from ntm_pipeline.submissions.reader import discover_periods
    from ntm_pipeline.summary import print_summary

    out = out or (lambda line: print(line, flush=True))
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
        periods, _home_instance(), resources=default_resources(), log_level="CRITICAL", progress=progress)
    print_summary(result, periods, time.perf_counter() - started, out=out)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(run_all())
