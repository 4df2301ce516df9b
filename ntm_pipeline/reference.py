"""Reference lists carried with the package (criteria sets, code lists, KPIs, star bands)."""

from __future__ import annotations

import csv
from pathlib import Path

from ntm_pipeline.settings import REFERENCE_DATA_DIR


def code_lists(conn) -> dict[str, list[str]]:
    """Allowed codes per code list, from core.dim_code: the parameters of the suites' in-set rules."""
    sql = (Path(__file__).parent / "sql" / "code_lists.sql").read_text(encoding="utf-8")
    return dict(conn.execute(sql).fetchall())


def reference_csv_path(name: str):
    return REFERENCE_DATA_DIR / f"{name}.csv"


def read_reference_csv(name: str) -> list[dict[str, str]]:
    with open(reference_csv_path(name), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def kpi_columns() -> dict[str, tuple[str, str]]:
    """The columns of mart.kpi_wide: one per KPI code, dots written as underscores."""
    categories = {r["code"]: r["label_vi"] for r in read_reference_csv("code_list") if r["code_list"] == "project_category"}
    columns = {}
    for kpi in read_reference_csv("kpi"):
        english = f"{kpi['description_en']} ({kpi['unit']})"
        if kpi["breakdown"]:
            for code, label in categories.items():
                columns[f"{kpi['kpi_code']}_{code}"] = (english, f"{kpi['name_vi']}: {label}")
        else:
            columns[kpi["kpi_code"]] = (english, kpi["name_vi"])
    return columns


def column_docs(table: str) -> dict[str, tuple[str, str]]:
    """What each column of `table` means, in English and Vietnamese.

    From reference_data/column_doc.csv (a row naming the table overrides the general one),
    the KPI catalogue for mart.kpi_wide, and the submission contract for the raw tables.
    """
    from ntm_pipeline.contract import ALL_TABLES

    docs: dict[str, tuple[str, str]] = {}
    if table == "mart.kpi_wide":
        docs.update(kpi_columns())
    if table.startswith("raw."):
        for submission_table in ALL_TABLES:
            if table == f"raw.{submission_table.name}":
                docs.update({c.name: (c.description, c.header_vi) for c in submission_table.columns})
    for row in read_reference_csv("column_doc"):
        if row["table"] == table or (row["table"] == "" and row["column"] not in docs):
            docs[row["column"]] = (row["description"], row["description_vi"])
    return docs


def column_glossary(table: str) -> dict[str, str]:
    """What each column means in English, for the column schema shown in Dagster."""
    return {column: en for column, (en, _) in column_docs(table).items()}


def table_docs() -> dict[str, tuple[str, str]]:
    """What each schema and table holds, in English and Vietnamese (reference_data/table_doc.csv)."""
    return {r["table"]: (r["description"], r["description_vi"]) for r in read_reference_csv("table_doc")}
