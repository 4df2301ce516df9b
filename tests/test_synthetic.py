"""The synthetic country behind the benchmark: valid where it should be, broken where told,
on both sides of the 2025 reform."""

import csv
import filecmp
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from conftest import build_warehouse
from ntm_pipeline.samples.country import CountrySample, country_units, quarter_range

pytestmark = pytest.mark.slow  # builds its own warehouse through the pipeline

# Kim Bôi's 17 units became these 5 communes of Phú Thọ (25) on 1 July 2025 (ntm-domain.md).
KIM_BOI_2025 = {
    "04978": {"04978", "05026", "05065"},  # Kim Bôi: Bo, Vĩnh Đồng, Kim Bôi
    "05014": {"05014", "05038", "04999", "05005"},  # Mường Động: Đông Bắc, Hợp Tiến, Tú Sơn, Vĩnh Tiến
    "05086": {"05077", "05083", "05086"},  # Dũng Tiến: Cuối Hạ, Mỵ Hòa, Nuông Dăm
    "05068": {"05035", "05068", "05080"},  # Hợp Kim: Kim Lập, Nam Thượng, Sào Báy
    "04990": {"05017", "04990", "04984", "04987"},  # Nật Sơn: Xuân Thủy, Bình Sơn, Đú Sáng, Hùng Sơn
}


def kim_boi_units():
    return [u for u in country_units(["17"]) if u.district_code == "153"]


