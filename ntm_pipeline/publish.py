"""The published warehouse and the run's build of the next one.

Analysts open `warehouse/ntm.duckdb`, the published file, which no run writes into. A run
copies it to its build file beside it (`warehouse/.ntm.duckdb.build`), writes every step
there, and when every step has succeeded publishes the build by one `rename(2)` over the
published name. Open connections keep the file they opened (the old inode lives until its
last reader closes it) and new connections open the new one: a reader sees the whole
previous run or the whole new one, never a mix, and never holds a lock a run needs. A run
that fails or is killed leaves the published file as it was; the next run starts a fresh
build from it (docs/reliability.md, "Readers and the writer never meet").
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb


def build_path(published: Path) -> Path:
    """The run's build of the next warehouse: a hidden file beside the published one (a rename
    is atomic only within one file system)."""
    return published.with_name(f".{published.name}.build")


def wal_path(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def spill_path(database: Path) -> Path:
    """DuckDB's spill folder for a database file (its default temp_directory)."""
    return database.with_name(database.name + ".tmp")


def leftover_build(published: Path) -> list[Path]:
    """What a run killed before publishing left of its build."""
    build = build_path(published)
    found = [p for p in (build, wal_path(build)) if p.exists()]
    spill = spill_path(build)
    return found + (sorted(p for p in spill.rglob("*") if p.is_file()) if spill.is_dir() else [])


@dataclass
class Build:
    path: Path
    copied_bytes: int
    copy_seconds: float


def start_build(published: Path) -> Build:
    """A fresh build of the next warehouse: a copy of the published file (nothing when there is
    none yet), after removing what a dead run left of its own build."""
    build = build_path(published)
    for path in (build, wal_path(build)):
        path.unlink(missing_ok=True)
    shutil.rmtree(spill_path(build), ignore_errors=True)
    started = time.perf_counter()
    copied = 0
    if published.exists():
        shutil.copyfile(published, build)
        copied = build.stat().st_size
        # A warehouse written in place by an older version may still have its WAL beside it:
        # it holds committed data, so the build takes it too and folds it in when first opened.
        if wal_path(published).exists():
            shutil.copyfile(wal_path(published), wal_path(build))
    return Build(build, copied, time.perf_counter() - started)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(build: Path, published: Path) -> float:
    """Publish the build: checkpoint it (nothing left in a WAL), flush it to disk, then rename it
    over the published file in one step. Returns the seconds it took. Call it only when no
    connection to the build is open."""
    started = time.perf_counter()
    if not build.exists():  # a run that wrote nothing (say, every step skipped) made no build file
        duckdb.connect(str(build)).close()
    with duckdb.connect(str(build)) as conn:
        conn.execute("CHECKPOINT")
    if wal_path(build).exists() and wal_path(build).stat().st_size:
        raise RuntimeError(f"{wal_path(build)} still holds data after the checkpoint: nothing published")
    wal_path(build).unlink(missing_ok=True)
    _fsync(build)
    # A WAL of the old file must not be read as the new file's.
    wal_path(published).unlink(missing_ok=True)
    os.replace(build, published)
    _fsync(published.parent)
    shutil.rmtree(spill_path(build), ignore_errors=True)
    return time.perf_counter() - started
