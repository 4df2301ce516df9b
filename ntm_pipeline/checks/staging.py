"""Raw rows into staging: the staging layer's own SQL files, run on the connection given.

The SQL lives beside the staging assets (ntm_pipeline/defs/staging/sql/<table>.sql) and is
read from there, so the assets and the checks type every value alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ntm_pipeline.contract import SubmissionTable
from ntm_pipeline.warehouse import bind, replace_partitions, replace_table

STAGING_SQL = Path(__file__).resolve().parent.parent / "defs" / "staging" / "sql"


def staging_sql(table: SubmissionTable) -> Path:
    """The SQL file (a template of ntm_pipeline/sql_fragments.py) that types `table`."""
    return STAGING_SQL / f"{table.name}.sql"


def stage(conn, table: SubmissionTable, periods: Sequence[str] | None, whole: bool = False) -> int:
    """Write staging.<table> from raw.<table>: the rows of `periods` for a table kept by
    quarter, the whole table for targets (`periods` is then ignored). Returns the rows written.
    `whole`: a check's way of writing (see `write_query`)."""
    from ntm_pipeline.sql_fragments import render_sql

    return write_query(conn, f"staging.{table.name}", render_sql(staging_sql(table), table),
                       list(periods or []) if table.partitioned else None, whole=whole)


def write_query(conn, target: str, sql: str, periods: list[str] | None, params: dict | None = None,
                whole: bool = False) -> int:
    """Write a query's rows to `target`: replace the quarters `periods` (bound as $periods), or
    the whole table when `periods` is None, each in one transaction with the tables' comments.
    `whole` is a check's way: its connection holds only the rows checked, so the table is
    replaced whole in one statement, the query planned once, without comments."""
    params = {**(params or {}), **({"periods": periods} if periods is not None else {})}
    if whole:
        conn.execute(f"CREATE OR REPLACE TABLE {target} AS {sql}", bind(sql, params))
        return conn.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
    if periods is None:
        return replace_table(conn, target, sql, params)
    return replace_partitions(conn, target, periods, sql, params)
