"""Core facts: what the communes reported, validated, at the grain analysts join on.

Each fact reads its staging table minus the rows quarantined for a critical finding, and
keeps only rows of communes whose submission header was published for the period.
"""


from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from ntm_pipeline.contract import (
    CERTIFIED_AREA,
    CRITERIA,
    INVESTMENT,
    OCOP_PRODUCT,
    SUBMISSION,
    SUBMISSION_TABLES,
    TARGET,
    SubmissionTable,
)
from ntm_pipeline.defs.quarantine.assets import code_lists, quarantine_key
from ntm_pipeline.defs.raw.assets import raw_key
from ntm_pipeline.defs.staging.assets import QUARANTINED_FILES_KEY, staging_key
from ntm_pipeline.partitions import by_quarter, partition_periods
from ntm_pipeline.quality.validate import ROW_KEY, validate_by_period, validate_rows
from ntm_pipeline.warehouse import OWNERS, WAREHOUSE_POOL, materialize_sql, sql_reference, warehouse

SQL = Path(__file__).parent / "sql"
COMMUNE_STATUS = dg.AssetKey(["core", "fact_commune_status"])


FACT_CHECK = "fact_rules"
# How a fact's rows are named in its check's samples: by where they came from, else by grain.
FACT_INDEX = {
    "fact_certified_area": ["period", "commune_code", "product", "standard"],
    "fact_target": ["year", "area_level", "area_code", "kpi_code"],
}


