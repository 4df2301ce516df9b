"""Run bench/floor.sql on a raw folder and compare its rows with a warehouse's mart.kpi_quarterly.

    .venv/bin/python bench/floor_check.py RAW_DIR WAREHOUSE [RUNS]   (RUNS: 3 by default)

bench/run.py uses it for the country; by hand it checks any folder of bulk CSVs (say one
written by `ntm synthetic`) against a warehouse built from that folder.

prepare_reference(conn) creates the reference tables floor.sql expects, with the pipeline's
own reference SQL and data (so the floor sees the same units, crosswalk, periods and KPIs);
run_floor(conn, raw_dir) runs the script; compare(conn, warehouse_path) checks its
kpi_quarterly against the warehouse, which is opened read-only.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

FLOOR_SQL = Path(__file__).with_name("floor.sql")

KEY = ["period", "area_level", "area_code", "kpi_code"]
NUMERIC = ["value", "value_prev_year", "yoy_delta", "yoy_pct", "target", "target_progress_pct"]
EXACT = ["year", "quarter", "area_name", "communes_reporting", "communes_in_area", "kpi_name_vi", "unit", "measure",
         "yoy_basis"]
TOLERANCE = 1e-6
# The percentages are rounded to two decimals from sums whose float order differs between
# the two queries: a ratio that falls exactly on a half (100 * 3477.1 / 8720 = 39.875) may
# round either way, so they agree within their last digit.
ROUNDED_TOLERANCE = {"yoy_pct": 0.01 + TOLERANCE, "target_progress_pct": 0.01 + TOLERANCE}


def prepare_reference(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the core.dim_* tables floor.sql reads (units of both eras, the crosswalk, eras,
    periods, KPIs, criteria, star bands) as the pipeline builds them: the checks library's
    build_reference runs the reference layer's own SQL on the same inputs."""
    from ntm_pipeline.checks.reference import build_reference
    from ntm_pipeline.warehouse import prepare_connection

    prepare_connection(conn)
    build_reference(conn)


def run_floor(conn: duckdb.DuckDBPyConnection, raw_dir: str | Path) -> float:
    """Run floor.sql on raw_dir (reference tables already prepared); its wall time in seconds."""
    conn.execute("SET VARIABLE raw_dir = $raw_dir", {"raw_dir": str(Path(raw_dir).resolve())})
    script = FLOOR_SQL.read_text(encoding="utf-8")
    started = time.perf_counter()
    conn.execute(script)
    return time.perf_counter() - started


def compare(conn_floor: duckdb.DuckDBPyConnection, warehouse_path: str | Path) -> tuple[int, pd.DataFrame]:
    """Full outer join of the floor's kpi_quarterly with the warehouse's mart.kpi_quarterly on
    the key; a row matches when it is on both sides, its other columns are equal and each
    numeric column is within TOLERANCE, a rounded percentage within its last digit (NULL only with NULL). Returns the matched count and
    a sample of up to 20 mismatched rows; mismatch_summary() counts them all. Raises when the
    two tables differ in columns or their types, or when the key is not unique."""
    conn_floor.execute(f"ATTACH '{Path(warehouse_path).resolve()}' AS pipeline (READ_ONLY)")
    try:
        floor_columns = conn_floor.execute("DESCRIBE kpi_quarterly").fetchall()
        mart_columns = conn_floor.execute("DESCRIBE pipeline.mart.kpi_quarterly").fetchall()
        if [c[:2] for c in floor_columns] != [c[:2] for c in mart_columns]:
            raise AssertionError(f"columns differ: floor {floor_columns} vs mart {mart_columns}")
        for side in ("kpi_quarterly", "pipeline.mart.kpi_quarterly"):
            dupes = conn_floor.execute(
                f"SELECT count(*) FROM (SELECT {', '.join(KEY)} FROM {side} GROUP BY ALL HAVING count(*) > 1)"
            ).fetchone()[0]
            if dupes:
                raise AssertionError(f"{side}: {dupes} keys occur more than once; the key is not {KEY}")
        same_numbers = " AND ".join(
            f"((f.{c} IS NULL AND m.{c} IS NULL) OR abs(f.{c} - m.{c}) <= {ROUNDED_TOLERANCE.get(c, TOLERANCE)})"
            for c in NUMERIC
        )
        same_exact = " AND ".join(f"f.{c} IS NOT DISTINCT FROM m.{c}" for c in EXACT)
        conn_floor.execute(f"""
            CREATE OR REPLACE TEMP TABLE floor_vs_mart AS
            SELECT {', '.join(f'coalesce(f.{c}, m.{c}) AS {c}' for c in KEY)},
                   CASE WHEN f.period IS NULL THEN 'only in mart'
                        WHEN m.period IS NULL THEN 'only in floor'
                        WHEN {same_numbers} AND {same_exact} THEN 'match'
                        ELSE 'different' END AS outcome,
                   {', '.join(f'f.{c} AS floor_{c}, m.{c} AS mart_{c}' for c in NUMERIC + EXACT)}
            FROM kpi_quarterly AS f
            FULL OUTER JOIN pipeline.mart.kpi_quarterly AS m USING ({', '.join(KEY)})
        """)
        matched = conn_floor.execute("SELECT count(*) FROM floor_vs_mart WHERE outcome = 'match'").fetchone()[0]
        sample = conn_floor.execute(
            "SELECT * FROM floor_vs_mart WHERE outcome <> 'match' ORDER BY ALL LIMIT 20"
        ).df()
        return matched, sample
    finally:
        conn_floor.execute("DETACH pipeline")


def mismatch_summary(conn_floor: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Mismatches of the last compare() by outcome, area level and KPI."""
    return conn_floor.execute(
        "SELECT outcome, area_level, kpi_code, count(*) AS rows FROM floor_vs_mart "
        "WHERE outcome <> 'match' GROUP BY ALL ORDER BY rows DESC"
    ).df()


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: floor_check.py RAW_DIR WAREHOUSE  (a raw folder of bulk CSVs and a warehouse built from it)")
    raw, warehouse_file = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    conn = duckdb.connect()
    prepare_reference(conn)
    times = [run_floor(conn, raw) for _ in range(runs)]
    rows = conn.execute("SELECT count(*) FROM kpi_quarterly").fetchone()[0]
    print(f"floor: {rows} rows; wall time of floor.sql over {runs} runs: "
          f"median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s")
    matched, sample = compare(conn, warehouse_file)
    summary = mismatch_summary(conn)
    print(f"matched: {matched}, mismatched: {int(summary['rows'].sum()) if len(summary) else 0}")
    if len(summary):
        print(summary.to_string(index=False))
        print(sample.to_string(index=False))
