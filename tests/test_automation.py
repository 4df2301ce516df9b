"""The sensors, the schedule and the alerts, through Dagster's own context builders, on
real files, real warehouses and real instances."""

import json
import shutil
from datetime import datetime

import dagster as dg
import duckdb
import pytest

from conftest import SAMPLE_PERIODS, SAMPLE_RAW, copy_sample
from ntm_pipeline.defs.automation import alerts
from ntm_pipeline.defs.automation.schedules import close_quarter, deadline_day, quarter_just_closed
from ntm_pipeline.defs.automation.sensors import new_submission_files, refresh_marts
from ntm_pipeline.resources import warehouse_resources
from ntm_pipeline.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow  # builds its own warehouses and runs the jobs through the pipeline


def copy(raw, period, name, source_period=None):
    target = raw / "submissions" / period / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE_RAW / "submissions" / (source_period or period) / name, target)
    return target


def tick(raw, cursor=None, instance=None, database=None):
    """One evaluation of the new-file sensor; `database` is the warehouse it compares with
    on its first tick (by default one that does not exist yet)."""
    database = database or raw.parent / "no-warehouse-yet.duckdb"
    with dg.build_sensor_context(
        cursor=cursor, instance=instance, resources=warehouse_resources(database, raw),
    ) as context:
        return new_submission_files(context)


def requested(result):
    return [(r.job_name, r.partition_key) for r in result.run_requests]


def test_new_changed_same_and_restart(tmp_path):
    raw = tmp_path / "raw"
    copy(raw, "2024-Q1", "05068-nam-thuong.xlsx")
    copy(raw, "2024-Q2", "05068-nam-thuong.xlsx")
    shutil.copytree(SAMPLE_RAW / "targets", raw / "targets")

    first = tick(raw)  # new files in an empty warehouse: each quarter once (its run loads the targets too)
    assert requested(first) == [("quarter_job", "2024-Q1"), ("quarter_job", "2024-Q2")]
    keys = {r.partition_key: r.run_key for r in first.run_requests}

    same = tick(raw, first.cursor)  # nothing new: nothing runs
    assert requested(same) == []
    assert same.skip_reason.skip_message == "no new or changed files: 2 files in 2 quarters (2024-Q1..2024-Q2) and 3 targets files"

    # The same bytes copied again (a new modification time) start nothing either.
    copy(raw, "2024-Q1", "05068-nam-thuong.xlsx").touch()
    assert requested(tick(raw, first.cursor)) == []

    # A changed file runs its quarter only, under a new run key.
    copy(raw, "2024-Q2", "05068-nam-thuong.xlsx", source_period="2024-Q3")
    changed = tick(raw, first.cursor)
    assert requested(changed) == [("quarter_job", "2024-Q2")]
    assert changed.run_requests[0].run_key != keys["2024-Q2"]

    # A restart: the daemon hands back the stored cursor, which forgot nothing. It holds one
    # digest per quarter and the targets, not every file's hash.
    stored = json.loads(changed.cursor)
    assert set(stored["digests"]) == {"2024-Q1", "2024-Q2", "targets"}
    assert requested(tick(raw, changed.cursor)) == []

    # Targets changed alone: the reference job, and the marts follow through refresh_marts.
    with open(raw / "targets" / "153-kim-boi-2024.csv", "a", encoding="utf-8") as handle:
        handle.write("2024,153,farms,40\n")
    targets = tick(raw, changed.cursor)
    assert requested(targets) == [("reference_job", None)]

    # A new commune's file in a quarter already loaded runs that quarter again.
    copy(raw, "2024-Q1", "05080-sao-bay.xlsx")
    assert requested(tick(raw, targets.cursor)) == [("quarter_job", "2024-Q1")]


def test_content_that_comes_back_runs_again(tmp_path):
    """A correction withdrawn (the file back to its first bytes) is a change like any other."""
    raw = tmp_path / "raw"
    copy(raw, "2024-Q1", "05068-nam-thuong.xlsx")
    first = tick(raw)
    copy(raw, "2024-Q1", "05068-nam-thuong.xlsx", source_period="2024-Q2")
    corrected = tick(raw, first.cursor)
    copy(raw, "2024-Q1", "05068-nam-thuong.xlsx")
    withdrawn = tick(raw, corrected.cursor)
    assert requested(withdrawn) == [("quarter_job", "2024-Q1")]
    keys = [r.run_key for r in (*first.run_requests, *corrected.run_requests, *withdrawn.run_requests)]
    assert len(set(keys)) == 3


