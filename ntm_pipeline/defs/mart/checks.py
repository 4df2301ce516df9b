"""Checks on mart.kpi_quarterly, run on the quarters just written: a district's, a
province's and the country's figures are their communes' figures added up, and every KPI of
the catalogue that the quarter has (those of its criteria set) is there for every area that
reported. Both hold in either administrative era and block the marts and reports built from it."""

from pathlib import Path

import dagster as dg
import duckdb

from ntm_pipeline.defs import keys
from ntm_pipeline.warehouse import read_sql

SQL = Path(__file__).parent / "sql"
AREAS_ADD_UP = "areas_add_up_from_communes"
EVERY_KPI = "every_kpi_for_every_reporting_area"
SAMPLE_ROWS = 20

CHECK_SPECS = [
    dg.AssetCheckSpec(
        AREAS_ADD_UP, asset=keys.KPI_QUARTERLY, blocking=True,
        description="Each district's, province's and the country's value is the sum of its communes' rows "
        "for a `sum` KPI and their mean for an `avg` KPI (core.dim_kpi.aggregation), in every quarter "
        "written; a commune belongs to the district and province of its unit in force at quarter end.",
    ),
    dg.AssetCheckSpec(
        EVERY_KPI, asset=keys.KPI_QUARTERLY, blocking=True,
        description="Every KPI of core.dim_kpi that the quarter has (no criteria set, or the set it is "
        "scored on) has a row for every commune that reported in the quarter (the `avg` KPIs where it "
        "has a criteria score: towns and wards have none), its district (up to 2025-Q2), its province "
        "and the country.",
    ),
]


def _table(rows: list[tuple], columns: list[str]) -> dg.MetadataValue:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows[:SAMPLE_ROWS]]
    return dg.MetadataValue.md("\n".join(lines) if rows else "none")


def _run(conn: duckdb.DuckDBPyConnection, sql_file: str, periods: list[str]) -> tuple[list[tuple], list[str]]:
    cursor = conn.execute(read_sql(SQL / sql_file), {"periods": periods})
    return cursor.fetchall(), [d[0] for d in cursor.description]


def areas_add_up(conn: duckdb.DuckDBPyConnection, periods: list[str]) -> dg.AssetCheckResult:
    rows, columns = _run(conn, "check_area_totals.sql", periods)
    ((compared,),), _ = _run(conn, "check_area_rows.sql", periods)
    return dg.AssetCheckResult(
        check_name=AREAS_ADD_UP, asset_key=keys.KPI_QUARTERLY, passed=not rows, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"area_rows_compared": compared, "rows_not_adding_up": len(rows), "sample": _table(rows, columns)},
    )


def every_kpi_present(conn: duckdb.DuckDBPyConnection, periods: list[str]) -> dg.AssetCheckResult:
    rows, columns = _run(conn, "check_kpis_present.sql", periods)
    return dg.AssetCheckResult(
        check_name=EVERY_KPI, asset_key=keys.KPI_QUARTERLY, passed=not rows, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"kpis_missing": len(rows), "sample": _table(rows, columns)},
    )
