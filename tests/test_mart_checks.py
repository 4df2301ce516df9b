"""The checks on mart.kpi_quarterly: on the sample they pass, having compared every district
and province row; a district figure that no longer adds up, or a KPI row gone, fails them
and says which row."""

import shutil

import duckdb
import pytest

from conftest import SAMPLE_PERIODS
from ntm_pipeline.defs import keys
from ntm_pipeline.defs.mart.checks import AREAS_ADD_UP, EVERY_KPI, areas_add_up, every_kpi_present
from ntm_pipeline.reference import read_reference_csv



def catalogue_size() -> int:
    """KPI codes of reference_data/kpi.csv, one per category for a KPI with a breakdown."""
    codes = {r["code_list"]: 0 for r in read_reference_csv("code_list")}
    for r in read_reference_csv("code_list"):
        codes[r["code_list"]] += 1
    return sum(codes[k["breakdown"]] if k["breakdown"] else 1 for k in read_reference_csv("kpi"))


def test_checks_pass_on_the_sample_having_compared_every_area_row(sample_build):
    _, result = sample_build
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations() if e.asset_key == keys.KPI_QUARTERLY}
    assert set(evaluations) == {AREAS_ADD_UP, EVERY_KPI}
    assert all(e.passed for e in evaluations.values())
    # Kim Bôi (district 153) and Hòa Bình (province 17), every KPI, eight quarters.
    compared = evaluations[AREAS_ADD_UP].metadata["area_rows_compared"].value
    assert compared == len(SAMPLE_PERIODS) * 2 * catalogue_size()
    assert evaluations[EVERY_KPI].metadata["kpis_missing"].value == 0


@pytest.fixture
def warehouse_copy(sample_warehouse, tmp_path):
    database = tmp_path / "ntm.duckdb"
    shutil.copy(sample_warehouse, database)
    with duckdb.connect(str(database)) as conn:
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
