"""Reference dimensions: administrative units, criteria sets, code lists, star bands, periods, KPIs.

They live in the core schema beside the facts that join to them (asset keys core/dim_*), in
an asset group of their own, `reference`, so the lineage reads reference and raw, then
staging, quarantine, core and mart. Each write's data version is a hash of the table's
content, so a run that rewrites the same rows refreshes no mart. Administrative units come
from the two lists of the `vietnamadminunits` package (before and after the 1 July 2025
reform); the rest from the small CSV files carried in `ntm_pipeline/reference_data/`. Units,
criteria sets and codes are versioned by validity: a code names a unit, a criterion or a
title only together with a day, and a future change arrives as new rows, not new tables.
"""


from pathlib import Path

from ntm_pipeline.checks.reference import dimension_inputs
from ntm_pipeline.defs import keys
from ntm_pipeline.defs.reference.checks import (
    COMMUNE_CHECKS,
    PROVINCE_CHECKS,
    commune_crosswalk_checks,
    province_crosswalk_checks,
)
from ntm_pipeline.defs.sql_asset import sql_table

SQL = Path(__file__).parent / "sql"


def _dimension(name: str, description: str, deps=(), check_specs=(), checks=None):
    """A dimension built by defs/reference/sql/<name>.sql from the inputs the checks library
    builds it from too (checks.reference.dimension_inputs): a CSV file of reference_data/,
    the programme's years, or the unit lists of the vietnamadminunits package."""
    def params():
        return dimension_inputs(name)[0]

    def frames():
        return {frame: load() for frame, load in dimension_inputs(name)[1].items()}

    return sql_table(keys.core(name), SQL / f"{name}.sql", description=description,
                     deps=[keys.core(d) for d in deps], params=params, frames=frames,
                     check_specs=check_specs, checks=checks)


dim_admin_era = _dimension(
    "dim_admin_era",
    "Administrative eras, each the span of days one list of units is in force: pre_2025 (to "
    "30/06/2025: 63 provinces, districts, about 10,040 commune-level units) and post_2025 (from "
    "01/07/2025: 34 provinces, no districts, 3,321 units), with the vietnamadminunits table each "
    "comes from. A future change of units is a new row and its list, not code.",
)
dim_code = _dimension(
    "dim_code",
    "Code lists of the submission template (project categories and statuses, NTM titles, "
    "criteria sets, commune groups, producer types, product groups, certifying levels, OCOP "
    "events, GAP standards), each code with its Vietnamese and English label and the days it is "
    "valid: a code is valid for a quarter when in_force(valid_from, valid_to, its end_date). "
    "The titles advanced and model belong to 2021-2025; modern (the pilot xã nông thôn mới hiện "
    "đại) and the commune groups 1-3 to 2026-2030.",
)
dim_code_key = _dimension(
    "dim_code_key",
    "Every spelling that resolves to a code (the code, its labels, common aliases) as an "
    "accent-free text key: how 'Đường giao thông nông thôn' in a file becomes 'road'.",
)
dim_criteria_set = _dimension(
    "dim_criteria_set",
    "Versioned NTM commune criteria sets: NTM_2021_2025 (Decision 318/QĐ-TTg, 19 criteria, scores "
    "the quarters of 2021-2025) and NTM_2026_2030 (Decision 51/2025/QĐ-TTg, 10 criteria and 47 "
    "indicators, in force 15/02/2026, scores the quarters of 2026-2030). A quarter is scored on "
    "the set whose validity holds its last day (core.dim_period.criteria_set).",
)
dim_criterion = _dimension(
    "dim_criterion",
    "Criteria of each criteria set, numbered within the set, with Vietnamese and English "
    "names and their group (the 2026-2030 set has no groups of criteria).",
)
dim_criterion_indicator = _dimension(
    "dim_criterion_indicator",
    "Indicators (chỉ tiêu) of each criterion, numbered within it as the decision numbers them "
    "('2.1' is an indicator of criterion 2), with whether the row is verified against the "
    "decision's text and its source. Decision 51/2025/QĐ-TTg has 47 indicators, none of them "
    "confirmed yet, so the list is empty: it is filled in and corrected as data in "
    "reference_data/criterion_indicator.csv, with no change of code. Indicator rows of a "
    "submission are checked against their criterion, not against this list.",
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
    "Quarters of both programme periods (2021-2030) with their dates, the periods KPIs compare "
    "against (the same quarter last year, the previous quarter), and what was in force on the "
    "quarter's last day: its administrative era (2025-Q2 pre_2025, 2025-Q3 post_2025) and its "
    "criteria set (2025-Q4 NTM_2021_2025, 2026-Q1 NTM_2026_2030).",
    deps=["dim_admin_era", "dim_criteria_set"],
)
dim_commune = _dimension(
    "dim_commune",
    "Commune-level units of both eras, one row per code and era: before the 2025 reform "
    "(pre_2025, valid to 30/06/2025: 10,040 xã, phường, thị trấn with district and one of 63 "
    "provinces) and after it (post_2025, valid from 01/07/2025: 3,321 xã, phường, đặc khu in "
    "one of 34 provinces, no district, with their area). 3,316 new units reuse the code of a "
    "unit they absorbed (04978 is Thị trấn Bo to 30/06/2025 and Xã Kim Bôi after), so a code "
    "names a unit only with a day: join on commune_code and in_force(valid_from, valid_to, "
    "the quarter's end_date).",
    deps=["dim_admin_era"],
)
dim_commune_alias = _dimension(
    "dim_commune_alias",
    "Accent-free name keys of each commune of both eras (by commune_code and admin_era), "
    "including the names of the communes merged into it in 2019-2020, for matching names "
    "typed in submissions against the unit of the quarter's era (codes stay the key).",
    deps=["dim_admin_era"],
)
dim_commune_crosswalk = _dimension(
    "dim_commune_crosswalk",
    "The 2025 reform, unit by unit: one row per (old unit, new unit) pair, from every unit of the "
    "pre_2025 list (valid to 30/06/2025) to the post_2025 unit(s) it became, built from the "
    "vietnamadminunits package's conversion data (data/converter_2025.json) and its two unit "
    "tables, never typed by hand: a newer package that corrects a unit flows through. weight is 1 "
    "for an old unit taken whole into one new unit (is_main_successor true). For each of the 471 "
    "old units divided among several new ones (split_estimated true), the package gives only the "
    "new units' areas, not the areas of the parts, so the split is an estimate: each new unit's "
    "share of the summed areas of the new units the old one went to (weights of an old unit sum "
    "to 1), or, where such an area is missing or zero, 1 for the package's default successor "
    "(is_main_successor) and 0 for the others. Carries last year's figures onto today's "
    "boundaries: an additive figure of an old unit times weight, summed by new unit. The five "
    "island districts that had no commune (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo) "
    "have a row with their district code and no commune code: they became special zones.",
    deps=["dim_commune"],
    check_specs=COMMUNE_CHECKS,
    checks=commune_crosswalk_checks,
)
dim_province_crosswalk = _dimension(
    "dim_province_crosswalk",
    "The 2025 reform, province by province: each of the 63 old provinces and the one of the 34 "
    "new provinces it was merged into (Hòa Bình 17 into Phú Thọ 25), from the package's "
    "converter_2025.json. Provinces were merged whole, so every weight is 1; the check holds "
    "every pair of the commune crosswalk to these provinces.",
    deps=["dim_commune_crosswalk"],
    check_specs=PROVINCE_CHECKS,
    checks=province_crosswalk_checks,
)
