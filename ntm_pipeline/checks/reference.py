"""The reference tables (core.dim_*) a check needs, built by the reference layer's own SQL
(ntm_pipeline/defs/reference/sql/, read from there) or copied from a built warehouse."""

from __future__ import annotations

from pathlib import Path

from ntm_pipeline.checks.staging import write_query
from ntm_pipeline.quarters import FIRST_YEAR, LAST_YEAR
from ntm_pipeline.reference import reference_csv_path
from ntm_pipeline.warehouse import read_sql

SQL = Path(__file__).parent / "sql"
REFERENCE_SQL = Path(__file__).resolve().parent.parent / "defs" / "reference" / "sql"
# Each dimension and the CSV file of reference_data/ its SQL reads ($path), in an order
# that builds a table after those it reads (dim_kpi reads dim_code).
CSV_DIMENSIONS = {
    "dim_code": "code_list",
    "dim_code_key": "code_list",
    "dim_criteria_set": "criteria_set",
    "dim_criterion": "criterion",
    "dim_ocop_star_band": "ocop_star_band",
    "dim_kpi": "kpi",
}
ADMIN_DIMENSIONS = ("dim_commune", "dim_commune_alias")  # from the GSO list (frame admin_units)
DIMENSIONS = ("dim_period", *CSV_DIMENSIONS, *ADMIN_DIMENSIONS)


def admin_units_legacy():
    """The GSO list before the 2025 reform, as the vietnamadminunits package ships it: the
    table its `database.query` reads, read from the package's SQLite file without importing
    the package (its address parsers take half a second to load)."""
    import importlib.util
    import sqlite3

    import pandas as pd

    package = Path(importlib.util.find_spec("vietnamadminunits").submodule_search_locations[0])
    with sqlite3.connect(package / "data" / "dataset.db") as db:
        cursor = db.execute(read_sql(SQL / "admin_units_legacy.sql"))
        return pd.DataFrame.from_records(cursor.fetchall(), columns=[d[0] for d in cursor.description])


def dimension_inputs(name: str) -> tuple[dict, dict]:
    """The bound parameters and the frames the SQL of dimension `name` reads."""
    if name == "dim_period":
        return {"first_year": FIRST_YEAR, "last_year": LAST_YEAR}, {}
    if name in CSV_DIMENSIONS:
        return {"path": str(reference_csv_path(CSV_DIMENSIONS[name]))}, {}
    return {}, {"admin_units": admin_units_legacy}


def build_reference(conn) -> None:
    """Write every core.dim_* table on `conn` from the reference SQL files."""
    admin_units = None
    for name in DIMENSIONS:
        params, frames = dimension_inputs(name)
        if frames:
            admin_units = admin_units if admin_units is not None else frames["admin_units"]()
            conn.register("admin_units", admin_units)
        try:
            write_query(conn, f"core.{name}", read_sql(REFERENCE_SQL / f"{name}.sql"), None, params, whole=True)
        finally:
            if frames:
                conn.unregister("admin_units")


def copy_reference(conn, warehouse: Path) -> None:
    """Copy every core.dim_* table from a built warehouse, opened read-only and closed at once
    (DuckDB lets no other process write the file while it is open)."""
    conn.execute("ATTACH ? AS built (READ_ONLY)", [str(warehouse)])
    try:
        for name in DIMENSIONS:
            conn.execute(f"CREATE OR REPLACE TABLE core.{name} AS SELECT * FROM built.core.{name}")
    finally:
        conn.execute("DETACH built")
