"""Where the project's inputs and outputs live. Environment variables override the defaults."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DATA_DIR = Path(__file__).resolve().parent / "reference_data"


def raw_dir() -> Path:
    """Folder of incoming submissions (`raw/`); NTM_RAW_DIR overrides it."""
    return Path(os.environ.get("NTM_RAW_DIR", PROJECT_ROOT / "raw"))


def warehouse_path() -> Path:
    """The DuckDB warehouse file; NTM_WAREHOUSE overrides it."""
    return Path(os.environ.get("NTM_WAREHOUSE", PROJECT_ROOT / "warehouse" / "ntm.duckdb"))


def expectations_dir() -> Path:
    """The Great Expectations suites, as JSON; NTM_EXPECTATIONS_DIR overrides it."""
    return Path(os.environ.get("NTM_EXPECTATIONS_DIR", PROJECT_ROOT / "expectations"))


def reports_dir() -> Path:
    """Where the quarterly reports are written; NTM_REPORTS_DIR overrides it."""
    return Path(os.environ.get("NTM_REPORTS_DIR", PROJECT_ROOT / "reports"))


def duckdb_memory_limit() -> str:
    """DuckDB's working memory, beyond which it spills to disk; NTM_DUCKDB_MEMORY_LIMIT
    overrides it. At 600MB a national run peaks at about 1.8 GiB with Python's share (docs/performance.md)."""
    return os.environ.get("NTM_DUCKDB_MEMORY_LIMIT", "600MB")


def submissions_per_statement() -> int:
    """How many commune submissions one SQL statement of a quarter-partitioned step covers at
    most: a run's quarters are written in batches of consecutive quarters within it (a
    quarter above it is a batch of its own), so a step's working memory does not grow with
    the quarters a backfill holds. 25,000 is two quarters of the country (10,035 units each),
    a province's whole history: one quarter each cost the country's SQL steps 27 % more time
    (a quarter's staged rows are one DuckDB row group, read by one thread), two cost 9 %
    (docs/performance.md). NTM_SUBMISSIONS_PER_STATEMENT overrides it."""
    return int(os.environ.get("NTM_SUBMISSIONS_PER_STATEMENT", 25_000))


# Limits on one submission file, checked before it is parsed where the file says enough
# (docs/reliability.md). A file over a limit is taken out whole with the reason; the
# other files of its quarter load. Each default is far above what a commune's workbook or a
# province's export needs, and far below what would exhaust the machine.
READER_LIMITS = {
    # name: (environment variable, default, unit)
    "max_file_mb": ("NTM_MAX_FILE_MB", 25.0, "MB on disk"),
    "max_unzipped_mb": ("NTM_MAX_UNZIPPED_MB", 256.0, "MB, a workbook's parts uncompressed"),
    "max_zip_ratio": ("NTM_MAX_ZIP_RATIO", 100.0, "uncompressed / compressed, over 16 MB uncompressed"),
    "max_rows": ("NTM_MAX_ROWS", 200_000.0, "rows of one sheet or CSV"),
    "max_columns": ("NTM_MAX_COLUMNS", 256.0, "columns of one sheet or CSV"),
    "max_cells": ("NTM_MAX_CELLS", 5_000_000.0, "cells of one sheet (rows x columns spanned)"),
    "max_field_kb": ("NTM_MAX_FIELD_KB", 32.0, "KB of text in one cell"),
}


def reader_limit(name: str) -> float:
    """One of READER_LIMITS, from its environment variable when set."""
    variable, default, _ = READER_LIMITS[name]
    return float(os.environ.get(variable, default))
