"""Year-to-date KPIs built from quarter-end snapshots, from raw workbooks through the pipeline.

A submission lists each project with its status at quarter end, so a completed project may
be listed as completed again the next quarter (a final settlement, a last payment). It is
one project completed, once, in the quarter it was first reported completed. A commune that
reported earlier in the year but not this quarter keeps its earlier flows in its district's
year-to-date figures, and the coverage columns say it did not report.
"""

from __future__ import annotations

import copy

import duckdb
import pytest

from conftest import build_warehouse
from ntm_pipeline.contract import CAPITAL_SOURCES
from ntm_pipeline.samples.kim_boi import PERIODS, KimBoiSample
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

pytestmark = pytest.mark.slow  # builds its own warehouse through the pipeline

RUN_PERIODS = ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2"]
STEADY = "05068"  # Nam Thượng reports every quarter
ABSENT = "05080"  # Sào Báy reports 2024-Q1 only, not 2024-Q2
SAMPLE = KimBoiSample()
UNITS = {u.code: u for u in SAMPLE.units}
COMPLETED = "Hoàn thành"


def _tables(code: str, period: str) -> dict:
    tables, _ = SAMPLE.submission(UNITS[code], PERIODS.index(period))
    return copy.deepcopy(tables)


def _relist(tables: dict, project: dict, people_capital: float) -> None:
    """List `project` again, still completed, with a last payment from the people."""
    row = {**project, "status": COMPLETED, "capital_total": None}
    row.update({name: 0 for name, *_ in CAPITAL_SOURCES})
    row["capital_people"] = people_capital
    tables["investment"] = [r for r in tables["investment"] if not r or r["project_code"] != project["project_code"]]
    tables["investment"].append(row)


def _number(value) -> float:
    return 0.0 if value in (None, "") else float(str(value).replace(",", "."))


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    """Workbooks for the run, the two relisted projects added, and the warehouse built from them."""
    root = tmp_path_factory.mktemp("ytd")
    written: dict[tuple[str, str], dict] = {}
    for period in RUN_PERIODS:
        written[(STEADY, period)] = _tables(STEADY, period)
    written[(ABSENT, "2024-Q1")] = _tables(ABSENT, "2024-Q1")

    # A project completed in 2023-Q1 and listed again, completed, in 2023-Q2.
    repeat = dict(next(r for r in written[(STEADY, "2023-Q1")]["investment"] if r and r["status"] != COMPLETED))
    repeat.update(project_code="HT-LAI", project_name="Nhà văn hóa thôn Lài")
    written[(STEADY, "2023-Q1")]["investment"].append({**repeat, "status": COMPLETED})
    _relist(written[(STEADY, "2023-Q2")], repeat, 12.5)
    # A project completed in December and still listed completed in January's quarter.
    december = {**repeat, "project_code": "HT-DEC", "project_name": "Kênh mương xóm Dệ"}
    written[(STEADY, "2023-Q4")]["investment"].append({**december, "status": COMPLETED})
    _relist(written[(STEADY, "2024-Q1")], december, 7.25)

    for (code, period), tables in written.items():
        save_reproducibly(build_workbook(tables), root / "raw" / "submissions" / period / f"{code}.xlsx")
    database = root / "ntm.duckdb"
    assert build_warehouse(root / "raw", database, RUN_PERIODS).success
    with duckdb.connect(str(database), read_only=True) as conn:
        yield conn, written


def _kpi(conn, period: str, level: str, code: str, kpi: str):
    rows = conn.execute(
        "SELECT value, value_prev_year, communes_reporting, communes_in_area FROM mart.kpi_quarterly "
        "WHERE period = ? AND area_level = ? AND area_code = ? AND kpi_code = ?", [period, level, code, kpi],
    ).fetchall()
    return rows[0] if rows else None


def _first_completions(written: dict) -> dict[tuple[str, str], str]:
    """(commune, project) -> the first quarter it was listed completed, from the rows written."""
    first: dict[tuple[str, str], str] = {}
    for (code, period), tables in sorted(written.items(), key=lambda item: item[0][1]):
        for row in tables["investment"]:
            if row and row["status"] == COMPLETED:
                first.setdefault((code, row["project_code"]), period)
    return first


def test_a_project_listed_completed_twice_counts_once(snapshots):
    conn, written = snapshots
    first = _first_completions(written)
    for period in RUN_PERIODS:
        year, quarter = period.split("-Q")
        expected = sum(
            1 for (code, _), when in first.items()
            if code == STEADY and when[:4] == year and when[-1] <= quarter
        )
        assert _kpi(conn, period, "commune", STEADY, "projects_completed_ytd")[0] == expected, period
    # The relisted project is one completion in 2023-Q2, not two.
    listed = [row for row in written[(STEADY, "2023-Q2")]["investment"] if row and row["status"] == COMPLETED]
    assert any(row["project_code"] == "HT-LAI" for row in listed)
    q1 = _kpi(conn, "2023-Q1", "commune", STEADY, "projects_completed_ytd")[0]
    q1_rows = sum(1 for row in written[(STEADY, "2023-Q1")]["investment"] if row and row["status"] == COMPLETED)
    q2_rows = len(listed)
    assert _kpi(conn, "2023-Q2", "commune", STEADY, "projects_completed_ytd")[0] == q1 + q2_rows - 1 < q1_rows + q2_rows


