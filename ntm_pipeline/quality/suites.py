"""Load the Great Expectations suites kept as JSON in expectations/.

GX is imported here, lazily, so loading the Dagster definitions stays fast. GX 1.x drops
an expectation whose type it does not know with only a log line; `load_suite` refuses a
suite whose loaded expectation count differs from its JSON.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ntm_pipeline.settings import expectations_dir

SEVERITIES = ("critical", "warning")


class SuiteError(Exception):
    """A suite file that cannot be used as written."""


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite, as the pipeline reads it."""

    expectation_type: str
    kwargs: dict
    severity: str
    message_vi: str
    message_en: str
    source_column: str | None
    # Staging columns holding a row's own message, Vietnamese and English (e.g. what a merged
    # commune became): where given, it replaces the rule's message for that row.
    message_columns: tuple[str, str] | None = None

    @property
    def columns(self) -> list[str]:
        if self.source_column:
            return [self.source_column]
        if "column" in self.kwargs:
            return [self.kwargs["column"]]
        if "column_list" in self.kwargs:
            return list(self.kwargs["column_list"])
        return [v for k, v in self.kwargs.items() if k.startswith("column_")]

    @property
    def gx_columns(self) -> list[str]:
        """The columns GX itself reads for the expectation (its domain), whatever it is named by."""
        columns = [self.kwargs[k] for k in ("column", "column_A", "column_B") if k in self.kwargs]
        return columns + list(self.kwargs.get("column_list", []))

    @property
    def name(self) -> str:
        """A helper column computed for the rule names it (`stars_match_score`); otherwise
        the expectation and its columns do."""
        if self.source_column:
            return self.kwargs["column"]
        return f"{self.expectation_type}({', '.join(self.columns)})"


def suite_path(name: str) -> Path:
    return expectations_dir() / f"{name}.json"


def read_rules(name: str) -> list[Rule]:
    """The rules of a suite, straight from its JSON."""
    data = json.loads(suite_path(name).read_text(encoding="utf-8"))
    rules = []
    for expectation in data["expectations"]:
        meta = expectation.get("meta", {})
        if meta.get("severity") not in SEVERITIES:
            raise SuiteError(f"{name}: {expectation['type']} has no severity 'critical' or 'warning' in its meta")
        rules.append(Rule(
            expectation["type"], expectation["kwargs"], meta["severity"],
            meta["message_vi"], meta["message_en"], meta.get("source_column"),
            tuple(meta["message_columns"]) if meta.get("message_columns") else None,
        ))
    return rules


def gx():
    """Great Expectations, imported on first use, offline and without progress bars."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations

    return great_expectations


@cache
def load_suite(name: str, positions: tuple[int, ...] | None = None):
    """The suite as a GX ExpectationSuite; raises SuiteError if GX dropped anything.
    `positions`: only the expectations at those places in the JSON, in that order (the
    ones that failed, whose rows are then listed)."""
    from great_expectations.core.expectation_suite import ExpectationSuite

    gx()
    data = json.loads(suite_path(name).read_text(encoding="utf-8"))
    if positions is not None:
        data["name"] = f"{data['name']}.part"
        data["expectations"] = [data["expectations"][i] for i in positions]
    try:
        suite = ExpectationSuite(**data)
    except Exception as exc:
        raise SuiteError(f"{suite_path(name)}: {exc}") from exc
    if len(suite.expectations) != len(data["expectations"]):
        raise SuiteError(
            f"{suite_path(name)}: GX loaded {len(suite.expectations)} of {len(data['expectations'])} expectations"
        )
    return suite
