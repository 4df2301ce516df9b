"""Tell someone when a run fails: the run, the failed asset and the error.

Alerts are written to the log and appended, one JSON line each, to a file (by default
dagster_home/alerts.jsonl; NTM_ALERT_FILE overrides it). When NTM_ALERT_WEBHOOK_URL is set
they are also POSTed there as JSON (a chat or paging webhook).
"""

import json
import os
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from ntm_pipeline.run import user_error
from ntm_pipeline.settings import PROJECT_ROOT


def alert_file() -> Path:
    default = Path(os.environ.get("DAGSTER_HOME", PROJECT_ROOT / "dagster_home")) / "alerts.jsonl"
    return Path(os.environ.get("NTM_ALERT_FILE", default))


def failure_alert(context: dg.RunFailureSensorContext) -> dict:
    failures = []
    for event in context.get_step_failure_events():
        error = user_error(event.event_specific_data.error)  # the user code's, not Dagster's wrapper
        failures.append({
            "step": event.step_key,
            "asset": event.step_key.replace("__", "/"),
            "error": (error.message.strip() if error else "unknown error"),
        })
    run = context.dagster_run
    return {
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run_id": run.run_id,
        "job": run.job_name,
        "partition": run.tags.get("dagster/partition")
        or "..".join(filter(None, [run.tags.get("dagster/asset_partition_range_start"),
                                   run.tags.get("dagster/asset_partition_range_end")])) or None,
        "failures": failures,
        "run_error": context.failure_event.message,
    }


def send(alert: dict, log) -> None:
    path = alert_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(alert, ensure_ascii=False) + "\n")
    url = os.environ.get("NTM_ALERT_WEBHOOK_URL")
    if url:
        request = urllib.request.Request(
            url, data=json.dumps(alert, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json"}, method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except OSError as exc:
            log.error(f"alert webhook {url} failed: {exc}")


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="For every failed run, writes an alert (the run, each failed asset and its error) to the "
    "log, to dagster_home/alerts.jsonl (NTM_ALERT_FILE) and, when NTM_ALERT_WEBHOOK_URL is set, to that webhook.",
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    """Writes an alert for every failed run: which run, which asset failed and why, to the log,
    to dagster_home/alerts.jsonl and, if NTM_ALERT_WEBHOOK_URL is set, to that webhook."""
    alert = failure_alert(context)
    assets = ", ".join(f"{f['asset']}: {f['error']}" for f in alert["failures"]) or alert["run_error"]
    context.log.error(f"run {alert['run_id']} ({alert['job']}, {alert['partition']}) failed: {assets}")
    send(alert, context.log)
