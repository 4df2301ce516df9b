"""The checks on mart.kpi_quarterly: on the sample they pass, having compared every district,
province and national row in both eras; a figure that no longer adds up, or a KPI row of
the quarter's criteria set gone, fails them and says which row."""

import shutil

import duckdb
import pytest

from conftest import SAMPLE_PERIODS
from ntm_pipeline.defs import keys
from ntm_pipeline.defs.mart.checks import AREAS_ADD_UP, EVERY_KPI, areas_add_up, every_kpi_present
from ntm_pipeline.quarters import quarter_end
from ntm_pipeline.reference import read_reference_csv
from ntm_pipeline.warehouse import prepare_connection


def _in_force(row: dict, day: str) -> bool:
    return (row["valid_from"] or "") <= day <= (row["valid_to"] or "9999-12-31")


def quarter_kpis(period: str) -> int:
    """KPI codes of reference_data/kpi.csv a quarter has: one per category for a KPI with a
    breakdown, and a KPI of a criteria set only in the quarters scored on that set."""
    day = quarter_end(period).isoformat()
    scored_on = next(r["criteria_set"] for r in read_reference_csv("criteria_set") if _in_force(r, day))
    codes = {r["code_list"]: 0 for r in read_reference_csv("code_list")}
    for r in read_reference_csv("code_list"):
        codes[r["code_list"]] += 1
    return sum(codes[k["breakdown"]] if k["breakdown"] else 1 for k in read_reference_csv("kpi")
               if k["criteria_set"] in ("", scored_on))


def area_rows(period: str) -> int:
    """Kim Bôi's areas above the commune: its district (while there are districts), its province, the country."""
    day = quarter_end(period).isoformat()
    era = next(r for r in read_reference_csv("admin_era") if _in_force(r, day))
    return 3 if era["has_districts"] == "true" else 2


def test_checks_pass_on_the_sample_having_compared_every_area_row(sample_build):
    _, result = sample_build
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations() if e.asset_key == keys.KPI_QUARTERLY}
    assert set(evaluations) == {AREAS_ADD_UP, EVERY_KPI}
    assert all(e.passed for e in evaluations.values())
    # Kim Bôi (district 153), Hòa Bình (17) then Phú Thọ (25), and the country: every KPI of
    # each quarter's criteria set, every quarter.
    compared = evaluations[AREAS_ADD_UP].metadata["area_rows_compared"].value
    assert compared == sum(area_rows(p) * quarter_kpis(p) for p in SAMPLE_PERIODS)
    assert evaluations[EVERY_KPI].metadata["kpis_missing"].value == 0


@pytest.fixture
def warehouse_copy(sample_warehouse, tmp_path):
    database = tmp_path / "ntm.duckdb"
    shutil.copy(sample_warehouse, database)
    with duckdb.connect(str(database)) as conn:
        prepare_connection(conn)  # the macros (in_force) the checks' SQL calls, as on the pipeline's connections
        yield conn


def test_a_district_figure_that_does_not_add_up_fails(warehouse_copy):
    conn = warehouse_copy
    conn.execute("UPDATE mart.kpi_quarterly SET value = value + 1 WHERE period = '2024-Q2' "
                 "AND area_level = 'district' AND kpi_code = 'farms'")
    # An averaged KPI is the communes' mean, not their sum: the province's sum is refused.
    conn.execute("""UPDATE mart.kpi_quarterly AS k SET value = (
        SELECT sum(value) FROM mart.kpi_quarterly WHERE period = '2024-Q2' AND area_level = 'commune'
        AND kpi_code = 'avg_criteria_met')
        WHERE k.period = '2024-Q2' AND k.area_level = 'province' AND k.kpi_code = 'avg_criteria_met'""")
    result = areas_add_up(conn, ["2024-Q1", "2024-Q2"])
    assert not result.passed
    assert result.metadata["rows_not_adding_up"].value == 2
    sample = result.metadata["sample"].value
    assert "| 2024-Q2 | district | 153 | farms | sum |" in sample
    assert "| 2024-Q2 | province | 17 | avg_criteria_met | avg |" in sample
    assert areas_add_up(conn, ["2024-Q1"]).passed  # only the quarters asked for are checked


