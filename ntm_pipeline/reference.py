"""Reference lists carried with the package (criteria sets, code lists, KPIs, star bands)."""

from __future__ import annotations

import csv

from ntm_pipeline.settings import REFERENCE_DATA_DIR


def reference_csv_path(name: str):
    return REFERENCE_DATA_DIR / f"{name}.csv"


def read_reference_csv(name: str) -> list[dict[str, str]]:
    with open(reference_csv_path(name), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def kpi_columns() -> dict[str, str]:
    """The columns of mart.kpi_wide: one per KPI code, dots written as underscores."""
    categories = [r["code"] for r in read_reference_csv("code_list") if r["code_list"] == "project_category"]
    columns = {}
    for kpi in read_reference_csv("kpi"):
        codes = [f"{kpi['kpi_code']}_{c}" for c in categories] if kpi["breakdown"] else [kpi["kpi_code"]]
        for code in codes:
            columns[code] = f"{kpi['description_en']} ({kpi['unit']})"
    return columns


def column_glossary(table: str) -> dict[str, str]:
    """What each column means, for the column schema shown in Dagster; `table` may override."""
    glossary: dict[str, str] = kpi_columns() if table == "mart.kpi_wide" else {}
    for row in read_reference_csv("column_doc"):
        if row["table"] in ("", table):
            if row["table"] == table or row["column"] not in glossary:
                glossary[row["column"]] = row["description"]
    return glossary
