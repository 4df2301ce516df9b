"""Watch raw/ for new or changed submission files and run the quarters they belong to.

Files are compared by content hash, never by modification time: a file copied again with
the same bytes starts nothing, a file edited in place starts its quarter. The cursor keeps
every file's hash, so a restart of the daemon forgets nothing.
"""

import hashlib
import json

import dagster as dg

from ntm_pipeline.defs.automation.jobs import quarter_job, reference_job
from ntm_pipeline.partitions import QUARTERS
from ntm_pipeline.resources import SubmissionStore
from ntm_pipeline.submissions.reader import SUBMISSION_SUFFIXES, file_hash

TARGETS = "targets"


def scan(store: SubmissionStore) -> tuple[dict[str, str], list[str]]:
    """Hashes of the files the pipeline reads, by path under raw/, and files it cannot place."""
    root = store.path
    hashes, unplaced = {}, []
    for folder in ("submissions", TARGETS):
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.name.startswith((".", "~$")):
                continue
            relative = path.relative_to(root).as_posix()
            parts = relative.split("/")
            placed = path.suffix.lower() in SUBMISSION_SUFFIXES and (
                folder == TARGETS or (len(parts) >= 3 and parts[1] in QUARTERS)
            )
            if placed:
                hashes[relative] = file_hash(path)
            else:
                unplaced.append(relative)
    return hashes, unplaced


def group_of(relative: str) -> str:
    """The quarter a file belongs to, or 'targets'."""
    parts = relative.split("/")
    return TARGETS if parts[0] == TARGETS else parts[1]


def changed_groups(known: dict[str, str], current: dict[str, str]) -> list[str]:
    """Quarters (and 'targets') with a file added, changed or removed."""
    paths = set(known) | set(current)
    return sorted({group_of(p) for p in paths if known.get(p) != current.get(p)})


def group_digest(current: dict[str, str], group: str) -> str:
    """One hash for the content of a quarter: the run key, so the same content runs once."""
    entries = sorted(f"{p}:{h}" for p, h in current.items() if group_of(p) == group)
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()[:16]


@dg.sensor(
    jobs=[quarter_job, reference_job],
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def new_submission_files(context: dg.SensorEvaluationContext, submissions: SubmissionStore) -> dg.SensorResult:
    """Runs the quarter of every submission file that is new, changed or removed in
    raw/submissions/<quarter>/, and the reference job when raw/targets/ changes. Files it
    cannot place (not under a quarter folder such as 2024-Q1) are reported, not forgotten."""
    known = json.loads(context.cursor) if context.cursor else {}
    current, unplaced = scan(submissions)
    for path in unplaced:
        context.log.warning(f"cannot place {path}: submissions go in raw/submissions/<quarter>/, e.g. 2024-Q1")
    requests = []
    for group in changed_groups(known, current):
        run_key = f"{group}:{group_digest(current, group)}"
        if group == TARGETS:
            requests.append(dg.RunRequest(run_key=run_key, job_name=reference_job.name))
        else:
            requests.append(dg.RunRequest(run_key=run_key, job_name=quarter_job.name, partition_key=group))
    skip = None
    if not requests:
        skip = "no new or changed files" + (f"; cannot place: {', '.join(unplaced)}" if unplaced else "")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(current, sort_keys=True), skip_reason=skip)
