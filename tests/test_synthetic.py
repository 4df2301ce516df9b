"""The synthetic country behind the benchmark: valid where it should be, broken where told."""

import filecmp
import subprocess
import sys

import duckdb
import pytest

from conftest import build_warehouse
from ntm_pipeline.samples.country import CountrySample, country_units, quarter_range

pytestmark = pytest.mark.slow  # builds its own warehouse through the pipeline


def kim_boi_units():
    return [u for u in country_units(["17"]) if u.district_code == "153"]


def test_every_injected_bad_row_and_only_those_are_quarantined(tmp_path):
    periods = quarter_range("2024-Q1", 2)
    bad = CountrySample(kim_boi_units(), periods, bad_row_share=0.05).write_workbooks(tmp_path / "raw")
    assert sum(bad.values()) >= 10 and set(bad) <= {"investment", "criteria", "ocop_product", "certified_area"}
    result = build_warehouse(tmp_path / "raw", tmp_path / "ntm.duckdb", periods)
    assert result.success
    with duckdb.connect(str(tmp_path / "ntm.duckdb"), read_only=True) as conn:
        by_table = dict(conn.execute(
            "SELECT table_name, sum(rows_quarantined) FROM core.row_reconciliation GROUP BY 1").fetchall())
        unaccounted = conn.execute(
            "SELECT sum(rows_unaccounted) + sum(rows_counted_twice) FROM core.row_reconciliation").fetchone()[0]
        communes = conn.execute("SELECT count(DISTINCT commune_code) FROM core.fact_commune_status").fetchone()[0]
    assert {t: n for t, n in by_table.items() if n} == dict(bad)
    assert unaccounted == 0 and communes == 17


def test_bulk_csv_is_reproducible_and_a_commune_does_not_depend_on_the_others(tmp_path):
    units = kim_boi_units()
    periods = quarter_range("2023-Q4", 2)
    CountrySample(units, periods).write_bulk_csv(tmp_path / "a")
    CountrySample(units, periods).write_bulk_csv(tmp_path / "b")
    rural = next(u for u in units if u.is_rural)
    CountrySample([rural], periods).write_bulk_csv(tmp_path / "one")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.csv"))
    assert len(files) == 10  # five tables x two quarters, one province
    assert all(filecmp.cmp(tmp_path / "a" / f, tmp_path / "b" / f, shallow=False) for f in files)
    written = 0
    for f in files:
        alone = (tmp_path / "one" / f).read_text(encoding="utf-8").splitlines()
        together = (tmp_path / "a" / f).read_text(encoding="utf-8").splitlines()
        assert alone[1:] == [line for line in together if line.startswith(rural.code + ",")]
        written += len(alone) - 1
    assert written >= 2 * (1 + 19)  # at least its header and criteria in each quarter


def test_command_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "ntm_pipeline.cli", "synthetic", str(tmp_path), "--provinces", "48",
         "--quarters", "1", "--first", "2024-Q1"],
        capture_output=True, text=True, check=True,
    )
    assert "wrote 47 units x 1 quarters" in done.stdout
    header = (tmp_path / "submissions/2024-Q1/province-48/48.submission.csv").read_text(encoding="utf-8").splitlines()
    assert len(header) == 48 and header[0].startswith("commune_code,commune_name")
