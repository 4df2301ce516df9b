"""The district's Q1/2024 report, figure by figure, from the raw sample through the pipeline."""

import pytest

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


def test_six_ntm_communes_named_in_the_report(sample_db):
    assert kpi(sample_db, "ntm_communes")[0] == 6
    names = {r[0] for r in sample_db.execute(
        "SELECT d.commune_name FROM core.fact_commune_status AS s "
        "JOIN core.dim_commune AS d USING (commune_code) "
        "WHERE s.period = ? AND s.ntm_title IN ('ntm', 'advanced', 'model')", [REPORT]
    ).fetchall()}
    assert names == {"Nam Thượng", "Sào Báy", "Vĩnh Đồng", "Mỵ Hòa", "Đông Bắc", "Vĩnh Tiến"}
    # Visible in the criteria facts: each meets all 19 criteria of Decision 318.
    met = dict(sample_db.execute(
        "SELECT d.commune_name, count(*) FILTER (WHERE f.is_met) FROM core.fact_criteria_snapshot AS f "
        "JOIN core.dim_commune AS d USING (commune_code) WHERE f.period = ? GROUP BY 1", [REPORT]
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
