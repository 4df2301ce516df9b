"""The reference tables (core.dim_*) a check needs, built by the reference layer's own SQL
(ntm_pipeline/defs/reference/sql/, read from there) or copied from a built warehouse."""

from __future__ import annotations

import functools
from pathlib import Path

from ntm_pipeline.checks.staging import write_query
from ntm_pipeline.quarters import FIRST_YEAR, LAST_YEAR
from ntm_pipeline.reference import reference_csv_path
from ntm_pipeline.warehouse import read_sql

SQL = Path(__file__).parent / "sql"
REFERENCE_SQL = Path(__file__).resolve().parent.parent / "defs" / "reference" / "sql"
# Each dimension and the CSV file of reference_data/ its SQL reads ($path).
CSV_DIMENSIONS = {
    "dim_admin_era": "admin_era",
    "dim_code": "code_list",
    "dim_code_key": "code_list",
    "dim_criteria_set": "criteria_set",
    "dim_criterion": "criterion",
    "dim_criterion_indicator": "criterion_indicator",
    "dim_ocop_star_band": "ocop_star_band",
    "dim_kpi": "kpi",
}
# Each dimension built from the vietnamadminunits package and the frames its SQL reads,
# named as the package's tables (the eras' units are matched by core.dim_admin_era.source_table).
# The crosswalks also read the package's conversion data ($converter).
ADMIN_DIMENSIONS = {
    "dim_commune": ("admin_units_legacy", "admin_units"),
    "dim_commune_alias": ("admin_units_legacy", "admin_units"),
    "dim_commune_crosswalk": ("admin_units_legacy", "admin_units"),
    "dim_province_crosswalk": ("admin_units_legacy", "admin_units"),
}
CONVERTER_DIMENSIONS = ("dim_commune_crosswalk", "dim_province_crosswalk")
# In an order that builds a table after those it reads: dim_kpi reads dim_code; dim_period
# reads dim_admin_era and dim_criteria_set; the units read dim_admin_era.
DIMENSIONS = (*CSV_DIMENSIONS, "dim_period", *ADMIN_DIMENSIONS)


def _package_dir() -> Path:
    import importlib.util

    return Path(importlib.util.find_spec("vietnamadminunits").submodule_search_locations[0])


@functools.cache
def package_table(name: str):
    """A table of the vietnamadminunits package's dataset (admin_units_legacy: the GSO units
    before the 2025 reform; admin_units: the units from 1 July 2025), read from its SQLite
    file by checks/sql/<name>.sql without importing the package (its address parsers take
    half a second to load). Read once per process; the frame is only read from."""
    import sqlite3

    import pandas as pd

    with sqlite3.connect(_package_dir() / "data" / "dataset.db") as db:
        cursor = db.execute(read_sql(SQL / f"{name}.sql"))
        return pd.DataFrame.from_records(cursor.fetchall(), columns=[d[0] for d in cursor.description])


def converter_2025() -> Path:
    """The package's conversion data of the 2025 reform: which old units make each new one, and
    for each divided old unit the new units it went to, with their areas."""
    return _package_dir() / "data" / "converter_2025.json"


FRAMES = {
    "admin_units_legacy": lambda: package_table("admin_units_legacy"),
    "admin_units": lambda: package_table("admin_units"),
}


def dimension_inputs(name: str) -> tuple[dict, dict]:
    """The bound parameters and the frames (name -> loader) the SQL of dimension `name` reads."""
    if name == "dim_period":
        return {"first_year": FIRST_YEAR, "last_year": LAST_YEAR}, {}
    if name in CSV_DIMENSIONS:
        return {"path": str(reference_csv_path(CSV_DIMENSIONS[name]))}, {}
    params = {"converter": str(converter_2025())} if name in CONVERTER_DIMENSIONS else {}
    return params, {frame: FRAMES[frame] for frame in ADMIN_DIMENSIONS[name]}


def build_reference(conn) -> None:
    """Write every core.dim_* table on `conn` from the reference SQL files."""
    for name in DIMENSIONS:
        params, frames = dimension_inputs(name)
        for frame, load in frames.items():
            conn.register(frame, load())
        try:
            write_query(conn, f"core.{name}", read_sql(REFERENCE_SQL / f"{name}.sql"), None, params, whole=True)
        finally:
            for frame in frames:
                conn.unregister(frame)


def copy_reference(conn, warehouse: Path) -> None:
    """Copy every core.dim_* table from a built warehouse, opened read-only and closed at once
    (DuckDB lets no other process write the file while it is open)."""
    conn.execute("ATTACH ? AS built (READ_ONLY)", [str(warehouse)])
    try:
        for name in DIMENSIONS:
            conn.execute(f"CREATE OR REPLACE TABLE core.{name} AS SELECT * FROM built.core.{name}")
    finally:
        conn.execute("DETACH built")
