"""Writing to the DuckDB warehouse: one transaction per table or set of partitions.

Every asset writes through these helpers, so a rerun replaces what it wrote before and a
failure leaves the last good state. SQL comes from files beside the assets; values are
always bound parameters. Table names come from asset keys, never from data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ntm_pipeline import settings

if TYPE_CHECKING:  # Dagster is imported where it is used: the checks (ntm validate) run without it
    import dagster as dg
    from dagster_duckdb import DuckDBResource

MACROS_SQL = Path(__file__).parent / "sql" / "macros.sql"
# DuckDB takes one writer per file: every asset that writes is in this pool, limited to 1
# in dagster_home/dagster.yaml and deploy/dagster.yaml, so no two steps write at once.
WAREHOUSE_POOL = "duckdb"
SCHEMAS = ("raw", "staging", "quarantine", "core", "mart")


def prepare_connection(conn: duckdb.DuckDBPyConnection) -> None:
    """Schemas, the parsing macros and the memory limit."""
    conn.execute("SET memory_limit = ?", [settings.duckdb_memory_limit()])
    for schema in SCHEMAS:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    conn.execute(read_sql(MACROS_SQL))


@contextmanager
def warehouse(duckdb_resource: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb_resource.get_connection() as conn:
        prepare_connection(conn)
        yield conn


def read_sql(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def scalar(conn: duckdb.DuckDBPyConnection, sql: str, params=None):
    """The single value a query returns. Fetches every row: DuckDB refuses other work on a
    connection (registering a frame, say) while a result is only partly fetched."""
    return conn.execute(sql, params or []).fetchall()[0][0]


def table_exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(scalar(
        conn, "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, name]
    ))


def table_name(key: dg.AssetKey) -> str:
    """An asset key [schema, table] is the table it writes."""
    return ".".join(key.path)


def bind(sql: str, params: dict | None) -> dict:
    """The parameters a statement uses: DuckDB refuses unused ones."""
    return {k: v for k, v in (params or {}).items() if f"${k}" in sql}


def _columns(conn: duckdb.DuckDBPyConnection, query: str, params: dict | None = None) -> list[str]:
    return [d[0] for d in conn.execute(f"SELECT * FROM ({query}) LIMIT 0", bind(query, params)).description]


def _literal(text: str) -> str:
    """A SQL string literal: DuckDB's COMMENT ON takes no parameters. Only for the project's
    own documentation text, never for data."""
    return "'" + text.replace("'", "''") + "'"


def comment_table(conn: duckdb.DuckDBPyConnection, table: str) -> None:
    """Vietnamese and English comments on the table and each of its columns, for any client."""
    from ntm_pipeline.reference import column_docs, table_docs

    described = table_docs().get(table)
    if described:
        english, vietnamese = described
        conn.execute(f"COMMENT ON TABLE {table} IS {_literal(f'{vietnamese} | {english}')}")
    docs = column_docs(table)
    for column in _columns(conn, f"SELECT * FROM {table}"):
        if column in docs:
            english, vietnamese = docs[column]
            conn.execute(f'COMMENT ON COLUMN {table}."{column}" IS {_literal(f"{vietnamese} | {english}")}')


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All or nothing: a failure inside rolls back, so readers keep the last good state."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def replace_table(conn: duckdb.DuckDBPyConnection, table: str, select_sql: str, params: dict | None = None) -> int:
    """Replace a whole table with the result of a query, atomically."""
    with transaction(conn):
        conn.execute(f"CREATE OR REPLACE TABLE {table} AS {select_sql}", bind(select_sql, params))
        comment_table(conn, table)
    return scalar(conn, f"SELECT count(*) FROM {table}")


def replace_partitions(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    periods: list[str],
    select_sql: str,
    params: dict | None = None,
) -> int:
    """Replace the rows of `periods` in a period-partitioned table, atomically.

    The query must return a `period` column and only rows of `periods`. Returns the number
    of rows now held for those periods. The query runs once per batch of `statement_batches`
    (all in one transaction), so its working memory is a batch's whatever the run's span.
    """
    params = {**(params or {}), "periods": periods}
    batches = statement_batches(conn, periods)
    with transaction(conn):
        if not table_exists(conn, table):
            conn.execute(f"CREATE TABLE {table} AS SELECT * FROM ({select_sql}) LIMIT 0", bind(select_sql, params))
        # Columns are inserted by name, so only a column added or gone needs a rebuild.
        else:
            require_columns(conn, table, _columns(conn, select_sql, params))
        delete_partitions(conn, table, periods)
        for batch in batches:
            conn.execute(f"INSERT INTO {table} BY NAME {select_sql}", bind(select_sql, {**params, "periods": batch}))
        comment_table(conn, table)
    return partition_rows(conn, table, periods)


def statement_batches(conn: duckdb.DuckDBPyConnection, periods: list[str]) -> list[list[str]]:
    """`periods` in runs of consecutive quarters whose commune submissions (rows of
    raw.submission) together stay within `settings.submissions_per_statement()`: the country
    two quarters at a time, a province's whole history in one statement. A step's memory grows
    with the communes one statement covers (mart.kpi_quarterly on eight quarters of the
    country ran out of 2 GB), while a small statement runs on fewer threads and pays its
    planning again: so batches, not one quarter each."""
    from ntm_pipeline.quarters import quarter_batches

    counts = dict(conn.execute(
        "SELECT period, count(*) FROM raw.submission WHERE period IN (SELECT unnest($periods)) GROUP BY period",
        {"periods": periods},
    ).fetchall()) if table_exists(conn, "raw.submission") else {}
    return quarter_batches(periods, counts, settings.submissions_per_statement())


class OutdatedWarehouse(RuntimeError):
    """A table written by an older version of the pipeline, with other columns than this one writes."""


def require_columns(conn: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> None:
    """Raise OutdatedWarehouse, saying what to do, when `table` has not these columns (in any
    order: rows are inserted by name, so only a column added or gone needs a rebuild)."""
    held = _columns(conn, f"SELECT * FROM {table}")
    if sorted(held) != sorted(columns):
        added, gone = sorted(set(columns) - set(held)), sorted(set(held) - set(columns))
        raise OutdatedWarehouse(
            f"{table} was written by an older version of the pipeline"
            + (f" (no column {', '.join(added)})" if added else "")
            + (f" (columns no longer written: {', '.join(gone)})" if gone else "")
            + ": rebuild the warehouse from raw/ with `make clean-warehouse && make run`"
        )


def delete_partitions(conn: duckdb.DuckDBPyConnection, table: str, periods: list[str]) -> None:
    """Inside a transaction: the first half of replacing partitions."""
    conn.execute(f"DELETE FROM {table} WHERE period IN (SELECT unnest($periods))", {"periods": periods})


def insert_frame(conn: duckdb.DuckDBPyConnection, table: str, frame) -> None:
    """Inside a transaction: append a pandas frame's rows to a table, columns by name."""
    conn.register("incoming_frame", frame)
    try:
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_frame")
    except duckdb.Error:
        # The failed insert aborted the transaction, and unregistering in it would raise
        # "transaction is aborted" over the insert's own error: the view goes with the rollback.
        raise
    else:
        conn.unregister("incoming_frame")


