"""The `ntm` command at its boundary: a quarter in any spelling a file may use, or a clean
one-line refusal; no traceback reaches the user from any subcommand, unless --debug."""

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import duckdb
import pytest

from ntm_pipeline.cli import build_parser, main, quarter_option
from ntm_pipeline.partitions import period_from_text, quarterly_partitions, shift_period
from ntm_pipeline.warehouse import prepare_connection
from tests.conftest import PROJECT_ROOT

NEXT = shift_period(quarterly_partitions.get_partition_keys()[-1], 1)
NTM = str(Path(sys.executable).parent / "ntm")
SPELLINGS = {
    "2024-Q1": "2024-Q1", "2024Q1": "2024-Q1", "2024 - q1": "2024-Q1", "Q1/2024": "2024-Q1", "q1-2024": "2024-Q1",
    "Quý 1/2024": "2024-Q1", "Quý I/2024": "2024-Q1", "quý iv/2023": "2023-Q4", "QUY III/2024": "2024-Q3",
    "Quy 2 / 2024": "2024-Q2", unicodedata.normalize("NFD", "Quý 1/2024"): "2024-Q1", "  2024-Q2  ": "2024-Q2",
}
NOT_QUARTERS = ["1/2024", "2024-Q5", "Quý V/2024", "2024", "quý một 2024", "", "Q1"]


def test_the_option_and_the_files_read_quarters_by_one_rule():
    """period_from_text is the staging macro parse_period itself: the same answer for every
    spelling, checked against the macro as staging runs it."""
    with duckdb.connect() as conn:
        prepare_connection(conn)
        for text in [*SPELLINGS, *NOT_QUARTERS]:
            assert period_from_text(text) == conn.execute("SELECT parse_period(?)", [text]).fetchone()[0], text
    assert {t: period_from_text(t) for t in SPELLINGS} == SPELLINGS
    assert [period_from_text(t) for t in NOT_QUARTERS] == [None] * len(NOT_QUARTERS)


def test_every_quarter_option_takes_every_spelling():
    parser = build_parser()
    for text, period in SPELLINGS.items():
        assert quarter_option(parser, "--period", text) == period


@pytest.mark.parametrize("argv, message", [
    (["run", "--period", "1/2024"],
     "ntm run: error: --period: '1/2024' is not a quarter; write it as 2024-Q1, Q1/2024, Quý 1/2024, Quý I/2024 or 2024Q1"),
    (["run", "--period", "2019-Q4"],
     "ntm run: error: --period: 2019-Q4 is not one of the partitions, 2021-Q1 to {last} "
     "(a quarter not yet begun has none)"),
    (["run", "--period", NEXT],  # the quarter after the current one
     f"ntm run: error: --period: {NEXT} is not one of the partitions, 2021-Q1 to {{last}} "
     "(a quarter not yet begun has none)"),
    (["report", "--period", "Quý V/2024", "--district", "153"],
     "ntm report: error: --period: 'Quý V/2024' is not a quarter; write it as 2024-Q1, Q1/2024, Quý 1/2024, "
     "Quý I/2024 or 2024Q1"),
    (["synthetic", "out", "--first", "2023 Q1 nam"],
     "ntm synthetic: error: --first: '2023 Q1 nam' is not a quarter; write it as 2024-Q1, Q1/2024, Quý 1/2024, "
     "Quý I/2024 or 2024Q1"),
])
def test_a_quarter_that_is_none_is_refused_in_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as refused:
        main(argv)
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == message.format(last=quarterly_partitions.get_partition_keys()[-1])
    assert "Traceback" not in err


@pytest.fixture
def broken_warehouse(tmp_path) -> dict:
    """An environment whose warehouse is not a DuckDB file: every command that opens it fails."""
    bad = tmp_path / "ntm.duckdb"
    bad.write_bytes(b"this is not a database file" * 100)
    return {**os.environ, "NTM_WAREHOUSE": str(bad), "NTM_REPORTS_DIR": str(tmp_path / "reports"),
            "GX_ANALYTICS_ENABLED": "false", "TMPDIR": str(tmp_path)}


@pytest.mark.parametrize("argv", [
    ["report", "--period", "Quý 1/2024", "--district", "153"],
    ["dictionary"],
])
def test_an_error_is_one_line_and_its_traceback_is_kept(argv, broken_warehouse, tmp_path):
    result = subprocess.run([NTM, *argv], capture_output=True, text=True, env=broken_warehouse, timeout=300)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    first, second = result.stderr.splitlines()
    assert first.startswith(f"ntm {argv[0]}: error: ") and "ntm.duckdb" in first
    kept = re.fullmatch(r"  \(the traceback is in (.+\.log); --debug prints it\)", second)
    assert kept, second
    log = Path(kept.group(1))
    assert log.parent == tmp_path and log.name.startswith(f"ntm-{argv[0]}-")
    assert log.read_text(encoding="utf-8").startswith("Traceback (most recent call last):")


def test_debug_prints_the_traceback(broken_warehouse):
    result = subprocess.run([NTM, "dictionary", "--debug"], capture_output=True, text=True,
                            env=broken_warehouse, timeout=300)
    assert result.returncode == 2
    assert "Traceback (most recent call last):" in result.stderr
    assert result.stderr.splitlines()[-1] == "  (the traceback is above)"


def test_a_missing_warehouse_is_said_plainly(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NTM_WAREHOUSE", str(tmp_path / "none.duckdb"))
    with pytest.raises(SystemExit) as refused:
        main(["report", "--period", "2024Q1", "--province", "17"])
    assert refused.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"ntm report: error: no warehouse at {tmp_path / 'none.duckdb'}: run `ntm run` first")


def test_run_skips_a_folder_of_a_quarter_not_yet_begun(tmp_path, capsys, monkeypatch):
    """A folder dated ahead is no partition yet: said and skipped, no run, no traceback."""
    later = tmp_path / "raw" / "submissions" / NEXT
    later.mkdir(parents=True)
    (later / "05068-nam-thuong.xlsx").write_bytes((Path(__file__).parent.parent / "raw" / "templates"
                                                   / "bao-cao-quy-xa.xlsx").read_bytes())
    monkeypatch.setenv("NTM_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("NTM_WAREHOUSE", str(tmp_path / "ntm.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # were it to run, not in the repo's instance
    keys = quarterly_partitions.get_partition_keys()
    assert main(["run"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"skipped {NEXT}: not a quarter of the partitions ({keys[0]} to {keys[-1]})"]
    assert not (tmp_path / "ntm.duckdb").exists()


@pytest.mark.slow
def test_the_run_module_runs_as_a_script(tmp_path):
    """`python -m ntm_pipeline.run` publishes as `ntm run` does: the run's warehouse resource
    finds the run lock its own process holds, rather than waiting on itself."""
    raw = tmp_path / "raw" / "submissions" / "2024-Q1"
    shutil.copytree(PROJECT_ROOT / "raw" / "submissions" / "2024-Q1", raw)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home)
    env = {**os.environ, "NTM_RAW_DIR": str(tmp_path / "raw"), "NTM_WAREHOUSE": str(tmp_path / "ntm.duckdb"),
           "NTM_REPORTS_DIR": str(tmp_path / "reports"), "DAGSTER_HOME": str(home)}
    result = subprocess.run([sys.executable, "-m", "ntm_pipeline.run"], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"published: {tmp_path / 'ntm.duckdb'} at " in result.stdout.splitlines()[-1]
    with duckdb.connect(str(tmp_path / "ntm.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT DISTINCT period FROM core.fact_commune_status").fetchall() == [("2024-Q1",)]
