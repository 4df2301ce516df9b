"""The checks as a library give the pipeline's verdict: for every file, the reasons it is
taken out whole and its findings row by row equal what the pipeline's quarantine tables hold
for it, on the Kim Bôi sample and on the bad-input corpus (tests/test_bad_input.py); a
check holds only its own files; `ntm validate` loads no Dagster."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
from conftest import SAMPLE_PERIODS, SAMPLE_RAW

from ntm_pipeline.checks import Checker
from ntm_pipeline.checks.reference import DIMENSIONS
from ntm_pipeline.contract import ALL_TABLES
from ntm_pipeline.samples.kim_boi import PERIODS, KimBoiSample
from ntm_pipeline.submissions.reader import discover_submission_files, discover_target_files
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

WHOLE = "source_file, period, sheet, row_number, column_name, value, rule, message_vi, message_en"
ROW = "source_file, period, sheet, row_number, commune_code, column_name, value, rule, severity, message_vi, message_en"


def raw_files(raw: Path, periods: list[str]) -> list[tuple[Path, str | None]]:
    """Every file the pipeline reads under `raw` for `periods`, with its quarter (None: targets)."""
    return [(path, period) for period, path in discover_submission_files(raw, periods)] + [
        (path, None) for path in discover_target_files(raw)]


def warehouse_raw_dir(conn) -> Path:
    """The raw/ folder a test built this warehouse from: the folder beside its file that holds
    every file raw.source_file names (the corpus's raw/ is a pytest temporary folder)."""
    database = Path(conn.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0])
    names = [n for (n,) in conn.execute("SELECT source_file FROM raw.source_file").fetchall()]
    (raw,) = [d for d in database.parent.iterdir() if d.is_dir() and not d.is_symlink()
               and all((d / n).is_file() for n in names)]
    return raw


def _key(row: tuple) -> tuple:
    return tuple("" if v is None else str(v) for v in row)


def pipeline_verdict(conn, source_file: str) -> tuple[list, list]:
    """What the warehouse's quarantine tables hold for one file."""
    whole = conn.execute(f"SELECT {WHOLE} FROM quarantine.source_file WHERE source_file = ?", [source_file]).fetchall()
    rows = []
    for table in ALL_TABLES:
        rows += [(table.name, *r) for r in conn.execute(
            f"SELECT {ROW} FROM quarantine.{table.name} WHERE source_file = ?", [source_file]).fetchall()]
    return sorted(whole, key=_key), sorted(rows, key=_key)


def checked_verdict(result) -> tuple[list, list]:
    whole = [tuple(getattr(f, c.strip()) for c in WHOLE.split(",")) for f in result.whole_file]
    rows = [(f.table, *(getattr(f, c.strip()) for c in ROW.split(","))) for f in result.rows]
    return sorted(whole, key=_key), sorted(rows, key=_key)


def assert_same_verdict(checker: Checker, raw: Path, conn, periods: list[str]) -> list:
    """Check every file of `raw` for `periods` in one go and hold each file's findings to the
    pipeline's; returns the results."""
    files = raw_files(raw, periods)
    results = checker.check(files)
    assert [r.source_file for r in results] == [p.relative_to(raw).as_posix() for p, _ in files]
    for result in results:
        assert checked_verdict(result) == pipeline_verdict(conn, result.source_file), result.source_file
    # and nothing the pipeline found is missing from the checks
    named = {r.source_file for r in results}
    for table in ("source_file", *(t.name for t in ALL_TABLES)):
        assert {f for (f,) in conn.execute(f"SELECT DISTINCT source_file FROM quarantine.{table}").fetchall()} <= named
    return results


def test_the_sample_gets_the_pipelines_verdict(checker, sample_db):
    results = assert_same_verdict(checker, SAMPLE_RAW, sample_db, SAMPLE_PERIODS)
    # the 17 old units up to 2025-Q2, the 5 communes they became from 2025-Q3, and the targets
    communes = sum(17 if period <= "2025-Q2" else 5 for period in SAMPLE_PERIODS)
    assert len(results) == communes + len(discover_target_files(SAMPLE_RAW))
    assert not any(r.critical for r in results)  # the sample is clean: a check that finds nothing proves little
    warnings = sum(len(r.rows) for r in results)
    assert warnings == sample_db.execute(
        "SELECT " + " + ".join(f"(SELECT count(*) FROM quarantine.{t.name})" for t in ALL_TABLES)).fetchone()[0]


