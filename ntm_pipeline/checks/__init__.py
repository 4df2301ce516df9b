"""The checks as a library: files in, findings out, by the pipeline's own steps.

`check_files([(path, "2024-Q1"), (targets_path, None)])` reads the files with the
pipeline's reader, loads them into the raw tables' layout, stages them with the staging
SQL, runs the Great Expectations suites and writes the whole-file verdict with the
quarantine SQL, on an in-memory DuckDB that holds only those files' rows and the reference
tables. It returns, per file, the reasons it is taken out whole and its findings row by
row: what quarantine.source_file and quarantine.<table> of the warehouse would hold for it.
No Dagster is loaded; the reference tables and the suites are loaded once per process.

The raw, staging and quarantine assets call the same pieces on a quarter's files:
`load_raw` / `load_targets`, `stage`, `validate` and `write_findings`, `quarantined_files`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ntm_pipeline.checks.checker import Checker, FileFindings, Finding, default_checker
from ntm_pipeline.checks.raw import clear_raw, create_raw_tables, load_raw, load_targets
from ntm_pipeline.checks.staging import stage, staging_sql
from ntm_pipeline.checks.validation import rows_for_validation, validate, write_findings
from ntm_pipeline.checks.verdict import column_labels, quarantined_files

__all__ = [
    "Checker", "FileFindings", "Finding", "check_files", "clear_raw", "column_labels", "create_raw_tables",
    "load_raw", "load_targets", "quarantined_files", "rows_for_validation", "stage", "staging_sql", "validate",
    "write_findings",
]


def check_files(files: Iterable[tuple[Path, str | None]]) -> list[FileFindings]:
    """The findings of each file (a path and the quarter it is for, None for a targets file),
    checked together as one drop of files, by the process's checker."""
    return default_checker().check(files)
