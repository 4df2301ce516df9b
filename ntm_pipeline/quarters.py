"""The programme's quarters, as text '2024-Q1', without Dagster: what the checks and the
partitions (ntm_pipeline/partitions.py) share."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

FIRST_YEAR, LAST_YEAR = 2021, 2030  # both NTM programme periods: 2021-2025 and 2026-2030

# Every valid quarter of the programme: what a folder or an option may name.
QUARTERS = [f"{year}-Q{q}" for year in range(FIRST_YEAR, LAST_YEAR + 1) for q in range(1, 5)]
PERIOD_PATTERN = re.compile(r"^(\d{4})-Q([1-4])$")


def current_quarter(today: date | None = None) -> str:
    """The quarter `today` falls in, kept within the programme's quarters."""
    today = today or date.today()
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    return min(max(period, QUARTERS[0]), QUARTERS[-1])  # 'YYYY-Qn' sorts as it reads


def quarters_through(last: str) -> list[str]:
    """The programme's quarters from 2021-Q1 to `last`."""
    return QUARTERS[: QUARTERS.index(last) + 1]


def quarters_begun(today: date | None = None) -> list[str]:
    """The quarters from 2021-Q1 to the current one: the partitions' keys."""
    return quarters_through(current_quarter(today))


def parse_period(period: str) -> tuple[int, int]:
    """'2024-Q1' -> (2024, 1); raises ValueError on anything else."""
    match = PERIOD_PATTERN.match(period)
    if not match:
        raise ValueError(f"not a period of the form YYYY-Qn: {period!r}")
    return int(match.group(1)), int(match.group(2))


def period_from_text(text: str) -> str | None:
    """A quarter however a file writes it (2024-Q1, Q1/2024, Quý I/2024, 2024Q1) as '2024-Q1',
    or None. It asks the SQL macro parse_period itself, so options and files share one rule."""
    import duckdb

    from ntm_pipeline.warehouse import prepare_connection

    with duckdb.connect() as conn:
        prepare_connection(conn)
        return conn.execute("SELECT parse_period(?)", [text]).fetchall()[0][0]


def quarter_end(period: str) -> date:
    year, quarter = parse_period(period)
    month = quarter * 3
    return date(year, month, 31 if month in (3, 12) else 30)


def shift_period(period: str, quarters: int) -> str:
    year, quarter = parse_period(period)
    index = year * 4 + (quarter - 1) + quarters
    return f"{index // 4}-Q{index % 4 + 1}"


def quarter_batches(periods: list[str], counts: dict[str, int], cap: int,
                    kind: Callable[[str], object] = lambda _period: None) -> list[list[str]]:
    """`periods` in runs of consecutive quarters of the same `kind` whose `counts` together
    stay within `cap` (a quarter over the cap is a run of its own): the batches in which a
    step works, so its memory is bounded by the cap, not by the quarters a backfill holds."""
    out: list[list[str]] = []
    held = 0
    for period in periods:
        rows = counts.get(period, 0)
        if out and kind(period) == kind(out[-1][-1]) and held + rows <= cap:
            out[-1].append(period)
            held += rows
        else:
            out.append([period])
            held = rows
    return out
