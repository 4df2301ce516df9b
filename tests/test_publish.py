"""The atomic publish on real DuckDB files: a run's build starts as a copy of the published
warehouse, is published by one rename, and a reader's open connection keeps the state it
opened while a new connection sees the new one."""

from __future__ import annotations

import subprocess
import sys

import duckdb

from ntm_pipeline.publish import build_path, leftover_build, publish, start_build, wal_path


def count_in_new_process(database) -> int:
    """A new connection, in a process of its own: this one's DuckDB may still hold an older instance."""
    code = "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True).execute('SELECT count(*) FROM t').fetchone()[0])"
    return int(subprocess.run([sys.executable, "-c", code, str(database)], capture_output=True, text=True,
                              check=True).stdout)


def test_a_build_starts_from_the_published_file_and_replaces_it_whole(tmp_path):
    published = tmp_path / "ntm.duckdb"
    with duckdb.connect(str(published)) as conn:
        conn.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
    reader = duckdb.connect(str(published), read_only=True)  # an analyst's session, held open

    build = start_build(published)
    assert build.path == build_path(published) == tmp_path / ".ntm.duckdb.build"
    assert build.copied_bytes == published.stat().st_size
    with duckdb.connect(str(build.path)) as conn:
        conn.execute("INSERT INTO t SELECT range FROM range(1000, 1500)")
        conn.execute("CREATE TABLE u AS SELECT 1 AS one")
    # Before the publish, nothing of the build shows in the published file.
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 1000
    assert count_in_new_process(published) == 1000
    inode = published.stat().st_ino

    publish(build.path, published)
    assert not build.path.exists() and not wal_path(published).exists() and leftover_build(published) == []
    assert published.stat().st_ino != inode  # a new file under the name, not the old one rewritten
    # The open connection keeps its snapshot, whole; a new connection sees the build, whole.
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 1000
    assert reader.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'u'").fetchone()[0] == 0
    assert count_in_new_process(published) == 1500
    reader.close()


def test_a_dead_runs_build_is_replaced_by_a_fresh_copy(tmp_path):
    published = tmp_path / "ntm.duckdb"
    with duckdb.connect(str(published)) as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS i")
    # What a run killed mid-write leaves: its build with other rows, a WAL and a spill folder.
    with duckdb.connect(str(build_path(published))) as conn:
        conn.execute("CREATE TABLE t AS SELECT range AS i FROM range(99)")
    wal_path(build_path(published)).write_bytes(b"torn")
    (tmp_path / ".ntm.duckdb.build.tmp").mkdir()
    (tmp_path / ".ntm.duckdb.build.tmp" / "spill.block").write_bytes(b"x")
    assert len(leftover_build(published)) == 3

    build = start_build(published)
    assert leftover_build(published) == [build.path]
    with duckdb.connect(str(build.path), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1


def test_a_wal_beside_a_warehouse_written_in_place_is_carried_into_the_build(tmp_path):
    """A warehouse left by a version that wrote in place may have committed rows in its WAL:
    the first build takes them, and the published file has no WAL after."""
    published = tmp_path / "ntm.duckdb"
    with duckdb.connect(str(published)) as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS i")
    code = ("import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); c.execute('SET checkpoint_threshold = \"1TB\"'); "
            "c.execute('INSERT INTO t VALUES (2)'); os._exit(0)")  # exits without the checkpoint on close
    subprocess.run([sys.executable, "-c", code, str(published)], check=True)
    assert wal_path(published).exists()

    build = start_build(published)
    publish(build.path, published)
    assert not wal_path(published).exists()
    assert count_in_new_process(published) == 2


def test_publish_makes_a_warehouse_when_the_run_wrote_nothing(tmp_path):
    published = tmp_path / "ntm.duckdb"
    build = start_build(published)
    assert build.copied_bytes == 0 and not build.path.exists()
    publish(build.path, published)
    with duckdb.connect(str(published), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0] == 0


def test_a_warehouse_of_an_older_layout_is_refused_with_what_to_do(tmp_path):
    """A raw table written by an older version (here without `commune_group`) is never
    appended to: the step says which table and column, and how to rebuild."""
    import pytest

    from ntm_pipeline.checks import create_raw_tables
    from ntm_pipeline.warehouse import OutdatedWarehouse, prepare_connection

    database = tmp_path / "ntm.duckdb"
    with duckdb.connect(str(database)) as conn:
        prepare_connection(conn)
        create_raw_tables(conn)
        conn.execute("ALTER TABLE raw.submission DROP COLUMN commune_group")
        with pytest.raises(OutdatedWarehouse, match=r"raw\.submission was written by an older version of the "
                           r"pipeline \(no column commune_group\): rebuild the warehouse from raw/ with "
                           r"`make clean-warehouse && make run`"):
            create_raw_tables(conn)
