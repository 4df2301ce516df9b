"""Validation on the sample and on the warehouse: checks, reconciliation, suites."""

import shutil
import subprocess
import sys

import dagster as dg
import duckdb
import pytest

from conftest import SAMPLE_RAW
from ntm_pipeline.defs import keys
from ntm_pipeline.resources import warehouse_resources
from ntm_pipeline.run import materialize_periods

pytestmark = pytest.mark.slow  # builds its own warehouses through the pipeline


def test_sample_runs_clean_with_its_warnings_explained(sample_build):
    database, result = sample_build
    evaluations = result.get_asset_check_evaluations()
    assert all(e.passed for e in evaluations if e.severity == dg.AssetCheckSeverity.ERROR)
    # Not passing by having nothing to pass: every check of the code location was evaluated,
    # the blocking ones among them.
    from ntm_pipeline.definitions import defs

    expected = defs.resolve_asset_graph().asset_check_keys
    assert len(expected) >= 20
    assert {e.asset_check_key for e in evaluations} == set(expected)
    assert any(e.severity == dg.AssetCheckSeverity.ERROR for e in evaluations)
    with duckdb.connect(str(database), read_only=True) as conn:
        critical = conn.execute(
            "SELECT count(*) FROM (SELECT severity FROM quarantine.submission UNION ALL SELECT severity FROM quarantine.investment "
            "UNION ALL SELECT severity FROM quarantine.criteria UNION ALL SELECT severity FROM quarantine.ocop_product "
            "UNION ALL SELECT severity FROM quarantine.certified_area) WHERE severity = 'critical'"
        ).fetchone()[0]
        assert critical == 0
        assert conn.execute("SELECT count(*) FROM quarantine.source_file").fetchone()[0] == 0
        warnings = conn.execute(
            "SELECT period, source_file, rule FROM quarantine.ocop_product UNION ALL "
            "SELECT period, source_file, rule FROM quarantine.certified_area ORDER BY 1"
        ).fetchall()
    # The deliberate ones: Kim Bôi mineral water expired before its 2023 re-rating, Cơm lam
    # Mường Động expired in 2024-Q4 and re-rated only in 2025-Q2, a VietGAP plot that lapsed,
    # and Cam Kim Lập, not re-rated, listed by Hợp Kim in the quarter it lapsed and the next.
    assert warnings == [
        ("2023-Q2", "submissions/2023-Q2/05065-kim-boi.xlsx", "current_rating_valid"),
        ("2023-Q3", "submissions/2023-Q3/05077-cuoi-ha.xlsx", "valid_at_period_end"),
        ("2024-Q4", "submissions/2024-Q4/05014-dong-bac.xlsx", "current_rating_valid"),
        ("2025-Q1", "submissions/2025-Q1/05014-dong-bac.xlsx", "current_rating_valid"),
        ("2025-Q4", "submissions/2025-Q4/05068-hop-kim.xlsx", "current_rating_valid"),
        ("2026-Q1", "submissions/2026-Q1/05068-hop-kim.xlsx", "current_rating_valid"),
    ]


def test_reconciliation_passes_on_the_sample_and_fails_on_a_forged_loss(sample_warehouse, tmp_path):
    with duckdb.connect(str(sample_warehouse), read_only=True) as conn:
        assert conn.execute(
            "SELECT sum(rows_unaccounted) + sum(rows_counted_twice), sum(rows_read) = sum(rows_published) "
            "FROM core.row_reconciliation"
        ).fetchone() == (0, True)
    forged = tmp_path / "forged.duckdb"
    shutil.copy(sample_warehouse, forged)
    with duckdb.connect(str(forged)) as conn:
        deleted = conn.execute(
            "DELETE FROM core.fact_investment WHERE period = '2024-Q1' AND source_file LIKE '%05068%' AND row_number = "
            "(SELECT min(row_number) FROM core.fact_investment WHERE period = '2024-Q1' AND source_file LIKE '%05068%')"
        ).fetchall()[0][0]
        assert deleted == 1
    forged_bytes = forged.read_bytes()
    instance = dg.DagsterInstance.ephemeral()
    result = materialize_periods(
        ["2024-Q1"], instance,
        resources=warehouse_resources(forged, SAMPLE_RAW),
        selection=dg.AssetSelection.assets(keys.ROW_RECONCILIATION),
    )
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert check.metadata["rows_unaccounted"].value == 1
    assert "05068-nam-thuong.xlsx | investment" in check.metadata["problems"].value
    # The blocking check failed its step, so the run published nothing: the file is as it was.
    assert not result.success
    assert instance.get_run_by_id(result.run_id).tags["ntm/published"] == "no"
    assert forged.read_bytes() == forged_bytes


