"""Reference dimensions and the shared parsing rules."""

from datetime import date

import duckdb
import pytest

from ntm_pipeline.contract import text_key
from ntm_pipeline.warehouse import prepare_connection


def test_communes_from_the_gso_package(sample_db):
    total, rural = sample_db.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_rural_commune) FROM core.dim_commune WHERE admin_era = 'pre_2025'"
    ).fetchone()
    assert 10_000 <= total <= 10_100
    kim_boi = sample_db.execute(
        "SELECT count(*), any_value(province_code), any_value(district_name) FROM core.dim_commune WHERE district_code = '153'"
    ).fetchone()
    assert kim_boi == (17, "17", "Kim Bôi")
    assert rural < total


def test_merged_commune_names_resolve_to_their_code(sample_db):
    codes = dict(sample_db.execute(
        "SELECT a.alias_key, a.commune_code FROM core.dim_commune_alias AS a JOIN core.dim_commune AS c "
        "USING (commune_code, admin_era) WHERE c.district_code = '153' AND a.alias_key IN ('hungtien', 'kimtruy', 'mihoa')"
    ).fetchall())
    assert codes == {"hungtien": "04987", "kimtruy": "05065", "mihoa": "05083"}


def test_criteria_set_is_versioned(sample_db):
    rows = sample_db.execute(
        "SELECT criteria_set, count(*) FROM core.dim_criterion GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert rows == [("NTM_2021_2025", 19), ("NTM_2026_2030", 10)]
    assert sample_db.execute(
        "SELECT criteria_set, criteria_count, indicator_count, valid_from, valid_to, in_force_from "
        "FROM core.dim_criteria_set ORDER BY valid_from"
    ).fetchall() == [
        ("NTM_2021_2025", 19, None, date(2021, 1, 1), date(2025, 12, 31), date(2022, 3, 8)),
        ("NTM_2026_2030", 10, 47, date(2026, 1, 1), date(2030, 12, 31), date(2026, 2, 15)),
    ]


@pytest.fixture(scope="module")
def reference_db(tmp_path_factory):
    """The reference tables as the checks library builds them (the reference layer's SQL from
    the same inputs, tests/test_checks.py holds them equal to a pipeline's), in a DuckDB file."""
    from ntm_pipeline.checks.reference import build_reference

    with duckdb.connect(str(tmp_path_factory.mktemp("reference") / "reference.duckdb")) as connection:
        prepare_connection(connection)
        build_reference(connection)
        yield connection


def package_rows(sql: str) -> list[tuple]:
    """Rows of the vietnamadminunits package's own SQLite dataset, read apart from the warehouse."""
    import importlib.util
    import sqlite3
    from pathlib import Path

    package = Path(importlib.util.find_spec("vietnamadminunits").submodule_search_locations[0])
    with sqlite3.connect(package / "data" / "dataset.db") as db:
        return db.execute(sql).fetchall()


def test_units_of_both_eras(reference_db):
    """Every unit of both package lists, once per era, with the era's validity; after the
    reform no district, 34 provinces, unit types Xã / Phường / Đặc khu and the unit's area."""
    eras = reference_db.execute(
        "SELECT admin_era, min(valid_from), max(valid_to), count(*), count(commune_code), "
        "count(DISTINCT commune_code), count(district_code), count(DISTINCT province_code), "
        "list(DISTINCT unit_type ORDER BY unit_type) FILTER (WHERE unit_type IS NOT NULL) "
        "FROM core.dim_commune GROUP BY 1 ORDER BY 1"
    ).fetchall()
    legacy = package_rows("SELECT count(*), count(wardCode), count(DISTINCT wardCode) FROM admin_units_legacy")[0]
    current = package_rows("SELECT count(*), count(wardCode), count(DISTINCT wardCode) FROM admin_units")[0]
    assert legacy == (10_040, 10_035, 10_035) and current == (3_321, 3_321, 3_321)
    assert eras == [
        ("post_2025", date(2025, 7, 1), None, *current, 0, 34, ["Phường", "Xã", "Đặc khu"]),
        ("pre_2025", None, date(2025, 6, 30), *legacy, 10_040, 63, ["Phường", "Thị trấn", "Xã"]),
    ]
    # The five island districts with no commune: one row each, with no code (as the package has them).
    assert reference_db.execute(
        "SELECT count(*) FROM core.dim_commune WHERE commune_code IS NULL AND district_code IS NOT NULL").fetchone()[0] == 5
    rural, areas = reference_db.execute(
        "SELECT count(*) FILTER (WHERE is_rural_commune), sum(area_km2) FROM core.dim_commune WHERE admin_era = 'post_2025'"
    ).fetchone()
    assert (rural, round(areas, 6)) == package_rows(
        "SELECT count(*) FILTER (WHERE wardType = 'Xã'), round(sum(wardAreaKm2), 6) FROM admin_units")[0]


def unit_on(conn, code: str, day: date) -> list[tuple]:
    """The unit a code names on a day, as every lookup asks: code and in_force."""
    return conn.execute(
        "SELECT admin_era, commune_full_name, unit_type, is_rural_commune, district_code, province_code, "
        "province_full_name, area_km2 FROM core.dim_commune "
        "WHERE commune_code = ? AND in_force(valid_from, valid_to, ?)", [code, day]).fetchall()


def test_a_reused_code_names_one_unit_per_day(reference_db):
    """04978 was Thị trấn Bo (district 153, Hòa Bình 17) to 30/06/2025 and is Xã Kim Bôi (Phú
    Thọ 25) from 01/07/2025: one unit on any day, never both."""
    bo = [("pre_2025", "Thị trấn Bo", "Thị trấn", False, "153", "17", "Tỉnh Hòa Bình", None)]
    kim_boi = [("post_2025", "Xã Kim Bôi", "Xã", True, None, "25", "Tỉnh Phú Thọ", 64.57)]
    assert unit_on(reference_db, "04978", date(2024, 12, 31)) == bo
    assert unit_on(reference_db, "04978", date(2025, 6, 30)) == bo
    assert unit_on(reference_db, "04978", date(2025, 7, 1)) == kim_boi
    assert unit_on(reference_db, "04978", date(2025, 12, 31)) == kim_boi
    assert unit_on(reference_db, "05026", date(2025, 12, 31)) == []  # Vĩnh Đồng: merged into Kim Bôi
    # On any day, no code names two units.
    assert reference_db.execute(
        "SELECT count(*) FROM (SELECT p.period, c.commune_code FROM core.dim_period AS p "
        "JOIN core.dim_commune AS c ON in_force(c.valid_from, c.valid_to, p.end_date) "
        "WHERE c.commune_code IS NOT NULL GROUP BY ALL HAVING count(*) > 1)").fetchone()[0] == 0
    reused = reference_db.execute(
        "SELECT count(*), count(*) FILTER (WHERE o.commune_full_name <> n.commune_full_name) "
        "FROM core.dim_commune AS n JOIN core.dim_commune AS o USING (commune_code) "
        "WHERE n.admin_era = 'post_2025' AND o.admin_era = 'pre_2025'").fetchone()
    assert reused == (3_316, 2_145)


def test_names_resolve_within_the_era(reference_db):
    """A name key resolves to the code of the era: 'hopkim' is a former name of Kim Lập (05035)
    before the reform and the name of Xã Hợp Kim (05068) after it."""
    rows = reference_db.execute(
        "SELECT admin_era, commune_code, alias_kind FROM core.dim_commune_alias AS a "
        "JOIN core.dim_commune AS c USING (commune_code, admin_era) "
        "WHERE a.alias_key = 'hopkim' AND c.province_code IN ('17', '25') ORDER BY 1").fetchall()
    assert rows == [("post_2025", "05068", "current_name"), ("pre_2025", "05035", "merged_or_former_name")]
    keys = reference_db.execute(
        "SELECT admin_era, count(DISTINCT commune_code) FROM core.dim_commune_alias GROUP BY 1 ORDER BY 1").fetchall()
    assert keys == [("post_2025", 3_321), ("pre_2025", 10_035)]


def test_quarters_know_their_era_and_criteria_set(reference_db):
    rows = reference_db.execute(
        "SELECT period, admin_era, criteria_set FROM core.dim_period "
        "WHERE period IN ('2021-Q1', '2024-Q4', '2025-Q2', '2025-Q3', '2025-Q4', '2026-Q1', '2030-Q4') ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("2021-Q1", "pre_2025", "NTM_2021_2025"), ("2024-Q4", "pre_2025", "NTM_2021_2025"),
        ("2025-Q2", "pre_2025", "NTM_2021_2025"), ("2025-Q3", "post_2025", "NTM_2021_2025"),
        ("2025-Q4", "post_2025", "NTM_2021_2025"), ("2026-Q1", "post_2025", "NTM_2026_2030"),
        ("2030-Q4", "post_2025", "NTM_2026_2030"),
    ]
    assert reference_db.execute(
        "SELECT count(*) FROM core.dim_period WHERE admin_era IS NULL OR criteria_set IS NULL").fetchone()[0] == 0
    assert reference_db.execute(
        "SELECT admin_era, valid_from, valid_to, has_districts, source_table FROM core.dim_admin_era ORDER BY 1"
    ).fetchall() == [("post_2025", date(2025, 7, 1), None, False, "admin_units"),
                     ("pre_2025", None, date(2025, 6, 30), True, "admin_units_legacy")]


def codes_valid(conn, code_list: str, period: str) -> list[str]:
    """The codes of a list valid for a quarter: in force on its last day."""
    return [c for (c,) in conn.execute(
        "SELECT d.code FROM core.dim_code AS d JOIN core.dim_period AS p ON p.period = ? "
        "WHERE d.code_list = ? AND in_force(d.valid_from, d.valid_to, p.end_date) ORDER BY d.sort_order",
        [period, code_list]).fetchall()]


def test_codes_are_versioned_by_period(reference_db):
    """The titles of 2021-2025 (advanced, model) end with 2025; the pilot modern NTM commune and
    the commune groups begin with 2026; a quarter's criteria set code is the set it is scored on."""
    assert codes_valid(reference_db, "ntm_title", "2024-Q1") == ["none", "ntm", "advanced", "model"]
    assert codes_valid(reference_db, "ntm_title", "2025-Q4") == ["none", "ntm", "advanced", "model"]
    assert codes_valid(reference_db, "ntm_title", "2026-Q1") == ["none", "ntm", "modern"]
    assert codes_valid(reference_db, "commune_group", "2025-Q4") == []
    assert codes_valid(reference_db, "commune_group", "2026-Q1") == ["1", "2", "3"]
    assert reference_db.execute(
        "SELECT code, label_vi, label_en FROM core.dim_code WHERE code_list = 'commune_group' OR code = 'modern' ORDER BY 1"
    ).fetchall() == [("1", "Nhóm 1", "Group 1"), ("2", "Nhóm 2", "Group 2"), ("3", "Nhóm 3", "Group 3"),
                     ("modern", "Xã nông thôn mới hiện đại", "Modern NTM commune (pilot)")]
    mismatched = reference_db.execute(
        "SELECT p.period FROM core.dim_period AS p JOIN core.dim_code AS d "
        "ON d.code_list = 'criteria_set' AND in_force(d.valid_from, d.valid_to, p.end_date) "
        "GROUP BY p.period, p.criteria_set HAVING list(d.code) <> [p.criteria_set]").fetchall()
    assert mismatched == [] and reference_db.execute("SELECT count(*) FROM core.dim_period").fetchone()[0] == 40
    # Every other list is open: the same codes in every quarter, as before.
    lists = reference_db.execute(
        "SELECT code_list, count(*) FROM core.dim_code WHERE valid_from IS NULL AND valid_to IS NULL "
        "AND code_list NOT IN ('ntm_title', 'criteria_set', 'commune_group') GROUP BY 1 ORDER BY 1").fetchall()
    assert lists == [("certifying_level", 3), ("gap_standard", 3), ("ocop_event", 3), ("producer_type", 4),
                     ("product_group", 6), ("project_category", 12), ("project_status", 3)]
    assert reference_db.execute(
        "SELECT count(*) FROM core.dim_code WHERE code_list NOT IN ('ntm_title', 'criteria_set', 'commune_group')"
    ).fetchone()[0] == 34


def test_the_2026_2030_criteria(reference_db):
    """Decision 51/2025/QĐ-TTg: the same 10 criteria for every commune, in no groups of criteria."""
    rows = reference_db.execute(
        "SELECT criterion_no, name_vi, group_vi FROM core.dim_criterion WHERE criteria_set = 'NTM_2026_2030' ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in rows] == list(range(1, 11)) and all(r[2] is None for r in rows)
    assert rows[6][1] == "Khoa học công nghệ và chuyển đổi số"
    assert rows[9][1] == "Tiếp cận pháp luật và an ninh, quốc phòng"


def test_indicators_are_data(reference_db, tmp_path):
    """The 47 indicators are none of them confirmed: the shipped list is empty, and rows added to
    the CSV arrive typed and in the decision's order (2.9 before 2.10), with no change of code."""
    from ntm_pipeline.checks.reference import REFERENCE_SQL
    from ntm_pipeline.reference import reference_csv_path
    from ntm_pipeline.warehouse import read_sql

    assert reference_db.execute("SELECT count(*) FROM core.dim_criterion_indicator").fetchone()[0] == 0
    header = reference_csv_path("criterion_indicator").read_text(encoding="utf-8").splitlines()
    assert header == ["criteria_set,criterion_no,indicator_no,name_vi,name_en,verified,source"]
    filled = tmp_path / "criterion_indicator.csv"
    filled.write_text(header[0] + "\n" + "\n".join([
        "NTM_2026_2030,2,2.10,Chỉ tiêu mười,Tenth,,",
        "NTM_2026_2030,2,2.9,Chỉ tiêu chín,Ninth,true,Quyết định 51/2025/QĐ-TTg",
        "NTM_2026_2030,1,1.1,Chỉ tiêu một,First,false,",
    ]) + "\n", encoding="utf-8")
    rows = reference_db.execute(read_sql(REFERENCE_SQL / "dim_criterion_indicator.sql"), {"path": str(filled)}).fetchall()
    assert rows == [("NTM_2026_2030", 1, "1.1", "Chỉ tiêu một", "First", False, None),
                    ("NTM_2026_2030", 2, "2.9", "Chỉ tiêu chín", "Ninth", True, "Quyết định 51/2025/QĐ-TTg"),
                    ("NTM_2026_2030", 2, "2.10", "Chỉ tiêu mười", "Tenth", False, None)]


@pytest.mark.parametrize("a, b", [("Hòa", "Hoà"), ("Mỵ Hòa", "MỴ  HOÀ"), ("Thủy", "Thuỷ"), ("Đạt", "dat")])
def test_text_key_ignores_spelling(a, b):
    import unicodedata

    assert text_key(a) == text_key(b) == text_key(unicodedata.normalize("NFD", b))


# đ and Đ are d and D, in the reader's key and in SQL's: typed without Vietnamese input.
DJ = [("Vốn đầu tư", "Von dau tu"), ("Diện tích (ha)", "Dien tich"), ("Dự án đầu tư", "DU AN DAU TU"),
      ("Đạt chuẩn NTM", "Dat chuan NTM"), ("Vùng sản xuất đạt chứng nhận", "Vung san xuat dat chung nhan")]


@pytest.mark.parametrize("typed, plain", DJ)
def test_dj_matches_d(conn, typed, plain):
    import unicodedata

    key = text_key(plain)
    assert text_key(typed) == text_key(unicodedata.normalize("NFD", typed)) == key
    assert conn.execute("SELECT text_key(?), text_key(?)", [typed, unicodedata.normalize("NFD", typed)]).fetchone() == (key, key)


@pytest.fixture
def conn():
    with duckdb.connect() as connection:
        prepare_connection(connection)
        yield connection


def test_sql_text_key_equals_the_readers(conn):
    """Staging matches names and labels with the SQL macro; the reader matches headers with
    the Python function: every GSO name, in every spelling officers use, keys alike."""
    import unicodedata

    import pandas as pd
    from vietnamadminunits.database import query

    from ntm_pipeline.contract import SUBMISSION_TABLES
    from ntm_pipeline.reference import read_reference_csv

    names = {v for r in query("SELECT ward, wardShort, district, province FROM admin_units_legacy") for v in r.values() if v}
    texts = {variant for name in names for variant in (
        name, unicodedata.normalize("NFD", name), name.upper(), f"  Xã {name} (cũ)\t", name.replace("òa", "oà"))}
    texts |= {v for r in read_reference_csv("code_list") for v in r.values() if v}
    texts |= {h for t in SUBMISSION_TABLES for c in t.columns for h in (c.name, c.header_vi)}
    texts |= {"", "ĐẠT", "chưa đạt", "a(b)c(d", "Ngầm, tràn (ford)", "ﬁ", "ø", "①", "a\nb"}
    conn.register("texts", pd.DataFrame({"text": sorted(texts)}, dtype="string"))
    in_sql = dict(conn.execute("SELECT text, text_key(text) FROM texts").fetchall())
    assert len(in_sql) > 50_000
    assert {t: k for t, k in in_sql.items() if k != text_key(t)} == {}


@pytest.mark.parametrize("text, value", [("1", "01"), (" 17 ", "17"), ("153", "153"), ("4", "04"), ("HN", "HN")])
def test_area_code(conn, text, value):
    assert conn.execute("SELECT area_code(?)", [text]).fetchone()[0] == value


@pytest.mark.parametrize("text, value", [
    ("46,5", 46.5), ("46.5", 46.5), ("1.234,5", 1234.5), (" 12 ", 12.0), ("1 234,5", 1234.5),
    ("abc", None), ("", None),
])
def test_parse_decimal(conn, text, value):
    assert conn.execute("SELECT parse_decimal(?)", [text]).fetchone()[0] == value


@pytest.mark.parametrize("text, value", [
    ("2024-Q1", "2024-Q1"), ("Quý 1/2024", "2024-Q1"), ("Quý IV/2023", "2023-Q4"), ("Q2/2024", "2024-Q2"),
    ("quý 3 - 2024", "2024-Q3"), ("2024", None),
])
def test_parse_period(conn, text, value):
    assert conn.execute("SELECT parse_period(?)", [text]).fetchone()[0] == value


@pytest.mark.parametrize("text, value", [
    ("x", True), ("Đạt", True), ("đạt", True), ("1", True), ("có", True), (None, False), ("chưa đạt", False),
    ("0", False), ("maybe", None),
])
def test_parse_met(conn, text, value):
    assert conn.execute("SELECT parse_met(?)", [text]).fetchone()[0] is value


@pytest.mark.parametrize("text, value", [
    ("Hoà", "Hòa"), ("Xuân Thuỷ", "Xuân Thủy"), ("  Mỵ   Hoà ", "Mỵ Hòa"), ("hoàn thành", "hoàn thành"),
    ("Quý", "Quý"), ("Hoà Bình", "Hòa Bình"),
])
def test_vn_label(conn, text, value):
    import unicodedata

    assert conn.execute("SELECT vn_label(?)", [text]).fetchone()[0] == value
    assert conn.execute("SELECT vn_label(?)", [unicodedata.normalize("NFD", text)]).fetchone()[0] == value


@pytest.mark.parametrize("text, value", [("15/03/2024", "2024-03-15"), ("2024-03-15", "2024-03-15"), ("31/02/2024", None)])
def test_parse_date(conn, text, value):
    result = conn.execute("SELECT parse_date(?)", [text]).fetchone()[0]
    assert (result.isoformat() if result else None) == value


def test_every_warehouse_column_is_described(sample_db):
    """The column schemas Dagster shows describe every column of every table."""
    from ntm_pipeline.reference import column_glossary

    undescribed = []
    for schema, table in sample_db.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name <> 'raw' ORDER BY 1, 2"
    ).fetchall():
        glossary = column_glossary(f"{schema}.{table}")
        undescribed += [f"{schema}.{table}.{c}" for (c, *_) in sample_db.execute(f"DESCRIBE {schema}.{table}").fetchall()
                        if c not in glossary]
    assert undescribed == []


@pytest.mark.parametrize("valid_from, valid_to, day, expected", [
    (None, "2025-06-30", "2024-03-31", True), (None, "2025-06-30", "2025-09-30", False),
    ("2025-07-01", None, "2025-06-30", False), ("2025-07-01", None, "2025-09-30", True),
])
def test_versioned_rows_in_force(conn, valid_from, valid_to, day, expected):
    assert conn.execute(
        "SELECT in_force(CAST(? AS DATE), CAST(? AS DATE), CAST(? AS DATE))", [valid_from, valid_to, day]
    ).fetchone()[0] is expected


def test_generated_docs_are_current():
    """The sections `ntm docs` writes (tables, code lists, KPIs, star bands, rules) match the
    contract and reference lists: run `ntm docs` after changing them."""
    from ntm_pipeline.docs import stale_docs

    assert stale_docs() == []


def test_star_bands_cover_every_score_and_are_documented():
    """Decision 148: 90-100 -> 5; 70 to under 90 -> 4; 50 to under 70 -> 3; 30 to under 50 -> 2;
    under 30 -> 1. Only 3 stars and more are certified."""
    from ntm_pipeline.reference import read_reference_csv
    from ntm_pipeline.settings import PROJECT_ROOT

    bands = [(int(r["stars"]), float(r["min_score"]), float(r["max_score_exclusive"]), r["is_certified"])
             for r in read_reference_csv("ocop_star_band")]
    assert [b[:2] for b in bands] == [(1, 0), (2, 30), (3, 50), (4, 70), (5, 90)]
    assert [b[2] for b in bands[:-1]] == [b[1] for b in bands[1:]]  # contiguous
    assert 100 < bands[-1][2] <= 100.001  # 100 itself is 5 stars
    assert [b[3] for b in bands] == ["false", "false", "true", "true", "true"]
    text = (PROJECT_ROOT / "docs" / "data-quality.md").read_text(encoding="utf-8")
    for row in ("| 1 | under 30 | dưới 30 điểm | no |", "| 2 | 30 to under 50 | từ 30 đến dưới 50 điểm | no |",
                "| 3 | 50 to under 70 | từ 50 đến dưới 70 điểm | yes |", "| 4 | 70 to under 90 | từ 70 đến dưới 90 điểm | yes |",
                "| 5 | 90 to 100 | từ 90 đến 100 điểm | yes |"):
        assert row in text
