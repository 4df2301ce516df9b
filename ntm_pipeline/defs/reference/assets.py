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

from ntm_pipeline.checks.reference import dimension_inputs
from ntm_pipeline.defs import keys
from ntm_pipeline.defs.sql_asset import sql_table

SQL = Path(__file__).parent / "sql"


def _dimension(name: str, description: str, deps=()):
    """A dimension built by defs/reference/sql/<name>.sql from the inputs the checks library
    builds it from too (checks.reference.dimension_inputs): a CSV file of reference_data/,
    the programme's years, or the GSO list of the vietnamadminunits package."""
    def params():
        return dimension_inputs(name)[0]

    def frames():
        return {frame: load() for frame, load in dimension_inputs(name)[1].items()}

    return sql_table(keys.core(name), SQL / f"{name}.sql", description=description,
                     deps=[keys.core(d) for d in deps], params=params, frames=frames)


dim_code = _dimension(
    "dim_code",
    "Code lists of the submission template (project categories and statuses, NTM titles, "
    "criteria sets, producer types, product groups, certifying levels, OCOP events, GAP "
    "standards), each code with its Vietnamese and English label.",
)
dim_code_key = _dimension(
    "dim_code_key",
    "Every spelling that resolves to a code (the code, its labels, common aliases) as an "
    "accent-free text key: how 'Đường giao thông nông thôn' in a file becomes 'road'.",
)
dim_criteria_set = _dimension(
    "dim_criteria_set",
    "Versioned NTM commune criteria sets: NTM_2021_2025 (Decision 318/QĐ-TTg, 19 criteria) "
    "with its legal basis and validity; the 2026-2030 set is added as a new row.",
)
dim_criterion = _dimension(
    "dim_criterion",
    "Criteria of each criteria set, numbered within the set, with Vietnamese and English "
    "names and their group.",
)
dim_ocop_star_band = _dimension(
    "dim_ocop_star_band",
    "OCOP score bands (Decision 148/QĐ-TTg): 90-100 five stars, 70 to under 90 four, 50 to under 70 three, "
    "30 to under 50 two, under 30 one; "
    "only 3 to 5 stars are certified OCOP products.",
)
dim_kpi = _dimension(
    "dim_kpi",
    "The KPI catalogue of mart.kpi_quarterly: code, unit, whether it is a stock (quarter-end "
    "value) or a flow (year-to-date sum), how it aggregates from communes, and its meaning.",
    deps=["dim_code"],
)


dim_period = _dimension(
    "dim_period",
    "Quarters of both programme periods (2021-2030) with their dates and the periods KPIs "
    "compare against: the same quarter last year and the previous quarter.",
)
dim_commune = _dimension(
    "dim_commune",
    "Commune-level units (xã, phường, thị trấn) of the GSO list before the 2025 reform, "
    "about 10,040 rows, with district, province and unit type. The GSO code is the key; "
    "rows are versioned by era and validity because codes were reused after 1 July 2025.",
)
dim_commune_alias = _dimension(
    "dim_commune_alias",
    "Accent-free name keys of each commune, including the names of the communes merged "
    "into it in 2019-2020, for matching names typed in submissions (codes stay the key).",
)
