"""Every asset key of the project, in one place, named by the table it writes.

An asset key is `[schema, table]`: `key("staging.submission")` is the asset that writes
staging.submission. The tables of the submission format get theirs from the contract, one
per layer; the other tables are named here.
"""

import dagster as dg

from ntm_pipeline.contract import SubmissionTable


def key(table: str) -> dg.AssetKey:
    """The asset of a table: "core.dim_commune" -> AssetKey(["core", "dim_commune"])."""
    return dg.AssetKey(table.split("."))


def raw(table: SubmissionTable) -> dg.AssetKey:
    """raw.<table>: every row as read."""
    return key(f"raw.{table.name}")


def staging(table: SubmissionTable) -> dg.AssetKey:
    """staging.<table>: typed and normalised."""
    return key(f"staging.{table.name}")


def quarantine(table: SubmissionTable) -> dg.AssetKey:
    """quarantine.<table>: the findings of the table's suite."""
    return key(f"quarantine.{table.name}")


def fact(table: SubmissionTable) -> dg.AssetKey:
    """core.<fact>: the table's rows that passed, published."""
    return key(f"core.{table.fact}")


def core(name: str) -> dg.AssetKey:
    """A table of the core schema: core("dim_commune") is core.dim_commune."""
    return key(f"core.{name}")


RAW_SOURCE_FILE = key("raw.source_file")
RAW_TARGET_FILE = key("raw.target_file")
RAW_IGNORED_ENTRY = key("raw.ignored_entry")
QUARANTINED_FILES = key("quarantine.source_file")
ROW_RECONCILIATION = key("core.row_reconciliation")
KPI_QUARTERLY = key("mart.kpi_quarterly")
KPI_WIDE = key("mart.kpi_wide")
COMMUNE_SCORECARD = key("mart.commune_scorecard")
OCOP_REGISTER = key("mart.ocop_register")
CAPITAL_BY_SOURCE = key("mart.capital_by_source")
QUARTERLY_REPORT = key("mart.quarterly_report")  # writes files under reports/, not a table
