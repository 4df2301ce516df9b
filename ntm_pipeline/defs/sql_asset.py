"""The one way a SQL file becomes a table: `sql_table(...)` declares the asset that runs it.

Every SQL asset of every layer (reference dimensions, staging, the files taken out whole,
the core facts and their reconciliation, the marts) is declared with it, so what a table
asset is (its key, kinds, owners, the `duckdb` pool, its partitioning by quarter, the link
to its SQL file, its checks) is written once. Assets whose work is not SQL (reading files,
Great Expectations, writing reports) are written by hand, each saying why.
"""


import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from ntm_pipeline.contract import SubmissionTable
from ntm_pipeline.partitions import by_quarter, partition_periods
from ntm_pipeline.warehouse import WAREHOUSE_POOL, materialize_sql, table_name, warehouse

# Checks that run on the table just written: (connection, the periods written or None) -> results.
TableChecks = Callable[..., Iterable[dg.AssetCheckResult]]


def code_references(*files: Path) -> dict:
    """Definition metadata linking an asset to the files that declare and build it, shown in the UI."""
    return {
        "dagster/code_references": dg.CodeReferencesMetadataValue(code_references=[
            dg.LocalFileCodeReference(file_path=str(path), line_number=1, label=path.suffix.lstrip(".").upper())
            for path in files
        ])
    }


def sql_table(
    key: dg.AssetKey,
    sql_file: Path,
    *,
    description: str,
    deps: Iterable[dg.AssetKey] = (),
    partitioned: bool = False,
    kinds: Iterable[str] = ("duckdb", "sql"),
    params: Callable[[], dict] | None = None,
    frames: Callable[[], dict] | None = None,
    descriptions: dict[str, str] | None = None,
    lineage_from: Sequence[dg.AssetKey] = (),
    column_lineage: dg.TableColumnLineage | None = None,
    check_specs: Sequence[dg.AssetCheckSpec] = (),
    checks: TableChecks | None = None,
    automation_condition: dg.AutomationCondition | None = None,
    template: bool = False,
    template_for: SubmissionTable | None = None,
) -> dg.AssetsDefinition:
    """The asset that writes table `key` from `sql_file`: the run's quarters when `partitioned`
    (bound as $periods), else the whole table. `params` and `frames` are computed when the
    asset runs (bound parameters, and pandas frames the query reads by name); `checks` run
    on the table just written and yield the results of `check_specs`. With `template` the SQL
    is a template (sql_fragments.py), written out for the contract table `template_for`.
    A partitioned table's quarters are written in batches (warehouse.statement_batches).
    Group and owners come from the folder's defs.yaml."""
    declared_in = Path(sys._getframe(1).f_code.co_filename)  # the module declaring the asset

    @dg.asset(
        key=key,
        deps=list(deps),
        kinds=set(kinds),
        pool=WAREHOUSE_POOL,
        description=description,
        metadata=code_references(declared_in, sql_file),
        check_specs=list(check_specs),
        automation_condition=automation_condition,
        **by_quarter(partitioned),
    )
    def _asset(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> Iterator:
        periods = partition_periods(context) if partitioned else None
        result = materialize_sql(
            duckdb, table_name(key), sql_file, periods=periods, params=params() if params else None,
            frames=frames() if frames else None, descriptions=descriptions, lineage_from=list(lineage_from) or None,
            template=template, template_for=template_for,
        )
        if column_lineage is not None:
            result = dg.MaterializeResult(
                metadata={**result.metadata, "dagster/column_lineage": column_lineage}, data_version=result.data_version
            )
        yield result
        if checks is not None:
            with warehouse(duckdb) as conn:
                yield from checks(conn, periods)

    return _asset
