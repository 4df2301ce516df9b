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
