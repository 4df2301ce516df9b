"""The local instance's event log (ntm_pipeline/event_log.py): Dagster's SQLite event log with
its connections kept open. What a run stores is what Dagster's own storage reads back, and the
UI's watch on a running run still sees each event as it is written."""

from __future__ import annotations

import shutil
import threading
import time

import dagster as dg
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SqliteEventLogStorage,
)

from ntm_pipeline.event_log import PooledSqliteEventLogStorage
from tests.conftest import PROJECT_ROOT

QUARTERS = dg.StaticPartitionsDefinition(["2026-Q1", "2026-Q2", "2026-Q3"])


@dg.asset(partitions_def=QUARTERS)
def upstream() -> None:
    pass


@dg.asset(partitions_def=QUARTERS, deps=[upstream])
def downstream() -> None:
    pass


@dg.asset_check(asset=downstream)
def downstream_is_fine() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def _instance(tmp_path, monkeypatch) -> dg.DagsterInstance:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return dg.DagsterInstance.get()


def test_the_local_instance_uses_it_and_dagster_reads_what_it_stored(tmp_path, monkeypatch):
    with _instance(tmp_path, monkeypatch) as instance:
        assert type(instance.event_log_storage) is PooledSqliteEventLogStorage
        job = dg.Definitions(assets=[upstream, downstream], asset_checks=[downstream_is_fine]).resolve_implicit_global_asset_job_def()
        first = job.execute_in_process(instance=instance, partition_key="2026-Q1")
        second = job.execute_in_process(
            instance=instance,
            tags={"dagster/asset_partition_range_start": "2026-Q2", "dagster/asset_partition_range_end": "2026-Q3"},
        )
        assert first.success and second.success
        stored = {run: instance.all_logs(run) for run in (first.run_id, second.run_id)}

    # Dagster's own storage, on the same files, as a process without this class would read them.
    # Loaded from its folder, it finds its events there whatever DAGSTER_HOME says.
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as again:
        assert [e.dagster_event_type for e in again.all_logs(first.run_id)] == [
            e.dagster_event_type for e in stored[first.run_id]]

    plain = SqliteEventLogStorage(str(tmp_path / "dagster_home" / "history" / "runs"))
    for run, events in stored.items():
        assert [e.dagster_event_type for e in plain.get_logs_for_run(run)] == [e.dagster_event_type for e in events]
    for key in (upstream.key, downstream.key):
        materialized = plain.get_materialized_partitions(key)
        assert materialized == {"2026-Q1", "2026-Q2", "2026-Q3"}, key
    checks = plain.get_asset_check_execution_history(downstream_is_fine.check_key, limit=10)
    assert len(checks) == 2 and all(c.status.value == "SUCCEEDED" for c in checks)


def test_a_watch_on_a_running_run_sees_each_event_as_it_is_written(tmp_path):
    base = str(tmp_path / "runs")
    writer = PooledSqliteEventLogStorage(base)  # the run's process
    reader = PooledSqliteEventLogStorage(base)  # the webserver's
    run_id = "0a0a0a0a-0000-4000-8000-000000000001"
    seen: list[str] = []
    arrived = threading.Event()

    def on_event(entry, _cursor):
        seen.append(entry.user_message)
        arrived.set()

    def write(message: str) -> None:
        writer.store_event(EventLogEntry(
            error_info=None, level="INFO", user_message=message, run_id=run_id,
            timestamp=time.time(), step_key=None, job_name="job", dagster_event=None,
        ))

    write("first")  # creates the run's database before the watch starts, as a run does
    reader.watch(run_id, None, on_event)
    try:
        for message in ("second", "third", "fourth"):
            arrived.clear()
            write(message)
            assert arrived.wait(10), f"the watch did not see {message!r}; it saw {seen}"
        deadline = time.monotonic() + 10
        while seen[-1:] != ["fourth"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen == ["first", "second", "third", "fourth"]
    finally:
        reader.end_watch(run_id, on_event)
        reader.dispose()
        writer.dispose()
