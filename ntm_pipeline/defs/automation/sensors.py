"""Watch raw/ for new or changed submission files and run the quarters they belong to; keep
the marts in step with their inputs; write a quarter's reports once its data is published.

Files are compared by content hash, never by modification time: a file copied again with
the same bytes starts nothing, a file edited in place starts its quarter. The cursor keeps
one digest per quarter (and one for raw/targets/), a hash of its files' paths and hashes,
so a restart of the daemon forgets nothing and the sensor's page stays a few lines long.
On its first tick (no cursor) the sensor takes those digests from the warehouse, read-only:
the files each quarter was last loaded from (raw.source_file, raw.target_file), so after
`make run` a `make dev` runs only the quarters whose files changed since.
"""

import hashlib
import json
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from ntm_pipeline.defs.automation import jobs
from ntm_pipeline.resources import SubmissionStore
from ntm_pipeline.submissions.reader import TARGETS, file_hash, place_file
from ntm_pipeline.warehouse import read_sql, table_exists

SQL = Path(__file__).parent / "sql"


def scan(store: SubmissionStore) -> tuple[dict[str, str], list[str]]:
    """Hashes of the files the pipeline reads, by path under raw/, and files it cannot place,
    each with the reason: the reader's own rule (submissions.reader.place_file)."""
    root = store.path
    hashes, unplaced = {}, []
    for folder in ("submissions", TARGETS):
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            group, reason = place_file(root, path)
            relative = path.relative_to(root).as_posix()
            if group is not None:
                hashes[relative] = file_hash(path)
            elif reason is not None:
                unplaced.append(f"{relative} ({reason})")
    return hashes, unplaced


def group_of(relative: str) -> str:
    """The quarter a file belongs to, or 'targets'."""
    parts = relative.split("/")
    return TARGETS if parts[0] == TARGETS else parts[1]


def digests(files: dict[str, str]) -> dict[str, str]:
    """One digest per quarter (and 'targets'): a hash of its files' paths and content hashes."""
    groups: dict[str, list[str]] = {}
    for path, digest in files.items():
        groups.setdefault(group_of(path), []).append(f"{path}:{digest}")
    return {
        group: hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()[:16]
        for group, entries in sorted(groups.items())
    }


def changed_groups(known: dict[str, str], current: dict[str, str]) -> list[str]:
    """Quarters (and 'targets') whose digest differs: a file added, changed or removed."""
    return sorted(g for g in set(known) | set(current) if known.get(g) != current.get(g))


def loaded_files(database: str) -> dict[str, str] | None:
    """The files the warehouse was last built from, by path under raw/ with their hashes,
    read-only; {} for a warehouse not built yet, None while it cannot be opened (a run is
    writing to it)."""
    if database != ":memory:" and not database.startswith("md:") and not Path(database).exists():
        return {}
    try:
        with duckdb.connect(database, read_only=True) as conn:
            queries = [("raw.source_file", "loaded_submission_files.sql")]
            # Targets: the file log where there is one, else the files the target rows came from.
            if table_exists(conn, "raw.target_file"):
                queries.append(("raw.target_file", "loaded_target_files.sql"))
            else:
                queries.append(("raw.target", "loaded_target_rows.sql"))
            files = {}
            for table, sql_file in queries:
                if table_exists(conn, table):
                    files.update(dict(conn.execute(read_sql(SQL / sql_file)).fetchall()))
            return files
    except duckdb.Error:
        return None


def summary(files: dict[str, str]) -> str:
    """'136 files in 8 quarters (2023-Q1..2024-Q4) and 1 targets file'."""
    from ntm_pipeline.warehouse import quarters_label

    quarters = sorted({group_of(p) for p in files} - {TARGETS})
    targets = sum(1 for p in files if group_of(p) == TARGETS)
    text = f"{len(files) - targets} files in {len(quarters)} quarters ({quarters_label(quarters) or 'none'})"
    return text + f" and {targets} targets file{'s' if targets != 1 else ''}"


def read_cursor(cursor: str | None) -> tuple[dict[str, str] | None, int]:
    """The digests by quarter a cursor holds (None without a cursor) and its count of ticks
    that requested runs. A cursor of the earlier form, every file's hash, gives its digests."""
    if not cursor:
        return None, 0
    stored = json.loads(cursor)
    if "digests" not in stored:
        return digests(stored), 0
    return stored["digests"], stored.get("launches", 0)