def test_a_cursor_of_every_file_hash_is_read_as_digests(tmp_path):
    """The cursor written before digests (every file's hash) still says what is known."""
    from ntm_pipeline.submissions.reader import file_hash

    raw = tmp_path / "raw"
    path = copy(raw, "2024-Q1", "05068-nam-thuong.xlsx")
    old = json.dumps({"submissions/2024-Q1/05068-nam-thuong.xlsx": file_hash(path)})
    assert requested(tick(raw, old)) == []
    copy(raw, "2024-Q2", "05068-nam-thuong.xlsx")
    assert requested(tick(raw, old)) == [("quarter_job", "2024-Q2")]


def sample_files() -> int:
    return sum(1 for p in (SAMPLE_RAW / "submissions").rglob("*") if p.suffix in (".xlsx", ".csv"))


def test_first_tick_after_a_build_runs_nothing(sample_build, tmp_path):
    """`make dev` after `make run`: the sensor's first tick compares raw/ with the files the
    warehouse was built from, so nothing runs again; one changed file runs its quarter only."""
    database, _ = sample_build
    raw = copy_sample(tmp_path / "raw", SAMPLE_PERIODS)
    first = tick(raw, database=database)
    assert requested(first) == []
    assert first.skip_reason.skip_message == (
        f"no new or changed files: {sample_files()} files in {len(SAMPLE_PERIODS)} quarters "
        f"({SAMPLE_PERIODS[0]}..{SAMPLE_PERIODS[-1]}) and 3 targets files"
    )
    # The cursor it writes is the page a reader sees: one short digest per quarter.
    assert len(first.cursor) < 40 * (len(SAMPLE_PERIODS) + 1)

    copy(raw, "2024-Q2", "05068-nam-thuong.xlsx", source_period="2024-Q3")
    assert requested(tick(raw, database=database)) == [("quarter_job", "2024-Q2")]
    (raw / "submissions" / "2023-Q3" / "05080-sao-bay.xlsx").unlink()
    assert requested(tick(raw, database=database)) == [("quarter_job", "2023-Q3"), ("quarter_job", "2024-Q2")]


def test_first_tick_waits_while_the_warehouse_is_being_written(sample_build, tmp_path):
    """A run holding the warehouse's write lock: the first tick compares on a later tick
    instead of guessing (and rebuilding everything)."""
    import subprocess
    import sys
    import time

    database = tmp_path / "ntm.duckdb"
    shutil.copy(sample_build[0], database)
    raw = copy_sample(tmp_path / "raw", SAMPLE_PERIODS)
    writer = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(database)!r}); print('open', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "open"
        busy = tick(raw, database=database)
        assert isinstance(busy, dg.SkipReason) and "is busy" in busy.skip_message
    finally:
        writer.kill()
        writer.wait()
    time.sleep(0.5)
    assert requested(tick(raw, database=database)) == []


def test_files_it_cannot_place_are_reported(tmp_path):
    raw = tmp_path / "raw"
    (raw / "submissions" / "quy-1").mkdir(parents=True)
    (raw / "submissions" / "quy-1" / "05068.xlsx").write_bytes(b"x")
    copy(raw, "2030-Q4", "05068-nam-thuong.xlsx", source_period="2024-Q1")  # a quarter not begun yet
    result = tick(raw)
    assert result.run_requests == []
    assert result.skip_reason.skip_message.endswith(
        "cannot place: submissions/2030-Q4/05068-nam-thuong.xlsx (2030-Q4 has not begun), "
        "submissions/quy-1/05068.xlsx (not under a quarter folder such as 2024-Q1)"
    )


def test_run_keys_deduplicate_in_the_instance(tmp_path):
    raw = tmp_path / "raw"
    copy(raw, "2024-Q1", "05068-nam-thuong.xlsx")
    first = tick(raw)
    again = tick(raw)  # a tick retried with the same cursor: the same run keys, so nothing runs twice
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
    assert refresh_marts.default_status == dg.DefaultSensorStatus.RUNNING


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


SMALL_PERIODS = ["2024-Q1", "2024-Q2"]


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    """`make run` in miniature: three communes in 2024-Q1 (Bo is a town), two of them in
    2024-Q2, built into a warehouse and recorded in a Dagster instance of its own."""
    from ntm_pipeline.run import materialize_periods

    home = tmp_path_factory.mktemp("small")
    raw = copy_sample(home / "raw", ["2024-Q1"], communes=["04978", "05068", "05080"])
    copy_sample(raw, ["2024-Q2"], communes=["04978", "05068"])
    resources = warehouse_resources(home / "ntm.duckdb", raw)
    (home / "dagster_home").mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster_home" / "dagster.yaml")
    instance = dg.DagsterInstance.local_temp(str(home / "dagster_home"))
    result = materialize_periods(SMALL_PERIODS, instance, resources=resources)
    assert result.success
    yield instance, resources, raw, home / "ntm.duckdb"
    instance.dispose()


def marts_requested(evaluation) -> dict[str, list]:
    from ntm_pipeline.definitions import defs

    marts = [k for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] == "mart"]
    return {k.to_user_string(): sorted(map(str, evaluation.get_requested_partitions(k))) for k in marts
            if evaluation.get_requested_partitions(k)}


