"""Checks on the crosswalks of the 2025 reform, run on the tables just written: every old unit
is carried in full (weights summing to 1) to units of the new list, every new unit is reached,
and provinces were merged whole. A newer vietnamadminunits whose conversion data has a key
that names no unit fails them, naming the units concerned, instead of losing a unit's figures
from every comparison across the reform."""

from pathlib import Path

import dagster as dg
import duckdb

from ntm_pipeline.defs import keys
from ntm_pipeline.warehouse import read_sql

SQL = Path(__file__).parent / "sql"
COMMUNE_CROSSWALK = keys.core("dim_commune_crosswalk")
PROVINCE_CROSSWALK = keys.core("dim_province_crosswalk")
EVERY_UNIT_CARRIED = "every_unit_carried_across_the_reform"
PROVINCES_MERGED_WHOLE = "provinces_merged_whole"
SAMPLE_ROWS = 20

COMMUNE_CHECKS = [
    dg.AssetCheckSpec(
        EVERY_UNIT_CARRIED, asset=COMMUNE_CROSSWALK,
        description="Every unit of the list in force on 30/06/2025 maps to units of the list of "
        "01/07/2025 with weights summing to 1 and one main successor, and every new unit is "
        "reached: a key of converter_2025.json that names no unit shows here as its unit.",
    ),
]
PROVINCE_CHECKS = [
    dg.AssetCheckSpec(
        PROVINCES_MERGED_WHOLE, asset=PROVINCE_CROSSWALK,
        description="Each of the 63 old provinces is in exactly one of the 34 new ones, each new one "
        "is reached, and every commune crosswalk pair stays within a merged pair of provinces.",
    ),
]


def _result(conn: duckdb.DuckDBPyConnection, name: str, asset: dg.AssetKey, sql_file: str) -> dg.AssetCheckResult:
    cursor = conn.execute(read_sql(SQL / sql_file))
    rows, columns = cursor.fetchall(), [d[0] for d in cursor.description]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows[:SAMPLE_ROWS]]
    return dg.AssetCheckResult(
        check_name=name, asset_key=asset, passed=not rows, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"problems": len(rows), "sample": dg.MetadataValue.md("\n".join(lines) if rows else "none")},
    )


def commune_crosswalk_checks(conn: duckdb.DuckDBPyConnection, periods=None):
    yield _result(conn, EVERY_UNIT_CARRIED, COMMUNE_CROSSWALK, "check_commune_crosswalk.sql")


def province_crosswalk_checks(conn: duckdb.DuckDBPyConnection, periods=None):
    yield _result(conn, PROVINCES_MERGED_WHOLE, PROVINCE_CROSSWALK, "check_province_crosswalk.sql")
