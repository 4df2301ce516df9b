"""Workbooks per second of the submission reader, and a check that another checkout's reader
parses every file the same.

    python bench/parsing.py [FOLDER] [--limit 300] [--rounds 5] [--against CHECKOUT]
    python bench/parsing.py --check FOLDER [FOLDER ...] --against CHECKOUT

FOLDER holds commune workbooks: by default the province scale of `make bench`
(bench/.data/province/raw/submissions), which `ntm synthetic --provinces 17 --form xlsx
--bad-rows 0.01 OUT` also writes. The first `--limit` workbooks in sorted order are read
once to warm up, then timed, in a process of its own per round. With `--against` (another
checkout of the project, e.g. `git worktree add /tmp/base HEAD~1`), that checkout's reader
is timed in the rounds between, so both see the same load on a shared machine.

`--check` reads every file under the folders (any name: the reader's refusals count too)
with both readers, as a submission and as a targets file (once for a CSV named for its
table, which is read the same either way), and compares all that a ParsedFile holds: the
file's hash and batch, each table's sheet, row numbers, values as text, ignored headers and
hidden rows, the sheets not read, and the error's code, messages and place. It exits 1 at
the first difference.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FOLDER = ROOT / "bench" / ".data" / "province" / "raw" / "submissions"


def _import_reader(checkout: Path):
    sys.path.insert(0, str(checkout))
    from ntm_pipeline.submissions import reader

    if not Path(reader.__file__).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"imported {reader.__file__}, not the reader of {checkout}")
    return reader


def _workbooks(folder: Path, limit: int) -> list[Path]:
    return sorted(folder.rglob("*.xlsx"))[:limit]


def _time(checkout: Path, folder: Path, limit: int) -> tuple[float, float]:
    """Workbooks per second of one pass, after a pass that warms the caches up: per second
    of wall time, and per second of the process's CPU time (less moved by other load)."""
    reader = _import_reader(checkout)
    paths = _workbooks(folder, limit)
    for path in paths:
        reader.read_submission_file(path)
    started, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        parsed = reader.read_submission_file(path)
        if parsed.error is not None:
            raise SystemExit(f"{path}: {parsed.error.code} {parsed.error.message_en}")
    return len(paths) / (time.perf_counter() - started), len(paths) / (time.process_time() - cpu)


def canonical(parsed) -> tuple:
    """Everything a ParsedFile holds, as plain values in their order."""
    error = parsed.error
    return (
        os.fsencode(parsed.path), parsed.file_hash, os.fsencode(parsed.batch),
        [(name, t.table.name, t.sheet, [(n, list(v.items())) for n, v in t.rows], list(t.ignored_headers),
          sorted(t.hidden_rows)) for name, t in parsed.tables.items()],
        None if error is None else (type(error).__name__, error.code, error.message_en, error.message_vi,
                                    error.sheet, error.column),
        list(parsed.sheets_not_read),
    )


def _files(folders: list[Path]) -> list[Path]:
    found = []
    for folder in folders:
        for top, _, names in os.walk(folder):
            found.extend(Path(top) / name for name in names)
    return sorted(found)


def _dump(checkout: Path, folders: list[Path], out: Path) -> None:
    reader = _import_reader(checkout)
    from ntm_pipeline.contract import TARGET

    with open(out, "wb") as handle:  # one pickle per result: a country's rows need not fit in memory twice
        for path in _files(folders):
            # a CSV named for its table is read the same either way: once is enough
            named = path.suffix.lower() == ".csv" and reader.csv_table(path) is not None
            for table in (None,) if named else (None, TARGET):
                pickle.dump(canonical(reader.read_submission_file(path, default_table=table)), handle)


def _load(path: Path):
    with open(path, "rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return


def _worker(args: list[str]) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", *args]


def check(folders: list[Path], against: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        outputs = {}
        for name, checkout in (("this", ROOT), ("against", against)):
            outputs[name] = Path(tmp) / f"{name}.pickle"
            subprocess.run(_worker(["dump", str(checkout), str(outputs[name]), *map(str, folders)]), check=True)
        results = rows = refused = 0
        for a, b in itertools.zip_longest(_load(outputs["this"]), _load(outputs["against"])):
            if a != b:
                print(f"DIFFERENT: {os.fsdecode((a or b)[0])}\n  here:  {a!r:.2000}\n  there: {b!r:.2000}")
                return 1
            results, rows, refused = results + 1, rows + sum(len(t[3]) for t in a[3]), refused + (a[4] is not None)
    print(f"same: {len(_files(folders))} files give the same {results} results here and in {against} "
          f"({rows:,} rows, {refused} refusals; workbooks and CSVs not named for a table read twice, "
          "as submissions and as targets files)")
    return 0


def bench(folder: Path, limit: int, rounds: int, against: Path | None) -> int:
    if not folder.is_dir():
        raise SystemExit(f"{folder} does not exist: run `make bench`, or write it with "
                         "`ntm synthetic --provinces 17 --form xlsx --bad-rows 0.01 OUT`")
    checkouts = {"this": ROOT} | ({"against": against} if against else {})
    speeds: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
    for _ in range(rounds):
        for name, checkout in checkouts.items():
            done = subprocess.run(_worker(["time", str(checkout), str(folder), str(limit)]), check=True,
                                  capture_output=True, text=True)
            speeds[name].append(tuple(json.loads(done.stdout.splitlines()[-1])))
    count = len(_workbooks(folder, limit))
    print(f"workbook parsing, {count} workbooks of {folder}, {rounds} rounds, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores:")
    medians = {}
    for name, values in speeds.items():
        wall, cpu = [v[0] for v in values], [v[1] for v in values]
        medians[name] = statistics.median(wall), statistics.median(cpu)
        print(f"  {name:<8} {checkouts[name]}: median {medians[name][0]:.0f}/s wall, best {max(wall):.0f}/s "
              f"({', '.join(f'{v:.0f}' for v in wall)}); {medians[name][1]:.0f}/s of CPU time")
    if against:
        print(f"  this / against: {medians['this'][0] / medians['against'][0]:.2f}x wall, "
              f"{medians['this'][1] / medians['against'][1]:.2f}x CPU (medians)")
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--worker"]:
        task, checkout, *rest = sys.argv[2:]
        if task == "time":
            print(json.dumps(_time(Path(checkout), Path(rest[0]), int(rest[1]))))
        else:
            _dump(Path(checkout), [Path(f) for f in rest[1:]], Path(rest[0]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", type=Path, help="another checkout of the project, timed or compared alongside")
    parser.add_argument("--check", nargs="+", type=Path, metavar="FOLDER", help="compare the parsed files with --against")
    args = parser.parse_args()
    if args.check:
        if not args.against:
            parser.error("--check needs --against")
        return check(args.check, args.against)
    return bench(args.folder, args.limit, args.rounds, args.against)


if __name__ == "__main__":
    sys.exit(main())