def test_marts_follow_changed_inputs_only(small_build):
    """The automation sensor is on as shipped. After a build it starts nothing; after a
    quarter's run (which rebuilds its own marts and rewrites the reference lists and targets
    unchanged) it starts nothing; after the targets change, the marts of every quarter held."""
    from ntm_pipeline.definitions import defs

    instance, resources, raw, database = small_build
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.total_requested == 0

    quarter = defs.resolve_job_def("quarter_job").execute_in_process(
        instance=instance, partition_key="2024-Q2", resources=resources)
    assert quarter.success
    after_quarter = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert marts_requested(after_quarter) == {}

    # The quarter's run reports the whole table and the rows it wrote.
    (kpis,) = [e.materialization for e in quarter.get_asset_materialization_events()
               if e.materialization.asset_key == dg.AssetKey(["mart", "kpi_quarterly"])]
    with duckdb.connect(str(database), read_only=True) as conn:
        total, in_q2 = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE period = '2024-Q2') FROM mart.kpi_quarterly").fetchall()[0]
    assert kpis.metadata["dagster/row_count"].value == total
    assert kpis.metadata["rows_written"].value == in_q2 < total
    assert kpis.metadata["quarters"].value == "2024-Q1..2024-Q2"

    # The reference job with the targets unchanged: same content, same data version, nothing.
    reference = defs.resolve_job_def("reference_job")
    assert reference.execute_in_process(instance=instance, resources=resources).success
    unchanged = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=after_quarter.cursor)
    assert marts_requested(unchanged) == {}

    # A changed target: every quarter held gets its KPIs again, and their wide table with them
    # (the reports follow that run's publication: reports_after_publish); quarters without
    # facts, and marts that do not read the targets, are left alone.
    with open(raw / "targets" / "153-kim-boi-2024.csv", "a", encoding="utf-8") as handle:
        handle.write("2024,153,farms,40\n")
    assert reference.execute_in_process(instance=instance, resources=resources).success
    changed = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=unchanged.cursor)
    assert marts_requested(changed) == {"mart/kpi_quarterly": SMALL_PERIODS, "mart/kpi_wide": SMALL_PERIODS}


def test_reports_follow_a_published_run_for_its_newest_quarter(small_build):
    """reports_after_publish: report_job for the newest quarter of a run that was published, and
    nothing for a run that was not, for a run without quarters or for a report run itself; the
    report run it starts writes that quarter's reports from the published warehouse."""
    from ntm_pipeline.definitions import defs
    from ntm_pipeline.defs.automation.sensors import reports_after_publish
    from ntm_pipeline.resources import PUBLISHED_TAG
    from ntm_pipeline.settings import reports_dir

    instance, resources, _, _ = small_build

    def evaluate(run: dg.DagsterRun):
        context = dg.build_run_status_sensor_context(
            sensor_name="reports_after_publish", dagster_instance=instance, dagster_run=run,
            dagster_event=next(e.dagster_event for e in instance.all_logs(run.run_id) if e.dagster_event))
        return reports_after_publish(context)

    (data,) = [r for r in instance.get_runs() if r.job_name == "quarter_job"
               and r.tags.get("dagster/asset_partition_range_end") == "2024-Q2"
               and r.tags.get("dagster/asset_partition_range_start") == "2024-Q1"]
    assert data.tags[PUBLISHED_TAG] != "no"
    request = evaluate(data)
    assert isinstance(request, dg.RunRequest)
    assert (request.partition_key, request.run_key) == ("2024-Q2", f"reports:{data.run_id}")

    instance.add_run_tags(data.run_id, {PUBLISHED_TAG: "no"})
    assert "not published" in evaluate(instance.get_run_by_id(data.run_id)).skip_message
    instance.add_run_tags(data.run_id, {PUBLISHED_TAG: data.tags[PUBLISHED_TAG]})

    reports = defs.resolve_job_def("report_job").execute_in_process(
        instance=instance, partition_key=request.partition_key, resources=resources)
    assert reports.success
    assert sorted(p.name for p in (reports_dir() / "2024-Q2").glob("*.md")) == [
        "2024-Q2-district-153.md", "2024-Q2-province-17.md"]
    assert "wrote reports" in evaluate(instance.get_run_by_id(reports.run_id)).skip_message
    reference = defs.resolve_job_def("reference_job").execute_in_process(instance=instance, resources=resources)
    assert "wrote no quarter" in evaluate(instance.get_run_by_id(reference.run_id)).skip_message
