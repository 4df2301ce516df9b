"""Targets as workbooks: the template reads back, a targets workbook's rows reach the facts
and the KPIs, and a targets file that cannot be read is in quarantine.source_file with its
reason while the other targets still load."""

from __future__ import annotations

import duckdb
import pytest

from conftest import build_warehouse, copy_sample
from ntm_pipeline.contract import TARGET
from ntm_pipeline.settings import PROJECT_ROOT
from ntm_pipeline.submissions.reader import read_submission_file
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

pytestmark = pytest.mark.slow  # builds its own warehouse through the pipeline

PERIOD = "2024-Q1"
TARGET_ROWS = [
    {"year": 2024, "district_code": "153", "target_code": "ntm_communes", "value": 8},
    {"year": 2024, "district_code": "153", "target_code": "farms", "value": "35"},
    {"year": 2024, "district_code": "153", "target_code": "avg_criteria_met", "value": "16,5"},
    {"year": 2024, "district_code": "17", "target_code": "ocop_products", "value": 40},
]


def test_the_targets_template_reads_back_as_an_empty_targets_file():
    template = PROJECT_ROOT / "raw" / "templates" / "chi-tieu-nam.xlsx"
    parsed = read_submission_file(template, default_table=TARGET)
    assert parsed.error is None
    assert parsed.tables["target"].sheet == "Chỉ tiêu" and parsed.tables["target"].rows == []


@pytest.fixture(scope="module")
def warehouse_with_target_workbooks(tmp_path_factory):
    root = tmp_path_factory.mktemp("targets")
    raw = copy_sample(root / "raw", [PERIOD], communes=["05068", "05080"])
    targets = raw / "targets"
    for shipped in targets.glob("*.csv"):  # the workbooks below replace the sample's targets
        shipped.unlink()
    save_reproducibly(build_workbook({"target": TARGET_ROWS}, tables=(TARGET,)), targets / "chi-tieu-2024.xlsx")
    # A targets workbook without its 'Giá trị' column, and a damaged one.
    broken = build_workbook({"target": TARGET_ROWS[:1]}, tables=(TARGET,))
    broken["Chỉ tiêu"].delete_cols(4)
    save_reproducibly(broken, targets / "thieu-cot.xlsx")
    (targets / "hong.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    database = root / "ntm.duckdb"
    assert build_warehouse(raw, database, [PERIOD]).success
    with duckdb.connect(str(database), read_only=True) as conn:
        yield conn


def test_a_targets_workbook_reaches_the_facts_and_the_kpis(warehouse_with_target_workbooks):
    conn = warehouse_with_target_workbooks
    facts = conn.execute(
        "SELECT year, area_level, area_code, kpi_code, target_value, source_file FROM core.fact_target ORDER BY kpi_code"
    ).fetchall()
    expected = sorted(
        (r["year"], "district" if len(r["district_code"]) == 3 else "province", r["district_code"], r["target_code"],
         float(str(r["value"]).replace(",", ".")), "targets/chi-tieu-2024.xlsx")
        for r in TARGET_ROWS
    )
    assert sorted(facts) == expected
    for row in TARGET_ROWS:
        level = "district" if len(row["district_code"]) == 3 else "province"
        (target,) = conn.execute(
            "SELECT target FROM mart.kpi_quarterly WHERE period = ? AND area_level = ? AND area_code = ? AND kpi_code = ?",
            [PERIOD, level, row["district_code"], row["target_code"]],
        ).fetchone()
        assert target == float(str(row["value"]).replace(",", "."))
    # Rows keep the sheet and row they came from: the header is row 1, the first target row 2.
    assert conn.execute(
        "SELECT sheet, row_number FROM raw.target WHERE target_code = 'ntm_communes' AND source_file LIKE '%chi-tieu%'"
    ).fetchall() == [("Chỉ tiêu", 2)]


def test_a_broken_targets_file_is_quarantined_whole_with_its_reason(warehouse_with_target_workbooks):
    conn = warehouse_with_target_workbooks
    rows = conn.execute(
        "SELECT source_file, period, rule, sheet, column_name, message_vi FROM quarantine.source_file ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("targets/hong.xlsx", None, "unreadable", None, None, rows[0][5]),
        ("targets/thieu-cot.xlsx", None, "missing_column", "Chỉ tiêu", "value", "trang 'Chỉ tiêu' thiếu cột 'Giá trị'"),
    ]
    assert rows[0][5].startswith("không mở được tệp .xlsx")
    logged = conn.execute("SELECT source_file, status, rows_read FROM raw.target_file ORDER BY 1").fetchall()
    assert logged == [
        ("targets/chi-tieu-2024.xlsx", "parsed", len(TARGET_ROWS)),
        ("targets/hong.xlsx", "rejected", 0),
        ("targets/thieu-cot.xlsx", "rejected", 0),
    ]
