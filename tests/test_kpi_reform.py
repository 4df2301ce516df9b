"""KPIs across the 2025 reform, from raw workbooks through the real pipeline.

A small raw folder written with the project's writer: six old units of Kim Bôi (Hòa Bình),
one of the old Phú Thọ and one old commune of Hậu Giang that was divided between two new
communes of Cần Thơ, all in 2024-Q3 (Kim Lập also in 2025-Q1); the new communes they became
in 2025-Q3; and four of them on the 2026-2030 criteria set in 2026-Q1. Every expected figure
is computed here from the rows written, and the crosswalk's weights are read from
core.dim_commune_crosswalk (the package's data, checked in tests/test_crosswalk.py).
"""

from __future__ import annotations

import csv

import duckdb
import pytest

from conftest import build_warehouse
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

pytestmark = pytest.mark.slow  # builds its own warehouse through the pipeline

PERIODS = ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
OLD, NEW = "2024-Q3", "2025-Q3"
ADDITIVE = ["vietgap_area_ha", "capital_mobilized_ytd", "agri_cooperatives", "farms", "ocop_products"]
DIVIDED = "31378"  # Xã Phú Hữu (Châu Thành, Hậu Giang 93) -> Xã Phú Hữu 31378 and Xã Trường Khánh 31654 (Cần Thơ 92)

# Old units in 2024-Q3: (code, name, district, province, is a town, cooperatives, farms,
# VietGAP ha, capital, OCOP products, title, criteria met of 19).
OLD_UNITS = [
    ("05035", "Xã Kim Lập", "153", "17", False, 2, 3, 12.5, 850.0, 1, "none", 12),
    ("05068", "Xã Nam Thượng", "153", "17", False, 3, 2, 40.25, 1200.5, 2, "ntm", 19),
    ("05080", "Xã Sào Báy", "153", "17", False, 1, 4, 7.0, 310.0, 0, "ntm", 19),
    ("04978", "Thị trấn Bo", "153", "17", True, 4, 0, 0.0, 2000.0, 1, "none", None),
    ("05026", "Xã Vĩnh Đồng", "153", "17", False, 2, 5, 18.75, 640.0, 1, "ntm", 19),
    ("05065", "Xã Kim Bôi", "153", "17", False, 1, 1, 3.5, 420.0, 0, "none", 14),
    ("07981", "Xã Bằng Luân", None, "25", False, 5, 6, 22.0, 980.0, 2, "ntm", 19),
    (DIVIDED, "Xã Phú Hữu", None, "93", False, 3, 7, 30.0, 1500.0, 2, "none", 15),
]
# Kim Lập's 2025-Q1 capital: the first half of 2025 counts in Hợp Kim's year to date.
KIM_LAP_2025_Q1 = 275.5
# New communes in 2025-Q3: (code, name, province, cooperatives, farms, VietGAP ha, capital,
# OCOP products, title, criteria met of 19).
NEW_UNITS = [
    ("05068", "Xã Hợp Kim", "25", 6, 9, 61.0, 900.0, 3, "none", 17),
    ("04978", "Xã Kim Bôi", "25", 7, 6, 25.0, 1800.0, 2, "none", 16),
    ("07996", "Xã Bằng Luân", "25", 5, 6, 22.0, 700.0, 2, "ntm", 19),
    ("31378", "Xã Phú Hữu", "92", 2, 4, 20.0, 800.0, 1, "none", 15),
    ("31654", "Xã Trường Khánh", "92", 1, 3, 10.0, 300.0, 1, "none", 14),
]
# 2026-Q1 on NTM_2026_2030: (code, name, title, title year, criteria met of 10, indicators).
NEW_SET_UNITS = [
    ("05068", "Xã Hợp Kim", "none", None, 7, {"2.1": "x", "2.2": ""}),
    ("04978", "Xã Kim Bôi", "ntm", 2020, 10, {}),
    ("07996", "Xã Bằng Luân", "modern", 2026, 10, {"8.1": "x"}),
    ("31378", "Xã Phú Hữu", "none", None, 10, {}),
    ("31654", "Xã Trường Khánh", "none", None, 3, {}),
]
HOP_KIM_FROM = ["05035", "05068", "05080"]  # Kim Lập, Nam Thượng, Sào Báy (ntm-domain.md)
PROVINCE_25_FROM = ["05035", "05068", "05080", "04978", "05026", "05065", "07981"]


