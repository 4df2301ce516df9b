"""Core facts: what the communes reported, validated, at the grain analysts join on.

Each fact reads its staging table minus the rows quarantined for a critical finding, and
a detail table's fact keeps only rows of communes whose submission header was published for
the period (core.fact_commune_status). Each is checked by the suite expectations/<fact>.json
on the rows just written, several quarters to a Great Expectations call.
"""

from pathlib import Path

import dagster as dg
import duckdb

from ntm_pipeline.contract import ALL_TABLES, CRITERIA, SUBMISSION, SUBMISSION_TABLES, SubmissionTable
from ntm_pipeline.defs import keys
from ntm_pipeline.defs.sql_asset import sql_table
from ntm_pipeline.quality.validate import ROW_KEY, needed_columns, validate_by_period, validate_rows
from ntm_pipeline.reference import code_lists
from ntm_pipeline.warehouse import read_sql, table_name

SQL = Path(__file__).parent / "sql"
COMMUNE_STATUS = keys.fact(SUBMISSION)

FACT_CHECK = "fact_rules"
# How a fact's rows are named in its check's samples: by where they came from, else by grain.
FACT_INDEX = {
    "fact_certified_area": ["period", "commune_code", "product", "standard"],
    "fact_target": ["year", "area_level", "area_code", "kpi_code"],
}


def _suite_check(name: str):
    """The suite expectations/<name>.json on the fact core.<name> just written, by batches of
    quarters (quality/validate.py, ROW_CAP); of the fact, only the columns the suite reads."""
    fact = table_name(keys.core(name))
    index_columns = FACT_INDEX.get(name, ROW_KEY)

    def check(conn: duckdb.DuckDBPyConnection, periods: list[str] | None):
        lists = code_lists(conn)
        table = conn.table(fact)
        needed = [duckdb.ColumnExpression(c) for c in needed_columns(name, index_columns) if c in table.columns]
        if periods is None:
            validation = validate_rows(name, table.select(*needed).sort(*needed).df(), lists, index_columns=index_columns)
        else:
            def of(batch):
                return table.filter(duckdb.ColumnExpression("period").isin(*map(duckdb.ConstantExpression, batch)))

            def row_counts(batch):
                return dict(of(batch).aggregate([duckdb.ColumnExpression("period"),
                                                 duckdb.FunctionExpression("count_star")]).fetchall())

            def rows_of(batch):  # in the order of every column read: each quarter's rows as fetched alone
                return of(batch).select(*needed).sort(*needed).df(), None

            validation = validate_by_period(name, periods, rows_of, lists, row_counts, index_columns=index_columns)
        yield dg.AssetCheckResult(
            check_name=FACT_CHECK, passed=not validation.failed("critical"),
            severity=dg.AssetCheckSeverity.ERROR, metadata=validation.check_metadata("critical"),
        )

    return check


def _fact(source: SubmissionTable, description: str, extra_deps: list[str] = (),
          name: str | None = None) -> dg.AssetsDefinition:
    """The fact `name` (the contract table's own fact by default) from the table's staged rows."""
    name = name or source.fact
    key = keys.core(name)
    upstream = [keys.staging(source)] + ([COMMUNE_STATUS] if source.waits_for_header else [])
    return sql_table(
        key, SQL / f"{name}.sql",
        description=description,
        deps=[*upstream, keys.quarantine(source), *(keys.core(d) for d in extra_deps)],
        partitioned=source.partitioned,
        kinds=("duckdb", "sql", "great_expectations"),
        lineage_from=upstream,
        check_specs=[dg.AssetCheckSpec(
            FACT_CHECK, asset=key, blocking=True,
            description=f"The expectations/{name}.json suite on the rows just written: keys unique and "
            "complete, codes listed, amounts not negative. Blocks the marts when it fails.",
        )],
        checks=_suite_check(name),
        template_for=source,
    )


# The reference tables a fact's SQL reads beyond its staging table and header.
FACT_REFERENCES = {"submission": ["dim_period"], "criteria": ["dim_criterion"],
                   "ocop_product": ["dim_ocop_star_band"], "target": ["dim_kpi"]}

fact_assets = [_fact(t, t.fact_description, FACT_REFERENCES.get(t.name, [])) for t in ALL_TABLES]

# Indicator rows of the criteria sheet (2.1, 2.2, ...) are a fact of their own, so that
# core.fact_criteria_snapshot stays one row per criterion and counts criteria.
CRITERIA_INDICATOR = "fact_criteria_indicator"
fact_assets.append(_fact(
    CRITERIA,
    "One row per commune, indicator of a criterion and quarter (2.1: indicator 1 of criterion 2): "
    "met or not at quarter end. Optional rows, kept when their criterion is one of the set's; "
    "named from core.dim_criterion_indicator once the set's indicator list is filled in.",
    ["dim_criterion", "dim_criterion_indicator"], name=CRITERIA_INDICATOR,
))


RECONCILIATION_CHECK = "every_row_accounted_for"


def _reconciliation_check(conn: duckdb.DuckDBPyConnection, periods: list[str]):
    params = {"periods": periods}
    totals = conn.execute(read_sql(SQL / "check_reconciliation_totals.sql"), params)
    totals = dict(zip([d[0] for d in totals.description], (int(v) for v in totals.fetchall()[0])))
    problems = conn.execute(read_sql(SQL / "check_reconciliation_problems.sql"), params).fetchall()
    yield dg.AssetCheckResult(
        check_name=RECONCILIATION_CHECK,
        passed=totals["rows_unaccounted"] == 0 and totals["rows_counted_twice"] == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            **totals,
            "problems": dg.MetadataValue.md(
                "\n".join(["| period | file | table | read | unaccounted | twice |", "|---|---|---|---|---|---|"]
                          + [f"| {' | '.join(str(v) for v in row)} |" for row in problems]) if problems else "none"
            ),
        },
    )


row_reconciliation = sql_table(
    keys.ROW_RECONCILIATION, SQL / "row_reconciliation.sql",
    description="Where every row read from a submission went, per quarter, file and table: published in "
    "a fact, quarantined for a critical finding, in a file taken out whole, or superseded by a "
    "correction. A row in none of these, or in two, is a loss the check reports.",
    deps=[
        *(keys.fact(t) for t in SUBMISSION_TABLES), keys.core(CRITERIA_INDICATOR), keys.QUARANTINED_FILES,
        *(k for t in SUBMISSION_TABLES for k in (keys.raw(t), keys.staging(t), keys.quarantine(t))),
    ],
    partitioned=True,
    check_specs=[dg.AssetCheckSpec(
        RECONCILIATION_CHECK, asset=keys.ROW_RECONCILIATION, blocking=True,
        description="Per file and table: rows read = published + quarantined + in a file taken out "
        "whole + superseded by a correction, each row once. Blocks the marts when a row is lost.",
    )],
    checks=_reconciliation_check,
    template=True,
)
