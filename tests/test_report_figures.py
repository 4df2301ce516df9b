"""The district's Q1/2024 report, figure by figure, from the raw sample through the pipeline.

Each headline figure is also derived here from the raw workbooks (tests/sample_raw.py reads
them in plain Python), so a figure is pinned to what the communes sent, not to a range.
"""

from collections import Counter
from decimal import Decimal

import pytest

import sample_raw

REPORT = "2024-Q1"
KIM_BOI = "153"


def kpi(conn, code, period=REPORT, level="district", area=KIM_BOI):
    rows = conn.execute(
        "SELECT value, value_prev_year, yoy_delta, target FROM mart.kpi_quarterly "
        "WHERE period = ? AND area_level = ? AND area_code = ? AND kpi_code = ?",
        [period, level, area, code],
    ).fetchall()
    assert len(rows) == 1, f"{code}: expected one row, got {rows}"
    return rows[0]


def test_capital_mobilised_over_267_billion(sample_db):
    value, *_ = kpi(sample_db, "capital_mobilized_ytd")
    assert 267_000 < value < 268_000
    # The six capital columns of every 2024-Q1 project row, as typed (decimal comma or point).
    raw = sum(Decimal((r[c] or "0").replace(",", ".")) for _, _, r in sample_raw.rows(REPORT, "investment")
              for c in sample_raw.CAPITAL_COLUMNS)
    assert raw == Decimal("267350")
    assert value == pytest.approx(267_350, abs=1e-6)


@pytest.mark.parametrize(
    "status, category, count",
    [
        ("ongoing", "road", 31), ("ongoing", "ford", 1), ("ongoing", "canal", 11), ("ongoing", "school", 28),
        ("ongoing", "commune_cultural_house", 3), ("ongoing", "sports_ground", 3),
        ("ongoing", "village_cultural_house", 6), ("ongoing", "clean_water", 1),
        ("preparing", "road", 28), ("preparing", "canal", 8), ("preparing", "school", 7),
        ("preparing", "village_cultural_house", 19), ("preparing", "clean_water", 3),
    ],
)
def test_projects_by_category(sample_db, status, category, count):
    assert kpi(sample_db, f"projects_{status}.{category}")[0] == count


def test_every_category_has_a_count(sample_db):
    codes = {r[0] for r in sample_db.execute(
        "SELECT kpi_code FROM mart.kpi_quarterly WHERE period = ? AND area_level = 'district'", [REPORT]
    ).fetchall()}
    categories = [r[0] for r in sample_db.execute(
        "SELECT code FROM core.dim_code WHERE code_list = 'project_category'").fetchall()]
    assert len(categories) == 12
    for category in categories:
        assert f"projects_ongoing.{category}" in codes and f"projects_preparing.{category}" in codes


def test_vietgap_area_and_gain_on_same_quarter_last_year(sample_db):
    value, prev, delta, _ = kpi(sample_db, "vietgap_area_ha")
    assert 233 <= value < 234
    assert prev == pytest.approx(210.0)
    assert round(delta) == 23


def test_globalgap_area_and_gain(sample_db):
    value, prev, delta, _ = kpi(sample_db, "globalgap_area_ha")
    assert value == pytest.approx(46.5)
    assert prev == pytest.approx(34.0)
    assert delta == pytest.approx(12.5)


def test_cooperatives_and_farms(sample_db):
    assert kpi(sample_db, "agri_cooperatives")[0] == 31
    assert kpi(sample_db, "farms")[0] == 31


def test_twelve_ocop_products_of_three_and_four_stars(sample_db):
    assert kpi(sample_db, "ocop_products")[0] == 12
    assert kpi(sample_db, "ocop_products_3_star")[0] + kpi(sample_db, "ocop_products_4_star")[0] == 12
    assert kpi(sample_db, "ocop_products_5_star")[0] == 0
    # The registers of 2024-Q1: each product's latest rating, certified and still valid.
    stars = Counter(sample_raw.ocop_certified_products(REPORT).values())
    assert stars == {3: 10, 4: 2}
    assert (kpi(sample_db, "ocop_products_3_star")[0], kpi(sample_db, "ocop_products_4_star")[0]) == (10, 2)