def _day(period: str, day: int = 5) -> str:
    year, quarter = int(period[:4]), int(period[-1])
    return f"{day:02d}/{quarter * 3:02d}/{year}"


def _header(code, name, period, district, province, coops, farms, title, title_year=None, group=None):
    return {"commune_code": code, "commune_name": name, "district_code": district, "province_code": province,
            "commune_group": group, "reporting_period": period, "date_prepared": _day(period),
            "preparer": "Nguyễn Thị Lan", "agri_cooperatives": coops, "farms": farms, "ntm_title": title,
            "title_year": title_year if title_year else (2020 if title != "none" else None)}


def _details(code, period, vietgap, capital, ocop, criteria_set=None, met=None, count=19, indicators=None):
    tables = {
        "investment": [{"commune_code": code, "project_code": f"GT-{code}", "project_name": "Đường giao thông thôn",
                        "category": "road", "status": "ongoing", "capital_local_budget": capital}],
        "certified_area": [{"commune_code": code, "product": "Bưởi", "standard": "vietgap", "area_ha": vietgap,
                            "certificate_no": f"VG-{code}", "issue_date": "01/01/2024", "expiry_date": "31/12/2027"}]
        if vietgap else [],
        "ocop_product": [{"commune_code": code, "product_code": f"OCOP-{code}-{n}", "product_name": f"Sản phẩm {n}",
                          "producer": "HTX Nông nghiệp", "producer_type": "cooperative", "product_group": "food",
                          "score": 75, "stars": 4, "decision_no": f"{n}/QĐ-UBND", "decision_date": "15/03/2024",
                          "certifying_level": "province", "event_type": "new"} for n in range(1, ocop + 1)],
        "criteria": [],
    }
    if met is not None:
        tables["criteria"] = [{"commune_code": code, "criteria_set": criteria_set, "criterion_no": str(n),
                               "met": "x" if n <= met else None} for n in range(1, count + 1)]
        tables["criteria"] += [{"commune_code": code, "criteria_set": criteria_set, "criterion_no": number, "met": value}
                               for number, value in (indicators or {}).items()]
    return tables


def _save(root, period, code, tables):
    save_reproducibly(build_workbook(tables, period=period), root / "submissions" / period / f"{code}.xlsx")


