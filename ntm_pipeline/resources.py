"""Resources shared by the assets: the warehouse and the folder of raw submissions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from ntm_pipeline import settings

# Run tag saying what became of the run's build: the time it was published, or why it was not.
PUBLISHED_TAG = "ntm/published"


class SubmissionStore(dg.ConfigurableResource):
    """The folder where district offices drop submissions: raw/submissions/<period>/ and raw/targets/."""

    raw_dir: str

    @property
    def path(self) -> Path:
        return Path(self.raw_dir)


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse, written apart from its readers and published whole.

    `database` is the published file, the one analysts, the sensor and the reports of `ntm
    report` open. For a run, the resource takes the run lock (waiting for a run in progress,
    CLI or daemon alike), repairs what a dead run left in the instance, and copies the
    published file to the run's build (ntm_pipeline/publish.py); every connection of the run's
    steps opens the build. When the run ends with every step succeeded, the build is
    published by one rename and the run tagged `ntm/published`; otherwise the build is left
    unpublished, the published file is as before, and the next run starts afresh.
    """

    _build: Path | None = PrivateAttr(default=None)
    _lock: object | None = PrivateAttr(default=None)

    @property
    def published(self) -> Path:
        return Path(self.database)

    @property
    def run_database(self) -> str:
        """The file the run's steps read and write: its build while a run holds the resource."""
        return str(self._build) if self._build is not None else self.database

    @contextmanager
    def get_connection(self) -> Iterator:
        with DuckDBResource(database=self.run_database, connection_config=self.connection_config).get_connection() as conn:
            yield conn

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        from ntm_pipeline.publish import start_build
        from ntm_pipeline.run import RunLock, lock_path, recover

        if self.database == ":memory:" or context.dagster_run is None:
            return
        lock = RunLock(lock_path(self.published))
        if not lock.acquire(wait=False):
            context.log.info(f"waiting for the run in progress ({lock.holder()}) to end")
            lock.acquire(wait=True)
        self._lock = lock
        if not lock.reentered and context.instance is not None:  # `ntm run` repaired before it ran
            recover(context.instance, context.log.info, current=context.dagster_run.run_id, warehouse=self.published)
        build = start_build(self.published)
        self._build = build.path
        context.log.info(f"building into {build.path} (a copy of {self.published}: "
                         f"{build.copied_bytes / 2**20:,.1f} MiB in {build.copy_seconds:.2f} s)")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        from ntm_pipeline.publish import publish

        if self._build is None:
            return
        try:
            unfinished = unfinished_steps(context.instance, context.dagster_run.run_id)
            if unfinished:
                context.instance.add_run_tags(context.dagster_run.run_id, {PUBLISHED_TAG: "no"})
                context.log.warning(f"not published: {unfinished}; {self.published} is as before this run")
                return
            seconds = publish(self._build, self.published)
            context.instance.add_run_tags(context.dagster_run.run_id, {PUBLISHED_TAG: datetime.now(timezone.utc).isoformat(timespec="seconds")})
            context.log.info(f"published {self.published} in {seconds:.2f} s")
        finally:
            self._build = None
            self._lock.release()


def unfinished_steps(instance: dg.DagsterInstance, run_id: str) -> str:
    """Why a run's build must not be published ('' when it may): a step that failed, was
    skipped or started without succeeding."""
    events = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS,
              dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.STEP_SKIPPED}
    started, succeeded, failed, skipped = set(), set(), set(), set()
    for entry in instance.all_logs(run_id, of_type=events):
        step, kind = entry.step_key, entry.dagster_event.event_type
        {dg.DagsterEventType.STEP_START: started, dg.DagsterEventType.STEP_SUCCESS: succeeded,
         dg.DagsterEventType.STEP_FAILURE: failed, dg.DagsterEventType.STEP_SKIPPED: skipped}[kind].add(step)
    reasons = [f"{label} {', '.join(sorted(steps))}" for label, steps in (
        ("failed:", failed), ("skipped:", skipped), ("did not finish:", started - succeeded - failed)) if steps]
    return "; ".join(reasons)


def warehouse_resources(database: Path | str, raw_dir: Path | str) -> dict:
    """The resources of a run over the warehouse `database` and the submissions under `raw_dir`."""
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    return {
        "duckdb": WarehouseResource(database=str(database)),
        "submissions": SubmissionStore(raw_dir=str(raw_dir)),
    }


def default_resources() -> dict:
    """The resources from the environment (NTM_WAREHOUSE, NTM_RAW_DIR)."""
    return warehouse_resources(settings.warehouse_path(), settings.raw_dir())
