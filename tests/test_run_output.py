"""`ntm run` as a user sees it: progress line by line while the run goes, one run of the
named quarter_job with its partition range, and a closing summary aligned on its longest
name that says where the reports went and where each taken-out file, quarantined row and
warning can be read."""

from __future__ import annotations

import io
import shutil
import time
from contextlib import redirect_stdout
from pathlib import Path

import dagster as dg
import duckdb
import pytest

# Imported before the run's environment is set, as in any longer session: `ntm run` must
# take the warehouse and raw folder of the environment at the time it runs.
import ntm_pipeline.definitions  # noqa: F401

from ntm_pipeline.cli import main
from ntm_pipeline.contract import SUBMISSION_TABLES, TARGET
from ntm_pipeline.samples.kim_boi import PERIODS, KimBoiSample
from ntm_pipeline.settings import PROJECT_ROOT
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

pytestmark = pytest.mark.slow  # `ntm run` builds its own warehouse through the pipeline

SAMPLE = KimBoiSample()
UNITS = {u.code: u for u in SAMPLE.units}
PERIOD = "2024-Q1"


class TimedLines(io.TextIOBase):
    """stdout that notes when each line arrived."""

    def __init__(self):
        self.lines: list[tuple[float, str]] = []
        self._partial = ""

    def write(self, text: str) -> int:
        *complete, self._partial = (self._partial + text).split("\n")
        self.lines += [(time.perf_counter(), line) for line in complete]
        return len(text)


def submission(code: str, edit=None):
    tables, _ = SAMPLE.submission(UNITS[code], PERIODS.index(PERIOD))
    tables = {name: [r for r in rows if r] for name, rows in tables.items()}
    if edit:
        edit(tables)
    return tables


def damage(tables):
    tables["investment"][0]["category"] = "cầu treo"  # critical: the row is held back
    tables["certified_area"][0].update(issue_date="01/01/2021", expiry_date="31/12/2023")  # a warning


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    raw = root / "raw"
    folder = raw / "submissions" / PERIOD
    good = {"05080-sao-bay.xlsx": submission("05080"), "05068-nam-thuong.xlsx": submission("05068", damage)}
    for name, tables in good.items():
        save_reproducibly(build_workbook(tables), folder / name)
    no_criteria = tuple(t for t in SUBMISSION_TABLES if t.name != "criteria")
    save_reproducibly(build_workbook(submission("05083"), tables=no_criteria), folder / "05083-my-hoa.xlsx")
    targets = [{"year": 2024, "district_code": "153", "target_code": "ntm_communes", "value": 8}]
    save_reproducibly(build_workbook({"target": targets}, tables=(TARGET,)), raw / "targets" / "chi-tieu-2024.xlsx")
    broken = build_workbook({"target": targets}, tables=(TARGET,))
    broken["Chỉ tiêu"].delete_cols(4)
    save_reproducibly(broken, raw / "targets" / "thieu-cot.xlsx")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {"NTM_RAW_DIR": raw, "NTM_WAREHOUSE": root / "ntm.duckdb", "DAGSTER_HOME": home,
           "NTM_REPORTS_DIR": root / "reports"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, str(value))
        stdout = TimedLines()
        with redirect_stdout(stdout):
            status = main(["run", "--period", "Quý I/2024"])  # a spelling a file may use
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_runs()
        yield {"status": status, "lines": stdout.lines, "runs": runs, "env": env, "good": good, "patch": patch}


def text(run) -> list[str]:
    return [line for _, line in run["lines"]]


def test_one_run_of_the_named_job_with_its_partition_range(run):
    assert run["status"] == 0
    assert f"warehouse: {run['env']['NTM_WAREHOUSE']}" in text(run)
    with duckdb.connect(str(run["env"]["NTM_WAREHOUSE"]), read_only=True) as conn:
        assert conn.execute("SELECT list(commune_code ORDER BY commune_code) FROM core.fact_commune_status").fetchone()[0] == [
            "05068", "05080"]
    # The data, then its reports once it was published: a run of each job, for the quarter.
    reports, data = run["runs"]  # newest first
    assert (data.job_name, reports.job_name) == ("quarter_job", "report_job")
    for each in (data, reports):
        assert each.tags["dagster/asset_partition_range_start"] == PERIOD
        assert each.tags["dagster/asset_partition_range_end"] == PERIOD


def test_progress_is_printed_as_the_steps_run(run):
    lines = text(run)
    assert lines[0] == (f"ntm run: {PERIOD} (1 quarter) as Dagster job quarter_job, "
                        f"raw files from {run['env']['NTM_RAW_DIR']}")
    started = [line.split("] ", 1)[1][:-2] for line in lines if line.endswith(" …")]
    done = [line.split("] ", 1)[1].split(" done in ")[0] for line in lines if " done in " in line]
    assert started == done and len(done) > 30  # every step that started ended, in order
    assert "raw_submissions" in done and "mart.quarterly_report" in done
    # The data is published before the reports are written, and the reports are the last step.
    published = lines.index(f"published: {run['env']['NTM_WAREHOUSE']} at "
                            f"{lines[-1].split(' at ', 1)[1]}; writing the reports of {PERIOD}")
    assert done[-1] == "mart.quarterly_report"
    assert published < next(i for i, line in enumerate(lines) if line.endswith("] mart.quarterly_report …"))
    # raw_submissions wrote every sheet of the two readable workbooks; the third was rejected;
    # nothing was ignored.
    good = run["good"]
    expected = "; ".join(
        ["raw.source_file 3 rows", "raw.ignored_entry 0 rows"]
        + [f"raw.{t.name} {n:,} row{'s' if n != 1 else ''}"
           for t in SUBMISSION_TABLES for n in [sum(len(tables.get(t.name, [])) for tables in good.values())]]
    )
    (line,) = [line for line in lines if "] raw_submissions done in " in line]
    assert line.endswith(f": {expected}"), line
    # Lines arrive while the run goes: the first step's end is printed well before the summary.
    times = dict((line, when) for when, line in run["lines"])
    summary = next(line for line in lines if line.startswith("ntm run ") and "(job quarter_job" in line)
    assert times[summary] - times[line] > 3.0