@pytest.fixture(scope="module")
def reform(tmp_path_factory):
    root = tmp_path_factory.mktemp("reform")
    raw = root / "raw"
    for code, name, district, province, town, coops, farms, vietgap, capital, ocop, title, met in OLD_UNITS:
        tables = {"submission": [_header(code, name, OLD, district, province, coops, farms, title)],
                  **_details(code, OLD, vietgap, capital, ocop, "NTM_2021_2025", met)}
        _save(raw, OLD, code, tables)
    kim_lap = OLD_UNITS[0]
    tables = {"submission": [_header("05035", "Xã Kim Lập", "2025-Q1", "153", "17", 2, 3, "none")],
              **_details("05035", "2025-Q1", 12.5, KIM_LAP_2025_Q1, 1, "NTM_2021_2025", kim_lap[-1])}
    _save(raw, "2025-Q1", "05035", tables)
    for code, name, province, coops, farms, vietgap, capital, ocop, title, met in NEW_UNITS:
        tables = {"submission": [_header(code, name, NEW, None, province, coops, farms, title)],
                  **_details(code, NEW, vietgap, capital, ocop, "NTM_2021_2025", met)}
        _save(raw, NEW, code, tables)
    new_units = {u[0]: u for u in NEW_UNITS}
    for code, name, title, title_year, met, indicators in NEW_SET_UNITS:
        _, _, province, coops, farms, vietgap, capital, ocop, _, _ = new_units[code]
        tables = {"submission": [_header(code, name, "2026-Q1", None, province, coops, farms, title, title_year, "3")],
                  **_details(code, "2026-Q1", vietgap, capital, ocop, "NTM_2026_2030", met, 10, indicators)}
        _save(raw, "2026-Q1", code, tables)
    # 2025 targets are for the units of 1 January 2025: the old Phú Thọ (25) and Kim Bôi
    # district; 2026 ones for the new Phú Thọ.
    (raw / "targets").mkdir(parents=True)
    with open(raw / "targets" / "targets.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["Năm", "Mã huyện", "Mã chỉ tiêu", "Giá trị"])
        writer.writerows([[2025, "25", "farms", 50], [2025, "153", "farms", 20], [2026, "25", "farms", 30]])
    database = root / "ntm.duckdb"
    result = build_warehouse(raw, database, PERIODS)
    assert result.success
    with duckdb.connect(str(database), read_only=True) as conn:
        yield conn, result


def _row(conn, period, level, code, kpi):
    rows = conn.execute(
        "SELECT value, value_prev_year, yoy_delta, yoy_pct, yoy_basis, area_name, communes_reporting, "
        "communes_in_area, target FROM mart.kpi_quarterly "
        "WHERE period = ? AND area_level = ? AND area_code = ? AND kpi_code = ?", [period, level, code, kpi]).fetchall()
    assert len(rows) <= 1
    return dict(zip(["value", "prev", "delta", "pct", "basis", "name", "reporting", "in_area", "target"], rows[0])) \
        if rows else None


def _old(code: str, kpi: str) -> float:
    """A KPI of an old unit in 2024-Q3, from the row written."""
    unit = next(u for u in OLD_UNITS if u[0] == code)
    return {"agri_cooperatives": unit[5], "farms": unit[6], "vietgap_area_ha": unit[7],
            "capital_mobilized_ytd": unit[8], "ocop_products": unit[9]}[kpi]


def _weights(conn, old_code: str) -> dict[str, float]:
    return dict(conn.execute("SELECT new_commune_code, weight FROM core.dim_commune_crosswalk WHERE old_commune_code = ?",
                             [old_code]).fetchall())


def test_nothing_is_quarantined_and_the_checks_pass(reform):
    conn, result = reform
    assert conn.execute("SELECT count(*) FROM quarantine.source_file").fetchone()[0] == 0
    for table in ("submission", "investment", "criteria", "ocop_product", "certified_area", "target"):
        assert conn.execute(f"SELECT count(*) FROM quarantine.{table} WHERE severity = 'critical'").fetchone()[0] == 0
    failed = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed == []


def test_hop_kim_last_year_is_its_three_old_communes(reform):
    conn, _ = reform
    assert _weights(conn, "05035") == _weights(conn, "05080") == {"05068": 1.0}
    for kpi in ADDITIVE:
        row = _row(conn, NEW, "commune", "05068", kpi)
        expected = sum(_old(code, kpi) for code in HOP_KIM_FROM)
        assert row["basis"] == "crosswalk", kpi
        assert row["prev"] == pytest.approx(expected, abs=1e-9), kpi
        assert row["delta"] == pytest.approx(row["value"] - expected, abs=1e-9), kpi
    # 05068 was Nam Thượng alone last year: the same code, another unit.
    assert _row(conn, OLD, "commune", "05068", "farms")["value"] == _old("05068", "farms")
    assert _row(conn, NEW, "commune", "05068", "farms")["name"] == "Xã Hợp Kim"


def test_province_25_last_year_is_the_old_units_it_absorbed(reform):
    conn, _ = reform
    for kpi in ADDITIVE:
        row = _row(conn, NEW, "province", "25", kpi)
        expected = sum(_old(code, kpi) for code in PROVINCE_25_FROM)
        assert (row["basis"], row["prev"]) == ("crosswalk", pytest.approx(expected, abs=1e-9)), kpi
    # The old Phú Thọ (also code 25) had only Bằng Luân: last year's 25 is not today's 25.
    assert _row(conn, OLD, "province", "25", "farms")["value"] == _old("07981", "farms")
    in_area = dict(conn.execute("SELECT admin_era, count(*) FROM core.dim_commune WHERE province_code = '25' "
                                "GROUP BY ALL").fetchall())
    assert _row(conn, OLD, "province", "25", "farms")["in_area"] == in_area["pre_2025"]
    assert _row(conn, NEW, "province", "25", "farms")["in_area"] == in_area["post_2025"] != in_area["pre_2025"]


def test_a_divided_commune_gives_an_estimate_by_area_weights(reform):
    conn, _ = reform
    weights = _weights(conn, DIVIDED)
    assert set(weights) == {"31378", "31654"} and sum(weights.values()) == pytest.approx(1, abs=1e-9)
    assert all(0 < w < 1 for w in weights.values())
    assert conn.execute("SELECT bool_and(split_estimated) FROM core.dim_commune_crosswalk WHERE old_commune_code = ?",
                        [DIVIDED]).fetchone()[0]
    for new_code, weight in weights.items():
        for kpi in ADDITIVE:
            row = _row(conn, NEW, "commune", new_code, kpi)
            assert row["basis"] == "crosswalk_estimated", (new_code, kpi)
            assert row["prev"] == pytest.approx(round(weight * _old(DIVIDED, kpi), 4), abs=1e-4), (new_code, kpi)
    # Both parts are in Cần Thơ (92): the province has the whole old commune, not an estimate.
    for kpi in ADDITIVE:
        row = _row(conn, NEW, "province", "92", kpi)
        assert (row["basis"], row["prev"]) == ("crosswalk", pytest.approx(_old(DIVIDED, kpi), abs=1e-9)), kpi


def test_counts_of_communes_and_criteria_averages_are_not_compared_across_the_reform(reform):
    conn, _ = reform
    for level, code in (("commune", "05068"), ("province", "25"), ("national", "VN")):
        for kpi in ("ntm_communes", "avg_criteria_met", "communes_reporting"):
            row = _row(conn, NEW, level, code, kpi)
            assert row["value"] is not None, (level, kpi)
            assert (row["basis"], row["prev"], row["delta"], row["pct"]) == ("not_comparable", None, None, None), \
                (level, kpi)
    # The country did not change: its additive KPIs compare as they are.
    for kpi in ADDITIVE:
        row = _row(conn, NEW, "national", "VN", kpi)
        expected = sum(_old(u[0], kpi) for u in OLD_UNITS)
        assert (row["basis"], row["prev"]) == ("same_units", pytest.approx(expected, abs=1e-9)), kpi


def test_levels_and_national_rows(reform):
    conn, _ = reform
    levels = dict(conn.execute("SELECT period, list(DISTINCT area_level ORDER BY area_level) FROM mart.kpi_quarterly "
                               "GROUP BY ALL").fetchall())
    # A quarter without files still has rows: the year-to-date flows of its year's earlier quarters.
    before, after = ["commune", "district", "national", "province"], ["commune", "national", "province"]
    assert levels == {"2024-Q3": before, "2024-Q4": before, "2025-Q1": before, "2025-Q2": before,
                      "2025-Q3": after, "2025-Q4": after, "2026-Q1": after}
    units = dict(conn.execute("SELECT admin_era, count(*) FROM core.dim_commune WHERE commune_code IS NOT NULL "
                              "GROUP BY ALL").fetchall())
    for period, era in ((OLD, "pre_2025"), ("2025-Q1", "pre_2025"), (NEW, "post_2025"), ("2026-Q1", "post_2025")):
        row = _row(conn, period, "national", "VN", "communes_reporting")
        written = {OLD: len(OLD_UNITS), "2025-Q1": 1, NEW: len(NEW_UNITS), "2026-Q1": len(NEW_SET_UNITS)}[period]
        assert (row["name"], row["value"], row["reporting"], row["in_area"]) == ("Toàn quốc", written, written, units[era])
    assert units["post_2025"] == 3321
    # After the reform only new units and the 34 provinces appear, on their new names.
    communes = {c for (c,) in conn.execute(
        "SELECT DISTINCT area_code FROM mart.kpi_quarterly WHERE period = ? AND area_level = 'commune'", [NEW]).fetchall()}
    assert communes == {u[0] for u in NEW_UNITS}
    provinces = {c for (c,) in conn.execute(
        "SELECT DISTINCT area_code FROM mart.kpi_quarterly WHERE period = ? AND area_level = 'province'", [NEW]).fetchall()}
    assert provinces == {"25", "92"}
    assert _row(conn, OLD, "commune", "04978", "farms")["name"] == "Thị trấn Bo"
    assert _row(conn, NEW, "commune", "04978", "farms")["name"] == "Xã Kim Bôi"
    assert _row(conn, NEW, "province", "25", "farms")["in_area"] == conn.execute(
        "SELECT count(*) FROM core.dim_commune WHERE admin_era = 'post_2025' AND province_code = '25'").fetchone()[0]


def test_the_first_half_of_2025_counts_in_the_new_communes_year_to_date(reform):
    conn, _ = reform
    own = next(u for u in NEW_UNITS if u[0] == "05068")[6]
    assert _row(conn, NEW, "commune", "05068", "capital_mobilized_ytd")["value"] == pytest.approx(own + KIM_LAP_2025_Q1)
    assert _row(conn, NEW, "commune", "05068", "capital_mobilized_qtd")["value"] == pytest.approx(own)
    # The old unit has no row after the reform; its district has none at all.
    assert _row(conn, NEW, "commune", "05035", "capital_mobilized_ytd") is None
    assert _row(conn, "2025-Q1", "district", "153", "capital_mobilized_ytd")["value"] == pytest.approx(KIM_LAP_2025_Q1)
    by_source = conn.execute("SELECT sum(capital_ytd) FROM mart.capital_by_source WHERE period = ? "
                             "AND area_level = 'commune' AND area_code = '05068'", [NEW]).fetchone()[0]
    assert by_source == pytest.approx(own + KIM_LAP_2025_Q1)


def test_targets_are_for_the_units_of_their_year(reform):
    conn, _ = reform
    assert _row(conn, "2025-Q1", "district", "153", "farms")["target"] == 20
    # The 2025 target of the old Phú Thọ (25) is not the new Phú Thọ's (also 25).
    assert _row(conn, NEW, "province", "25", "farms")["target"] is None
    assert _row(conn, "2026-Q1", "province", "25", "farms")["target"] == 30


def test_2026_quarters_have_every_kpi_of_the_new_set(reform):
    conn, _ = reform
    new_set = {k for (k,) in conn.execute(
        "SELECT kpi_code FROM core.dim_kpi WHERE criteria_set = 'NTM_2026_2030'").fetchall()}
    old_set = {k for (k,) in conn.execute(
        "SELECT kpi_code FROM core.dim_kpi WHERE criteria_set = 'NTM_2021_2025'").fetchall()}
    assert {"modern_ntm_communes", "communes_2026_10_criteria", "communes_2026_under_5_criteria"} <= new_set
    bands = dict(conn.execute("SELECT kpi_code, [criteria_min, criteria_max] FROM core.dim_kpi "
                              "WHERE criteria_set = 'NTM_2026_2030' AND criteria_min IS NOT NULL").fetchall())
    titled = {code for code, _, title, *_ in NEW_SET_UNITS if title != "none"}
    met = {code: count for code, _, _, _, count, _ in NEW_SET_UNITS}
    for level, code, members in [("province", "25", {"05068", "04978", "07996"}),
                                 ("province", "92", {"31378", "31654"}), ("national", "VN", set(met))]:
        kpis = {k for (k,) in conn.execute("SELECT kpi_code FROM mart.kpi_quarterly WHERE period = '2026-Q1' "
                                           "AND area_level = ? AND area_code = ?", [level, code]).fetchall()}
        assert new_set <= kpis and not old_set & kpis, (level, code)
        for kpi, (low, high) in bands.items():
            expected = sum(1 for c in members if c not in titled and low <= met[c] <= high)
            assert _row(conn, "2026-Q1", level, code, kpi)["value"] == expected, (level, kpi)
        assert _row(conn, "2026-Q1", level, code, "avg_criteria_met")["value"] == pytest.approx(
            round(sum(met[c] for c in members) / len(members), 4))
        assert _row(conn, "2026-Q1", level, code, "modern_ntm_communes")["value"] == len(members & {"07996"})
    # 2026-Q1 against 2025-Q1 (Kim Lập, now in Hợp Kim): another set of criteria, other units.
    row = _row(conn, "2026-Q1", "commune", "05068", "avg_criteria_met")
    assert (row["basis"], row["prev"], row["delta"]) == ("not_comparable", None, None)
    assert _row(conn, "2026-Q1", "commune", "05068", "capital_mobilized_ytd")["basis"] == "crosswalk"
    # Indicator rows are kept apart; the snapshot counts the 10 criteria.
    assert conn.execute("SELECT count(*) FROM core.fact_criteria_snapshot WHERE period = '2026-Q1' "
                        "AND commune_code = '05068'").fetchone()[0] == 10
    assert conn.execute("SELECT list(indicator_no ORDER BY indicator_no), list(is_met ORDER BY indicator_no) "
                        "FROM core.fact_criteria_indicator WHERE period = '2026-Q1' AND commune_code = '05068'"
                        ).fetchone() == (["2.1", "2.2"], [True, False])
    status = conn.execute("SELECT admin_era, criteria_set, commune_group, district_code FROM core.fact_commune_status "
                          "WHERE period = '2026-Q1' AND commune_code = '05068'").fetchone()
    assert status == ("post_2025", "NTM_2026_2030", "3", None)


def test_the_scorecard_names_units_of_their_quarter_and_the_next_title_valid_then(reform):
    conn, _ = reform
    rows = dict(((p, c), (n, t, nx)) for p, c, n, t, nx in conn.execute(
        "SELECT period, commune_code, commune_name, criteria_set, next_title FROM mart.commune_scorecard").fetchall())
    assert rows[(OLD, "05065")] == ("Kim Bôi", "NTM_2021_2025", "ntm")
    assert rows[(NEW, "04978")] == ("Kim Bôi", "NTM_2021_2025", "ntm")
    assert rows[("2026-Q1", "04978")] == ("Kim Bôi", "NTM_2026_2030", "modern")
    assert (OLD, "04978") not in rows  # Thị trấn Bo is a town: no rural criteria


def test_projects_of_two_merged_communes_are_two_projects_though_their_codes_are_alike(tmp_path):
    """Project codes are each commune's own: Kim Lập's DA01 and Nam Thượng's DA01, both
    completed in 2025-Q1, are two projects completed in Xã Hợp Kim's year to date of 2025-Q3."""
    raw = tmp_path / "raw"
    for code, name in (("05035", "Xã Kim Lập"), ("05068", "Xã Nam Thượng")):
        tables = {"submission": [_header(code, name, "2025-Q1", "153", "17", 1, 1, "none")],
                  **_details(code, "2025-Q1", 0, 100.0, 0)}
        tables["investment"][0].update(project_code="DA01", status="completed")
        _save(raw, "2025-Q1", code, tables)
    tables = {"submission": [_header("05068", "Xã Hợp Kim", NEW, None, "25", 2, 2, "none")],
              **_details("05068", NEW, 0, 50.0, 0)}
    _save(raw, NEW, "05068", tables)
    database = tmp_path / "ntm.duckdb"
    assert build_warehouse(raw, database, ["2025-Q1", "2025-Q2", NEW]).success
    with duckdb.connect(str(database), read_only=True) as conn:
        completed = dict(conn.execute(
            "SELECT period, value FROM mart.kpi_quarterly WHERE area_level = 'commune' AND area_code = '05068'"
            " AND kpi_code = 'projects_completed_ytd'").fetchall())
    # Nam Thượng's own in 2025-Q1 (and in Q2's year to date, not reported); both in Hợp Kim's year
    assert completed == {"2025-Q1": 1, "2025-Q2": 1, NEW: 2}
