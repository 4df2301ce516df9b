"""The local Dagster instance (dagster_home/dagster.yaml): Dagster's own, with its SQLite event
log's connections kept open.

Dagster's `SqliteEventLogStorage` opens a new SQLAlchemy engine and SQLite connection for every
write and closes it after: about 5 ms each, two or three per event. A run of the sample writes
about 1,100 events (a planned and a materialization event per asset and quarter, the checks, the
steps), and storing them took 17 s of the 40 s its `ntm run` took. This class keeps one pooled
engine per database file instead (4.8 s); tables, files and reads are Dagster's, unchanged.
`NtmInstance` only puts this class where Dagster's default SQLite storage goes, in whatever
folder the instance is loaded from (`DagsterInstance.get()`, `from_config(folder)`, the
daemon's run workers alike): a storage class named in dagster.yaml would need that folder
written into the file.

Two more costs of each write are cut. Dagster asks whether the tags table exists before every
asset event, on a new engine each time: the answer is kept once yes. SQLite syncs the
write-ahead log to disk at each commit: in WAL mode, `synchronous = NORMAL` leaves that to the
checkpoints (a commit can be lost to a power cut, never to a process's crash; a run it cut short
is repaired as after any crash, docs/operations.md). `bench/event_log.py` stores a sample run's
1,137 events again: 3.96 s before these two and the touch below, 1.9 s after (Dagster's own
storage: 8.3 s).

One behaviour is kept by hand. The UI follows a running run by watching its `<run_id>.db` file;
in WAL mode a commit writes only the `-wal` file, and the `.db` file changed when Dagster closed
its last connection (which checkpoints). So a write to a run's database touches the `.db` file's
modification time, which the watch sees (a change of its attributes is a change to watchdog),
and the readers read the commit from the log as SQLite does; a checkpoint per write, which did
the same by rewriting the file, cost 1 ms of each event.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import dagster as dg
import sqlalchemy as db
import yaml
from dagster._core.instance.ref import InstanceRef, _event_logs_directory
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._serdes import ConfigurableClassData

# Engines kept for runs' databases besides the index: a long-lived process (the webserver, the
# daemon) reads many runs, and each engine holds its file open.
RUN_ENGINES_KEPT = 8


def _sync_at_checkpoints(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous = NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log storage with one pooled connection per database file."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, db.Engine] = OrderedDict()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> db.Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = db.create_engine(
                self.conn_string_for_shard(shard), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
            )
            db.event.listen(engine, "connect", _sync_at_checkpoints)
            self._engines[shard] = engine
            runs = [key for key in self._engines if key != INDEX_SHARD_NAME]
            for old in runs[: max(0, len(runs) - RUN_ENGINES_KEPT)]:
                self._engines.pop(old).dispose()
        else:
            self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:  # as Dagster's own: again after wipe() or upgrade()
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn
            if shard != INDEX_SHARD_NAME:
                with suppress(OSError):  # the write is committed: a failed touch only delays the UI
                    os.utime(self.path_for_shard(shard))

    def has_table(self, table_name: str) -> bool:
        # Dagster asks before every asset event's tags are stored, each time on a new engine of
        # its own; a table once there stays until wipe().
        # (It may be asked inside a write that holds the lock: Dagster's own check, which
        # takes none, answers a table not yet seen.)
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    def _dispose_engines(self) -> None:
        while self._engines:
            self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        # Deleting a database file under an open connection would leave writes going to the
        # deleted file.
        with self._db_lock:
            self._dispose_engines()
            self._tables.clear()
        super().wipe()

    def dispose(self) -> None:
        with self._db_lock:
            self._dispose_engines()
        super().dispose()


class NtmInstance(dg.DagsterInstance):
    """Dagster's instance whose default storage keeps the event log's connections open.

    Named in dagster.yaml as `instance_class`; everything else in that file works as for
    Dagster's own instance.
    """

    @classmethod
    def config_schema(cls):
        return {}

    @staticmethod
    def config_defaults(base_dir: str):
        defaults = dict(InstanceRef.config_defaults(base_dir))
        event_log = ConfigurableClassData(
            __name__, PooledSqliteEventLogStorage.__name__,
            yaml.dump({"base_dir": _event_logs_directory(base_dir)}, default_flow_style=False),
        )
        parts = {"run_storage": defaults["run_storage"], "event_log_storage": event_log,
                 "schedule_storage": defaults["schedule_storage"]}
        # What Dagster builds when dagster.yaml names the three storages one by one.
        defaults["storage"] = ConfigurableClassData(
            "dagster._core.storage.legacy_storage", "CompositeStorage",
            yaml.dump({name: {"module_name": part.module_name, "class_name": part.class_name,
                              "config_yaml": part.config_yaml} for name, part in parts.items()},
                      default_flow_style=False),
        )
        defaults["event_log_storage"] = event_log
        return defaults