def test_summary_says_where_each_problem_can_be_read_aligned(run):
    lines = text(run)
    start = lines.index(f"quarantine, {PERIOD} (every row's path: core.row_reconciliation):")
    assert lines[start + 1: start + 6] == [
        "  quarantine.source_file:     2  files taken out whole",
        "  quarantine.investment:      1  row quarantined (severity 'critical'), not published",
        "  quarantine.certified_area:  1  row with warnings (severity 'warning'), published",
        f"    submissions/{PERIOD}/05083-my-hoa.xlsx: the workbook has no sheet 'Tiêu chí' (criteria)",
        "    targets/thieu-cot.xlsx: sheet 'Chỉ tiêu' has no column 'Giá trị' (value)",
    ]


def test_summary_says_nothing_of_ignored_entries_when_there_are_none(run):
    """Nothing under raw/submissions/ is ignored here: no line of the summary says so (the
    hostile corpus's summary lists them: tests/test_hostile_files.py)."""
    lines = text(run)
    with duckdb.connect(str(run["env"]["NTM_WAREHOUSE"]), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM raw.ignored_entry").fetchone()[0] == 0
    start = next(i for i, line in enumerate(lines) if line.startswith("ntm run ") and "(job quarter_job" in line)
    summary = lines[start: lines.index("rows per table:")]  # the rows per table name raw.ignored_entry, with 0
    assert not [line for line in summary if "ignored" in line]
    assert summary[-1] == "    targets/thieu-cot.xlsx: sheet 'Chỉ tiêu' has no column 'Giá trị' (value)"


def test_summary_names_the_reports_and_the_checks(run):
    lines = text(run)
    reports = run["env"]["NTM_REPORTS_DIR"] / PERIOD
    # Kim Bôi (153) and Hòa Bình (17): the district and the province of the communes loaded.
    (line,) = [line for line in lines if line.startswith("reports: ")]
    assert line.startswith(f"reports: 2 reports for {PERIOD} (Markdown, HTML and Excel each) in {reports}: "
                           "2 rewritten, 0 unchanged (run ")
    assert line.endswith(", job report_job)")
    assert len(list(reports.glob("*.md"))) == 2
    checks = next(i for i, line in enumerate(lines) if line.startswith("checks: "))
    assert lines[checks].endswith(", 0 failed, 2 with warnings")
    # The rejected workbook and the expired certificate; the check names in one column.
    assert lines[checks + 1: checks + 3] == [
        "  warning  raw.source_file            every_file_readable",
        "  warning  quarantine.certified_area  warning_rules",
    ]


def test_rows_per_table_are_aligned(run):
    lines = text(run)
    start = lines.index("rows per table:") + 1
    table = [line for line in lines[start:] if line.startswith("  ") and line.split()[0].count(".") == 1]
    names = {line.split()[0] for line in table}
    assert {"quarantine.source_file", "staging.certified_area", "mart.kpi_quarterly"} <= names
    assert len({len(line) for line in table}) == 1  # counts right-aligned in one column


def test_a_report_for_a_quarter_in_any_spelling(run, tmp_path, capsys):
    with pytest.MonkeyPatch.context() as patch:
        for name, value in run["env"].items():
            patch.setenv(name, str(value))
        assert main(["report", "--period", "Q1/2024", "--district", "153", "--out", str(tmp_path)]) == 0
    written = [Path(line) for line in capsys.readouterr().out.splitlines()]
    assert {p.suffix for p in written} >= {".md", ".html", ".xlsx"}
    assert all(p.parent == tmp_path and p.is_file() for p in written)


def test_headline_kpis_are_by_district_before_the_reform_and_by_province_after(sample_db):
    from ntm_pipeline.summary import _headline

    for period, level, name in (("2024-Q1", "district", "Huyện Kim Bôi"), ("2025-Q4", "province", "Tỉnh Phú Thọ")):
        lines: list[str] = []
        _headline(sample_db, period, lines.append)
        assert lines[0] == f"headline KPIs, {period}, by {level} (value / same quarter last year / target):"
        areas = {line.split("  ")[1].strip() for line in lines[1:]}
        assert areas == {name}
        # the same figures as the mart holds for that area
        farms = sample_db.execute(
            "SELECT value FROM mart.kpi_quarterly WHERE period = ? AND area_level = ? AND kpi_code = 'farms'",
            [period, level]).fetchone()[0]
        assert any("farms" in line and f"{int(farms):,}" in line for line in lines)