def test_a_missing_kpi_row_fails(warehouse_copy):
    conn = warehouse_copy
    commune = conn.execute("SELECT min(commune_code) FROM core.fact_commune_status WHERE period = '2024-Q3'").fetchone()[0]
    conn.execute("DELETE FROM mart.kpi_quarterly WHERE period = '2024-Q3' AND area_level = 'commune' "
                 "AND area_code = ? AND kpi_code = 'ocop_products'", [commune])
    conn.execute("DELETE FROM mart.kpi_quarterly WHERE period = '2024-Q3' AND area_level = 'district' "
                 "AND kpi_code = 'avg_criteria_met'")
    result = every_kpi_present(conn, ["2024-Q3"])
    assert not result.passed
    assert result.metadata["kpis_missing"].value == 2
    sample = result.metadata["sample"].value
    assert f"| 2024-Q3 | commune | {commune} | ocop_products | no row |" in sample
    assert "| 2024-Q3 | district | 153 | avg_criteria_met | no row |" in sample


def test_a_duplicate_row_does_not_stand_in_for_a_missing_one(warehouse_copy):
    """Each area's KPIs are counted before they are compared one by one: a commune with one
    KPI row gone and another twice has its count, and still fails for the one gone."""
    conn = warehouse_copy
    commune = conn.execute("SELECT min(commune_code) FROM core.fact_commune_status WHERE period = '2024-Q3'").fetchone()[0]
    where = "period = '2024-Q3' AND area_level = 'commune' AND area_code = ?"
    conn.execute(f"INSERT INTO mart.kpi_quarterly SELECT * FROM mart.kpi_quarterly WHERE {where} AND kpi_code = 'farms'", [commune])
    conn.execute(f"DELETE FROM mart.kpi_quarterly WHERE {where} AND kpi_code = 'agri_cooperatives'", [commune])
    result = every_kpi_present(conn, ["2024-Q3"])
    assert not result.passed
    assert result.metadata["kpis_missing"].value == 1
    assert f"| 2024-Q3 | commune | {commune} | agri_cooperatives | no row |" in result.metadata["sample"].value


def test_towns_need_no_criteria_score(warehouse_copy):
    """A town has no avg KPI row, and the check does not ask for one."""
    conn = warehouse_copy
    towns = conn.execute("SELECT count(*) FROM core.fact_commune_status WHERE period = '2024-Q4' "
                         "AND NOT is_rural_commune").fetchone()[0]
    assert towns >= 1
    assert conn.execute("SELECT count(*) FROM mart.kpi_quarterly AS k JOIN core.fact_commune_status AS h "
                        "ON h.period = k.period AND h.commune_code = k.area_code WHERE k.period = '2024-Q4' "
                        "AND k.area_level = 'commune' AND NOT h.is_rural_commune "
                        "AND k.kpi_code = 'avg_criteria_met'").fetchone()[0] == 0
    assert every_kpi_present(conn, ["2024-Q4"]).passed


AFTER = "2026-Q1"  # a quarter after the reform, on the 2026-2030 criteria set


@pytest.mark.skipif(AFTER not in SAMPLE_PERIODS, reason=f"the sample does not reach {AFTER}")
def test_after_the_reform_the_province_and_the_country_add_up_and_have_the_new_set(warehouse_copy):
    conn = warehouse_copy
    assert areas_add_up(conn, [AFTER]).passed and every_kpi_present(conn, [AFTER]).passed
    assert conn.execute("SELECT count(*) FROM mart.kpi_quarterly WHERE period = ? AND area_level = 'district'",
                        [AFTER]).fetchone()[0] == 0
    # The old set's bands are not asked for in 2026; a band of the new set is.
    conn.execute("UPDATE mart.kpi_quarterly SET value = value + 1 WHERE period = ? AND area_level = 'national' "
                 "AND kpi_code = 'farms'", [AFTER])
    conn.execute("DELETE FROM mart.kpi_quarterly WHERE period = ? AND area_level = 'province' "
                 "AND kpi_code = 'communes_2026_5_7_criteria'", [AFTER])
    added_up = areas_add_up(conn, [AFTER])
    assert not added_up.passed
    assert f"| {AFTER} | national | VN | farms | sum |" in added_up.metadata["sample"].value
    present = every_kpi_present(conn, [AFTER])
    assert not present.passed and present.metadata["kpis_missing"].value == 1
    assert f"| {AFTER} | province | 25 | communes_2026_5_7_criteria | no row |" in present.metadata["sample"].value
