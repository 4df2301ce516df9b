"""An incremental rerun equals a full run on the same files, table by table, row for row.

On a copy of the sample's 2024-Q1 (17 commune workbooks, one commune sent as a set of CSV
files instead), the quarter is run; then one commune's workbook is corrected (a real workbook
written with the project's writer), one CSV of the CSV commune corrected, one workbook
removed, and the quarter run again on the same warehouse: the raw layer keeps the files
unchanged and reads the others. A full run from scratch on the final files must give the same
rows in every table of every schema.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from conftest import assert_same_tables, build_warehouse, copy_sample, warehouse_tables
from ntm_pipeline.contract import SUBMISSION_TABLES
from ntm_pipeline.submissions.reader import read_submission_file
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly, write_csv

pytestmark = pytest.mark.slow  # four pipeline runs of their own

PERIOD = "2024-Q1"
CORRECTED, REMOVED, AS_CSV = "05068-nam-thuong.xlsx", "05083-my-hoa.xlsx", "05080-sao-bay.xlsx"


def _rows(path: Path) -> dict[str, list[dict]]:
    parsed = read_submission_file(path)
    assert parsed.error is None, parsed.error
    return {name: [values for _, values in table.rows] for name, table in parsed.tables.items()}


def _as_csv(workbook: Path, rows: dict[str, list[dict]]) -> None:
    """The commune's submission as a set of CSV files, one per table (English headers, BOM)."""
    stem = workbook.with_suffix("")
    for table in SUBMISSION_TABLES:
        write_csv(stem.parent / f"{stem.name}.{table.name}.csv", table, rows.get(table.name, []),
                  english_headers=True, bom=True, period=PERIOD)
    workbook.unlink()


def _correct(raw: Path) -> None:
    folder = raw / "submissions" / PERIOD
    rows = _rows(folder / CORRECTED)
    first = rows["investment"][0]
    first["capital_local_budget"] = str(float((first["capital_local_budget"] or "0").replace(",", ".")) + 125)
    rows["investment"] = rows["investment"][:-1]  # and its last project withdrawn
    save_reproducibly(build_workbook(rows, period=PERIOD), folder / CORRECTED)
    csv_rows = _rows(folder / AS_CSV.replace(".xlsx", ".investment.csv"))["investment"]
    csv_rows[0]["status"] = "completed"
    investment = next(t for t in SUBMISSION_TABLES if t.name == "investment")
    write_csv(folder / AS_CSV.replace(".xlsx", ".investment.csv"), investment, csv_rows,
              english_headers=True, bom=True, period=PERIOD)
    (folder / REMOVED).unlink()


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> tuple[Path, Path, dg.ExecuteInProcessResult]:
    tmp = tmp_path_factory.mktemp("incremental")
    raw = copy_sample(tmp / "raw", [PERIOD])
    _as_csv(raw / "submissions" / PERIOD / AS_CSV, _rows(raw / "submissions" / PERIOD / AS_CSV))
    incremental = tmp / "incremental.duckdb"
    assert build_warehouse(raw, incremental, [PERIOD]).success
    _correct(raw)
    rerun = build_warehouse(raw, incremental, [PERIOD])
    assert rerun.success
    full = tmp / "full.duckdb"
    assert build_warehouse(raw, full, [PERIOD]).success
    return incremental, full, rerun


def test_the_rerun_reads_only_the_changed_files(builds):
    _, _, rerun = builds
    (materialization,) = [m for m in rerun.asset_materializations_for_node("raw_submissions")
                          if m.asset_key.to_user_string() == "raw/source_file"]
    # 16 workbooks and 5 CSV files (one commune's) were loaded; one workbook removed, one
    # workbook and one CSV corrected: those two are read, the 14 + 4 others kept.
    assert materialization.metadata["files_read"].value == 2
    assert materialization.metadata["files_kept"].value == 14 + 4


def test_every_table_equals_a_full_run(builds):
    incremental, full, _ = builds
    left, right = (warehouse_tables(db) for db in (incremental, full))
    assert left == right
    assert len(left) > 40
    assert assert_same_tables(incremental, full) > 1000


def test_the_corrections_are_in_the_facts(builds):
    """The equality is of the corrected figures, not of two stale copies."""
    incremental, _, _ = builds
    conn = duckdb.connect(str(incremental), read_only=True)
    files = {row[0] for row in conn.execute("SELECT source_file FROM raw.source_file").fetchall()}
    assert f"submissions/{PERIOD}/{REMOVED}" not in files
    assert f"submissions/{PERIOD}/{CORRECTED}" in files
    status = conn.execute(
        "SELECT status FROM raw.investment WHERE source_file = ? AND row_number = 2",
        [f"submissions/{PERIOD}/{AS_CSV.replace('.xlsx', '.investment.csv')}"]).fetchone()
    assert status == ("completed",)


def test_a_warehouse_without_reader_versions_reads_every_file_again(builds, tmp_path):
    """A warehouse of before this change (raw.source_file without reader_version) is brought
    up to date, not refused: its files are read again, and the tables are a full run's."""
    incremental, full, _ = builds
    older = tmp_path / "older.duckdb"
    shutil.copy(incremental, older)
    with duckdb.connect(str(older)) as conn:
        conn.execute("ALTER TABLE raw.source_file DROP COLUMN reader_version")
        conn.execute("ALTER TABLE raw.target_file DROP COLUMN reader_version")
    result = build_warehouse(incremental.parent / "raw", older, [PERIOD])
    assert result.success
    (materialization,) = [m for m in result.asset_materializations_for_node("raw_submissions")
                          if m.asset_key.to_user_string() == "raw/source_file"]
    assert (materialization.metadata["files_kept"].value, materialization.metadata["files_read"].value) == (0, 20)
    assert_same_tables(older, full)


def test_the_reader_version_follows_its_code_and_limits(monkeypatch, tmp_path):
    from ntm_pipeline.checks import raw

    raw._reader_code.cache_clear()  # the sources as they are now
    first = raw.reader_version()
    monkeypatch.setenv("NTM_MAX_ROWS", "1000")
    assert raw.reader_version() != first
    monkeypatch.delenv("NTM_MAX_ROWS")
    assert raw.reader_version() == first
    source = tmp_path / "reader.py"
    source.write_text("# the reader\n")
    monkeypatch.setattr(raw, "READER_SOURCES", (*raw.READER_SOURCES, source))
    raw._reader_code.cache_clear()
    try:
        with_source = raw.reader_version()
        source.write_text("# the reader, changed\n")
        raw._reader_code.cache_clear()
        assert with_source != first and raw.reader_version() != with_source
    finally:
        monkeypatch.undo()
        raw._reader_code.cache_clear()
    assert raw.reader_version() == first