def test_definitions_load_without_great_expectations():
    """GX is imported only when a validation runs, so the UI loads the code location fast."""
    code = "import sys, ntm_pipeline.definitions; print('great_expectations' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr


def test_a_failed_critical_check_stops_the_facts(tmp_path, monkeypatch):
    """A critical rule that fails for the whole table (here: a column that does not exist)
    fails the blocking check, and the facts downstream are not rebuilt from that data."""
    import json

    from conftest import build_warehouse, copy_sample
    from ntm_pipeline.quality.suites import load_suite
    from ntm_pipeline.settings import PROJECT_ROOT

    suites = tmp_path / "expectations"
    shutil.copytree(PROJECT_ROOT / "expectations", suites)
    suite = json.loads((suites / "investment.json").read_text(encoding="utf-8"))
    suite["expectations"].append({
        "type": "expect_column_values_to_not_be_null", "kwargs": {"column": "no_such_column"},
        "meta": {"severity": "critical", "message_vi": "x", "message_en": "x"},
    })
    (suites / "investment.json").write_text(json.dumps(suite), encoding="utf-8")
    monkeypatch.setenv("NTM_EXPECTATIONS_DIR", str(suites))
    load_suite.cache_clear()
    try:
        raw = copy_sample(tmp_path / "raw", ["2024-Q1"], communes=["05068"])
        result = build_warehouse(raw, tmp_path / "ntm.duckdb", ["2024-Q1"])
        # A run with a failed step publishes nothing: there was no warehouse, there is none.
        assert not result.success and not (tmp_path / "ntm.duckdb").exists()
    finally:
        load_suite.cache_clear()
    check = next(e for e in result.get_asset_check_evaluations()
                 if e.asset_key == dg.AssetKey(["quarantine", "investment"]) and e.check_name == "published_rows_pass_critical_rules")
    assert not check.passed
    assert "whole table" in check.metadata["failed_rules"].value
    materialized = {e.event_specific_data.materialization.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey(["core", "fact_criteria_snapshot"]) in materialized
    assert dg.AssetKey(["core", "fact_investment"]) not in materialized
    assert dg.AssetKey(["mart", "kpi_quarterly"]) not in materialized


# --- certificate validity at quarter end, both sides of the last day ---------------------

VALIDITY_PERIOD = "2024-Q1"  # ends 31/03/2024


@pytest.fixture(scope="module")
def validity_warehouse(tmp_path_factory):
    """Nuông Dăm's 2024-Q1 workbook with OCOP certificates whose 36-month anniversary falls
    the day before, on and the day after quarter end, and GAP certificates expiring likewise."""
    from conftest import build_warehouse
    from ntm_pipeline.samples.kim_boi import PERIODS, KimBoiSample
    from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

    sample = KimBoiSample()
    unit = next(u for u in sample.units if u.code == "05086")
    tables, _ = sample.submission(unit, PERIODS.index(VALIDITY_PERIOD))
    rating = {"producer_type": "Hợp tác xã", "product_group": "Thực phẩm", "score": 60, "stars": 3,
              "certifying_level": "Cấp huyện", "event_type": "Công nhận mới"}
    tables["ocop_product"] = [
        {**rating, "product_code": "BEFORE", "product_name": "Măng khô", "decision_date": "30/03/2021"},
        {**rating, "product_code": "ON", "product_name": "Gạo nếp", "decision_date": "31/03/2021"},
        {**rating, "product_code": "AFTER", "product_name": "Chè xanh", "decision_date": "01/04/2021"},
        # Scores on the edges of the star bands (Decision 148), decided in the quarter.
        *({**rating, "product_code": code, "product_name": f"Sản phẩm {code}", "score": score, "stars": stars,
           "decision_date": "15/01/2024"}
          for code, score, stars in [("S1", 29.9, 1), ("S2", 30, 2), ("S2-HIGH", 49.9, 2), ("S3", 50, 3),
                                     ("S4-HIGH", 89.9, 4), ("S5", 90, 5), ("S5-TOP", 100, 5), ("S2-AT-50", 50, 2)]),
    ]
    gap = {"standard": "VietGAP", "issue_date": "01/04/2022"}
    tables["certified_area"] = [
        {**gap, "product": "Cam", "area_ha": 1, "certificate_no": "V-0330", "expiry_date": "30/03/2024"},
        {**gap, "product": "Quýt", "area_ha": 2, "certificate_no": "V-0331", "expiry_date": "31/03/2024"},
        {**gap, "product": "Bưởi", "area_ha": 4, "certificate_no": "V-0401", "expiry_date": "01/04/2024"},
        {"standard": "VietGAP", "product": "Nhãn", "area_ha": 8, "certificate_no": "V-ISSUED-0331",
         "issue_date": "31/03/2024", "expiry_date": "30/03/2026"},
    ]
    raw = tmp_path_factory.mktemp("validity")
    save_reproducibly(build_workbook(tables), raw / "submissions" / VALIDITY_PERIOD / "05086-nuong-dam.xlsx")
    result = build_warehouse(raw, raw / "ntm.duckdb", [VALIDITY_PERIOD])
    assert result.success
    with duckdb.connect(str(raw / "ntm.duckdb"), read_only=True) as conn:
        yield conn


def test_ocop_certificate_lapses_on_its_36_month_anniversary(validity_warehouse):
    """Valid for 36 months counted from the decision day: the last valid day is the day
    before the anniversary. A decision of 31/03/2021 no longer counts at 31/03/2024."""
    conn = validity_warehouse
    rows = conn.execute(
        "SELECT product_code, valid_to::VARCHAR, is_valid_at_period_end FROM core.fact_ocop_rating "
        "WHERE year(decision_date) = 2021 ORDER BY valid_to"
    ).fetchall()
    assert rows == [("BEFORE", "2024-03-29", False), ("ON", "2024-03-30", False), ("AFTER", "2024-03-31", True)]
    assert conn.execute(
        "SELECT product_code, certificate_expires_on::VARCHAR, due_for_rerating_within_two_quarters "
        "FROM mart.ocop_register WHERE period = ? AND year(certified_on) = 2021", [VALIDITY_PERIOD]
    ).fetchall() == [("AFTER", "2024-03-31", True)]
    # The officer is told about the two that lapsed, by row (data from row 2).
    assert conn.execute(
        "SELECT row_number, value, rule, severity FROM quarantine.ocop_product WHERE rule = 'current_rating_valid' "
        "ORDER BY row_number"
    ).fetchall() == [(2, "30/03/2021", "current_rating_valid", "warning"), (3, "31/03/2021", "current_rating_valid", "warning")]


def test_star_bands_on_their_edges(validity_warehouse):
    """90-100: 5 stars; 70 to under 90: 4; 50 to under 70: 3; 30 to under 50: 2; under 30: 1.
    A 1- or 2-star rating is published and not counted; stars that miss the band are held."""
    conn = validity_warehouse
    findings = conn.execute(
        "SELECT value, rule, severity FROM quarantine.ocop_product WHERE rule <> 'current_rating_valid' ORDER BY row_number, rule"
    ).fetchall()
    assert findings == [("1", "stars_certified", "warning"), ("2", "stars_certified", "warning"),
                        ("2", "stars_certified", "warning"), ("2", "stars_certified", "warning"),
                        ("2", "stars_match_score", "critical")]
    published = conn.execute(
        "SELECT product_code, stars, is_certified_ocop FROM core.fact_ocop_rating WHERE year(decision_date) = 2024 ORDER BY row_number"
    ).fetchall()
    assert published == [("S1", 1, False), ("S2", 2, False), ("S2-HIGH", 2, False), ("S3", 3, True),
                         ("S4-HIGH", 4, True), ("S5", 5, True), ("S5-TOP", 5, True)]
    kpis = dict(conn.execute(
        "SELECT kpi_code, value FROM mart.kpi_quarterly WHERE period = ? AND area_level = 'commune' "
        "AND kpi_code LIKE 'ocop_products%'", [VALIDITY_PERIOD]).fetchall())
    # AFTER (3 stars, still valid) and the four certified ratings of 2024.
    assert kpis == {"ocop_products": 5, "ocop_products_3_star": 2, "ocop_products_4_star": 1,
                    "ocop_products_5_star": 2, "ocop_products_new_ytd": 4}


def test_gap_certificate_counts_on_its_expiry_date(validity_warehouse):
    """The expiry date is the certificate's last valid day: one expiring on 31/03/2024 still
    counts at that quarter's end, one expiring on 30/03 does not; one issued on 31/03 counts."""
    conn = validity_warehouse
    rows = conn.execute(
        "SELECT product, certified_area_ha, reported_area_ha FROM core.fact_certified_area ORDER BY reported_area_ha"
    ).fetchall()
    assert rows == [("Cam", 0.0, 1.0), ("Quýt", 2.0, 2.0), ("Bưởi", 4.0, 4.0), ("Nhãn", 8.0, 8.0)]
    assert conn.execute(
        "SELECT value FROM mart.kpi_quarterly WHERE period = ? AND area_level = 'commune' AND kpi_code = 'vietgap_area_ha'",
        [VALIDITY_PERIOD],
    ).fetchone()[0] == 14.0
    assert conn.execute(
        "SELECT row_number, value, rule, severity FROM quarantine.certified_area"
    ).fetchall() == [(2, "30/03/2024", "valid_at_period_end", "warning")]
