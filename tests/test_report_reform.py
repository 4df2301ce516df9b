"""The quarterly report after the 2025 reform, from the raw sample through the pipeline: a
report for the province (of the 34) and for each commune, none for the abolished district;
last year's figures on today's boundaries, and the figures that are not comparable said to
be so; 2026 quarters on the 2026-2030 criteria set and its bands.

Expected figures come from the raw files (tests/sample_raw.py), the sample's own design
constants and the vietnamadminunits package, not from the warehouse the report reads."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import vietnamadminunits

import sample_raw
from conftest import build_warehouse, copy_sample
from ntm_pipeline.report.build import build_report, report_areas, to_markdown, write_report
from ntm_pipeline.report.numbers import vi_fixed, vi_number
from ntm_pipeline.reference import read_reference_csv
from ntm_pipeline.samples import kim_boi

pytestmark = pytest.mark.slow  # the shared sample build, and a warehouse of its own

NEW_COMMUNES = {"04978": "Kim Bôi", "05014": "Mường Động", "05086": "Dũng Tiến", "05068": "Hợp Kim", "04990": "Nật Sơn"}


def package_units(province: str) -> dict[str, str]:
    """Code -> full name of the province's units after the reform, as the package lists them."""
    database = Path(vietnamadminunits.__file__).parent / "data" / "dataset.db"
    with sqlite3.connect(database) as conn:
        return dict(conn.execute("SELECT wardCode, ward FROM admin_units WHERE provinceCode = ?", [province]))


def paragraphs(report) -> list[str]:
    return [b[1] for b in report.blocks if b[0] == "p"]


def table(report, title: str):
    return next(t for t in report.tables if t.title == title)


def headline(report) -> dict[str, list]:
    return {r[0]: r[1:] for r in table(report, "Chỉ tiêu chính").rows}


def raw_capital(periods: list[str]) -> float:
    """Capital (six sources) of every project row of the quarters, as typed."""
    return float(sum(sample_raw.decimal(r[c]) for p in periods for _, _, r in sample_raw.rows(p, "investment")
                     for c in sample_raw.CAPITAL_COLUMNS))


def raw_criteria(period: str) -> dict[str, int]:
    """Commune -> criteria met (criterion rows only: '2.1' is an indicator)."""
    met: dict[str, int] = {}
    for _, _, r in sample_raw.rows(period, "criteria"):
        number = r["criterion_no"].strip()
        met.setdefault(r["commune_code"], 0)
        if number.isdigit() and sample_raw.is_met(r["met"]):
            met[r["commune_code"]] += 1
    return met


@pytest.fixture(scope="module")
def reports(sample_warehouse):
    with duckdb.connect(str(sample_warehouse), read_only=True) as conn:
        yield conn, lambda period, level, code: build_report(conn, period, level, code)


def test_a_post_reform_quarter_is_reported_for_its_province_and_each_commune(sample_db):
    def areas(period: str) -> list[tuple[str, str]]:
        return [(level, code) for level, code, _ in report_areas(sample_db, period)]

    assert areas("2025-Q4") == [("commune", c) for c in sorted(NEW_COMMUNES)] + [("province", "25")]
    assert areas("2025-Q2") == [("district", "153"), ("province", "17")]  # before the reform, as ever


