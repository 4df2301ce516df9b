"""The sensor, the schedule and the alerts, through Dagster's own context builders."""

import json
import shutil
from datetime import datetime

import dagster as dg
import pytest

from conftest import SAMPLE_RAW
from ntm_pipeline.defs.automation import alerts
from ntm_pipeline.defs.automation.schedules import close_quarter, deadline_day, quarter_just_closed
from ntm_pipeline.defs.automation.sensors import new_submission_files
from ntm_pipeline.resources import SubmissionStore


def copy(raw, period, name):
    target = raw / "submissions" / period / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE_RAW / "submissions" / period / name, target)
    return target


def tick(raw, cursor=None, instance=None):
    context = dg.build_sensor_context(
        cursor=cursor, instance=instance, resources={"submissions": SubmissionStore(raw_dir=str(raw))}
    )
    return new_submission_files(context)


def requested(result):
    return [(r.job_name, r.partition_key) for r in result.run_requests]


def test_new_changed_same_and_restart(tmp_path):
    raw = tmp_path / "raw"
    copy(raw, "2024-Q1", "05068-nam-thuong.xlsx")
    copy(raw, "2024-Q2", "05068-nam-thuong.xlsx")
    shutil.copytree(SAMPLE_RAW / "targets", raw / "targets")

    first = tick(raw)  # new files: each quarter once, and the targets
    assert requested(first) == [("quarter_job", "2024-Q1"), ("quarter_job", "2024-Q2"), ("reference_job", None)]
    keys = {r.partition_key: r.run_key for r in first.run_requests}

    same = tick(raw, first.cursor)  # nothing new: nothing runs
    assert requested(same) == [] and "no new or changed files" in same.skip_reason.skip_message

    # The same bytes copied again (a new modification time) start nothing either.
    copy(raw, "2024-Q1", "05068-nam-thuong.xlsx").touch()
    assert requested(tick(raw, first.cursor)) == []

    # A changed file runs its quarter only, under a new run key.
    shutil.copy(SAMPLE_RAW / "submissions" / "2024-Q3" / "05068-nam-thuong.xlsx",
                raw / "submissions" / "2024-Q2" / "05068-nam-thuong.xlsx")
    changed = tick(raw, first.cursor)
    assert requested(changed) == [("quarter_job", "2024-Q2")]
    assert changed.run_requests[0].run_key != keys["2024-Q2"]

    # A restart: the daemon hands back the stored cursor, which forgot nothing.
    stored = json.loads(changed.cursor)
    assert set(stored) == {"submissions/2024-Q1/05068-nam-thuong.xlsx", "submissions/2024-Q2/05068-nam-thuong.xlsx",
                           "targets/153-kim-boi-2024.csv"}
    assert requested(tick(raw, changed.cursor)) == []

    # A new commune's file in a quarter already loaded runs that quarter again.
    copy(raw, "2024-Q1", "05080-sao-bay.xlsx")
    assert requested(tick(raw, changed.cursor)) == [("quarter_job", "2024-Q1")]


def test_files_it_cannot_place_are_reported(tmp_path):
    raw = tmp_path / "raw"
    (raw / "submissions" / "quy-1").mkdir(parents=True)
    (raw / "submissions" / "quy-1" / "05068.xlsx").write_bytes(b"x")
    result = tick(raw)
    assert result.run_requests == []
    assert "cannot place: submissions/quy-1/05068.xlsx" in result.skip_reason.skip_message


def test_run_keys_deduplicate_in_the_instance(tmp_path):
    raw = tmp_path / "raw"
    copy(raw, "2024-Q1", "05068-nam-thuong.xlsx")
    first = tick(raw)
    again = tick(raw)  # as if the cursor had been lost: the same content gives the same run key
    assert [r.run_key for r in first.run_requests] == [r.run_key for r in again.run_requests]


@pytest.mark.parametrize("when, period", [
    (datetime(2024, 4, 20, 6), "2024-Q1"), (datetime(2024, 1, 20, 6), "2023-Q4"), (datetime(2024, 10, 20), "2024-Q3"),
])
def test_schedule_closes_the_quarter_just_ended(when, period):
    assert quarter_just_closed(when) == period
    request = close_quarter(dg.build_schedule_context(scheduled_execution_time=when))
    assert request.partition_key == period and request.run_key == f"close-{period}"


def test_schedule_runs_after_the_reporting_deadline():
    assert deadline_day() == 20
    assert close_quarter.cron_schedule == "0 6 20 1,4,7,10 *"
    assert close_quarter.default_status == dg.DefaultScheduleStatus.RUNNING
    assert new_submission_files.default_status == dg.DefaultSensorStatus.RUNNING


def test_failed_run_writes_an_alert(tmp_path, monkeypatch):
    @dg.asset(name="fact_investment", key_prefix="core")
    def broken():
        raise ValueError("disk full")

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([broken], instance=instance, raise_on_error=False)
    assert not result.success
    (record,) = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    failure = record.dagster_event
    monkeypatch.setenv("NTM_ALERT_FILE", str(tmp_path / "alerts.jsonl"))
    monkeypatch.delenv("NTM_ALERT_WEBHOOK_URL", raising=False)
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert", dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=failure,
    ).for_run_failure()
    alerts.run_failure_alert(context)
    (line,) = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    alert = json.loads(line)
    assert alert["run_id"] == result.run_id
    assert alert["failures"] == [{"step": "core__fact_investment", "asset": "core/fact_investment", "error": "ValueError: disk full"}]


def test_alert_goes_to_the_webhook(tmp_path, monkeypatch):
    import http.server
    import threading

    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.handle_request, daemon=True).start()
    monkeypatch.setenv("NTM_ALERT_FILE", str(tmp_path / "alerts.jsonl"))
    monkeypatch.setenv("NTM_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    alerts.send({"run_id": "abc", "failures": []}, log=None)
    server.server_close()
    assert received == [{"run_id": "abc", "failures": []}]
