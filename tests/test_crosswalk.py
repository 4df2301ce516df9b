"""The crosswalk of the 2025 reform against the vietnamadminunits package it is built from:
every old unit maps, the weights of each old unit sum to 1, every new unit is reached, Kim
Bôi's 17 units become the 5 communes of the domain reference, and a key of the package's
conversion data that names no unit is reported by the asset's check, not dropped."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path

import duckdb
import pytest

from ntm_pipeline.checks.reference import REFERENCE_SQL, build_reference, converter_2025, package_table
from ntm_pipeline.checks.staging import write_query
from ntm_pipeline.defs.reference.checks import commune_crosswalk_checks, province_crosswalk_checks
from ntm_pipeline.warehouse import prepare_connection, read_sql

PACKAGE = Path(importlib.util.find_spec("vietnamadminunits").submodule_search_locations[0]) / "data"


@pytest.fixture(scope="module")
def reference_db(tmp_path_factory):
    """Every reference table as the checks library builds it (the assets' own SQL; tests/test_checks.py
    holds them equal to the pipeline's), in a DuckDB file."""
    with duckdb.connect(str(tmp_path_factory.mktemp("crosswalk") / "reference.duckdb")) as conn:
        prepare_connection(conn)
        build_reference(conn)
        yield conn


def package_pairs(converter: dict) -> dict[tuple, tuple[float, bool]]:
    """(old code, old district, new code) -> (weight, main successor), worked out here from the
    package's JSON and SQLite tables in Python, apart from the SQL under test."""
    with sqlite3.connect(PACKAGE / "dataset.db") as db:
        old = {f"{p}_{d}_{w or ''}": (code, district) for p, d, w, code, district in db.execute(
            "SELECT provinceKey, districtKey, wardKey, wardCode, districtCode FROM admin_units_legacy")}
        new = {(p, w): code for p, w, code in db.execute("SELECT provinceKey, wardKey, wardCode FROM admin_units")}
    pairs = {}
    for province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward, old_keys in wards.items():
            for key in old_keys:
                pairs[(*old[key], new[(province, ward)])] = (1.0, True)
    for province, divided in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for key, parts in divided.items():
            total = sum(p["newWardAreaKm2"] for p in parts)
            known = all(p["newWardAreaKm2"] > 0 for p in parts)
            for p in parts:
                weight = p["newWardAreaKm2"] / total if known else float(p["isDefaultNewWard"])
                pairs[(*old[key], new[(province, p["newWardKey"])])] = (weight, p["isDefaultNewWard"])
    return pairs


def crosswalk(conn) -> dict[tuple, tuple[float, bool]]:
    return {(o, d, n): (w, m) for o, d, n, w, m in conn.execute(
        "SELECT old_commune_code, old_district_code, new_commune_code, weight, is_main_successor "
        "FROM core.dim_commune_crosswalk").fetchall()}


def test_the_crosswalk_is_the_packages(reference_db):
    converter = json.loads(converter_2025().read_text(encoding="utf-8"))
    expected, built = package_pairs(converter), crosswalk(reference_db)
    assert built.keys() == expected.keys()
    assert all(built[k][1] == expected[k][1] and abs(built[k][0] - expected[k][0]) < 1e-12 for k in built)
    assert len(built) == reference_db.execute("SELECT count(*) FROM core.dim_commune_crosswalk").fetchone()[0]


def test_every_old_unit_maps_and_every_new_unit_is_reached(reference_db):
    old_codes, new_codes = (
        {c for (c,) in reference_db.execute(
            "SELECT commune_code FROM core.dim_commune WHERE commune_code IS NOT NULL AND in_force(valid_from, valid_to, ?)",
            [day]).fetchall()}
        for day in ("2025-06-30", "2025-07-01"))
    assert (len(old_codes), len(new_codes)) == (10_035, 3_321)
    sums = dict(reference_db.execute(
        "SELECT old_commune_code, sum(weight) FROM core.dim_commune_crosswalk "
        "WHERE old_commune_code IS NOT NULL GROUP BY 1").fetchall())
    assert sums.keys() == old_codes
    assert max(abs(total - 1) for total in sums.values()) < 1e-9
    reached = {c for (c,) in reference_db.execute("SELECT DISTINCT new_commune_code FROM core.dim_commune_crosswalk").fetchall()}
    assert reached == new_codes
    # 471 old units were divided, each with exactly one main successor; the rest go whole.
    divided = reference_db.execute(
        "SELECT count(DISTINCT old_commune_code), count(*) FILTER (WHERE is_main_successor), "
        "count(*) FILTER (WHERE weight NOT BETWEEN 0 AND 1) FROM core.dim_commune_crosswalk WHERE split_estimated").fetchone()
    assert divided == (471, 471, 0)
    assert reference_db.execute(
        "SELECT count(*) FROM core.dim_commune_crosswalk WHERE NOT split_estimated AND (weight <> 1 OR NOT is_main_successor)"
    ).fetchone()[0] == 0
    # The island districts with no commune became special zones (đặc khu).
    islands = reference_db.execute(
        "SELECT old_district_code, new_commune_full_name, weight FROM core.dim_commune_crosswalk "
        "WHERE old_commune_code IS NULL ORDER BY 1").fetchall()
    assert islands == [("318", "Đặc khu Bạch Long Vĩ", 1.0), ("471", "Đặc khu Cồn Cỏ", 1.0), ("498", "Đặc khu Hoàng Sa", 1.0),
                       ("536", "Đặc khu Lý Sơn", 1.0), ("755", "Đặc khu Côn Đảo", 1.0)]
    assert [r.passed for r in commune_crosswalk_checks(reference_db)] == [True]


# ntm-domain.md: Kim Bôi's 17 units became 5 communes of Phú Thọ (25).
KIM_BOI = {
    "04978": ["04978", "05026", "05065"],           # Kim Bôi: Bo + Vĩnh Đồng + Kim Bôi
    "05014": ["04999", "05005", "05014", "05038"],  # Mường Động: Đông Bắc + Hợp Tiến + Tú Sơn + Vĩnh Tiến
    "05086": ["05077", "05083", "05086"],           # Dũng Tiến: Cuối Hạ + Mỵ Hòa + Nuông Dăm
    "05068": ["05035", "05068", "05080"],           # Hợp Kim: Kim Lập + Nam Thượng + Sào Báy
    "04990": ["04984", "04987", "04990", "05017"],  # Nật Sơn: Xuân Thủy + Bình Sơn + Đú Sáng + Hùng Sơn
}


def test_kim_boi_maps_as_the_domain_reference(reference_db):
    rows = reference_db.execute(
        "SELECT new_commune_code, new_commune_full_name, new_province_code, list(old_commune_code ORDER BY old_commune_code), "
        "bool_and(weight = 1 AND NOT split_estimated AND is_main_successor) "
        "FROM core.dim_commune_crosswalk WHERE old_district_code = '153' GROUP BY 1, 2, 3 ORDER BY 1").fetchall()
    names = {"04978": "Xã Kim Bôi", "05014": "Xã Mường Động", "05086": "Xã Dũng Tiến", "05068": "Xã Hợp Kim", "04990": "Xã Nật Sơn"}
    assert rows == [(code, names[code], "25", KIM_BOI[code], True) for code in sorted(KIM_BOI)]
    assert reference_db.execute(
        "SELECT old_commune_full_name, old_province_code FROM core.dim_commune_crosswalk WHERE old_commune_code = '05026'"
    ).fetchall() == [("Xã Vĩnh Đồng", "17")]


def test_a_divided_unit_is_split_by_area(reference_db):
    """Phường Cống Vị (00007, Hà Nội) was divided between Ngọc Hà (00008) and Giảng Võ (00025):
    each gets its share of the two new units' summed areas. Phường 3 of Cai Lậy (28437) went in
    part to a unit whose area the package gives as 0: all of it to the default successor."""
    converter = json.loads(converter_2025().read_text(encoding="utf-8"))
    parts = {p["newWardKey"]: p["newWardAreaKm2"] for p in converter["DICT_PROVINCE_WARD_DIVIDED"]["thanhphohanoi"][
        "thanhphohanoi_quanbadinh_phuongcongvi"]}
    share = parts["phuongngocha"] / (parts["phuongngocha"] + parts["phuonggiangvo"])
    rows = reference_db.execute(
        "SELECT old_commune_code, new_commune_full_name, weight, split_estimated, is_main_successor FROM core.dim_commune_crosswalk "
        "WHERE old_commune_code IN ('00007', '28437') ORDER BY 1, 2").fetchall()
    assert [r[:2] + (round(r[2], 12),) + r[3:] for r in rows] == [
        ("00007", "Phường Giảng Võ", round(1 - share, 12), True, False),
        ("00007", "Phường Ngọc Hà", round(share, 12), True, True),
        ("28437", "Phường Cao Lãnh", 0.0, True, False),
        ("28437", "Phường Mỹ Phước Tây", 1.0, True, True),
    ]


def test_provinces_were_merged_whole(reference_db):
    rows = reference_db.execute(
        "SELECT count(*), count(DISTINCT old_province_code), count(DISTINCT new_province_code), min(weight), max(weight) "
        "FROM core.dim_province_crosswalk").fetchone()
    assert rows == (63, 63, 34, 1.0, 1.0)
    assert reference_db.execute(
        "SELECT old_province_code, old_province_full_name, new_province_full_name FROM core.dim_province_crosswalk "
        "WHERE new_province_code = '25' ORDER BY old_province_code").fetchall() == [
        ("17", "Tỉnh Hòa Bình", "Tỉnh Phú Thọ"), ("25", "Tỉnh Phú Thọ", "Tỉnh Phú Thọ"), ("26", "Tỉnh Vĩnh Phúc", "Tỉnh Phú Thọ")]
    assert [r.passed for r in province_crosswalk_checks(reference_db)] == [True]


def rebuild_crosswalk(conn, converter: Path) -> None:
    """core.dim_commune_crosswalk from another conversion file, as the asset builds it."""
    for name in ("admin_units_legacy", "admin_units"):
        conn.register(name, package_table(name))
    write_query(conn, "core.dim_commune_crosswalk", read_sql(REFERENCE_SQL / "dim_commune_crosswalk.sql"), None,
                {"converter": str(converter)}, whole=True)


def test_a_key_naming_no_unit_is_reported(tmp_path):
    """A newer package whose data misspells a key: the unit it names is reported by the check,
    with the weight it is short of, not dropped from the crosswalk in silence."""
    converter = json.loads(converter_2025().read_text(encoding="utf-8"))
    wards = converter["DICT_PROVINCE_WARD_NO_DIVIDED"]["tinhphutho"]["xahopkim"]
    wards[wards.index("tinhhoabinh_huyenkimboi_xakimlap")] = "tinhhoabinh_huyenkimboi_xakimlapp"
    parts = converter["DICT_PROVINCE_WARD_DIVIDED"]["thanhphohanoi"]["thanhphohanoi_quanbadinh_phuongcongvi"]
    next(p for p in parts if p["newWardKey"] == "phuonggiangvo")["newWardKey"] = "phuonggiangvoo"
    path = tmp_path / "converter_2025.json"
    path.write_text(json.dumps(converter, ensure_ascii=False), encoding="utf-8")
    with duckdb.connect(str(tmp_path / "reference.duckdb")) as conn:
        prepare_connection(conn)
        build_reference(conn)
        rebuild_crosswalk(conn, path)
        (result,) = commune_crosswalk_checks(conn)
        assert not result.passed and result.metadata["problems"].value == 2
        problems = conn.execute(read_sql(REFERENCE_SQL / "check_commune_crosswalk.sql")).fetchall()
        share = conn.execute("SELECT weight FROM core.dim_commune_crosswalk WHERE old_commune_code = '00007'").fetchone()[0]
        assert problems == [
            ("old unit: weights do not sum to 1", "00007", "001", "Phường Cống Vị", share),
            ("old unit: weights do not sum to 1", "05035", "153", "Xã Kim Lập", 0),
        ]
