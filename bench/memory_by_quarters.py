"""Memory against the quarters a run holds: `ntm run` over the first 1, 2, 4 and 8 quarters of
the country of `make bench`, each into a new warehouse, with the process tree's memory sampled
as bench/run.py samples it.

    .venv/bin/python bench/memory_by_quarters.py [--quarters 1,2,4,8] [--steps 12]

For each run it prints the peak and the step at the peak, then a table of the steps that
grew most: each step's own working set (its peak less what the process held as it began)
and its peak, for every number of quarters. Flat in the quarters held means the working sets
stay the same however many quarters the run holds. The country's raw files must exist
(`BENCH_SCALES=country make bench` writes them); runs go to bench/.data/memory/.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import DATA, ROOT, run_pipeline  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quarters", default="1,2,4,8", help="numbers of quarters, comma-separated")
    parser.add_argument("--steps", type=int, default=12, help="steps shown, those that grew most first")
    args = parser.parse_args()
    raw = DATA / "country" / "raw"
    if not (raw / "submissions").is_dir():
        raise SystemExit(f"no country data in {raw}: run `BENCH_SCALES=country make bench` first")
    periods = sorted(p.name for p in (raw / "submissions").iterdir() if p.is_dir())
    held: dict[int, dict[str, tuple[float, float]]] = {}
    for count in (int(n) for n in args.quarters.split(",")):
        work = DATA / "memory" / f"{count}q"
        shutil.rmtree(work, ignore_errors=True)
        home = work / "dagster_home"
        home.mkdir(parents=True)
        shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        database = work / "ntm.duckdb"
        timing = run_pipeline(raw, database, home, periods[:count])
        rows = (database.parent / "refresh.memory.tsv").read_text().splitlines()[1:]
        held[count] = {step: (float(start), float(peak)) for step, start, peak in (r.split("\t") for r in rows)}
        print(f"{count} quarter(s) {periods[0]}..{periods[count - 1]}: data published at {timing.published_s:.1f} s, "
              f"peak {timing.peak_mib:.0f} MiB (during {timing.peak_step})", flush=True)
    counts = sorted(held)
    steps = set.intersection(*(set(held[c]) for c in counts)) - {"start-up and summary"}
    grown = sorted(steps, key=lambda s: -max(held[c][s][1] - held[c][s][0] for c in counts))[: args.steps]
    print("\nstep's own working set (peak less the process's memory as it began) / its peak, MiB")
    print(f"{'step':32}" + "".join(f"{f'{c} quarter(s)':>18}" for c in counts))
    for step in grown:
        print(f"{step:32}" + "".join(f"{held[c][step][1] - held[c][step][0]:>10.0f} / {held[c][step][1]:<5.0f}"
                                     for c in counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
