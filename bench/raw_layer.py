"""The raw step alone: `raw_submissions` over a raw/ folder, then a one-file correction rerun.

    .venv/bin/python bench/raw_layer.py [RAW_DIR] [--period 2024-Q4] [--keep DB]
    .venv/bin/python bench/raw_layer.py --compare A.duckdb B.duckdb

The raw folder (default: the country of `make bench`, bench/.data/country/raw) is copied into
a temporary folder, never written. The step runs over every quarter into a fresh warehouse,
then one CSV of `--period` (the first, by name) has one value changed and that quarter is
run again: the figures are the two wall times (the step in its Dagster run, job set-up
included) and the files the rerun kept and read. Before/after a change: run it from a
checkout of each (`git archive <commit> | tar -x -C /tmp/before`, then
`cd /tmp && PYTHONPATH=/tmp/before python .../bench/raw_layer.py`), side by side in the same
minute, and `--compare` the two warehouses kept with `--keep`: every raw table row for row
(EXCEPT ALL both ways) but the columns naming the run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

RUN_COLUMNS = {"run_id", "loaded_at", "reader_version"}


def compare(a: Path, b: Path) -> int:
    conn = duckdb.connect()
    conn.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    conn.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    tables = conn.execute(
        "SELECT table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
        "WHERE table_catalog = 'a' AND table_schema = 'raw' GROUP BY ALL ORDER BY ALL").fetchall()
    differ = 0
    for name, columns in tables:
        select = ", ".join(f'"{c}"' for c in columns if c not in RUN_COLUMNS)
        counts = [conn.execute(f"SELECT count(*) FROM {db}.raw.{name}").fetchone()[0] for db in "ab"]
        extra = [conn.execute(f"SELECT count(*) FROM (SELECT {select} FROM {x}.raw.{name} EXCEPT ALL "
                              f"SELECT {select} FROM {y}.raw.{name})").fetchone()[0] for x, y in ("ab", "ba")]
        same = counts[0] == counts[1] and extra == [0, 0]
        differ += not same
        print(f"raw.{name}: {counts[0]:,} / {counts[1]:,} rows, {extra[0]} / {extra[1]} differ{'' if same else '  DIFFERENT'}")
    print("every raw table equal" if not differ else f"{differ} raw tables differ")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", nargs="?", type=Path, default=Path(__file__).parent / ".data" / "country" / "raw")
    parser.add_argument("--period", default="2024-Q4")
    parser.add_argument("--keep", type=Path, help="copy the warehouse of the full run here")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)

    import dagster as dg

    from ntm_pipeline.defs.raw.assets import raw_submissions
    from ntm_pipeline.resources import warehouse_resources
    from ntm_pipeline.run import materialize_periods
    from ntm_pipeline.submissions.reader import discover_periods

    with tempfile.TemporaryDirectory(prefix="raw-layer-") as tmp:
        raw, database = Path(tmp) / "raw", Path(tmp) / "ntm.duckdb"
        shutil.copytree(args.raw, raw)

        def step(periods: list[str]) -> tuple[float, dict]:
            started = time.perf_counter()
            result = materialize_periods(periods, dg.DagsterInstance.ephemeral(), resources=warehouse_resources(database, raw),
                                         selection=dg.AssetSelection.assets(*raw_submissions.keys))
            assert result.success
            log = next(m for m in result.asset_materializations_for_node("raw_submissions")
                       if m.asset_key.to_user_string() == "raw/source_file")  # one per quarter, the run's figures
            return time.perf_counter() - started, {k: v.value for k, v in log.metadata.items() if k.startswith("files_")}

        periods = discover_periods(raw)
        took, files = step(periods)
        print(f"raw_submissions, {len(periods)} quarters: {took:.2f} s {files}")
        if args.keep:
            shutil.copy(database, args.keep)
        target = sorted((raw / "submissions" / args.period).rglob("*.csv"))[0]
        lines = target.read_text(encoding="utf-8-sig").split("\n")
        cells = lines[1].split(",")
        cells[-1] = cells[-1] + "0" if cells[-1] else "1"  # one value of one row changed
        lines[1] = ",".join(cells)
        target.write_text("\n".join(lines), encoding="utf-8")
        took, files = step([args.period])
        print(f"raw_submissions, {args.period} again after {target.relative_to(raw)} changed: {took:.2f} s {files}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
