"""The event log's own cost: the events of the latest `quarter_job` run in an instance, stored
again into new folders by Dagster's `SqliteEventLogStorage` and by the project's
`PooledSqliteEventLogStorage` (ntm_pipeline/event_log.py), alternated.

    make run && .venv/bin/python bench/event_log.py [--home dagster_home] [--rounds 3]

Prints the seconds and milliseconds per event of each round; nothing else of a run is timed.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from ntm_pipeline.event_log import PooledSqliteEventLogStorage

ROOT = Path(__file__).resolve().parents[1]


def latest_run_events(home: Path) -> list:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name="quarter_job"), limit=1)
        if not runs:
            raise SystemExit(f"no quarter_job run in {home}: `make run` first")
        return instance.all_logs(runs[0].run_id)


def store_all(storage_class, events: list) -> float:
    folder = tempfile.mkdtemp(prefix="ntm-event-log-")
    storage = storage_class(folder)
    try:
        started = time.perf_counter()
        for event in events:
            storage.store_event(event)
        return time.perf_counter() - started
    finally:
        storage.dispose()
        shutil.rmtree(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=ROOT / "dagster_home")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    events = latest_run_events(args.home)
    print(f"{len(events):,} events of the latest quarter_job run in {args.home}")
    for round_ in range(1, args.rounds + 1):
        for label, storage_class in (("Dagster's", SqliteEventLogStorage), ("the project's", PooledSqliteEventLogStorage)):
            seconds = store_all(storage_class, events)
            print(f"round {round_}  {label:14} {seconds:6.2f} s  {seconds / len(events) * 1000:5.2f} ms/event")


if __name__ == "__main__":
    main()
