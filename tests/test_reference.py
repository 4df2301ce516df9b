"""Reference dimensions and the shared parsing rules."""

import duckdb
import pytest

from ntm_pipeline.contract import text_key
from ntm_pipeline.warehouse import prepare_connection


def test_communes_from_the_gso_package(sample_db):
    total, rural = sample_db.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_rural_commune) FROM core.dim_commune"
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
        "SELECT criteria_set, count(*) FROM core.dim_criterion GROUP BY 1"
    ).fetchall()
    assert rows == [("NTM_2021_2025", 19)]
    assert sample_db.execute("SELECT criteria_count FROM core.dim_criteria_set").fetchall() == [(19,)]


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