def read_csv(raw: Path, period: str, table: str) -> list[dict]:
    rows = []
    for path in sorted((raw / "submissions" / period).glob(f"province-*/*.{table}.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def test_every_injected_bad_row_and_only_those_are_quarantined(tmp_path):
    """Through the pipeline, from a quarter before the reform to the first on the 2026-2030 set."""
    periods = quarter_range("2025-Q2", 4)
    bad = CountrySample(kim_boi_units(), periods, bad_row_share=0.05).write_workbooks(tmp_path / "raw")
    assert sum(bad.values()) >= 10 and set(bad) <= {"investment", "criteria", "ocop_product", "certified_area"}
    result = build_warehouse(tmp_path / "raw", tmp_path / "ntm.duckdb", periods)
    assert result.success
    with duckdb.connect(str(tmp_path / "ntm.duckdb"), read_only=True) as conn:
        by_table = dict(conn.execute(
            "SELECT table_name, sum(rows_quarantined) FROM core.row_reconciliation GROUP BY 1").fetchall())
        unaccounted = conn.execute(
            "SELECT sum(rows_unaccounted) + sum(rows_counted_twice) FROM core.row_reconciliation").fetchone()[0]
        files_out = conn.execute("SELECT count(*) FROM quarantine.source_file").fetchone()[0]
        communes = conn.execute(
            "SELECT period, admin_era, count(*), count(district_code) FROM core.fact_commune_status "
            "GROUP BY ALL ORDER BY period").fetchall()
        criteria = conn.execute(
            "SELECT period, criteria_set, count(DISTINCT commune_code), max(criterion_no) "
            "FROM core.fact_criteria_snapshot GROUP BY ALL ORDER BY period").fetchall()
    assert {t: n for t, n in by_table.items() if n} == dict(bad)
    assert unaccounted == 0 and files_out == 0
    assert communes == [("2025-Q2", "pre_2025", 17, 17), ("2025-Q3", "post_2025", 5, 0),
                        ("2025-Q4", "post_2025", 5, 0), ("2026-Q1", "post_2025", 5, 0)]
    assert criteria == [("2025-Q2", "NTM_2021_2025", 16, 19), ("2025-Q3", "NTM_2021_2025", 5, 19),
                        ("2025-Q4", "NTM_2021_2025", 5, 19), ("2026-Q1", "NTM_2026_2030", 5, 10)]


def test_bulk_csv_is_reproducible_and_a_commune_does_not_depend_on_the_others(tmp_path):
    units = kim_boi_units()
    periods = quarter_range("2023-Q4", 2)
    CountrySample(units, periods).write_bulk_csv(tmp_path / "a")
    CountrySample(units, periods).write_bulk_csv(tmp_path / "b")
    rural = next(u for u in units if u.is_rural)
    CountrySample([rural], periods).write_bulk_csv(tmp_path / "one")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.csv"))
    assert len(files) == 10  # five tables x two quarters, one province
    assert all(filecmp.cmp(tmp_path / "a" / f, tmp_path / "b" / f, shallow=False) for f in files)
    written = 0
    for f in files:
        alone = (tmp_path / "one" / f).read_text(encoding="utf-8").splitlines()
        together = (tmp_path / "a" / f).read_text(encoding="utf-8").splitlines()
        assert alone[1:] == [line for line in together if line.startswith(rural.code + ",")]
        written += len(alone) - 1
    assert written >= 2 * (1 + 19)  # at least its header and criteria in each quarter


# sha256 of Hòa Bình's bulk CSV for 2024-Q3..2025-Q2 as the generator wrote it before the 2025
# reform was added (each file's path relative to raw/, then its bytes, in path order)
HOA_BINH_2024_Q3_2025_Q2 = "39585d784412bc94777e0cc5bb52933edf585a24111d7af2bd1627477d1cc082"


def test_a_quarter_before_the_reform_is_written_byte_for_byte_as_before(tmp_path):
    """A run across the reform (2024-Q3..2026-Q2) writes its four pre-reform quarters exactly
    as the generator did before it knew of the reform."""
    import hashlib

    raw = tmp_path / "raw"
    CountrySample(country_units(["17"]), quarter_range("2024-Q3", 8)).write_bulk_csv(raw)
    files = sorted(p.relative_to(raw) for p in raw.rglob("province-17/*.csv"))
    assert sorted({f.parts[1] for f in files}) == quarter_range("2024-Q3", 4)  # no Hòa Bình after 2025-Q2
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.as_posix().encode())
        digest.update((raw / f).read_bytes())
    assert digest.hexdigest() == HOA_BINH_2024_Q3_2025_Q2


def test_after_the_reform_the_new_communes_report_and_carry_on_their_old_units(tmp_path):
    """2025-Q1..Q2 from Kim Bôi's 17 units, 2025-Q3..Q4 from the 5 communes they became (on the
    19 criteria), 2026-Q1 on the 2026-2030 set with the commune group."""
    periods = quarter_range("2025-Q1", 5)
    raw = tmp_path / "raw"
    CountrySample(kim_boi_units(), periods).write(raw, "csv")
    old_codes = {u.code for u in kim_boi_units()}
    assert sorted(p.name for p in (raw / "submissions").iterdir()) == periods
    for period in ("2025-Q1", "2025-Q2"):
        headers = read_csv(raw, period, "submission")
        assert {h["commune_code"] for h in headers} == old_codes
        assert {(h["district_code"], h["province_code"]) for h in headers} == {("153", "17")}
    # the post-reform units as the reference layer holds them (its own SQL, as the checks build it)
    from ntm_pipeline.checks.reference import build_reference
    from ntm_pipeline.warehouse import prepare_connection

    with duckdb.connect() as conn:
        prepare_connection(conn)
        build_reference(conn)
        in_force = dict(conn.execute(
            "SELECT commune_code, province_code FROM core.dim_commune "
            "WHERE in_force(valid_from, valid_to, DATE '2025-09-30')").fetchall())
    for period in ("2025-Q3", "2025-Q4", "2026-Q1"):
        assert [p.name for p in (raw / "submissions" / period).iterdir()] == ["province-25"]
        headers = read_csv(raw, period, "submission")
        assert {h["commune_code"] for h in headers} == set(KIM_BOI_2025)
        assert all(in_force[h["commune_code"]] == h["province_code"] == "25" for h in headers)
        assert "district_code" not in headers[0]  # no Mã huyện after the reform
        for table in ("investment", "criteria", "ocop_product", "certified_area"):
            assert {r["commune_code"] for r in read_csv(raw, period, table)} <= set(KIM_BOI_2025)

    # Hợp Kim (05068) in 2025-Q3 carries on Kim Lập, Nam Thượng and Sào Báy of 2025-Q2
    def by_code(period, table):
        rows = {}
        for row in read_csv(raw, period, table):
            rows.setdefault(row["commune_code"], []).append(row)
        return rows

    before, after = by_code("2025-Q2", "submission"), by_code("2025-Q3", "submission")
    parts = KIM_BOI_2025["05068"]
    farms_before = sum(int(before[c][0]["farms"]) for c in parts)
    assert farms_before <= int(after["05068"][0]["farms"]) <= farms_before + len(parts)  # each rises by 0 or 1
    projects_before, projects_after = by_code("2025-Q2", "investment"), by_code("2025-Q3", "investment")
    running = {f"{c}-{r['project_code']}" for c in parts for r in projects_before.get(c, [])
               if r["status"] in ("ongoing", "preparing")}
    assert running and running <= {r["project_code"] for r in projects_after["05068"]}
    assert all(r["project_code"][:5] in parts for r in projects_after["05068"])

    # the criteria of the set valid in each quarter
    for period, criteria_set, count in (("2025-Q3", "NTM_2021_2025", 19), ("2026-Q1", "NTM_2026_2030", 10)):
        rows = by_code(period, "criteria")
        assert set(rows) == set(KIM_BOI_2025)  # all five are rural communes (xã)
        for commune_rows in rows.values():
            assert {r["criteria_set"] for r in commune_rows} == {criteria_set}
            assert sorted(int(r["criterion_no"]) for r in commune_rows) == list(range(1, count + 1))
    headers_2026 = by_code("2026-Q1", "submission")
    assert {h[0]["commune_group"] for h in headers_2026.values()} <= {"1", "2", "3"}
    assert "commune_group" not in read_csv(raw, "2025-Q4", "submission")[0]  # Nhóm xã from 2026-Q1
    criteria_2026 = by_code("2026-Q1", "criteria")
    for code, (header,) in headers_2026.items():
        assert header["ntm_title"] in ("none", "ntm", "modern")
        if header["ntm_title"] != "none":  # a titled commune meets the whole new set
            assert all(r["met"] == "x" for r in criteria_2026[code])

    # a year's targets are for the provinces in force on 1 January of it
    with open(raw / "targets" / "provinces.csv", encoding="utf-8", newline="") as handle:
        assert [(r["year"], r["district_code"]) for r in csv.DictReader(handle)] == [("2025", "17"), ("2026", "25")]

    CountrySample(kim_boi_units(), periods).write(tmp_path / "again", "csv")
    files = sorted(p.relative_to(raw) for p in raw.rglob("*.csv"))
    assert all(filecmp.cmp(raw / f, tmp_path / "again" / f, shallow=False) for f in files)


def test_the_whole_country_after_the_reform_is_every_post_reform_unit():
    """All 3,321 units of 34 provinces, the five island special zones with no old commune included."""
    from ntm_pipeline.samples.country import successor_units

    units = successor_units(country_units())
    assert len(units) == len({u.code for u in units}) == 3321
    assert len({u.province_code for u in units}) == 34
    assert {u.name for u in units if u.unit_type == "Đặc khu"} >= {"Bạch Long Vĩ", "Cồn Cỏ", "Hoàng Sa", "Lý Sơn", "Côn Đảo"}


def test_post_reform_workbooks_pass_the_checks_but_for_their_broken_rows(tmp_path, checker):
    """The checks library (as `ntm validate` and the pipeline run it) on workbooks of a quarter
    before the reform, two after it and one on the 2026-2030 set: no file is taken out, and the
    rows it quarantines are exactly those broken on purpose."""

    periods = quarter_range("2025-Q2", 4)
    raw = tmp_path / "raw"
    sample = CountrySample(kim_boi_units(), periods, bad_row_share=0.05)
    bad = sample.write(raw, "xlsx")
    assert set(bad) >= {"investment", "criteria"}
    files = [(path, period) for period in periods for path in sorted((raw / "submissions" / period).glob("*.xlsx"))]
    assert [len([f for f in files if f[1] == p]) for p in periods] == [17, 5, 5, 5]
    findings = checker.check([*files, (raw / "targets" / "provinces.csv", None)])
    assert [f.source_file for f in findings if f.taken_out_whole] == []
    broken_rows = {(f.table, f.source_file, f.sheet, f.row_number) for file in findings for f in file.rows
                   if f.severity == "critical"}
    assert Counter(table for table, *_where in broken_rows) == bad
    warnings = sorted({(f.table, f.rule) for file in findings for f in file.rows if f.severity != "critical"})
    assert warnings == []


def test_command_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "ntm_pipeline.cli", "synthetic", str(tmp_path), "--provinces", "48",
         "--quarters", "1", "--first", "2024-Q1"],
        capture_output=True, text=True, check=True,
    )
    assert "wrote 47 units x 1 quarters" in done.stdout
    header = (tmp_path / "submissions/2024-Q1/province-48/48.submission.csv").read_text(encoding="utf-8").splitlines()
    assert len(header) == 48 and header[0].startswith("commune_code,commune_name")
