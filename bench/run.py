"""`make bench`: the whole pipeline at four scales, against the plain-DuckDB floor.

Scales (pick some with BENCH_SCALES=kim_boi,province,country,country_reform,validate):
  kim_boi   the bundled sample: 17 units x 8 quarters, one workbook per commune and quarter
  province  Hòa Bình (151 units) x 8 quarters as commune workbooks, 1 % of detail rows bad
  country   every pre-2025 unit (10,035) x 8 quarters (2023-Q1..2024-Q4) as bulk CSV, one file
            per province, quarter and table
  country_reform
            the country across the 2025 reform, 2024-Q3..2026-Q2 as bulk CSV: the 10,035
            units for 2024-Q3..2025-Q2, the 3,321 they became for 2025-Q3..2026-Q2 (2026 on the
            2026-2030 criteria), so last year's figures come through the crosswalk
  validate  `ntm validate` on one commune workbook of the sample: from a cold start (a new
            process, imports included) and in a warm process (a second check by the same
            checks.Checker), against the targets of 5 s and 0.5 s

For each scale it prints the wall time of a full materialisation (`ntm run` in a process
of its own, imports included), twice: to the publication of the data (the end of its
quarter_job run) and to the end (the report run that follows), rows read per second, the
peak resident memory of the whole process tree, the longest steps, and the same for the run
that follows one commune's corrected file (its quarter only, as the new-file sensor launches
it), as a share of the full run. For the two country scales it runs bench/floor.sql on the
same CSV files and prints our time as a multiple of the floor's, and whether both give the
same mart.kpi_quarterly rows. Then it times our workbook reader against pandas' default
openpyxl engine on the province's workbooks, and prints every target of issue 15 with the
figure measured for it.

Synthetic data is written once under bench/.data/ (not in git) and reused while the
generator's arguments stay the same. Linux only: memory is read from /proc.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
PERIODS = [f"{y}-Q{q}" for y in (2023, 2024) for q in range(1, 5)]
REFORM_PERIODS = ["2024-Q3", "2024-Q4", *(f"2025-Q{q}" for q in range(1, 5)), "2026-Q1", "2026-Q2"]


@dataclass
class Scale:
    name: str
    provinces: list[str] | None = None  # None: every province
    form: str = "xlsx"  # "xlsx": a workbook per commune and quarter; "csv": bulk files per province
    bad_row_share: float = 0.0
    sample: bool = False  # the bundled Kim Bôi sample instead of synthetic data
    floor: bool = False
    periods: list[str] = field(default_factory=lambda: list(PERIODS))


SCALES = {
    "kim_boi": Scale("kim_boi", sample=True),
    "province": Scale("province", provinces=["17"], bad_row_share=0.01),
    "country": Scale("country", form="csv", floor=True),
    "country_reform": Scale("country_reform", form="csv", floor=True, periods=REFORM_PERIODS),
}


@dataclass
class Result:
    scale: str
    units: int = 0
    files: int = 0
    rows: int = 0
    bad_rows_written: int = 0
    rows_quarantined: int = 0
    wall_s: float = 0.0  # `ntm run` to its end: the data published, then the newest quarter's reports
    published_s: float = 0.0  # to the data's publication (the end of quarter_job's run)
    peak_mib: float = 0.0
    refresh_s: float = 0.0
    refresh_published_s: float = 0.0
    refresh_ok: bool = False
    floor_s: float | None = None
    kpi_rows: int = 0
    kpi_mismatches: int | None = None
    notes: list[str] = field(default_factory=list)


# -- data --------------------------------------------------------------------------------
def prepare_raw(scale: Scale) -> tuple[Path, int]:
    """The scale's raw folder, written if missing or written with other arguments."""
    raw = DATA / scale.name / "raw"
    stamp = DATA / scale.name / "params.json"
    generator = b"".join(p.read_bytes() for p in sorted((ROOT / "ntm_pipeline" / "samples").glob("*.py")))
    params = json.dumps({**asdict(scale), "generator": hashlib.sha256(generator).hexdigest()}, sort_keys=True)
    if raw.is_dir() and stamp.is_file() and stamp.read_text() == params:
        return raw, json.loads((DATA / scale.name / "written.json").read_text())["bad_rows"]
    shutil.rmtree(raw, ignore_errors=True)
    started = time.perf_counter()
    if scale.sample:
        shutil.copytree(ROOT / "raw", raw, ignore=shutil.ignore_patterns("templates"))
        bad = 0
    else:
        from ntm_pipeline.samples.country import CountrySample, country_units

        sample = CountrySample(country_units(scale.provinces), scale.periods, scale.bad_row_share)
        bad = sum(sample.write(raw, scale.form).values())
    (DATA / scale.name / "written.json").write_text(json.dumps({"bad_rows": bad}))
    stamp.write_text(params)
    print(f"  wrote {scale.name} data in {time.perf_counter() - started:.0f} s", flush=True)
    return raw, bad


