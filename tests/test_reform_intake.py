"""Submissions after the 1 July 2025 reform, from workbooks written with the project's writer:
a code is the unit in force at the quarter's end (04978 is Thị trấn Bo up to 2025-Q2, Xã Kim
Bôi after), a pre-reform code in a post-reform file is taken out whole saying what it became,
the criteria set must be the quarter's (a 2026 file with the 19 old criteria is taken out),
indicator rows 2.1, 2.2 are kept, a district code after the reform is a warning, codes are
valid by period, old-template files stay valid for old quarters, and targets are for the
units in force on 1 January of their year. The checks library gives the verdicts; one test
runs the real pipeline."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import build_warehouse

from ntm_pipeline.contract import SUBMISSION
from ntm_pipeline.presubmit import validate_files
from ntm_pipeline.quarters import quarter_end
from ntm_pipeline.submissions.reader import read_submission_file
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly, write_csv
from ntm_pipeline.contract import TARGET

MERGED = "Xã Vĩnh Đồng (05026) đã sáp nhập vào Xã Kim Bôi (04978) từ 01/07/2025"


def criteria(criteria_set: str, numbers, met=lambda n: True) -> list[dict]:
    return [{"criteria_set": criteria_set, "criterion_no": n, "met": "x" if met(n) else None} for n in numbers]


def submission(folder: Path, code: str, name: str, period: str, *, province: str | None = None,
               district: str | None = None, group: str | None = None, title: str | None = None,
               criteria_rows: list[dict] | None = None, template: str | None = None) -> Path:
    """A one-commune workbook for `period`, made from the template of quarter `template`
    (every column when None)."""
    header = {
        "commune_code": code, "commune_name": name, "district_code": district, "province_code": province,
        "commune_group": group, "reporting_period": period,
        "date_prepared": (quarter_end(period) + timedelta(days=7)).strftime("%d/%m/%Y"),
        "preparer": "Nguyễn Thị Hoa", "agri_cooperatives": 3, "farms": 2, "ntm_title": title,
        "title_year": 2022 if title else None,
    }
    rows = {"submission": [header], "criteria": criteria_rows or [],
            "investment": [{"project_code": "DA01", "project_name": "Đường thôn Bãi", "category": "road",
                            "status": "ongoing", "capital_local_budget": 120}]}
    path = folder / period / f"{code}-{period}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_reproducibly(build_workbook(rows, period=template), path)
    return path


def rules(result) -> list[tuple[str, str]]:
    return sorted((f.severity, f.rule) for f in result.rows)


def test_a_reused_code_is_the_unit_of_its_quarter(checker, tmp_path):
    """04978 was Thị trấn Bo (district 153, Hòa Bình 17) and is Xã Kim Bôi (Phú Thọ 25): each
    file is clean with its quarter's unit, and a quarter's file naming the other unit is told
    which unit the code is in that quarter."""
    old = submission(tmp_path, "04978", "Thị trấn Bo", "2024-Q4", province="17", district="153", template="2024-Q4")
    new = submission(tmp_path, "04978", "Xã Kim Bôi", "2025-Q4", province="25",
                     criteria_rows=criteria("NTM_2021_2025", range(1, 20)), template="2025-Q4")
    (old_result,), (new_result,) = checker.check([(old, "2024-Q4")]), checker.check([(new, "2025-Q4")])
    assert (old_result.whole_file, old_result.rows) == ([], [])
    assert (new_result.whole_file, new_result.rows) == ([], [])
    staged = checker.conn.execute(
        "SELECT commune_code, admin_era, commune_full_name, district_code, province_code, is_rural_commune "
        "FROM staging.submission").fetchall()
    assert staged == [("04978", "post_2025", "Xã Kim Bôi", None, "25", True)]

    stale = submission(tmp_path / "stale", "04978", "Thị trấn Bo", "2025-Q4", province="25")
    (result,) = checker.check([(stale, "2025-Q4")])
    assert not result.taken_out_whole
    (finding,) = result.rows
    assert (finding.rule, finding.severity, finding.value) == ("commune_name_matches", "warning", "Thị trấn Bo")
    assert finding.message_vi == "Tên xã không khớp với mã xã: trong Quý 4/2025 mã 04978 là Xã Kim Bôi"


def test_a_pre_reform_code_in_a_post_reform_file_says_what_it_became(checker, tmp_path):
    path = submission(tmp_path, "05026", "Vĩnh Đồng", "2025-Q4", province="25")
    (result,) = checker.check([(path, "2025-Q4")])
    (whole,) = result.whole_file
    assert (whole.rule, whole.column_name, whole.value) == ("commune_known", "commune_code", "05026")
    assert whole.message_vi == MERGED
    assert whole.message_en == "Xã Vĩnh Đồng (05026) was merged into Xã Kim Bôi (04978) on 01/07/2025"
    # the same code in its own quarter is the commune it was
    before = submission(tmp_path / "before", "05026", "Vĩnh Đồng", "2024-Q4", province="17", district="153",
                        criteria_rows=criteria("NTM_2021_2025", range(1, 20)), template="2024-Q4")
    (result,) = checker.check([(before, "2024-Q4")])
    assert (result.whole_file, result.rows) == ([], [])


def test_a_divided_unit_names_every_unit_it_went_to(checker, tmp_path):
    """A divided old unit (its weights by area, split_estimated) names all its new units."""
    conn = checker.conn
    code, name = conn.execute(
        "SELECT x.old_commune_code, any_value(x.old_commune_full_name) FROM core.dim_commune_crosswalk AS x "
        "WHERE x.split_estimated AND NOT EXISTS (SELECT 1 FROM core.dim_commune AS c "
        "  WHERE c.commune_code = x.old_commune_code AND c.admin_era = 'post_2025') "
        "GROUP BY 1 HAVING count(*) = 2 ORDER BY 1 LIMIT 1").fetchone()
    parts = conn.execute(
        "SELECT new_commune_full_name, new_commune_code, is_main_successor, weight FROM core.dim_commune_crosswalk "
        "WHERE old_commune_code = ?", [code]).fetchall()
    parts.sort(key=lambda p: (not p[2], -p[3], p[1]))
    path = submission(tmp_path, code, name, "2025-Q4")
    (result,) = checker.check([(path, "2025-Q4")])
    (whole,) = result.whole_file
    assert whole.message_vi == (f"{name} ({code}) đã được chia, sáp nhập vào "
                                f"{parts[0][0]} ({parts[0][1]}), {parts[1][0]} ({parts[1][1]}) từ 01/07/2025")


def test_a_post_reform_only_code_in_an_old_quarter(checker, tmp_path):
    code, name = checker.conn.execute(
        "SELECT commune_code, commune_full_name FROM core.dim_commune AS c WHERE admin_era = 'post_2025' "
        "AND NOT EXISTS (SELECT 1 FROM core.dim_commune AS o WHERE o.commune_code = c.commune_code "
        "AND o.admin_era = 'pre_2025') ORDER BY 1 LIMIT 1").fetchone()
    path = submission(tmp_path, code, name, "2024-Q4", template="2024-Q4")
    (result,) = checker.check([(path, "2024-Q4")])
    (whole,) = result.whole_file
    assert whole.rule == "commune_known"
    assert whole.message_vi == (f"{name} ({code}) chỉ có từ 01/07/2025, sau sắp xếp đơn vị hành chính: "
                                "Quý 4/2024 báo cáo theo đơn vị hành chính trước ngày đó")


def test_a_2026_file_with_the_19_old_criteria_is_taken_out(checker, tmp_path):
    path = submission(tmp_path, "04978", "Xã Kim Bôi", "2026-Q1", province="25", group="2",
                      criteria_rows=criteria("NTM_2021_2025", range(1, 20)))
    (result,) = checker.check([(path, "2026-Q1")])
    (whole,) = result.whole_file
    assert (whole.rule, whole.value) == ("criteria_set_of_period", "NTM_2021_2025")
    name = checker.conn.execute(
        "SELECT name_vi FROM core.dim_criteria_set WHERE criteria_set = 'NTM_2026_2030'").fetchone()[0]
    assert whole.message_vi == ("Trang Tiêu chí kê khai theo bộ tiêu chí không áp dụng cho Quý 1/2026 "
                                f"(NTM_2021_2025): kỳ này báo cáo theo {name} (NTM_2026_2030, 10 tiêu chí)")
    # the criteria rows say it too, row by row, and none is published
    assert checker.conn.execute("SELECT count(*) FROM staging.criteria WHERE row_status = 'file_quarantined'"
                                ).fetchone()[0] == 19


def test_a_2026_file_with_the_ten_criteria_a_group_and_indicators_passes(checker, tmp_path):
    rows = criteria("NTM_2026_2030", range(1, 11)) + [
        {"criteria_set": "NTM_2026_2030", "criterion_no": "2.1", "met": "x"},
        {"criteria_set": "NTM_2026_2030", "criterion_no": "2,2", "met": None},
    ]
    path = submission(tmp_path, "04978", "Xã Kim Bôi", "2026-Q1", province="25", group="Nhóm 2", title="ntm",
                      criteria_rows=rows, template="2026-Q1")
    (result,) = checker.check([(path, "2026-Q1")])
    assert (result.whole_file, result.rows) == ([], [])
    assert checker.conn.execute("SELECT commune_group FROM staging.submission").fetchall() == [("2",)]
    staged = checker.conn.execute(
        "SELECT criterion_no, indicator_no, met FROM staging.criteria WHERE criterion_no = 2 ORDER BY row_number"
    ).fetchall()
    assert staged == [(2, None, True), (2, "2.1", True), (2, "2.2", False)]


def test_criterion_numbers_are_checked_against_the_quarters_set(checker, tmp_path):
    """Criterion 11 and indicator 12.1 are not of the ten; an unreadable number is said so."""
    rows = criteria("NTM_2026_2030", range(1, 12)) + [
        {"criteria_set": "NTM_2026_2030", "criterion_no": "12.1", "met": "x"},
        {"criteria_set": "NTM_2026_2030", "criterion_no": "TC2", "met": "x"},
    ]
    path = submission(tmp_path, "04978", "Xã Kim Bôi", "2026-Q1", province="25", group="1", criteria_rows=rows)
    (result,) = checker.check([(path, "2026-Q1")])
    assert not result.taken_out_whole
    found = sorted((f.row_number, f.rule, f.value) for f in result.rows)
    assert found == [
        (12, "criterion_known", "11"),
        (13, "criterion_known", "12.1"),
        (14, "criterion_known", "TC2"),
        (14, "expect_column_values_to_be_null(unparsed_columns)", "TC2"),
    ]


def test_a_district_code_after_the_reform_is_a_warning(checker, tmp_path):
    path = submission(tmp_path, "04978", "Xã Kim Bôi", "2025-Q4", province="25", district="153")
    (result,) = checker.check([(path, "2025-Q4")])
    assert not result.critical
    (finding,) = result.rows
    assert (finding.rule, finding.severity, finding.column_name, finding.value) == (
        "district_expected", "warning", "district_code", "153")
    assert checker.conn.execute("SELECT district_code_claimed, district_code FROM staging.submission").fetchall() == [
        ("153", None)]
    # before the reform a district code must be the commune's
    wrong = submission(tmp_path / "old", "05026", "Vĩnh Đồng", "2024-Q4", province="17", district="152",
                       template="2024-Q4")
    (result,) = checker.check([(wrong, "2024-Q4")])
    assert [f.rule for f in result.whole_file] == ["district_matches"]


def test_commune_group_from_2026(checker, tmp_path):
    missing = submission(tmp_path, "04978", "Xã Kim Bôi", "2026-Q2", province="25")
    (result,) = checker.check([(missing, "2026-Q2")])
    assert rules(result) == [("warning", "commune_group_given")]
    wrong = submission(tmp_path / "wrong", "04978", "Xã Kim Bôi", "2026-Q2", province="25", group="4")
    (result,) = checker.check([(wrong, "2026-Q2")])
    assert [(f.rule, f.value) for f in result.whole_file] == [("expect_column_values_to_be_in_set(commune_group)", "4")]
    # no group before 2026: none is asked for, and one given is not of the quarter's list
    before = submission(tmp_path / "before", "04978", "Xã Kim Bôi", "2025-Q4", province="25", group="1")
    (result,) = checker.check([(before, "2025-Q4")])
    assert [f.rule for f in result.whole_file] == ["expect_column_values_to_be_in_set(commune_group)"]


def test_titles_are_those_of_the_quarter(checker, tmp_path):
    """'advanced' (NTM nâng cao) ends with 2025; 'modern' (NTM hiện đại) begins with 2026."""
    advanced = submission(tmp_path, "04978", "Xã Kim Bôi", "2026-Q1", province="25", group="2", title="advanced")
    modern = submission(tmp_path / "m", "05026", "Vĩnh Đồng", "2024-Q4", province="17", title="modern",
                        template="2024-Q4")
    (a,), (m,) = checker.check([(advanced, "2026-Q1")]), checker.check([(modern, "2024-Q4")])
    assert [(f.rule, f.value) for f in a.whole_file] == [("expect_column_values_to_be_in_set(ntm_title)", "advanced")]
    assert [(f.rule, f.value) for f in m.whole_file] == [("expect_column_values_to_be_in_set(ntm_title)", "modern")]
    fine = submission(tmp_path / "f", "04978", "Xã Kim Bôi", "2026-Q1", province="25", group="2", title="ntm",
                      criteria_rows=criteria("NTM_2026_2030", range(1, 11)))
    (result,) = checker.check([(fine, "2026-Q1")])
    assert (result.whole_file, result.rows) == ([], [])


def test_old_template_files_stay_valid_for_old_quarters(checker, tmp_path):
    """The 2024 template has Mã huyện and no Nhóm xã, the 2026 one Nhóm xã and no Mã huyện;
    a file from the old template is clean for its quarter."""
    old = submission(tmp_path, "05026", "Vĩnh Đồng", "2024-Q1", province="17", district="153",
                     criteria_rows=criteria("NTM_2021_2025", range(1, 20), met=lambda n: n < 15), template="2024-Q1")
    new = submission(tmp_path, "04978", "Xã Kim Bôi", "2026-Q1", province="25", group="3", template="2026-Q1")

    def headers(path):
        from openpyxl import load_workbook

        return [c.value for c in load_workbook(path)[SUBMISSION.sheet_vi][1]]

    assert "Nhóm xã" not in headers(old) and "Mã huyện" in headers(old)
    assert "Nhóm xã" in headers(new) and "Mã huyện" not in headers(new)
    assert read_submission_file(old).error is None
    (result,) = checker.check([(old, "2024-Q1")])
    assert (result.whole_file, result.rows) == ([], [])


def test_targets_are_for_the_units_of_1_january(checker, tmp_path):
    path = tmp_path / "chi-tieu.csv"
    write_csv(path, TARGET, [
        {"year": 2025, "district_code": "153", "target_code": "ntm_communes", "value": 12},
        {"year": 2026, "district_code": "25", "target_code": "ntm_communes", "value": 100},
        {"year": 2026, "district_code": "4978", "target_code": "capital_mobilized_ytd", "value": 5000},
        {"year": 2026, "district_code": "153", "target_code": "ntm_communes", "value": 12},
        {"year": 2025, "district_code": "05026", "target_code": "farms", "value": 4},
        {"year": 2026, "district_code": "05026", "target_code": "farms", "value": 4},
    ])
    (result,) = checker.check([(path, None)])
    found = [(f.row_number, f.rule, f.message_vi) for f in result.rows]
    assert found == [
        (5, "area_known", "Năm 2026 không còn cấp huyện (Từ ngày 01/07/2025 (34 tỉnh, chính quyền địa phương "
                          "hai cấp, không có cấp huyện)): chỉ tiêu năm đặt cho tỉnh (mã 2 chữ số) hoặc xã (mã 5 chữ số)"),
        (7, "area_known", "Mã 05026 không phải đơn vị hành chính tại ngày 01/01/2026: chỉ tiêu năm 2026 đặt cho các "
                          "đơn vị hành chính đầu năm đó (Từ ngày 01/07/2025 (34 tỉnh, chính quyền địa phương hai cấp, "
                          "không có cấp huyện))"),
    ]
    staged = checker.conn.execute(
        "SELECT year, area_level, area_code, admin_era FROM staging.target ORDER BY row_number").fetchall()
    assert staged == [(2025, "district", "153", "pre_2025"), (2026, "province", "25", "post_2025"),
                      (2026, "commune", "04978", "post_2025"), (2026, "district", "153", "post_2025"),
                      (2025, "commune", "05026", "pre_2025"), (2026, "commune", "05026", "post_2025")]


def test_ntm_validate_says_what_a_merged_commune_became(checker, tmp_path):
    path = submission(tmp_path, "05026", "Vĩnh Đồng", "2025-Q4", province="25")
    lines: list[str] = []
    assert validate_files([path], out=lines.append, checker=checker) == 1
    assert lines[1] == f"  LỖI       Cả tệp: trang 'Thông tin chung', dòng 2, cột 'Mã xã': {MERGED}"


@pytest.mark.slow
def test_the_pipeline_keeps_each_quarter_on_its_own_units(tmp_path):
    """From raw files through the real pipeline: 04978 is Thị trấn Bo in 2024-Q4 and Xã Kim
    Bôi in 2025-Q4; the 2025-Q4 file carrying 05026 is taken out whole, saying so."""
    raw = tmp_path / "raw"
    folder = raw / "submissions"
    submission(folder, "04978", "Thị trấn Bo", "2024-Q4", province="17", district="153", template="2024-Q4")
    submission(folder, "04978", "Xã Kim Bôi", "2025-Q4", province="25",
               criteria_rows=criteria("NTM_2021_2025", range(1, 20)), template="2025-Q4")
    submission(folder, "05026", "Vĩnh Đồng", "2025-Q4", province="25", template="2025-Q4")
    (raw / "targets").mkdir()
    database = tmp_path / "ntm.duckdb"
    assert build_warehouse(raw, database, ["2024-Q4", "2025-Q4"]).success
    with duckdb.connect(str(database), read_only=True) as conn:
        assert conn.execute(
            "SELECT period, commune_code, admin_era, commune_full_name, district_code, province_code "
            "FROM staging.submission ORDER BY period, commune_code").fetchall() == [
            ("2024-Q4", "04978", "pre_2025", "Thị trấn Bo", "153", "17"),
            ("2025-Q4", "04978", "post_2025", "Xã Kim Bôi", None, "25"),
            ("2025-Q4", "05026", "post_2025", None, None, None),
        ]
        assert conn.execute("SELECT source_file, rule, message_vi FROM quarantine.source_file").fetchall() == [
            ("submissions/2025-Q4/05026-2025-Q4.xlsx", "commune_known", MERGED)]
        assert conn.execute("SELECT count(*) FROM quarantine.submission WHERE severity = 'critical'").fetchone()[0] == 1


def test_an_indicator_the_filled_in_list_does_not_have_is_reported_and_kept(checker, tmp_path):
    """The indicator list is data (reference_data/criterion_indicator.csv): once a criterion's
    indicators are listed, one it does not list is a warning, and the row is still kept."""
    conn = checker.conn
    conn.execute("INSERT INTO core.dim_criterion_indicator (criteria_set, criterion_no, indicator_no, verified) "
                 "VALUES ('NTM_2026_2030', 2, '2.1', false)")
    try:
        rows = criteria("NTM_2026_2030", range(1, 11)) + [
            {"criteria_set": "NTM_2026_2030", "criterion_no": "2.1", "met": "x"},
            {"criteria_set": "NTM_2026_2030", "criterion_no": "2.2", "met": "x"},
            {"criteria_set": "NTM_2026_2030", "criterion_no": "3.1", "met": "x"},  # criterion 3 lists none yet
        ]
        path = submission(tmp_path, "04978", "Xã Kim Bôi", "2026-Q1", province="25", group="2", criteria_rows=rows)
        (result,) = checker.check([(path, "2026-Q1")])
    finally:
        conn.execute("DELETE FROM core.dim_criterion_indicator WHERE criteria_set = 'NTM_2026_2030' AND indicator_no = '2.1'")
    assert [(f.row_number, f.rule, f.severity, f.value) for f in result.rows] == [
        (13, "indicator_listed", "warning", "2.2")]


def test_a_reused_code_loses_no_criterion_across_the_reform(sample_db):
    """05014 was Xã Đông Bắc in 2025-Q2 and is Xã Mường Động in 2025-Q3: what Đông Bắc met is
    not something Mường Động lost. Within one era a loss still needs its note (test_bad_input)."""
    # the sample holds the case: a criterion 05014 met in 2025-Q2, not met in 2025-Q3, no note
    cases = sample_db.execute(
        "SELECT count(*) FROM staging.criteria AS now JOIN staging.criteria AS before"
        " ON before.commune_code = now.commune_code AND before.criterion_no = now.criterion_no"
        " AND before.period = '2025-Q2' AND before.indicator_no IS NULL"
        " WHERE now.period = '2025-Q3' AND now.commune_code = '05014' AND now.indicator_no IS NULL"
        " AND before.met AND NOT now.met AND now.note IS NULL").fetchone()[0]
    assert cases > 0
    assert sample_db.execute(
        "SELECT count(*) FROM staging.criteria WHERE period = '2025-Q3' AND NOT loss_explained").fetchone()[0] == 0
    assert sample_db.execute(
        "SELECT count(*) FROM mart.commune_scorecard WHERE period = '2025-Q3' AND len(lost_since_last_quarter) > 0"
    ).fetchone()[0] == 0


def test_04978_is_thi_tran_bo_in_2024_q4_and_xa_kim_boi_in_2025_q4_in_every_table(sample_db):
    """From the sample's raw files through the pipeline: every table that places 04978 places
    it as the unit of its quarter (district 153 and Hòa Bình 17, then no district and Phú Thọ 25)."""
    units = {"2024-Q4": ("Thị trấn Bo", "153", "17"), "2025-Q4": ("Xã Kim Bôi", None, "25")}
    short = {"Thị trấn Bo": "Bo", "Xã Kim Bôi": "Kim Bôi"}  # the GSO short name, without the unit type
    placed = sample_db.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.columns"
        " WHERE column_name = 'province_code' AND table_schema IN ('staging', 'core', 'mart')"
        " AND table_name IN (SELECT table_name FROM information_schema.columns WHERE column_name = 'commune_code')"
        " AND table_name IN (SELECT table_name FROM information_schema.columns WHERE column_name = 'period')"
    ).fetchall()
    assert len(placed) >= 8  # the submission, the facts and the marts that carry a commune's place
    for (table,) in placed:
        for period, (name, district, province) in units.items():
            rows = set(sample_db.execute(
                f"SELECT DISTINCT district_code, province_code FROM {table} WHERE period = ? AND commune_code = '04978'",
                [period]).fetchall())
            if table in ("core.fact_commune_status", "staging.submission"):
                assert rows, (table, period)  # the sample reports 04978 in both quarters
            assert rows <= {(district, province)}, (table, period, rows)
    for table, column in (("staging.submission", "commune_full_name"), ("mart.commune_scorecard", "commune_name"),
                          ("mart.ocop_register", "commune_name")):
        for period, (name, _, _) in units.items():
            names = {n for (n,) in sample_db.execute(
                f"SELECT DISTINCT {column} FROM {table} WHERE period = ? AND commune_code = '04978'", [period]).fetchall()}
            assert names <= {name, short[name]}, (table, period, names)
    labels = dict(sample_db.execute(
        "SELECT period, any_value(area_name) FROM mart.kpi_quarterly WHERE area_level = 'commune'"
        " AND area_code = '04978' AND period IN ('2024-Q4', '2025-Q4') GROUP BY period").fetchall())
    assert labels == {period: name for period, (name, _, _) in units.items()}
