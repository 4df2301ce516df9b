"""Staged rows through the table's Great Expectations suite, and its findings written.

`validate` gives the suite's outcome on the staged rows of some quarters (or every target
row), by batches of quarters; `write_findings` replaces those quarters of quarantine.<table>.
The quarantine assets and the checks call both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ntm_pipeline.checks.staging import write_query
from ntm_pipeline.contract import SubmissionTable
from ntm_pipeline.quality.suites import read_rules
from ntm_pipeline.quality.validate import (
    FINDING_COLUMNS,
    ROW_KEY,
    Validation,
    needed_columns,
    validate_by_period,
    validate_rows,
)
from ntm_pipeline.reference import code_lists
from ntm_pipeline.sql_fragments import PARSERS
from ntm_pipeline.warehouse import read_sql

SQL = Path(__file__).parent / "sql"


def rows_for_validation(conn, table: SubmissionTable, periods: Sequence[str] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The staged rows of `periods` (every row for targets) and the same rows as read, keyed
    alike: of each, only the columns the validation reads (`needed_columns`, `raw_columns`)."""
    params = {"staged": f"staging.{table.name}", "partitioned": table.partitioned, "periods": list(periods or []),
              "columns": needed_columns(table.name)}
    staged = conn.execute(read_sql(SQL / "validation_rows.sql"), params).df()
    if table.partitioned:
        raw = conn.execute(read_sql(SQL / "validation_raw_rows.sql"),
                           {"staged": params["staged"], "raw": f"raw.{table.name}", "periods": params["periods"],
                            "columns": raw_columns(table)}).df()
    else:
        raw = conn.execute(read_sql(SQL / "validation_raw_targets.sql"), {"columns": raw_columns(table)}).df()
    return staged, raw.drop(columns="period", errors="ignore").rename(columns={"validated_period": "period"})


def staged_row_counts(conn, table: SubmissionTable, periods: Sequence[str]) -> dict[str, int]:
    """The rows `rows_for_validation` gives per quarter of `periods`."""
    return dict(conn.execute(read_sql(SQL / "validation_row_counts.sql"),
                             {"staged": f"staging.{table.name}", "periods": list(periods)}).fetchall())


def raw_columns(table: SubmissionTable) -> list[str]:
    """The columns as read that a finding can quote: the row's key and commune, each rule's
    columns, and every column staging types (any may be named unreadable)."""
    columns = [*ROW_KEY, "commune_code", *(c for rule in read_rules(table.name) for c in rule.columns)]
    return list(dict.fromkeys(columns + [c.name for c in table.columns if c.kind in PARSERS]))


def code_lists_in_force(conn, period: str) -> dict[str, list[str]]:
    """The codes of each code list valid at the end of `period` (core.dim_code's validity)."""
    return dict(conn.execute(read_sql(SQL / "code_lists_in_force.sql"), {"period": period}).fetchall())


def validate(conn, table: SubmissionTable, periods: Sequence[str] | None) -> Validation:
    """The suite expectations/<table>.json on staging.<table>: for a table kept by quarter,
    by batches of quarters with the same codes valid and at most ROW_CAP rows together
    (memory holds one batch's rows), each quarter with the codes valid in it; every row
    for targets, with every code."""
    if table.partitioned:
        return validate_by_period(
            table.name, list(periods or []), lambda batch: rows_for_validation(conn, table, batch),
            lambda period: code_lists_in_force(conn, period), lambda batch: staged_row_counts(conn, table, batch),
        )
    staged, raw = rows_for_validation(conn, table, None)
    return validate_rows(table.name, staged, code_lists(conn), raw_rows=raw)


def write_findings(conn, table: SubmissionTable, periods: Sequence[str] | None, validation: Validation,
                   whole: bool = False) -> int:
    """Replace the findings of `periods` (all of them for targets) in quarantine.<table>;
    returns the findings now held for them. `whole`: as in `stage`."""
    findings = validation.findings.astype({c: "string" for c in FINDING_COLUMNS if c != "row_number"})
    conn.register("findings", findings.astype({"row_number": "int32"}))
    try:
        return write_query(conn, f"quarantine.{table.name}", read_sql(SQL / "findings.sql"),
                           list(periods or []) if table.partitioned else None, {"periods": None}, whole=whole)
    finally:
        conn.unregister("findings")