def test_the_province_report_of_2025_q4(reports):
    _, build = reports
    report = build("2025-Q4", "province", "25")
    units = package_units("25")
    reported = set(sample_raw.headers("2025-Q4"))
    assert reported == set(NEW_COMMUNES)
    assert report.blocks[0][1].office == "VĂN PHÒNG ĐIỀU PHỐI NÔNG THÔN MỚI TỈNH PHÚ THỌ"
    assert report.blocks[1] == ("h1", "PHÚ THỌ: KẾT QUẢ XÂY DỰNG NÔNG THÔN MỚI QUÝ 4/2025")
    text = to_markdown(report)
    assert "huyện" not in text.lower()  # no district
    assert "tỉnh hòa bình" not in text.lower()  # nor the old province (Phường Hòa Bình is a ward of Phú Thọ)
    n, missing = len(units), len(units) - len(reported)
    assert paragraphs(report)[0] == (
        f"Số liệu tổng hợp từ 5/{n} xã đã gửi báo cáo quý 4/2025; {missing} xã chưa gửi báo cáo, nên các số liệu "
        "dưới đây là của 5 xã đã gửi báo cáo, chưa phải số liệu của toàn tỉnh. Danh sách các xã chưa gửi báo cáo "
        "ở bảng Tình hình gửi báo cáo.")
    # Last year on today's boundaries, and what is not comparable across the mergers.
    assert paragraphs(report)[1] == (
        "Số liệu cùng kỳ năm trước (quý 4/2024) được tính theo địa giới hành chính hiện nay (từ ngày 01/07/2025): "
        "cộng số liệu của các đơn vị hành chính cấp xã trước sắp xếp nay thuộc tỉnh Phú Thọ; số liệu lũy kế từ đầu "
        "năm 2025 gồm cả số liệu đến ngày 30/06/2025 của các đơn vị đó. Không so sánh được với cùng kỳ (do sắp xếp "
        "đơn vị hành chính từ ngày 01/07/2025): bình quân tiêu chí/xã, xã đạt chuẩn NTM, xã đạt chuẩn NTM nâng cao, "
        "xã đạt 15 – 18 tiêu chí, xã đạt 10 – 14 tiêu chí.")
    rows = headline(report)
    assert table(report, "Chỉ tiêu chính").headers[-1] == "So sánh cùng kỳ"
    assert rows["Số xã đã gửi báo cáo"] == [f"5/{n}", None, None, None, "Không so sánh được"]
    capital = rows["Vốn huy động từ đầu năm (triệu đồng)"]
    # This year: Q1-Q2 of the 17 old units carried to the new communes, then Q3-Q4 of the 5.
    this_year = raw_capital(["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"])
    last_year = raw_capital(["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"])
    assert capital[:3] == [pytest.approx(this_year), pytest.approx(last_year), pytest.approx(this_year - last_year)]
    assert capital[4] == "Quy đổi theo địa giới hiện nay"
    for label in ("Bình quân tiêu chí/xã", "Xã đạt chuẩn NTM", "Xã đạt 15 – 18 tiêu chí"):
        assert rows[label][1:3] == [None, None] and rows[label][4] == "Không so sánh được"
    q4, last = kim_boi.PERIODS.index("2025-Q4"), kim_boi.PERIODS.index("2024-Q4")
    vietgap = kim_boi.VIETGAP_HA[q4] - kim_boi.VIETGAP_HA[last]
    assert (f"đạt {vi_number(kim_boi.VIETGAP_HA[q4])} ha (tăng {vi_number(round(vietgap, 1))} ha so với cùng kỳ, "
            "quy đổi theo địa giới hiện nay)") in paragraphs(report)[3]
    # The GAP series keeps to the new units: the quarters before the reform were other units'.
    gap = table(report, "Diện tích GAP")
    assert [r[0] for r in gap.rows] == ["Quý 3/2025", "Quý 4/2025"] and [r[3] for r in gap.rows] == [f"5/{n}"] * 2
    assert gap.note == "Các quý trước ngày 01/07/2025 thuộc địa giới hành chính cũ, không đưa vào bảng và biểu đồ."
    # Every unit of the province by name, whether it reported; no district column.
    coverage = table(report, "Gửi báo cáo")
    assert coverage.headers == ["Xã, phường, đặc khu", "Mã đơn vị", "Quý 4/2025"]
    assert {(label, code) for label, code, _ in coverage.rows} == {(name, code) for code, name in units.items()}
    assert {code for _, code, status in coverage.rows if status == "Đã gửi báo cáo"} == set(NEW_COMMUNES)
    assert coverage.note == f"5/{n} xã đã gửi báo cáo quý 4/2025 (tính cả phường, đặc khu, theo danh mục đơn vị hành chính)."
    criteria = dict(table(report, "Tiêu chí theo xã").rows)
    assert criteria == {NEW_COMMUNES[c]: met for c, met in raw_criteria("2025-Q4").items()}


