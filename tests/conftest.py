"""Shared fixtures: warehouses built by the real pipeline from real submission files."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# Reports written by test runs go to a folder of their own, never into the repo.
os.environ["NTM_REPORTS_DIR"] = tempfile.mkdtemp(prefix="ntm-reports-")

import dagster as dg  # noqa: E402

from ntm_pipeline.resources import warehouse_resources  # noqa: E402
from ntm_pipeline.run import materialize_periods, write_period_reports  # noqa: E402
from ntm_pipeline.samples.kim_boi import PERIODS  # noqa: E402
from ntm_pipeline.settings import PROJECT_ROOT  # noqa: E402
from ntm_pipeline.warehouse import MACROS_SQL, read_sql  # noqa: E402

SAMPLE_RAW = PROJECT_ROOT / "raw"
# Every quarter of the sample: 2023-Q1 .. 2026-Q3, across the reform of 1 July 2025.
SAMPLE_PERIODS = list(PERIODS)


def build_warehouse(raw_dir: Path, database: Path, periods: list[str], reports: bool = True) -> dg.ExecuteInProcessResult:
    """Run the whole pipeline over `raw_dir` for `periods` into `database`, as `ntm run` does:
    the data run (its result is returned), then, if it succeeded, the newest quarter's reports."""
    result = materialize_periods(
        periods,
        dg.DagsterInstance.ephemeral(),
        resources=warehouse_resources(database, raw_dir),
    )
    if result.success and reports:
        written = build_reports(raw_dir, database, periods[-1])
        assert written.success, f"the report run of {periods[-1]} failed"
    return result


def build_reports(raw_dir: Path, database: Path, period: str) -> dg.ExecuteInProcessResult:
    """Write the reports of `period` from the warehouse `database`, as report_job does after a
    published run (into NTM_REPORTS_DIR)."""
    return write_period_reports(period, dg.DagsterInstance.ephemeral(), resources=warehouse_resources(database, raw_dir))


def copy_sample(target: Path, periods: list[str], communes: list[str] | None = None) -> Path:
    """A raw/ folder with some of the sample's submissions (all communes by default) and its targets."""
    for period in periods:
        for path in sorted((SAMPLE_RAW / "submissions" / period).glob("*.xlsx")):
            if communes is None or path.name[:5] in communes:
                destination = target / "submissions" / period / path.name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, destination)
    shutil.copytree(SAMPLE_RAW / "targets", target / "targets", dirs_exist_ok=True)
    return target


# Columns that say which run wrote a row and when, not what the files hold: a kept file's raw
# rows keep the run that read them, and every build writes its own times.
RUN_COLUMNS = {"run_id", "loaded_at"}


def warehouse_tables(database: Path) -> list[tuple[str, str, list[str]]]:
    """(schema, table, columns but RUN_COLUMNS) of every table of a warehouse file."""
    with duckdb.connect(str(database), read_only=True) as conn:
        found = conn.execute(
            "SELECT table_schema, table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
            "WHERE table_catalog = current_database() GROUP BY ALL ORDER BY ALL").fetchall()
    return [(schema, name, [c for c in columns if c not in RUN_COLUMNS]) for schema, name, columns in found]


def assert_same_tables(left_db: Path, right_db: Path) -> int:
    """Every table of every schema of `left_db` equals `right_db`'s, row for row (EXCEPT ALL
    both ways, so duplicates count), but for RUN_COLUMNS; returns the rows compared."""
    conn = duckdb.connect()
    conn.execute(f"ATTACH '{left_db}' AS l (READ_ONLY)")
    conn.execute(f"ATTACH '{right_db}' AS r (READ_ONLY)")
    compared = 0
    for schema, name, columns in warehouse_tables(left_db):
        select = ", ".join(f'"{c}"' for c in columns)
        counts = [conn.execute(f'SELECT count(*) FROM {db}."{schema}"."{name}"').fetchone()[0] for db in "lr"]
        assert counts[0] == counts[1], (schema, name, counts)
        for a, b in (("l", "r"), ("r", "l")):
            extra = conn.execute(f'SELECT {select} FROM {a}."{schema}"."{name}" EXCEPT ALL '
                                 f'SELECT {select} FROM {b}."{schema}"."{name}" LIMIT 5').fetchall()
            assert extra == [], (schema, name, a, extra)
        compared += counts[0]
    conn.close()
    return compared


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> tuple[Path, dg.ExecuteInProcessResult]:
    """The Kim Bôi sample, every quarter, materialised into a DuckDB file of its own."""
    database = tmp_path_factory.mktemp("sample") / "ntm.duckdb"
    result = build_warehouse(SAMPLE_RAW, database, SAMPLE_PERIODS, reports=False)  # sample_reports writes them
    assert result.success
    return database, result


@pytest.fixture(scope="session")
def sample_reports(sample_build) -> dg.ExecuteInProcessResult:
    """The run of report_job that follows the sample's build: the reports of its newest quarter."""
    result = build_reports(SAMPLE_RAW, sample_build[0], SAMPLE_PERIODS[-1])
    assert result.success
    return result


@pytest.fixture(scope="session")
def sample_warehouse(sample_build) -> Path:
    return sample_build[0]


@pytest.fixture
def sample_db(sample_warehouse):
    """The sample warehouse, read-only, with the project's macros (in_force, ...) as queries use them."""
    with duckdb.connect(str(sample_warehouse), read_only=True) as conn:
        conn.execute(read_sql(MACROS_SQL))
        yield conn


@pytest.fixture(scope="session")
def checker():
    """One checks library for the session: building it (reference tables, suites) takes
    seconds, and every check empties what the one before left."""
    from ntm_pipeline.checks import Checker

    checker = Checker()
    yield checker
    checker.close()


def pytest_collection_modifyitems(items):
    """A test on the shared Kim Bôi build is slow: the build alone (about 35 s here) leaves
    the fast tier no room under a minute."""
    for item in items:
        if "sample_build" in item.fixturenames:  # sample_reports too: it needs the build
            item.add_marker(pytest.mark.slow)
