"""Resources shared by the assets: the warehouse and the folder of raw submissions."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from ntm_pipeline import settings


class SubmissionStore(dg.ConfigurableResource):
    """The folder where district offices drop submissions: raw/submissions/<period>/ and raw/targets/."""

    raw_dir: str

    @property
    def path(self) -> Path:
        return Path(self.raw_dir)


def default_resources() -> dict:
    warehouse = settings.warehouse_path()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return {
        "duckdb": DuckDBResource(database=str(warehouse)),
        "submissions": SubmissionStore(raw_dir=str(settings.raw_dir())),
    }