def test_a_reused_code_is_the_unit_of_the_quarter(reports):
    """04978 was Thị trấn Bo until 30/06/2025 and is Xã Kim Bôi after: each report names its own."""
    _, build = reports
    before, after = build("2024-Q4", "commune", "04978"), build("2025-Q4", "commune", "04978")
    assert before.blocks[0][1].office == "ỦY BAN NHÂN DÂN THỊ TRẤN BO"
    assert after.blocks[0][1].office == "ỦY BAN NHÂN DÂN XÃ KIM BÔI"
    assert after.blocks[1] == ("h1", "XÃ KIM BÔI: KẾT QUẢ XÂY DỰNG NÔNG THÔN MỚI QUÝ 4/2025")
    text = to_markdown(after)
    assert " Bo" not in text.replace("Mường Bo", "")  # Rượu cần Mường Bo is a product's name
    assert paragraphs(after)[0] == "Số liệu theo báo cáo quý 4/2025 của xã Kim Bôi."
    met = raw_criteria("2025-Q4")["04978"]
    assert f"Tính đến hết tháng 12/2025, xã Kim Bôi đạt {met}/19 tiêu chí." in text
    assert [r[2] for r in table(after, "Tiêu chí").rows].count("Đạt") == met
    assert "Tình hình gửi báo cáo" not in text  # a commune's own report
    # Its GAP series starts with the commune: Thị trấn Bo's quarters under the same code are not its.
    assert [r[0] for r in table(after, "Diện tích GAP").rows] == ["Quý 3/2025", "Quý 4/2025"]
    assert [r[0] for r in table(before, "Diện tích GAP").rows][-1] == "Quý 4/2024"


def test_2026_reports_use_the_new_criteria_set_and_its_bands(reports):
    conn, build = reports
    report = build("2026-Q1", "province", "25")
    met = raw_criteria("2026-Q1")
    assert max(met.values()) <= 10 and len(met) == 5
    titled = {c for c, r in sample_raw.headers("2026-Q1").items()
              if sample_raw.code("ntm_title", r["ntm_title"]) not in (None, "none")}
    average = sum(met.values()) / len(met)
    text = to_markdown(report)
    assert (f"bình quân tiêu chí của các xã đã gửi báo cáo đạt {vi_fixed(average)} tiêu chí/xã theo Bộ tiêu chí quốc "
            "gia về xã nông thôn mới giai đoạn 2026-2030 (10 tiêu chí).") in text
    # The bands of the 2026-2030 set, from the KPI catalogue, over communes not yet NTM.
    bands = [(r["kpi_code"], int(r["criteria_min"]), int(r["criteria_max"])) for r in read_reference_csv("kpi")
             if r["criteria_set"] == "NTM_2026_2030" and r["criteria_min"]]
    counts = {code: sum(1 for c, m in met.items() if c not in titled and low <= m <= high) for code, low, high in bands}
    middle = sorted((b for b in bands if 0 < b[1] and b[1] != 10), key=lambda b: -b[1])
    stated = [f"{counts[code]:02d} xã đạt từ {low} – {high} tiêu chí" for code, low, high in middle]
    stated += [f"{counts[code]:02d} xã đạt dưới {high + 1} tiêu chí" for code, low, high in bands if low == 0 and counts[code]]
    assert f"Có {'; '.join(stated)}." in text
    rows = headline(report)
    assert [f"Xã đạt {low} – {high} tiêu chí" for _, low, high in middle] == [r for r in rows if r.startswith("Xã đạt ") and "tiêu chí" in r]
    assert "Xã nông thôn mới hiện đại" in rows and "Xã đạt chuẩn NTM nâng cao" not in rows
    assert "15 – 18" not in text and "19 tiêu chí" not in text
    assert rows["Bình quân tiêu chí/xã"][0] == pytest.approx(average) and rows["Bình quân tiêu chí/xã"][4] == "Không so sánh được"
    assert ("Không so sánh được với cùng kỳ (năm 2026 chấm theo Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn "
            "2026-2030, cùng kỳ chấm theo Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn 2021-2025): "
            "bình quân tiêu chí/xã") in paragraphs(report)[1]
    assert dict(table(report, "Tiêu chí theo xã").rows) == {NEW_COMMUNES[c]: m for c, m in met.items()}


def test_the_modern_ntm_commune_of_2026_q3(reports):
    _, build = reports
    province, commune = build("2026-Q3", "province", "25"), build("2026-Q3", "commune", "05068")
    headers = sample_raw.headers("2026-Q3")
    modern = [NEW_COMMUNES[c] for c, r in headers.items() if sample_raw.code("ntm_title", r["ntm_title"]) == "modern"]
    assert modern == ["Hợp Kim"]
    text = to_markdown(province)
    assert "Số xã nông thôn mới hiện đại: 01 xã (Hợp Kim)." in text
    target = kim_boi.TARGETS_2026["25"]["modern_ntm_communes"]
    assert f"có {int(target):02d} xã nông thôn mới hiện đại (còn 00 xã)" in text
    # The commune's own criteria of the new set, by name.
    names = {int(r["criterion_no"]): r["name_vi"] for r in read_reference_csv("criterion") if r["criteria_set"] == "NTM_2026_2030"}
    rows = table(commune, "Tiêu chí").rows
    assert [(no, name) for no, name, _ in rows] == sorted(names.items())
    assert "Xã Hợp Kim được công nhận là xã nông thôn mới hiện đại (năm 2026)." in to_markdown(commune)
    assert "được công nhận là xã nông thôn mới hiện đại (đã đạt)" in to_markdown(commune)


