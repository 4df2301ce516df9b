"""A rerun replaces what it wrote, never duplicates it."""

import duckdb
import pytest

from conftest import build_warehouse, copy_sample

pytestmark = pytest.mark.slow  # builds its own warehouses through the pipeline

TABLES = ["raw.submission", "raw.investment", "staging.criteria", "core.fact_investment",
          "core.fact_ocop_rating", "mart.kpi_quarterly", "core.dim_commune", "core.fact_target"]


def snapshot(database):
    with duckdb.connect(str(database), read_only=True) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES} | {
            "kpis": conn.execute(
                "SELECT list(value ORDER BY area_level, area_code, kpi_code) FROM mart.kpi_quarterly WHERE period = '2024-Q1'"
            ).fetchone()[0]
        }


def test_rerun_gives_the_same_tables(tmp_path):
    raw = copy_sample(tmp_path / "raw", ["2023-Q1", "2024-Q1"])
    database = tmp_path / "ntm.duckdb"
    assert build_warehouse(raw, database, ["2024-Q1"]).success
    first = snapshot(database)
    assert build_warehouse(raw, database, ["2024-Q1"]).success
    assert snapshot(database) == first
    assert first["raw.submission"] == 17


def test_one_quarter_rerun_leaves_the_others(tmp_path):
    raw = copy_sample(tmp_path / "raw", ["2023-Q1", "2024-Q1"])
    database = tmp_path / "ntm.duckdb"
    assert build_warehouse(raw, database, ["2023-Q1"]).success
    assert build_warehouse(raw, database, ["2024-Q1"]).success
    with duckdb.connect(str(database), read_only=True) as conn:
        periods = conn.execute("SELECT period, count(*) FROM raw.submission GROUP BY 1 ORDER BY 1").fetchall()
        delta = conn.execute(
            "SELECT yoy_delta FROM mart.kpi_quarterly WHERE period = '2024-Q1' AND area_level = 'district' "
            "AND kpi_code = 'globalgap_area_ha'"
        ).fetchone()[0]
    assert periods == [("2023-Q1", 17), ("2024-Q1", 17)]
    assert delta == 12.5