def partition_rows(conn: duckdb.DuckDBPyConnection, table: str, periods: list[str]) -> int:
    return scalar(conn, f"SELECT count(*) FROM {table} WHERE period IN (SELECT unnest($periods))", {"periods": periods})


def quarters_label(periods: list[str]) -> str:
    """Quarters as runs of consecutive ones: '2023-Q1..2024-Q4', '2023-Q1..2023-Q3, 2024-Q2'."""
    from ntm_pipeline.partitions import PERIOD_PATTERN, shift_period

    runs: list[list[str]] = []
    for period in sorted(periods):
        last = runs[-1][-1] if runs else None
        if last and PERIOD_PATTERN.match(last) and PERIOD_PATTERN.match(period) and shift_period(last, 1) == period:
            runs[-1].append(period)
        else:
            runs.append([period])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs)


def table_metadata(conn: duckdb.DuckDBPyConnection, table: str, rows: int, descriptions: dict[str, str] | None = None) -> dict:
    """Metadata every table asset reports: its name; `dagster/row_count`, the rows the whole
    table holds; `rows_written`, the rows of the quarters (or table) just written; `quarters`,
    the quarters it holds (tables with a period column); and its column schema, each column
    described from `descriptions` or else the project's glossary (reference_data/column_doc.csv)."""
    import dagster as dg

    from ntm_pipeline.reference import column_glossary

    descriptions = {**column_glossary(table), **(descriptions or {})}
    schema, name = table.split(".")
    columns = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, name],
    ).fetchall()
    metadata = {
        "dagster/table_name": table,
        "dagster/row_count": scalar(conn, f"SELECT count(*) FROM {table}"),
        "rows_written": rows,
    }
    if "period" in (c for c, _ in columns):
        periods = [p for (p,) in conn.execute(f"SELECT DISTINCT period FROM {table} WHERE period IS NOT NULL").fetchall()]
        metadata["quarters"] = dg.MetadataValue.text(quarters_label(periods) or "none")
    metadata["dagster/column_schema"] = dg.TableSchema(
        columns=[dg.TableColumn(c, t, description=descriptions.get(c)) for c, t in columns]
    )
    return metadata


