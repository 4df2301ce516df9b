"""mart.kpi_wide is mart.kpi_quarterly turned wide, on the KPI catalogue's columns: the same
columns in every quarter (NULL where the quarter has no such KPI), each cell the value of its
KPI row, and a run writes only its own quarters."""

import shutil

import duckdb
import pytest

from conftest import SAMPLE_PERIODS, SAMPLE_RAW, build_warehouse
from ntm_pipeline.reference import kpi_columns

pytestmark = pytest.mark.slow  # reads the sample's built warehouse

AREA_COLUMNS = ["period", "year", "quarter", "area_level", "area_code", "area_name", "communes_in_area"]


def test_its_columns_are_the_catalogues_whatever_the_quarter(sample_db):
    columns = [c for (c,) in sample_db.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'mart' AND table_name = 'kpi_wide' "
        "ORDER BY column_index").fetchall()]
    assert columns == AREA_COLUMNS + sorted(kpi_columns())
    # no quarter has every KPI (each is scored on one criteria set), yet each has every column
    for period in (SAMPLE_PERIODS[0], SAMPLE_PERIODS[-1]):
        held = {c for (c,) in sample_db.execute(
            "SELECT DISTINCT replace(kpi_code, '.', '_') FROM mart.kpi_quarterly WHERE period = ?", [period]).fetchall()}
        assert held < set(kpi_columns()), period


def test_every_cell_is_its_kpi_rows_value(sample_db):
    """Turned back long, the wide table holds exactly kpi_quarterly's values, row for row."""
    cells = sample_db.execute(
        "SELECT period, area_level, area_code, kpi, value FROM "
        "(UNPIVOT mart.kpi_wide ON COLUMNS(* EXCLUDE (" + ", ".join(AREA_COLUMNS) + ")) INTO NAME kpi VALUE value) "
        "ORDER BY ALL").fetchall()
    rows = sample_db.execute(
        "SELECT period, area_level, area_code, replace(kpi_code, '.', '_'), value FROM mart.kpi_quarterly "
        "WHERE value IS NOT NULL ORDER BY ALL").fetchall()
    assert len(rows) > 1000 and cells == rows
    areas = sample_db.execute("SELECT count(*) FROM (SELECT DISTINCT period, area_level, area_code FROM mart.kpi_quarterly)").fetchone()[0]
    assert sample_db.execute("SELECT count(*) FROM mart.kpi_wide").fetchone()[0] == areas


def test_a_run_of_one_quarter_rewrites_only_that_quarter(sample_warehouse, tmp_path):
    """A quarter's run writes that quarter's rows and leaves the others' as they are: a cell
    changed by hand in another quarter is still changed after it, one in its own quarter is
    written again from kpi_quarterly."""
    database = tmp_path / "ntm.duckdb"
    shutil.copy(sample_warehouse, database)
    quarter, other = SAMPLE_PERIODS[-1], SAMPLE_PERIODS[0]
    with duckdb.connect(str(database)) as conn:
        before = conn.execute("SELECT * FROM mart.kpi_wide ORDER BY ALL").fetchall()
        national = "area_level = 'national' AND period = ?"
        farms = conn.execute(f"SELECT farms FROM mart.kpi_wide WHERE {national}", [other]).fetchone()[0]
        conn.execute(f"UPDATE mart.kpi_wide SET farms = -1 WHERE {national} OR {national}", [quarter, other])
    assert build_warehouse(SAMPLE_RAW, database, [quarter], reports=False).success
    with duckdb.connect(str(database)) as conn:
        assert conn.execute(f"SELECT farms FROM mart.kpi_wide WHERE {national}", [other]).fetchone()[0] == -1
        conn.execute(f"UPDATE mart.kpi_wide SET farms = ? WHERE {national}", [farms, other])
        assert conn.execute("SELECT * FROM mart.kpi_wide ORDER BY ALL").fetchall() == before