@dg.sensor(
    jobs=[jobs.quarter_job, jobs.reference_job],
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 30 s, hashes the files under raw/submissions/<quarter>/ and raw/targets/ and "
    "runs quarter_job for each quarter with a file added, changed or removed (reference_job when only "
    "the targets changed). The first tick compares with the files the warehouse was built from, so "
    "nothing loaded already runs again. Files it cannot place are named in the skip reason.",
)
def new_submission_files(
    context: dg.SensorEvaluationContext, submissions: SubmissionStore, duckdb: DuckDBResource
) -> dg.SensorResult | dg.SkipReason:
    """Runs the quarter of every submission file that is new, changed or removed in
    raw/submissions/<quarter>/, and the reference job when raw/targets/ changes. Files it
    cannot place (not under a quarter folder such as 2024-Q1) are reported, not forgotten."""
    current_files, unplaced = scan(submissions)
    for entry in unplaced:
        context.log.warning(f"cannot place {entry}: submissions go in raw/submissions/<quarter>/, e.g. 2024-Q1")
    current = digests(current_files)
    known, launches = read_cursor(context.cursor)
    if known is None:
        loaded = loaded_files(duckdb.database)
        if loaded is None:
            return dg.SkipReason(f"the warehouse {duckdb.database} is busy; comparing with it on the next tick")
        known = digests(loaded)
        context.log.info(f"first tick: the warehouse holds {summary(loaded)}; raw/ has {summary(current_files)}")
    changed = changed_groups(known, current)
    quarters = [g for g in changed if g != TARGETS]
    groups = quarters or [g for g in changed if g == TARGETS]  # a quarter's run loads the targets too
    if groups:
        launches += 1
    # The run key is the content and the count of launching ticks: a retried tick starts
    # nothing twice, and content that comes back (a correction withdrawn) runs again.
    requests = [
        dg.RunRequest(
            run_key=f"{g}:{current.get(g, 'removed')}:{launches}",
            job_name=jobs.reference_job.name if g == TARGETS else jobs.quarter_job.name,
            partition_key=None if g == TARGETS else g,
        )
        for g in groups
    ]
    for group in changed:
        context.log.info(f"{group}: files added, changed or removed")
    skip = None
    if not requests:
        skip = f"no new or changed files: {summary(current_files)}" + (
            f"; cannot place: {', '.join(unplaced)}" if unplaced else ""
        )
    cursor = json.dumps({"digests": current, "launches": launches}, sort_keys=True)
    return dg.SensorResult(run_requests=requests, cursor=cursor, skip_reason=skip)

refresh_marts = dg.AutomationConditionSensorDefinition(
    "refresh_marts",
    target=dg.AssetSelection.groups("mart") - jobs.REPORTS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Keeps the marts in step with their inputs by their automation conditions: a quarter's "
    "marts are rebuilt when one of its facts is rewritten by a run that did not rebuild them, every "
    "quarter's when a reference list or the targets change content (reference_job). A quarter_job run "
    "rebuilds its own marts, so it starts nothing here.",
)


def newest_quarter(run: dg.DagsterRun) -> str | None:
    """The newest quarter a run wrote: the end of its partition range, or its one partition."""
    return run.tags.get("dagster/asset_partition_range_end") or run.tags.get("dagster/partition")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    request_job=jobs.report_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After every published run that wrote a quarter's data (quarter_job, or the marts "
    "refresh_marts rebuilt), runs report_job for its newest quarter: the reports are written from what "
    "analysts now read, and never hold the data back. A run that was not published starts nothing.",
)
def reports_after_publish(context: dg.RunStatusSensorContext):
    """The daemon's `ntm run` second half: report_job for the newest quarter of a published run."""
    from ntm_pipeline.resources import PUBLISHED_TAG

    run = context.dagster_run
    if run.job_name == jobs.report_job.name:
        return dg.SkipReason(f"run {run.run_id[:8]} wrote reports")
    if run.tags.get(PUBLISHED_TAG) in (None, "no"):
        return dg.SkipReason(f"run {run.run_id[:8]} was not published: no reports from it")
    period = newest_quarter(run)
    if period is None:
        return dg.SkipReason(f"run {run.run_id[:8]} wrote no quarter (reference tables or targets only)")
    return dg.RunRequest(run_key=f"reports:{run.run_id}", partition_key=period)


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 60 s, marks failed the runs the instance shows in progress whose process has "
    "died (killed, out of memory, a power cut: Dagster's run monitoring cannot see that with the "
    "default run launcher) and frees the pool slots they held, so the run queue moves on without a "
    "person. What it repaired is its skip reason; `ntm doctor` reports the same by hand.",
)
def repair_after_crash(context: dg.SensorEvaluationContext, duckdb: DuckDBResource) -> dg.SkipReason:
    """The daemon's half of 'a crash is survived without a person': the same repair every run
    makes when it starts (ntm_pipeline/run.py, `recover`), taken only when no run holds the
    warehouse's run lock (a live run's files are in use)."""
    from ntm_pipeline.run import RunLock, lock_path, recover

    warehouse = Path(duckdb.database)
    lock = RunLock(lock_path(warehouse))
    if not lock.acquire(wait=False):
        return dg.SkipReason(f"a run is in progress ({lock.holder()}); it repaired what it found when it started")
    repaired: list[str] = []
    with lock:
        recover(context.instance, repaired.append, warehouse=warehouse)
    for line in repaired:
        context.log.warning(line)
    return dg.SkipReason("; ".join(repaired) if repaired else "nothing left by a crash")
