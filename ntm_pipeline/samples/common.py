"""What the sample generators share: projects and their stages, capital by source, labels."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache

CATEGORY_COST = {  # typical capital mobilised per project per quarter, million VND
    "road": 3200, "ford": 1800, "canal": 1400, "school": 3600, "commune_cultural_house": 2200,
    "village_cultural_house": 700, "sports_ground": 1500, "clean_water": 2600, "market": 1800,
    "electricity": 1500, "health_station": 2400, "other": 900,
}
# Typical shares of central budget, local budget, integrated programmes, credit, enterprises, people.
SOURCE_SHARES = [0.34, 0.2, 0.16, 0.1, 0.08, 0.12]


@dataclass
class Project:
    commune: str
    code: str
    name: str
    category: str
    prep: int | None  # first quarter index as 'preparing' (None: starts directly)
    start: int  # first quarter index as 'ongoing'
    end: int  # quarter index reported 'completed'
    capital: dict[int, float] = field(default_factory=dict)
    era_new: bool = False  # begun by a commune of the units in force from 1 July 2025

    def status(self, i: int) -> str | None:
        if self.prep is not None and self.prep <= i < self.start:
            return "preparing"
        if self.start <= i < self.end:
            return "ongoing"
        return "completed" if i == self.end else None


def split_sources(amount: float, rng: random.Random) -> list[float]:
    """An amount over the six capital sources, near their typical shares, to 0.1 million."""
    weights = [s * rng.uniform(0.7, 1.3) for s in SOURCE_SHARES]
    parts = [round(amount * w / sum(weights), 1) for w in weights]
    parts[0] = round(amount - sum(parts[1:]), 1)
    return parts


@cache
def code_labels() -> dict[str, dict[str, str]]:
    """The Vietnamese label of every code, by code list: what officers type."""
    from ntm_pipeline.reference import read_reference_csv

    labels: dict[str, dict[str, str]] = {}
    for row in read_reference_csv("code_list"):
        labels.setdefault(row["code_list"], {})[row["code"]] = row["label_vi"]
    return labels
