"""Reference dimensions: administrative units, criteria sets, code lists, star bands, periods, KPIs.

They live in the core schema beside the facts that join to them (asset keys core/dim_*), in
an asset group of their own, `reference`, so the lineage reads reference and raw, then
staging, quarantine, core and mart. Each write's data version is a hash of the table's
content, so a run that rewrites the same rows refreshes no mart. Administrative units come
from the GSO list maintained in the `vietnamadminunits` package; the rest from the small
CSV files carried in `ntm_pipeline/reference_data/`. Each is versioned so that the
post-2025 communes and the 2026-2030 criteria set arrive as new rows, not new tables.
"""


from pathlib import Path

from ntm_pipeline.defs import keys
from ntm_pipeline.defs.sql_asset import sql_table
from ntm_pipeline.partitions import FIRST_YEAR, LAST_YEAR
from ntm_pipeline.reference import reference_csv_path

SQL = Path(__file__).parent / "sql"


def _dimension(name: str, description: str, deps=(), params=None, frames=None):
    return sql_table(keys.core(name), SQL / f"{name}.sql", description=description,
                     deps=[keys.core(d) for d in deps], params=params, frames=frames)


def _csv_dimension(name: str, csv_name: str, description: str, deps=()):
    """A dimension read from one of the CSV files of ntm_pipeline/reference_data/."""
    return _dimension(name, description, deps, params=lambda: {"path": str(reference_csv_path(csv_name))})


def _admin_units_legacy() -> dict:
    """The GSO list before the 2025 reform, as the vietnamadminunits package ships it."""
    import pandas as pd
    from vietnamadminunits.database import query

    return {"admin_units": pd.DataFrame(query("SELECT * FROM admin_units_legacy"))}


dim_code = _csv_dimension(
    "dim_code", "code_list",
    "Code lists of the submission template (project categories and statuses, NTM titles, "
    "criteria sets, producer types, product groups, certifying levels, OCOP events, GAP "
    "standards), each code with its Vietnamese and English label.",
)
dim_code_key = _csv_dimension(
    "dim_code_key", "code_list",
    "Every spelling that resolves to a code (the code, its labels, common aliases) as an "
    "accent-free text key: how 'Đường giao thông nông thôn' in a file becomes 'road'.",
)
dim_criteria_set = _csv_dimension(
    "dim_criteria_set", "criteria_set",
    "Versioned NTM commune criteria sets: NTM_2021_2025 (Decision 318/QĐ-TTg, 19 criteria) "
    "with its legal basis and validity; the 2026-2030 set is added as a new row.",
)
dim_criterion = _csv_dimension(
    "dim_criterion", "criterion",
    "Criteria of each criteria set, numbered within the set, with Vietnamese and English "
    "names and their group.",
)
dim_ocop_star_band = _csv_dimension(
    "dim_ocop_star_band", "ocop_star_band",
    "OCOP score bands (Decision 148/QĐ-TTg): 90-100 five stars, 70 to under 90 four, 50 to under 70 three, "
    "30 to under 50 two, under 30 one; "
    "only 3 to 5 stars are certified OCOP products.",
)
dim_kpi = _csv_dimension(
    "dim_kpi", "kpi",
    "The KPI catalogue of mart.kpi_quarterly: code, unit, whether it is a stock (quarter-end "
    "value) or a flow (year-to-date sum), how it aggregates from communes, and its meaning.",
    deps=["dim_code"],
)


dim_period = _dimension(
    "dim_period",
    "Quarters of both programme periods (2021-2030) with their dates and the periods KPIs "
    "compare against: the same quarter last year and the previous quarter.",
    params=lambda: {"first_year": FIRST_YEAR, "last_year": LAST_YEAR},
)
dim_commune = _dimension(
    "dim_commune",
    "Commune-level units (xã, phường, thị trấn) of the GSO list before the 2025 reform, "
    "about 10,040 rows, with district, province and unit type. The GSO code is the key; "
    "rows are versioned by era and validity because codes were reused after 1 July 2025.",
    frames=_admin_units_legacy,
)
dim_commune_alias = _dimension(
    "dim_commune_alias",
    "Accent-free name keys of each commune, including the names of the communes merged "
    "into it in 2019-2020, for matching names typed in submissions (codes stay the key).",
    frames=_admin_units_legacy,
)
