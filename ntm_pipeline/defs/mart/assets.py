"""Mart: the quarterly KPI table analysts query and the district report is written from."""

from pathlib import Path

import dagster as dg

from ntm_pipeline.defs import keys
from ntm_pipeline.defs.mart.checks import CHECK_SPECS, areas_add_up, every_kpi_present
from ntm_pipeline.defs.sql_asset import sql_table
from ntm_pipeline.partitions import by_quarter, partition_periods
from ntm_pipeline.resources import WarehouseResource
from ntm_pipeline.warehouse import WAREHOUSE_POOL, warehouse

SQL = Path(__file__).parent / "sql"
AC = dg.AutomationCondition
# The marts follow their inputs (the refresh_marts sensor evaluates this): Dagster's eager
# condition, triggered by an input whose data version changed rather than by any rewrite.
# A fact's quarter gets a new version each time it is written, so a fact rewritten alone
# refreshes that quarter's marts; a whole table (reference lists, targets) keeps its version
# while its content does, so the run of one quarter, which rewrites them unchanged, does not
# refresh every other quarter. A run that also rebuilt the mart starts nothing.
INPUTS_CHANGED = AC.any_deps_match(
    (AC.data_version_changed() & ~AC.executed_with_root_target()) | AC.will_be_requested()
).with_label("any_deps_changed")
FOLLOW_INPUTS = AC.eager().replace("any_deps_updated", INPUTS_CHANGED).with_label("eager, on changed inputs")


def _from(table: str, *columns: str) -> list[dg.TableColumnDep]:
    return [dg.TableColumnDep(asset_key=keys.core(table), column_name=c) for c in columns]


# Where each column of the KPI table comes from.
KPI_LINEAGE = dg.TableColumnLineage(deps_by_column={
    "period": _from("dim_period", "period"),
    "area_code": _from("dim_commune", "commune_code", "district_code", "province_code"),
    "area_name": _from("dim_commune", "commune_full_name", "district_full_name", "province_full_name"),
    "communes_reporting": _from("fact_commune_status", "commune_code"),
    "communes_in_area": _from("dim_commune", "commune_code", "district_code", "province_code"),
    "kpi_code": _from("dim_kpi", "kpi_code") + _from("fact_investment", "category", "status"),
    "unit": _from("dim_kpi", "unit"),
    "value": (
        _from("fact_investment", "capital_total", "status", "category", "project_code")
        + _from("fact_certified_area", "certified_area_ha", "standard")
        + _from("fact_commune_status", "agri_cooperatives", "farms", "ntm_title", "proposed_title")
        + _from("fact_criteria_snapshot", "is_met")
        + _from("fact_ocop_rating", "stars", "decision_date", "event_type", "is_valid_at_period_end")
    ),
    "yoy_basis": _from("dim_kpi", "across_reform", "across_criteria_sets")
    + _from("dim_commune_crosswalk", "weight", "split_estimated") + _from("dim_period", "admin_era", "criteria_set"),
    "target": _from("fact_target", "target_value"),
})


def _kpi_checks(conn, periods: list[str]):
    yield areas_add_up(conn, periods)
    yield every_kpi_present(conn, periods)


kpi_quarterly = sql_table(
    keys.KPI_QUARTERLY, SQL / "kpi_quarterly.sql",
    description="Quarterly KPIs: one row per quarter, area and KPI, with the value, the same quarter "
    "last year on this quarter's units, how that comparison was made (yoy_basis: same_units, "
    "crosswalk, crosswalk_estimated, not_comparable), the change on it (yoy_delta, yoy_pct) and that "
    "year's target, and how many of the area's communes reported. Areas: commune, district and "
    "province (63) up to 2025-Q2, commune and province (34) from 2025-Q3, and the country "
    "(national) in every quarter. Capital, projects by category and status, VietGAP and GlobalGAP "
    "areas, cooperatives and farms, OCOP products, criteria met of the quarter's criteria set and "
    "its bands, and NTM titles: the figures of the quarterly reports.",
    deps=[keys.core(name) for name in (
        "fact_commune_status", "fact_investment", "fact_criteria_snapshot", "fact_ocop_rating",
        "fact_certified_area", "fact_target", "dim_kpi", "dim_period", "dim_commune",
        "dim_admin_era", "dim_commune_crosswalk",
    )] + [keys.ROW_RECONCILIATION],
    partitioned=True,
    column_lineage=KPI_LINEAGE,
    check_specs=CHECK_SPECS,
    checks=_kpi_checks,
    automation_condition=FOLLOW_INPUTS,
)


def _mart(key: dg.AssetKey, description: str, deps: list[dg.AssetKey], template: bool = False) -> dg.AssetsDefinition:
    return sql_table(key, SQL / f"{key.path[-1]}.sql", description=description, deps=deps,
                     partitioned=True, template=template, automation_condition=FOLLOW_INPUTS)


