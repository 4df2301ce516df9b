"""What the atomic publish costs: the copy a run starts its build from, and the publish.

    python bench/publish.py [warehouse.duckdb ...]   (default: the warehouses `make bench` built)

For each warehouse, on a scratch copy beside it (the original is not touched): the file's
size, the time `start_build` takes to copy it (what every run pays before its first step),
the time `publish` takes (checkpoint, fsync, rename), and the disk a run needs at its peak:
the published file, the build, and an old snapshot a reader may still hold open.
Best of `--repeat` tries (default 3); the page cache is not dropped, so the copy is timed as a
run on a warm machine sees it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ntm_pipeline.publish import publish, start_build  # noqa: E402

DEFAULT = sorted((ROOT / "bench" / ".data").glob("*/run/ntm.duckdb"))


def measure(warehouse: Path, repeat: int) -> None:
    scratch = warehouse.with_name("publish-bench") / "ntm.duckdb"
    scratch.parent.mkdir(exist_ok=True)
    shutil.copyfile(warehouse, scratch)
    size = scratch.stat().st_size
    copies, publishes = [], []
    try:
        for _ in range(repeat):
            build = start_build(scratch)
            copies.append(build.copy_seconds)
            publishes.append(publish(build.path, scratch))
    finally:
        shutil.rmtree(scratch.parent, ignore_errors=True)
    mib = size / 2**20
    print(f"{warehouse.relative_to(ROOT) if warehouse.is_relative_to(ROOT) else warehouse}: {mib:,.1f} MiB; "
          f"copy to the build {min(copies):.2f} s ({mib / min(copies):,.0f} MiB/s); publish {min(publishes):.2f} s; "
          f"disk at the peak of a run with a reader holding the old snapshot {3 * mib:,.0f} MiB (3 x the file)",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouses", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.warehouses:
        print("no warehouse given and none built by `make bench` under bench/.data/")
        return 1
    for warehouse in args.warehouses:
        measure(warehouse, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