def write_correction(raw: Path, period: str) -> tuple[Path, str, int]:
    """A corrected file for the first commune of `period`: its rows as sent, farms + 7."""
    from ntm_pipeline.contract import SUBMISSION
    from ntm_pipeline.submissions.reader import discover_submission_files, read_submission_file
    from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

    files = [read_submission_file(p) for _, p in discover_submission_files(raw, [period])]
    header_rows = [v for f in files for t in f.tables.values() if t.table is SUBMISSION for _, v in t.rows if v["commune_code"]]
    header = dict(min(header_rows, key=lambda v: v["commune_code"]))
    code = header["commune_code"]
    tables: dict[str, list[dict]] = {}
    for parsed in files:
        for name, table in parsed.tables.items():
            tables.setdefault(name, []).extend(dict(v) for _, v in table.rows if v.get("commune_code") == code)
    farms = int(header["farms"] or 0) + 7
    tables[SUBMISSION.name] = [{**header, "farms": farms, "is_correction": "x"}]
    path = raw / "submissions" / period / f"{code}-dieu-chinh.xlsx"
    save_reproducibly(build_workbook(tables, period=period), path)
    return path, code, farms


# -- running and measuring ---------------------------------------------------------------
class RunFailed(Exception):
    """`ntm run` of a scale failed: the scale is reported as failed and the others still run."""


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def runs_since(home: Path, since: float) -> tuple[list, list]:
    """The instance's run records started at or after `since` (epoch seconds), oldest first,
    and the finished steps of those runs in the order they started."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = sorted((r for r in instance.get_run_records(limit=10) if (r.start_time or 0) >= since),
                         key=lambda r: r.start_time)
        stats = sorted((s for r in records for s in instance.get_run_step_stats(r.dagster_run.run_id)
                        if s.start_time and s.end_time), key=lambda s: s.start_time)
    return records, stats


def memory_by_step(stats: list, samples: list[tuple[float, int]]) -> dict[str, tuple[float, float]]:
    """Each step's tree RSS (MiB) as sampled when it started and at its highest, in the order
    the steps started; what ran outside any step is 'start-up and summary'. The first is what
    the process held from the steps before, the second less the first what the step added."""
    held: dict[str, tuple[float, float]] = {}
    for when, rss in samples:
        step = next((s.step_key for s in stats if s.start_time <= when <= s.end_time), "start-up and summary")
        start, peak = held.get(step, (rss / 2**20, 0.0))
        held[step] = (start, max(peak, rss / 2**20))
    order = [s.step_key for s in stats] + ["start-up and summary"]
    return {step: held[step] for step in order if step in held}


def publish_figures(home: Path) -> str:
    """What the latest data run's warehouse resource logged of its build: the copy of the
    published file it started from and the publish (ntm_pipeline/publish.py)."""
    import re

    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        run_id = instance.get_run_records(filters=dg.RunsFilter(job_name="quarter_job"), limit=1)[0].dagster_run.run_id
        messages = [e.user_message for e in instance.all_logs(run_id) if e.user_message]
    copy = next((m for m in messages if m.startswith("building into")), "")
    published = next((m for m in messages if m.startswith("published ")), "")
    copied = re.search(r"([\d,.]+ MiB) in ([\d.]+ s)", copy)
    took = re.search(r" in ([\d.]+ s)$", published)
    return (f"build copied from the published file ({copied.group(1)}) in {copied.group(2) if copied else '?'}, "
            f"published in {took.group(1) if took else 'NOT published'}") if copied else "no build logged"


@dataclass
class Timing:
    wall_s: float  # the process, imports to summary
    published_s: float  # from the process's start to the end of its data run (quarter_job), published
    peak_mib: float
    peak_step: str
    steps: list[tuple[str, float]]  # each step's seconds, longest first


def run_pipeline(raw: Path, database: Path, home: Path, periods: list[str] | None = None) -> Timing:
    """`ntm run` in a process of its own: its wall time, when its data was published, the
    tree's peak RSS in MiB and the step running at the peak; every step's peak goes to
    <log>.memory.tsv."""
    env = {
        **os.environ, "NTM_RAW_DIR": str(raw), "NTM_WAREHOUSE": str(database),
        "NTM_REPORTS_DIR": str(database.parent / "reports"), "DAGSTER_HOME": str(home),
        "GX_ANALYTICS_ENABLED": "false",
    }
    command = [sys.executable, "-m", "ntm_pipeline.cli", "run", *(f"--period={p}" for p in periods or [])]
    log = database.parent / ("refresh.log" if periods else "run.log")
    since, started = time.time(), time.perf_counter()
    with open(log, "w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        samples = []
        while process.poll() is None:
            samples.append((time.time(), _tree_rss(process.pid)))
            time.sleep(0.25)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RunFailed(f"ntm run failed ({process.returncode}); see {log}")
    records, stats = runs_since(home, since)
    by_step = memory_by_step(stats, samples)
    (log.with_suffix(".memory.tsv")).write_text(
        "step\tMiB at start\tpeak MiB\n" + "".join(f"{step}\t{start:.0f}\t{peak:.0f}\n" for step, (start, peak) in by_step.items()))
    peak_step = max(by_step, key=lambda step: by_step[step][1])
    data = next(r for r in records if r.dagster_run.job_name == "quarter_job")
    longest = sorted(((s.step_key, s.end_time - s.start_time) for s in stats), key=lambda x: -x[1])
    return Timing(wall, data.end_time - since, by_step[peak_step][1], peak_step, longest)


def bench_scale(scale: Scale) -> Result:
    print(f"{scale.name}:", flush=True)
    result = Result(scale.name)
    raw, result.bad_rows_written = prepare_raw(scale)
    work = DATA / scale.name / "run"
    shutil.rmtree(work, ignore_errors=True)
    home = work / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    database = work / "ntm.duckdb"
    full = run_pipeline(raw, database, home)
    result.wall_s, result.published_s, result.peak_mib = full.wall_s, full.published_s, full.peak_mib
    print(f"  full run {result.wall_s:.1f} s (data published at {result.published_s:.1f} s, then the reports), "
          f"peak {result.peak_mib:.0f} MiB (during {full.peak_step}); {publish_figures(home)}; "
          f"warehouse {database.stat().st_size / 2**20:,.1f} MiB", flush=True)
    print("  longest steps: " + ", ".join(f"{step} {s:.1f} s" for step, s in full.steps[:8]), flush=True)
    with duckdb.connect(str(database), read_only=True) as conn:
        result.files, result.rows = conn.execute(
            "SELECT count(*), sum(rows_read) FROM raw.source_file WHERE status = 'parsed'").fetchone()
        # a unit is a code in its era: across the reform most codes name two units
        result.units = conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT s.commune_code, p.admin_era FROM staging.submission AS s "
            "JOIN core.dim_period AS p USING (period))").fetchone()[0]
        result.rows_quarantined = conn.execute(
            "SELECT sum(rows_quarantined) FROM core.row_reconciliation").fetchone()[0]
        result.kpi_rows = conn.execute("SELECT count(*) FROM mart.kpi_quarterly").fetchone()[0]

    if scale.floor:
        from floor_check import compare, mismatch_summary, prepare_reference, run_floor

        with duckdb.connect() as floor:
            started = time.perf_counter()
            prepare_reference(floor)
            run_floor(floor, raw)
            result.floor_s = time.perf_counter() - started
            matched, sample = compare(floor, database)
            result.kpi_mismatches = int(mismatch_summary(floor)["rows"].sum())
        print(f"  floor {result.floor_s:.1f} s; KPI rows matched {matched:,}, differing {result.kpi_mismatches}", flush=True)
        if result.kpi_mismatches:
            print(sample.to_string(index=False))

    last = scale.periods[-1]
    correction, code, farms = write_correction(raw, last)
    try:
        refresh = run_pipeline(raw, database, home, [last])
        result.refresh_s, result.refresh_published_s = refresh.wall_s, refresh.published_s
    finally:
        correction.unlink()
    with duckdb.connect(str(database), read_only=True) as conn:
        published = conn.execute(
            "SELECT farms, source_file FROM core.fact_commune_status WHERE period = ? AND commune_code = ?",
            [last, code]).fetchone()
        after = conn.execute("SELECT count(*) FROM mart.kpi_quarterly").fetchone()[0]
    result.refresh_ok = published == (farms, correction.relative_to(raw).as_posix()) and after == result.kpi_rows
    print(f"  corrected commune {code} refreshed in {result.refresh_s:.1f} s (published at "
          f"{result.refresh_published_s:.1f} s), peak {refresh.peak_mib:.0f} MiB "
          f"(during {refresh.peak_step}; {publish_figures(home)}) "
          f"({'published' if result.refresh_ok else 'NOT published: ' + str(published)})", flush=True)
    print("  its longest steps: " + ", ".join(f"{step} {s:.1f} s" for step, s in refresh.steps[:8]), flush=True)
    return result


def bench_parsing(folder: Path, limit: int = 300) -> tuple[int, float, float]:
    """Workbooks per second: our reader (calamine) against pandas' default openpyxl engine."""
    import pandas as pd

    from ntm_pipeline.submissions.reader import read_submission_file

    paths = sorted(folder.rglob("*.xlsx"))[:limit]
    started = time.perf_counter()
    for path in paths:
        assert read_submission_file(path).error is None
    ours = len(paths) / (time.perf_counter() - started)
    started = time.perf_counter()
    for path in paths:
        pd.read_excel(path, sheet_name=None, engine="openpyxl", dtype=str)
    theirs = len(paths) / (time.perf_counter() - started)
    return len(paths), ours, theirs