kpi_wide = _mart(
    keys.KPI_WIDE,
    "The KPI table turned wide for spreadsheets: one row per area (commune, district, province, "
    "national) and quarter, one column per KPI of the catalogue, dots in KPI codes written as "
    "underscores (projects_ongoing_road), NULL where the quarter has no such KPI (the bands of the "
    "other criteria set). Its quarters are written from mart.kpi_quarterly's.",
    [keys.KPI_QUARTERLY], template=True,
)
commune_scorecard = _mart(
    keys.COMMUNE_SCORECARD,
    "The NTM office's to-do list: each rural commune not yet NTM (or NTM, short of the next title "
    "valid in the quarter: advanced NTM up to 2025, modern NTM from 2026) per quarter, with the "
    "criteria of its set it still misses, by name, and the criteria it gained or lost since the "
    "previous quarter.",
    [keys.core(n) for n in ("fact_commune_status", "fact_criteria_snapshot", "dim_commune", "dim_period", "dim_code")],
)
ocop_register = _mart(
    keys.OCOP_REGISTER,
    "The OCOP register at quarter end: every certified product (3 stars or more, certificate "
    "valid) with its stars, producer, certificate date and expiry, flagged when it is due for "
    "re-rating within the next two quarters.",
    [keys.core(n) for n in ("fact_ocop_rating", "dim_commune", "dim_period")],
)
capital_by_source = _mart(
    keys.CAPITAL_BY_SOURCE,
    "Capital mobilised per commune, district (up to 2025-Q2), province and the country by project "
    "category and by source (central and local budgets, integrated programmes, credit, "
    "enterprises, people), in the quarter and year to date, million VND, on the units in force "
    "at quarter end (2025's first half carried to the new communes through the crosswalk).",
    [keys.core(n) for n in ("fact_investment", "dim_period", "dim_commune", "dim_admin_era", "dim_commune_crosswalk")],
)


# Hand-written: the work is writing report files (Markdown, HTML, Excel), not a table.
@dg.asset(
    key=keys.QUARTERLY_REPORT,
    deps=[keys.KPI_QUARTERLY, keys.OCOP_REGISTER, keys.CAPITAL_BY_SOURCE]
    + [keys.core(n) for n in ("fact_commune_status", "fact_criteria_snapshot", "fact_ocop_rating", "fact_certified_area")],
    kinds={"duckdb", "markdown", "excel"},
    pool=WAREHOUSE_POOL,
    **by_quarter(),
)
def quarterly_report(context: dg.AssetExecutionContext, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """The quarterly NTM report of every district and province (from 2025-Q3, when there are no
    districts, of every province and every commune that reported), written from the warehouse in
    the style of the district news releases: capital, projects by category, VietGAP and
    GlobalGAP areas against the same quarter last year, cooperatives and farms, OCOP products,
    criteria, NTM communes by name, the bands and the year's targets with what remains. As
    Markdown, HTML with charts and an Excel workbook for print, in reports/<quarter>/.

    Not part of quarter_job: report_job writes them once the data run is published (the
    reports_after_publish sensor, or `ntm run`), for that run's newest quarter, the one being
    reported on (a backfill of eight quarters does not rewrite seven published ones; at national
    scale that is some 6,000 reports). `ntm report --period` writes any other quarter's on
    demand. A report whose inputs (a digest of its rows, taken in SQL) are unchanged is not
    built, and one built to the content its files hold is not rewritten: a correction builds
    and rewrites the reports of its district and province only."""
    from ntm_pipeline.report.build import report_areas, write_reports
    from ntm_pipeline.settings import reports_dir

    period = partition_periods(context)[-1]
    with warehouse(duckdb) as conn:
        areas = report_areas(conn, period)
    reports = write_reports(duckdb.run_database, period, areas, reports_dir() / period)
    written = reports.files
    # The UI shows the report of the first district by code (after the reform, of the first
    # province), as written.
    pages = [p for p in written if p.suffix == ".md"]
    preview = min((p for p in pages if "-district-" in p.name), key=lambda p: p.name, default=None) or min(
        (p for p in pages if "-province-" in p.name), key=lambda p: p.name, default=None)
    return dg.MaterializeResult(metadata={
        "period": period,
        "reports": len([p for p in written if p.suffix == ".md"]),
        "reports_rewritten": reports.rewritten,
        "reports_unchanged": reports.unchanged,
        "reports_built": reports.built,
        "folder": dg.MetadataValue.path(str(reports_dir())),
        "files": dg.MetadataValue.md("\n".join(f"- `{p.name}`" for p in written if p.suffix != ".svg")),
        **({"preview": dg.MetadataValue.md(preview.read_text(encoding="utf-8"))} if preview else {}),
    })