def test_a_project_completed_in_december_is_not_completed_again_in_january(snapshots):
    conn, written = snapshots
    assert any(r and r["project_code"] == "HT-DEC" and r["status"] == COMPLETED
               for r in written[(STEADY, "2024-Q1")]["investment"])
    first = _first_completions(written)
    completed_2024_q1 = sum(1 for (code, _), when in first.items() if code == STEADY and when == "2024-Q1")
    assert first[(STEADY, "HT-DEC")] == "2023-Q4"
    assert _kpi(conn, "2024-Q1", "commune", STEADY, "projects_completed_ytd")[0] == completed_2024_q1
    # It counted in 2023, the year it was completed, and that is what 2024-Q4 will compare with.
    completed_2023 = sum(1 for (code, _), when in first.items() if code == STEADY and when[:4] == "2023")
    assert _kpi(conn, "2023-Q4", "commune", STEADY, "projects_completed_ytd")[0] == completed_2023


def test_a_relisted_project_s_last_payment_is_capital_of_its_quarter(snapshots):
    conn, written = snapshots
    for period in RUN_PERIODS:
        capital = sum(
            _number(row[name]) for row in written[(STEADY, period)]["investment"] if row for name, *_ in CAPITAL_SOURCES
        )
        assert _kpi(conn, period, "commune", STEADY, "capital_mobilized_qtd")[0] == pytest.approx(capital, abs=1e-6)


def test_same_quarter_last_year_is_counted_the_same_way(snapshots):
    conn, _ = snapshots
    for period, previous in (("2024-Q1", "2023-Q1"), ("2024-Q2", "2023-Q2")):
        value_then = _kpi(conn, previous, "commune", STEADY, "projects_completed_ytd")[0]
        assert _kpi(conn, period, "commune", STEADY, "projects_completed_ytd")[1] == value_then
        assert _kpi(conn, period, "district", "153", "projects_completed_ytd")[1] == value_then


def test_a_commune_missing_a_quarter_keeps_its_earlier_flows_in_the_district(snapshots):
    conn, written = snapshots

    def capital(code, period):
        return sum(_number(row[name]) for row in written[(code, period)]["investment"] if row
                   for name, *_ in CAPITAL_SOURCES)

    district = _kpi(conn, "2024-Q2", "district", "153", "capital_mobilized_ytd")
    expected = capital(STEADY, "2024-Q1") + capital(STEADY, "2024-Q2") + capital(ABSENT, "2024-Q1")
    assert district[0] == pytest.approx(expected, abs=1e-6)
    # The coverage says one of the district's 17 units reported in 2024-Q2, two in 2024-Q1.
    assert district[2:] == (1, 17)
    assert _kpi(conn, "2024-Q1", "district", "153", "capital_mobilized_ytd")[2:] == (2, 17)
    # Sào Báy's row for 2024-Q2 holds its year-to-date flows only, and says it did not report.
    absent = _kpi(conn, "2024-Q2", "commune", ABSENT, "capital_mobilized_ytd")
    assert absent[0] == pytest.approx(capital(ABSENT, "2024-Q1"), abs=1e-6)
    assert absent[2:] == (0, 1)
    kpis = {r[0] for r in conn.execute(
        "SELECT kpi_code FROM mart.kpi_quarterly WHERE period = '2024-Q2' AND area_code = ?", [ABSENT]).fetchall()}
    assert kpis and all(k.endswith("_ytd") for k in kpis)
    # Stocks are the quarter-end values of the communes that reported.
    assert _kpi(conn, "2024-Q2", "district", "153", "communes_reporting")[0] == 1
    farms = int(written[(STEADY, "2024-Q2")]["submission"][0]["farms"])
    assert _kpi(conn, "2024-Q2", "district", "153", "farms")[0] == farms


def test_district_equals_the_sum_of_its_commune_rows(snapshots):
    conn, _ = snapshots
    mismatches = conn.execute("""
        SELECT d.period, d.kpi_code, d.value, sum(c.value)
        FROM mart.kpi_quarterly AS d
        JOIN core.dim_kpi AS k ON k.kpi_code = d.kpi_code AND k.aggregation = 'sum'
        JOIN mart.kpi_quarterly AS c ON c.period = d.period AND c.kpi_code = d.kpi_code AND c.area_level = 'commune'
        WHERE d.area_level = 'district'
        GROUP BY ALL HAVING abs(d.value - sum(c.value)) > 1e-6
    """).fetchall()
    assert mismatches == []


def test_area_names_are_the_gso_labels_with_their_unit_type(snapshots):
    conn, _ = snapshots
    names = dict(conn.execute(
        "SELECT DISTINCT area_level || ':' || area_code, area_name FROM mart.kpi_quarterly WHERE period = '2024-Q1'"
    ).fetchall())
    assert names["district:153"] == "Huyện Kim Bôi"
    assert names["province:17"] == "Tỉnh Hòa Bình"
    assert names[f"commune:{STEADY}"] == "Xã Nam Thượng"
    assert _kpi(conn, "2024-Q1", "province", "17", "communes_reporting")[2:] == (2, 151)