def _fact(name: str, source: SubmissionTable, description: str, extra_deps: list[str] = ()) -> dg.AssetsDefinition:
    key = dg.AssetKey(["core", name])
    partitioned = source is not TARGET
    deps = [staging_key(source), quarantine_key(source), *(dg.AssetKey(["core", d]) for d in extra_deps)]
    if partitioned and source is not SUBMISSION:
        deps.append(COMMUNE_STATUS)

    @dg.asset(
        key=key,
        deps=deps,
        group_name="core",
        kinds={"duckdb", "sql", "great_expectations"},
        owners=OWNERS,
        pool=WAREHOUSE_POOL,
        description=description,
        metadata=sql_reference(SQL / f"{name}.sql"),
        **by_quarter(partitioned),
        check_specs=[
            dg.AssetCheckSpec(
                FACT_CHECK, asset=key, blocking=True,
                description=f"The expectations/{name}.json suite on the rows just written: keys unique and "
                "complete, codes listed, amounts not negative. Blocks the marts when it fails.",
            )
        ],
    )
    def _asset(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
        periods = partition_periods(context) if partitioned else None
        lineage = [staging_key(source)] + ([COMMUNE_STATUS] if COMMUNE_STATUS in deps else [])
        yield materialize_sql(duckdb, f"core.{name}", SQL / f"{name}.sql", periods=periods, lineage_from=lineage)
        index_columns = FACT_INDEX.get(name, ROW_KEY)
        with warehouse(duckdb) as conn:
            lists = code_lists(conn)
            if periods is None:
                rows = conn.execute(f"SELECT * FROM core.{name}").df()
                validation = validate_rows(name, rows, lists, index_columns=index_columns)
            else:
                validation = validate_by_period(
                    name, periods,
                    lambda period: (conn.execute(f"SELECT * FROM core.{name} WHERE period = ?", [period]).df(), None),
                    lists, index_columns=index_columns,
                )
        yield dg.AssetCheckResult(
            check_name=FACT_CHECK,
            passed=not validation.failed("critical"),
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=validation.check_metadata("critical"),
        )

    return _asset


fact_commune_status = _fact(
    "fact_commune_status", SUBMISSION,
    "One row per commune and quarter that sent a valid submission: its NTM title and the "
    "year it was recognised, the title it is proposed for, and its agricultural cooperatives "
    "and farms at quarter end. The spine every other fact joins to.",
)
fact_investment = _fact(
    "fact_investment", INVESTMENT,
    "One row per investment project and quarter: category, status at quarter end (ongoing, "
    "preparing, completed) and capital mobilised during the quarter by source, million VND.",
)
fact_criteria_snapshot = _fact(
    "fact_criteria_snapshot", CRITERIA,
    "One row per commune, criterion and quarter: whether the commune met the criterion of its "
    "criteria set at quarter end. Towns do not appear: they are not scored on rural criteria.",
    ["dim_criterion"],
)
fact_ocop_rating = _fact(
    "fact_ocop_rating", OCOP_PRODUCT,
    "One row per OCOP rating event (new certification, re-rating, upgrade) as listed in each "
    "quarter's register: stars, score, decision, certificate validity (36 months) and whether "
    "it is the product's current rating and still valid at quarter end.",
    ["dim_ocop_star_band"],
)
fact_certified_area = _fact(
    "fact_certified_area", CERTIFIED_AREA,
    "One row per commune, product, standard (VietGAP, GlobalGAP, organic) and quarter: "
    "hectares under a certificate valid at quarter end, beside the hectares reported.",
)
fact_target = _fact(
    "fact_target", TARGET,
    "Annual targets by year, area (district or province) and KPI code, from raw/targets/.",
    ["dim_kpi"],
)


RECONCILIATION_KEY = dg.AssetKey(["core", "row_reconciliation"])
FACT_KEYS = [dg.AssetKey(["core", n]) for n in (
    "fact_commune_status", "fact_investment", "fact_criteria_snapshot", "fact_ocop_rating", "fact_certified_area",
)]


@dg.asset(
    key=RECONCILIATION_KEY,
    deps=[
        *FACT_KEYS, QUARANTINED_FILES_KEY,
        *(k for t in SUBMISSION_TABLES for k in (raw_key(t), staging_key(t), quarantine_key(t))),
    ],
    group_name="core",
    kinds={"duckdb", "sql"},
    owners=OWNERS,
    pool=WAREHOUSE_POOL,
    metadata=sql_reference(SQL / "row_reconciliation.sql"),
    **by_quarter(),
    check_specs=[
        dg.AssetCheckSpec(
            "every_row_accounted_for", asset=RECONCILIATION_KEY, blocking=True,
            description="Per file and table: rows read = published + quarantined + in a file taken out "
            "whole + superseded by a correction, each row once. Blocks the marts when a row is lost.",
        )
    ],
)
def row_reconciliation(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """Where every row read from a submission went, per quarter, file and table: published in
    a fact, quarantined for a critical finding, in a file taken out whole, or superseded by a
    correction. A row in none of these, or in two, is a loss the check reports."""
    periods = partition_periods(context)
    yield materialize_sql(duckdb, "core.row_reconciliation", SQL / "row_reconciliation.sql", periods=periods)
    with warehouse(duckdb) as conn:
        params = {"periods": periods}
        totals = conn.execute(
            "SELECT coalesce(sum(rows_read), 0), coalesce(sum(rows_published), 0), coalesce(sum(rows_quarantined), 0), "
            "coalesce(sum(rows_in_quarantined_file), 0), coalesce(sum(rows_superseded), 0), "
            "coalesce(sum(rows_unaccounted), 0), coalesce(sum(rows_counted_twice), 0) "
            "FROM core.row_reconciliation WHERE period IN (SELECT unnest($periods))", params,
        ).fetchall()[0]
        problems = conn.execute(
            "SELECT period, source_file, table_name, rows_read, rows_unaccounted, rows_counted_twice "
            "FROM core.row_reconciliation WHERE period IN (SELECT unnest($periods)) "
            "AND (rows_unaccounted > 0 OR rows_counted_twice > 0) ORDER BY 1, 2, 3 LIMIT 20", params,
        ).fetchall()
    read, published, quarantined, in_files, superseded, unaccounted, twice = totals
    yield dg.AssetCheckResult(
        check_name="every_row_accounted_for",
        passed=unaccounted == 0 and twice == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rows_read": int(read), "rows_published": int(published), "rows_quarantined": int(quarantined),
            "rows_in_quarantined_files": int(in_files), "rows_superseded": int(superseded),
            "rows_unaccounted": int(unaccounted), "rows_counted_twice": int(twice),
            "problems": dg.MetadataValue.md(
                "\n".join(["| period | file | table | read | unaccounted | twice |", "|---|---|---|---|---|---|"]
                          + [f"| {' | '.join(str(v) for v in row)} |" for row in problems]) if problems else "none"
            ),
        },
    )
