"""The whole-file verdict: which files are taken out whole, and why.

quarantine.source_file is written by the quarantine layer's own SQL
(ntm_pipeline/defs/quarantine/sql/source_file.sql, read from there) from the file logs and
the header's findings: files that could not be read, and one-commune submissions whose
header broke a critical rule or that have no header row. Detail rows are staged after it,
so the rows of a file taken out whole are not validated one by one.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from ntm_pipeline.checks.staging import write_query
from ntm_pipeline.contract import ALL_TABLES
from ntm_pipeline.warehouse import read_sql

SOURCE_FILE_SQL = Path(__file__).resolve().parent.parent / "defs" / "quarantine" / "sql" / "source_file.sql"


# Columns staging derives that a rule names: the header of the column they come from.
DERIVED_COLUMNS = {"criteria_set_reported": "criteria_set"}


@lru_cache(maxsize=1)
def column_labels() -> pd.DataFrame:
    """The Vietnamese header of every column, for reasons that name a column as officers see it."""
    headers = {c.name: c.header_vi for t in reversed(ALL_TABLES) for c in t.columns}
    headers.update({derived: headers[column] for derived, column in DERIVED_COLUMNS.items()})
    return pd.DataFrame(list(headers.items()), columns=["column_name", "header_vi"])


def quarantined_files(conn, whole: bool = False) -> int:
    """Rebuild quarantine.source_file whole (it is small: one row per bad file); returns its
    rows. `whole`: as in `stage`."""
    conn.register("column_labels", column_labels())
    try:
        return write_query(conn, "quarantine.source_file", read_sql(SOURCE_FILE_SQL), None, whole=whole)
    finally:
        conn.unregister("column_labels")