def test_the_reference_tables_are_the_warehouses(checker, sample_db):
    """Built by the reference SQL from the same inputs, they hold the warehouse's rows."""
    for name in DIMENSIONS:
        built = checker.conn.execute(f"SELECT * FROM core.{name}").fetchall()
        assert sorted(built, key=_key) == sorted(sample_db.execute(f"SELECT * FROM core.{name}").fetchall(), key=_key), name
        assert len(built) > 0 or name == "dim_criterion_indicator"  # no indicator is confirmed yet


SAMPLE = KimBoiSample()
UNITS = {u.code: u for u in SAMPLE.units}


def workbook(folder: Path, code: str, name: str, edit=None) -> Path:
    rows, _ = SAMPLE.submission(UNITS[code], PERIODS.index("2024-Q1"))
    if edit:
        edit(rows)
    folder.mkdir(parents=True, exist_ok=True)
    save_reproducibly(build_workbook(rows), folder / name)
    return folder / name


def test_a_check_holds_only_its_own_files(checker, tmp_path):
    """Two first submissions of one commune are duplicates when checked together, and each is
    clean alone: nothing of an earlier check is left on the connection."""
    first = workbook(tmp_path / "a", "05068", "05068.xlsx")
    second = workbook(tmp_path / "b", "05068", "05068.xlsx")  # same name, another folder
    together = checker.check([(first, "2024-Q1"), (second, "2024-Q1")])
    assert [r.source_file for r in together] == ["submissions/2024-Q1/05068.xlsx", "submissions/2024-Q1/1/05068.xlsx"]
    assert [[f.rule for f in r.whole_file] for r in together] == [["is_duplicate"], ["is_duplicate"]]
    alone = checker.check([(second, "2024-Q1")])
    assert alone[0].whole_file == [] and alone[0].rows == []
    assert checker.conn.execute("SELECT count(*) FROM raw.submission").fetchone()[0] == 1


def test_reference_copied_from_a_warehouse_gives_the_same_findings(checker, sample_warehouse, tmp_path):
    bad = workbook(tmp_path, "05080", "bad.xlsx", lambda t: t["submission"][0].update(district_code="159"))
    copied = Checker(warehouse=sample_warehouse)
    try:
        built, from_warehouse = checker.check([(bad, "2024-Q1")]), copied.check([(bad, "2024-Q1")])
    finally:
        copied.close()
    assert checked_verdict(built[0]) == checked_verdict(from_warehouse[0])
    assert [f.rule for f in built[0].whole_file] == ["district_matches"]


def test_ntm_validate_loads_no_dagster(tmp_path):
    good = workbook(tmp_path, "05080", "good.xlsx")
    code = ("import sys\nfrom ntm_pipeline.cli import main\nstatus = main(['validate', sys.argv[1]])\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'dagster_duckdb'))\n"
            "print(status, loaded)")
    result = subprocess.run([sys.executable, "-c", code, str(good)], check=False, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "GX_ANALYTICS_ENABLED": "false"})
    assert result.stdout.splitlines()[-1] == "0 []", result.stderr


def test_a_checker_leaves_the_warehouse_free(sample_warehouse, tmp_path):
    """The reference tables are copied and the file closed at once: the pipeline can write
    the warehouse while a checker lives."""
    warehouse = tmp_path / "ntm.duckdb"
    warehouse.write_bytes(sample_warehouse.read_bytes())
    copied = Checker(warehouse=warehouse)
    try:
        with duckdb.connect(str(warehouse)) as writer:
            writer.execute("CREATE TABLE mart.written_meanwhile AS SELECT 1 AS x")
    finally:
        copied.close()