def test_command_line_writes_the_province_and_its_communes(sample_warehouse, reports, tmp_path):
    _, build = reports
    script = Path(sys.executable).parent / "ntm"
    env = {**os.environ, "NTM_WAREHOUSE": str(sample_warehouse)}
    run = lambda *args: subprocess.run([str(script), "report", *args], capture_output=True, text=True,  # noqa: E731
                                       env=env, timeout=120)
    result = run("--period", "2025-Q4", "--province", "25", "--with-communes", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in tmp_path.glob("*.md"))
    assert written == sorted(["2025-Q4-province-25.md"] + [f"2025-Q4-commune-{c}.md" for c in NEW_COMMUNES])
    assert (tmp_path / "2025-Q4-province-25.md").read_text(encoding="utf-8") == to_markdown(build("2025-Q4", "province", "25"))
    district = run("--period", "2025-Q4", "--district", "153", "--out", str(tmp_path))
    assert district.returncode == 2 and "2025-Q4 has no districts: they were abolished from 01/07/2025" in district.stderr
    old = run("--period", "2025-Q4", "--province", "17", "--out", str(tmp_path))
    assert old.returncode == 2
    assert "17 was Tỉnh Hòa Bình until 30/06/2025; it is now part of 25 Tỉnh Phú Thọ (--province 25)" in old.stderr


# --- A raw folder where Xã Kim Bôi sends nothing for 2025-Q3: Thị trấn Bo, whose code it
# took, reported in 2025-Q1 and Q2, and that must not count as Xã Kim Bôi reporting earlier.

@pytest.fixture(scope="module")
def without_kim_boi(tmp_path_factory):
    root = tmp_path_factory.mktemp("reform")
    periods = ["2025-Q1", "2025-Q2", "2025-Q3"]
    raw = copy_sample(root / "raw", periods)
    (dropped,) = (raw / "submissions" / "2025-Q3").glob("04978*.xlsx")
    dropped.unlink()
    database = root / "ntm.duckdb"
    assert build_warehouse(raw, database, periods).success
    with duckdb.connect(str(database), read_only=True) as conn:
        yield conn


def test_a_new_commune_is_not_credited_with_its_codes_old_unit(without_kim_boi):
    report = build_report(without_kim_boi, "2025-Q3", "province", "25")
    n = len(package_units("25"))
    opening = paragraphs(report)[0]
    assert opening.startswith(f"Số liệu tổng hợp từ 4/{n} xã đã gửi báo cáo quý 3/2025; {n - 4} xã chưa gửi báo cáo")
    assert "dù đã gửi báo cáo quý trước" not in opening  # Thị trấn Bo's Q1 and Q2 are not Xã Kim Bôi's
    (kim_boi_row,) = [r for r in table(report, "Gửi báo cáo").rows if r[1] == "04978"]
    assert kim_boi_row == ["Xã Kim Bôi", "04978", "Chưa gửi báo cáo"]
    with pytest.raises(ValueError, match=r"Xã Kim Bôi \(04978\) has no published submission for 2025-Q3"):
        build_report(without_kim_boi, "2025-Q3", "commune", "04978")
    # Its neighbour that did report has its own figures: Mường Động's criteria as sent.
    mường_động = build_report(without_kim_boi, "2025-Q3", "commune", "05014")
    met = raw_criteria("2025-Q3")["05014"]
    assert f"xã Mường Động đạt {met}/19 tiêu chí" in to_markdown(mường_động)


def test_post_reform_reports_write_every_format(reports, tmp_path):
    _, build = reports
    report = build("2025-Q4", "commune", "05068")
    files = write_report(report, tmp_path)
    assert [p.name for p in files[:3]] == ["2025-Q4-commune-05068.md", "2025-Q4-commune-05068.html",
                                           "2025-Q4-commune-05068.xlsx"]
    from openpyxl import load_workbook

    workbook = load_workbook(files[2])
    assert workbook["Báo cáo"]["A1"].value == "ỦY BAN NHÂN DÂN XÃ HỢP KIM"
    assert "Tiêu chí" in workbook.sheetnames and "Gửi báo cáo" not in workbook.sheetnames