def test_ocop_results_of_2023(sample_db):
    """Two products recognised at 4 stars and one at 3 stars during 2023, by name."""
    rows = sample_db.execute(
        "SELECT product_name, stars FROM core.fact_ocop_rating "
        "WHERE period = '2023-Q4' AND year(decision_date) = 2023 AND is_certified_ocop ORDER BY stars DESC, product_name"
    ).fetchall()
    assert rows == [
        ("Mật ong rừng Hợp Tiến", 4), ("Nước khoáng thiên nhiên Kim Bôi", 4), ("Bưởi da xanh Nam Thượng", 3),
    ]
    assert kpi(sample_db, "ocop_ratings_ytd", period="2023-Q4")[0] == 3


def test_average_criteria_per_commune(sample_db):
    assert round(kpi(sample_db, "avg_criteria_met")[0], 1) == 14.9
    # Criteria met per commune in the 2024-Q1 criteria sheets (Bo town sends none): 238 / 16.
    met = Counter()
    for _, _, r in sample_raw.rows(REPORT, "criteria"):
        met[r["commune_code"]] += sample_raw.is_met(r["met"])
    assert (len(met), sum(met.values())) == (16, 238)
    assert kpi(sample_db, "avg_criteria_met")[0] == sum(met.values()) / len(met) == 14.875


def test_six_ntm_communes_named_in_the_report(sample_db):
    assert kpi(sample_db, "ntm_communes")[0] == 6
    names = {r[0] for r in sample_db.execute(
        "SELECT d.commune_name FROM core.fact_commune_status AS s JOIN core.dim_period AS p USING (period) "
        "JOIN core.dim_commune AS d ON d.commune_code = s.commune_code "
        "AND p.end_date BETWEEN coalesce(d.valid_from, DATE '1900-01-01') AND coalesce(d.valid_to, DATE '9999-12-31') "
        "WHERE s.period = ? AND s.ntm_title IN ('ntm', 'advanced', 'model')", [REPORT]
    ).fetchall()}
    assert names == {"Nam Thượng", "Sào Báy", "Vĩnh Đồng", "Mỵ Hòa", "Đông Bắc", "Vĩnh Tiến"}
    # Visible in the criteria facts: each meets all 19 criteria of Decision 318.
    met = dict(sample_db.execute(
        "SELECT d.commune_name, count(*) FILTER (WHERE f.is_met) FROM core.fact_criteria_snapshot AS f "
        "JOIN core.dim_period AS p USING (period) JOIN core.dim_commune AS d "
        "ON d.commune_code = f.commune_code "
        "AND p.end_date BETWEEN coalesce(d.valid_from, DATE '1900-01-01') AND coalesce(d.valid_to, DATE '9999-12-31') "
        "WHERE f.period = ? GROUP BY 1", [REPORT]
    ).fetchall())
    assert all(met[name] == 19 for name in names)
    assert len(met) == 16  # Bo town is not scored on rural criteria


def test_nam_thuong_proposed_for_advanced(sample_db):
    assert kpi(sample_db, "communes_proposed_advanced")[0] == 1
    proposed = sample_db.execute(
        "SELECT commune_code FROM core.fact_commune_status WHERE period = ? AND proposed_title = 'advanced'", [REPORT]
    ).fetchall()
    assert proposed == [("05068",)]


def test_criteria_bands(sample_db):
    assert kpi(sample_db, "communes_15_18_criteria")[0] == 1
    assert kpi(sample_db, "communes_10_14_criteria")[0] == 9
    assert kpi(sample_db, "communes_under_10_criteria")[0] == 0


@pytest.mark.parametrize(
    "code, target",
    [
        ("avg_criteria_met", 16.0), ("ntm_communes", 8), ("advanced_ntm_communes", 1),
        ("communes_15_18_criteria", 2), ("communes_10_14_criteria", 6), ("ocop_products_new_ytd", 2),
    ],
)
def test_targets_for_2024(sample_db, code, target):
    assert kpi(sample_db, code)[3] == target


