"""bench/sql_steps.py's comparison: what says that a rewritten SQL step writes the same rows."""

import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import sql_steps


def _warehouse(path: Path, rows: list[tuple], value_type: str = "DOUBLE") -> Path:
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA mart")
        conn.execute(f"CREATE TABLE mart.t (period VARCHAR, kpi_code VARCHAR, value {value_type})")
        conn.executemany("INSERT INTO mart.t VALUES (?, ?, ?)", rows)
    return path


def test_equal_tables_in_another_order_are_equal(tmp_path):
    rows = [("2024-Q4", "farms", 3.0), ("2024-Q4", "farms", 3.0), ("2024-Q3", "ocop_products", 1.5)]
    before = _warehouse(tmp_path / "before.duckdb", rows)
    after = _warehouse(tmp_path / "after.duckdb", list(reversed(rows)))
    assert sql_steps.compare(before, after, ["mart.t"]) == [("mart.t", 3, 3, 0, 0, True)]


def test_a_value_off_in_the_last_bit_and_a_duplicate_lost_are_differences(tmp_path):
    before = _warehouse(tmp_path / "before.duckdb",
                        [("2024-Q4", "farms", 3.0), ("2024-Q4", "farms", 3.0), ("2024-Q4", "area", 53.9)])
    # one of the two equal rows gone, one added, and 53.9 summed in another order
    after = _warehouse(tmp_path / "after.duckdb",
                       [("2024-Q4", "farms", 3.0), ("2024-Q4", "farms", 4.0), ("2024-Q4", "area", 53.900000000000006)])
    assert sql_steps.compare(before, after, ["mart.t"]) == [("mart.t", 3, 3, 2, 2, True)]


def test_a_column_of_another_type_is_a_difference(tmp_path):
    before = _warehouse(tmp_path / "before.duckdb", [("2024-Q4", "farms", 3)], value_type="BIGINT")
    after = _warehouse(tmp_path / "after.duckdb", [("2024-Q4", "farms", 3)], value_type="HUGEINT")
    assert sql_steps.compare(before, after, ["mart.t"]) == [("mart.t", 1, 1, 0, 0, False)]
