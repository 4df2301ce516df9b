"""bench/floor.sql stays a true floor: on a small synthetic country, its KPI rows equal the
pipeline's, row by row, including a commune missing a quarter and a completed project
listed again the next quarter, and across the 2025 reform (the new units, yoy_basis, the
national rows, the 2026-2030 criteria set)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import build_warehouse
from ntm_pipeline.samples.country import CountrySample, country_units
from ntm_pipeline.settings import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import floor_check  # noqa: E402

pytestmark = pytest.mark.slow  # builds its own warehouse through the pipeline

PROVINCES = ["48", "58"]  # the two smallest: 47 and 62 units
PERIODS = ["2024-Q1", "2024-Q2"]


def _rewrite(path: Path, edit) -> None:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
        fields = list(rows[0]) if rows else []
    rows = edit(rows)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def country(tmp_path_factory):
    root = tmp_path_factory.mktemp("floor")
    raw = root / "raw"
    CountrySample(country_units(PROVINCES), PERIODS).write(raw, "csv")
    q1, q2 = (raw / "submissions" / p / f"province-{PROVINCES[0]}" for p in PERIODS)
    # Three communes of the first province send nothing for 2024-Q2.
    with open(q1 / f"{PROVINCES[0]}.submission.csv", encoding="utf-8") as handle:
        absent = [row["commune_code"] for row in csv.DictReader(handle)][:3]
    for path in q2.glob("*.csv"):
        _rewrite(path, lambda rows: [r for r in rows if r["commune_code"] not in absent])
    # A project completed in 2024-Q1 is listed again, still completed, in 2024-Q2.
    with open(q1 / f"{PROVINCES[0]}.investment.csv", encoding="utf-8") as handle:
        q1_projects = [r for r in csv.DictReader(handle) if r["commune_code"] not in absent]
    project = dict(q1_projects[0], status="completed")
    _rewrite(q1 / f"{PROVINCES[0]}.investment.csv",
             lambda rows: [project if (r["commune_code"], r["project_code"]) ==
                           (project["commune_code"], project["project_code"]) else r for r in rows])
    relisted = dict(project, capital_central_budget="0", capital_local_budget="0", capital_integrated="0",
                    capital_credit="0", capital_enterprise="0", capital_people="15.5", capital_total="")
    _rewrite(q2 / f"{PROVINCES[0]}.investment.csv",
             lambda rows: [r for r in rows if (r["commune_code"], r["project_code"]) !=
                           (project["commune_code"], project["project_code"])] + [relisted])
    database = root / "ntm.duckdb"
    assert build_warehouse(raw, database, PERIODS).success
    conn = duckdb.connect()
    floor_check.prepare_reference(conn)
    floor_check.run_floor(conn, raw)
    yield conn, database, absent, project
    conn.close()


def test_the_floor_equals_the_pipeline_row_by_row(country):
    conn, database, _, _ = country
    matched, sample = floor_check.compare(conn, database)
    mismatches = floor_check.mismatch_summary(conn)
    assert mismatches.empty, f"{mismatches.to_string()}\n{sample.to_string()}"
    with duckdb.connect(str(database), read_only=True) as mart:
        (rows,) = mart.execute("SELECT count(*) FROM mart.kpi_quarterly").fetchone()
    assert matched == rows > 0


def test_the_comparison_covers_the_cases_that_differ_from_a_plain_count(country):
    _, database, absent, project = country
    with duckdb.connect(str(database), read_only=True) as mart:
        carried = mart.execute(
            "SELECT DISTINCT area_code FROM mart.kpi_quarterly WHERE period = '2024-Q2' AND area_level = 'commune' "
            "AND communes_reporting = 0").fetchall()
        assert sorted(c for (c,) in carried) == sorted(absent)
        (completed,) = mart.execute(
            "SELECT value FROM mart.kpi_quarterly WHERE period = '2024-Q2' AND area_level = 'commune' "
            "AND area_code = ? AND kpi_code = 'projects_completed_ytd'", [project["commune_code"]]).fetchone()
        (listed,) = mart.execute(
            "SELECT count(*) FROM core.fact_investment WHERE commune_code = ? AND status = 'completed'",
            [project["commune_code"]]).fetchone()
    assert completed == listed - 1  # listed in both quarters, counted once


REFORM_PERIODS = ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]


@pytest.fixture(scope="module")
def across_the_reform(tmp_path_factory):
    """The same two provinces written from 2024-Q3 to 2026-Q1: their old units, then the new
    units they became (in Đà Nẵng 48 and Khánh Hòa 56), on NTM_2026_2030 in 2026-Q1."""
    root = tmp_path_factory.mktemp("floor_reform")
    raw = root / "raw"
    CountrySample(country_units(PROVINCES), REFORM_PERIODS).write(raw, "csv")
    database = root / "ntm.duckdb"
    assert build_warehouse(raw, database, REFORM_PERIODS).success
    conn = duckdb.connect()
    floor_check.prepare_reference(conn)
    floor_check.run_floor(conn, raw)
    yield conn, database
    conn.close()


def test_the_floor_equals_the_pipeline_across_the_reform(across_the_reform):
    conn, database = across_the_reform
    matched, sample = floor_check.compare(conn, database)
    mismatches = floor_check.mismatch_summary(conn)
    assert mismatches.empty, f"{mismatches.to_string()}\n{sample.to_string()}"
    with duckdb.connect(str(database), read_only=True) as mart:
        (rows,) = mart.execute("SELECT count(*) FROM mart.kpi_quarterly").fetchone()
        bases = dict(mart.execute("SELECT yoy_basis, count(*) FROM mart.kpi_quarterly WHERE period = '2025-Q3' "
                                  "GROUP BY ALL").fetchall())
        levels = {p: set(v) for p, v in mart.execute(
            "SELECT period, list(DISTINCT area_level) FROM mart.kpi_quarterly GROUP BY ALL").fetchall()}
    assert matched == rows > 0
    # The comparison covers every basis and both eras' levels.
    assert {"crosswalk", "crosswalk_estimated", "not_comparable", "same_units"} <= set(bases)
    assert levels["2024-Q3"] == {"commune", "district", "province", "national"}
    assert levels["2025-Q3"] == levels["2026-Q1"] == {"commune", "province", "national"}