def table_version(conn: duckdb.DuckDBPyConnection, table: str) -> dg.DataVersion:
    """A data version from the table's content (order-free row hashes), so that rewriting the
    same rows gives the same version and the marts' automation can tell it from a change."""
    import dagster as dg

    count, xor, total = conn.execute(
        f"SELECT count(*), coalesce(bit_xor(hash(t)), 0), coalesce(sum(hash(t)::HUGEINT), 0) FROM {table} AS t"
    ).fetchall()[0]
    return dg.DataVersion(f"{count}-{xor:x}-{total:x}")


def column_lineage(conn: duckdb.DuckDBPyConnection, table: str, upstream: list[dg.AssetKey]) -> dg.TableColumnLineage:
    """Each column of `table` comes from the column of the same name in the upstream tables."""
    import dagster as dg

    columns = {key: set(_columns(conn, f"SELECT * FROM {table_name(key)}")) for key in upstream}
    return dg.TableColumnLineage(deps_by_column={
        column: [dg.TableColumnDep(asset_key=key, column_name=column) for key in upstream if column in columns[key]]
        for column in _columns(conn, f"SELECT * FROM {table}")
        if any(column in columns[key] for key in upstream)
    })


def materialize_sql(
    duckdb_resource: DuckDBResource,
    table: str,
    sql_file: Path,
    periods: list[str] | None = None,
    params: dict | None = None,
    frames: dict | None = None,
    descriptions: dict[str, str] | None = None,
    lineage_from: list[dg.AssetKey] | None = None,
    template: bool = False,
    template_for=None,
) -> dg.MaterializeResult:
    """Write the result of a SQL file to `table`: the rows of `periods`, or the whole table
    when `periods` is None. `frames` are pandas frames the query reads by name;
    `lineage_from` names the tables whose same-named columns the table's columns come from;
    `template` renders the file as a template (ntm_pipeline/sql_fragments.py), for the contract
    table `template_for` when given."""
    import dagster as dg

    if template or template_for is not None:
        from ntm_pipeline.sql_fragments import render_sql

        sql = render_sql(sql_file, template_for)
    else:
        sql = read_sql(sql_file)
    with warehouse(duckdb_resource) as conn:
        for name, frame in (frames or {}).items():
            conn.register(name, frame)
        if periods is None:
            rows = replace_table(conn, table, sql, params)
        else:
            rows = replace_partitions(conn, table, periods, sql, params)
        metadata = table_metadata(conn, table, rows, descriptions)
        if lineage_from:
            metadata["dagster/column_lineage"] = column_lineage(conn, table, lineage_from)
        # A whole table rewritten by every quarter's run (reference lists, targets) says when
        # its content changed; partitioned tables keep Dagster's per-run versions.
        version = table_version(conn, table) if periods is None else None
        return dg.MaterializeResult(metadata=metadata, data_version=version)