def test_targets_apply_to_every_quarter_of_the_year_only(sample_db):
    assert kpi(sample_db, "ntm_communes", period="2024-Q4")[3] == 8
    assert kpi(sample_db, "ntm_communes", period="2023-Q4")[3] is None


def test_commune_and_province_levels(sample_db):
    nam_thuong = kpi(sample_db, "avg_criteria_met", level="commune", area="05068")
    assert nam_thuong[0] == 19
    province = kpi(sample_db, "ocop_products", level="province", area="17")
    assert province[0] == 12  # the sample holds Kim Bôi only
    communes = sample_db.execute(
        "SELECT sum(value) FROM mart.kpi_quarterly WHERE period = ? AND area_level = 'commune' AND kpi_code = 'farms'",
        [REPORT],
    ).fetchone()[0]
    assert communes == 31


def test_flows_compare_year_to_date(sample_db):
    q2 = kpi(sample_db, "capital_mobilized_ytd", period="2024-Q2")[0]
    q1 = kpi(sample_db, "capital_mobilized_ytd", period="2024-Q1")[0]
    q2_quarter = kpi(sample_db, "capital_mobilized_qtd", period="2024-Q2")[0]
    assert q2 == pytest.approx(q1 + q2_quarter)


def _listed_and_certified(period, standard):
    """Hectares of `standard` listed in the quarter's files, and those whose certificate is
    valid at quarter end."""
    areas = [(a, valid) for _, s, _, a, valid in sample_raw.certificate_areas(period) if s == standard]
    return sum(a for a, _ in areas), sum(a for a, valid in areas if valid)


def test_expired_gap_certificates_are_not_counted(sample_db):
    """2023-Q3 lists 231.3 ha of VietGAP; a plot in Cuối Hạ lapsed before quarter end, so the
    KPI is the 219.8 ha still certified."""
    listed, certified = _listed_and_certified("2023-Q3", "vietgap")
    assert (listed, certified) == (Decimal("231.3"), Decimal("219.8"))
    assert kpi(sample_db, "vietgap_area_ha", period="2023-Q3")[0] == pytest.approx(float(certified), abs=1e-9)
    # Every quarter's district figure is the certified hectares of the raw rows, both standards.
    for period in [f"{y}-Q{q}" for y in (2023, 2024) for q in range(1, 5)]:
        for standard in ("vietgap", "globalgap"):
            value = kpi(sample_db, f"{standard}_area_ha", period=period)[0]
            assert value == pytest.approx(float(_listed_and_certified(period, standard)[1]), abs=1e-9), (period, standard)


@pytest.mark.parametrize("period, expired", [
    ("2023-Q2", "Nước khoáng thiên nhiên Kim Bôi"),  # decided 15/06/2020, re-rated in 2023-Q3
    ("2024-Q4", "Cơm lam Mường Động"),  # decided 03/12/2021, not re-rated
])
def test_expired_ocop_certificates_are_not_counted(sample_db, period, expired):
    """The quarter's register lists one product more than the KPI: its latest certificate
    reached its 36-month anniversary by quarter end."""
    latest = {}
    for _, _, r in sample_raw.rows(period, "ocop_product"):
        key = (r["commune_code"], r["product_code"].strip())
        decided = sample_raw.day(r["decision_date"])
        if key not in latest or decided > latest[key][0]:
            latest[key] = (decided, int(r["stars"]), r["product_name"])
    listed = [name for _, stars, name in latest.values() if stars >= 3]
    valid = sample_raw.ocop_certified_products(period)
    assert len(listed) == len(valid) + 1
    end = sample_raw.quarter_end(period)
    assert [n for d, s, n in latest.values() if s >= 3 and sample_raw.add_months(d, 36) <= end] == [expired]
    assert kpi(sample_db, "ocop_products", period=period)[0] == len(valid)
    in_register = {r[0] for r in sample_db.execute(
        "SELECT product_name FROM mart.ocop_register WHERE period = ?", [period]).fetchall()}
    assert expired not in in_register and len(in_register) == len(valid)