VALIDATE_FILE = ROOT / "raw" / "submissions" / "2024-Q1" / "05068-nam-thuong.xlsx"
VALIDATE_LIMITS = {"cold": 5.0, "warm": 0.5}  # seconds: the targets of issue 11
WARM_CHECKS = """
import sys, time
from pathlib import Path
from ntm_pipeline.checks import Checker
checker, files = Checker(), [(Path(sys.argv[1]), "2024-Q1")]
checker.check(files)
times = []
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    checker.check(files)
    times.append(time.perf_counter() - started)
print(sorted(times)[len(times) // 2])
"""


def bench_validate(runs: int = 5) -> dict[str, float]:
    """Median seconds of `ntm validate FILE` in a new process each time (cold), and of one
    check in a process whose checker has already checked the file once (warm)."""
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
    ntm = Path(sys.executable).parent / "ntm"
    cold = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([str(ntm), "validate", str(VALIDATE_FILE)], env=env, capture_output=True, text=True,
                              check=False)
        cold.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"ntm validate {VALIDATE_FILE.name} failed ({done.returncode}): {done.stdout}{done.stderr}")
    warm = subprocess.run([sys.executable, "-c", WARM_CHECKS, str(VALIDATE_FILE), str(runs)], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    figures = {"cold": sorted(cold)[runs // 2], "warm": float(warm.stdout.split()[-1])}
    print(f"validate: one workbook ({VALIDATE_FILE.name}), median of {runs}: " + ", ".join(
        f"{name} {seconds:.2f} s ({'within' if seconds < VALIDATE_LIMITS[name] else 'OVER'} "
        f"the {VALIDATE_LIMITS[name]} s target)" for name, seconds in figures.items()), flush=True)
    return figures


def print_table(results: list[Result]) -> None:
    """One line per scale; a pair of times is (to the data's publication / to the end, reports written)."""
    print()
    print(f"{'scale':<14} {'units':>6} {'files':>6} {'rows':>10} {'bad in':>7} {'quar.':>6} {'full s':>13} "
          f"{'rows/s':>8} {'peak MiB':>9} {'refresh s':>11} {'refresh %':>9} {'floor s':>8} {'x floor':>11} KPI rows match")
    for r in results:
        floor = (f"{r.floor_s:>8.1f} {r.published_s / r.floor_s:>5.1f}/{r.wall_s / r.floor_s:<5.1f}" if r.floor_s
                 else f"{'-':>8} {'-':>11}")
        match = "-" if r.kpi_mismatches is None else ("yes" if r.kpi_mismatches == 0 else f"NO ({r.kpi_mismatches} differ)")
        print(f"{r.scale:<14} {r.units:>6} {r.files:>6} {r.rows:>10,} {r.bad_rows_written:>7} {r.rows_quarantined:>6} "
              f"{r.published_s:>6.1f}/{r.wall_s:<6.1f} {r.rows / r.published_s:>8,.0f} {r.peak_mib:>9,.0f} "
              f"{r.refresh_published_s:>5.1f}/{r.refresh_s:<5.1f} "
              f"{100 * r.refresh_published_s / r.published_s:>3.0f}/{100 * r.refresh_s / r.wall_s:<3.0f}% {floor} "
              f"{r.kpi_rows:,} {match}" + ("" if r.refresh_ok else "  (correction NOT published)"))


# The targets of issue 15 (docs/performance.md), each checked on what this run measured.
TARGETS = {"x_floor": 8.0, "peak_mib": 1.2 * 1024, "refresh_pct": 10.0, "sample_s": 12.0, "workbooks_per_s": 500.0}


def print_targets(results: list[Result], workbooks_per_s: float | None) -> None:
    """Every figure of the issue's table, with the target it is held to; times to the data's
    publication first, then to the end of the run with its reports."""
    by_scale = {r.scale: r for r in results}

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print("\ntargets (issue 15):")
    country = by_scale.get("country")
    if country and country.floor_s:
        ratio, whole = country.published_s / country.floor_s, country.wall_s / country.floor_s
        print(f"  country full run <= {TARGETS['x_floor']:.0f}x floor ({country.floor_s:.1f} s): data published "
              f"{ratio:.1f}x ({country.published_s:.1f} s) {verdict(ratio <= TARGETS['x_floor'])}; with the reports "
              f"{whole:.1f}x ({country.wall_s:.1f} s) {verdict(whole <= TARGETS['x_floor'])}")
        print(f"  country peak memory <= 1.2 GiB: {country.peak_mib:,.0f} MiB {verdict(country.peak_mib <= TARGETS['peak_mib'])}")
        share, whole = 100 * country.refresh_published_s / country.published_s, 100 * country.refresh_s / country.wall_s
        print(f"  one commune's correction <= {TARGETS['refresh_pct']:.0f} % of full: published in "
              f"{country.refresh_published_s:.1f} s ({share:.0f} %) {verdict(share <= TARGETS['refresh_pct'])}; with the "
              f"reports {country.refresh_s:.1f} s ({whole:.0f} %) {verdict(whole <= TARGETS['refresh_pct'])}; "
              f"KPIs right: {'yes' if country.refresh_ok else 'NO'}")
    sample = by_scale.get("kim_boi")
    if sample:
        print(f"  sample `make run` <= {TARGETS['sample_s']:.0f} s: {sample.wall_s:.1f} s (data published at "
              f"{sample.published_s:.1f} s) {verdict(sample.wall_s <= TARGETS['sample_s'])}")
    if workbooks_per_s is not None:
        print(f"  Kim Bôi-size workbooks parsed >= {TARGETS['workbooks_per_s']:.0f}/s: {workbooks_per_s:.0f}/s "
              f"{verdict(workbooks_per_s >= TARGETS['workbooks_per_s'])}")


def main() -> int:
    names = os.environ.get("BENCH_SCALES", ",".join([*SCALES, "validate"])).split(",")
    print(f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB; "
          f"python {sys.version.split()[0]}, duckdb {duckdb.__version__}", flush=True)
    results, failed = [], []
    for name in (n for n in names if n in SCALES):
        try:
            results.append(bench_scale(SCALES[name]))
        except RunFailed as failure:
            print(f"  {name} FAILED: {failure}", flush=True)
            failed.append(name)
    if results:
        print_table(results)
    if failed:
        print(f"\nscales that did not complete: {', '.join(failed)}")
    if "validate" in names:
        bench_validate()
    workbooks, ours = DATA / "province" / "raw" / "submissions", None
    if workbooks.is_dir():
        count, ours, theirs = bench_parsing(workbooks)
        print(f"\nworkbook parsing, {count} commune workbooks: ours (calamine) {ours:.0f}/s, "
              f"pandas + openpyxl {theirs:.0f}/s ({ours / theirs:.1f}x)")
    print_targets(results, ours)
    return 0 if not failed and all(r.refresh_ok and not r.kpi_mismatches for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
