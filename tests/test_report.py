"""The quarterly report comes out of the warehouse with the source report's figures."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

import sample_raw
from ntm_pipeline.report.build import Report, Table, build_report, to_markdown, to_workbook, write_report

# Every figure of the district's Q1/2024 news release, as the generated report writes it.
SOURCE_FIGURES = [
    "trên 267 tỷ đồng",
    "31 công trình đường giao thông nông thôn", "01 công trình ngầm, tràn", "11 công trình kênh mương",
    "28 công trình trường học", "03 công trình nhà văn hóa xã", "03 công trình khu thể thao xã",
    "06 công trình nhà văn hóa thôn", "01 công trình nước sạch tập trung",
    "Chuẩn bị đầu tư sửa chữa, nâng cấp và xây dựng mới: 28 công trình đường giao thông nông thôn, "
    "08 công trình kênh mương, 07 công trình trường học, 19 công trình nhà văn hóa thôn, "
    "03 công trình nước sạch tập trung.",
    "233,2 ha (tăng 23,2 ha so với cùng kỳ)", "46,5 ha (tăng 12,5 ha so với cùng kỳ)",
    "31 hợp tác xã hoạt động trong lĩnh vực nông nghiệp; có 31 trang trại",
    "02 sản phẩm 4 sao (Nước khoáng thiên nhiên Kim Bôi, Mật ong rừng Hợp Tiến); 01 sản phẩm 3 sao (Bưởi da xanh Nam Thượng)",
    "tổng số 12 sản phẩm được chứng nhận OCOP đạt từ 3 sao trở lên",
    "14,9 tiêu chí/xã",
    "công nhận xã Nam Thượng đạt chuẩn nông thôn mới nâng cao",
    "Có 01 xã đạt từ 15 – 18 tiêu chí; 09 xã đạt từ 10 – 14 tiêu chí.",
    "bình quân tiêu chí đạt 16,0 tiêu chí/xã", "có 08 xã đạt chuẩn NTM", "có 01 xã đạt chuẩn NTM nâng cao",
    "có 02 xã đạt từ 15 – 18 tiêu chí", "có 06 xã đạt từ 10 – 14 tiêu chí",
    "chuẩn hóa thêm 02 sản phẩm OCOP đạt từ 3 sao trở lên",
]
NTM_COMMUNES = ["Nam Thượng", "Sào Báy", "Vĩnh Đồng", "Mỵ Hòa", "Đông Bắc", "Vĩnh Tiến"]


@pytest.fixture(scope="module")
def report(sample_warehouse):
    with duckdb.connect(str(sample_warehouse), read_only=True) as conn:
        return build_report(conn, "2024-Q1", "district", "153")


def test_states_every_figure_of_the_source_report(report):
    text = to_markdown(report)
    missing = [figure for figure in SOURCE_FIGURES if figure not in text]
    assert missing == []
    assert "Số xã đạt chuẩn nông thôn mới: 06 xã (các xã: " in text
    listed = text.split("Số xã đạt chuẩn nông thôn mới: 06 xã (các xã: ")[1].split(")")[0].split(", ")
    assert sorted(listed) == sorted(NTM_COMMUNES)


def test_the_asset_writes_reports_with_a_markdown_preview(sample_build, sample_reports):
    """The run's newest quarter is after the 2025 reform: the reports of the province (Phú Thọ,
    25) and of the 5 communes that reported, no district; the preview is the province's."""
    from conftest import SAMPLE_PERIODS

    database, data = sample_build
    assert not [e for e in data.get_asset_materialization_events()  # the data run writes no report
                if e.event_specific_data.materialization.asset_key.to_user_string() == "mart/quarterly_report"]
    events = [e for e in sample_reports.get_asset_materialization_events()
              if e.event_specific_data.materialization.asset_key.to_user_string() == "mart/quarterly_report"]
    assert sample_reports.job_def.name == "report_job" and len(events) == 1  # the newest quarter only
    metadata = events[0].event_specific_data.materialization.metadata
    newest = SAMPLE_PERIODS[-1]
    assert metadata["period"].value == newest and newest >= "2025-Q3"
    communes = sorted(sample_raw.headers(newest))
    assert len(communes) == 5 and metadata["reports"].value == 1 + len(communes)
    with duckdb.connect(str(database), read_only=True) as conn:
        latest = to_markdown(build_report(conn, newest, "province", "25"))
    assert metadata["preview"].value == latest
    assert latest.startswith("**VĂN PHÒNG ĐIỀU PHỐI NÔNG THÔN MỚI TỈNH PHÚ THỌ**")  # the header block, then the title
    year, quarter = newest.split("-Q")
    assert f"\n# PHÚ THỌ: KẾT QUẢ XÂY DỰNG NÔNG THÔN MỚI QUÝ {quarter}/{year}\n" in latest
    names = [f"{newest}-province-25.md", f"{newest}-province-25.html"] + [f"{newest}-commune-{c}.xlsx" for c in communes]
    for name in names:
        assert f"`{name}`" in metadata["files"].value
    assert "-district-" not in metadata["files"].value


def test_workbook_and_charts_open(report, tmp_path):
    from xml.etree import ElementTree

    from openpyxl import load_workbook

    files = write_report(report, tmp_path)
    workbook = load_workbook(tmp_path / "2024-Q1-district-153.xlsx")
    assert workbook.sheetnames[:3] == ["Báo cáo", "Chỉ tiêu chính", "Công trình"]
    projects = workbook["Công trình"]
    assert [c.value for c in projects[3]] == ["Loại công trình", "Chuyển tiếp", "Chuẩn bị đầu tư"]
    assert [c.value for c in projects[4]] == ["Đường giao thông nông thôn", 31, 28]
    assert projects.page_setup.orientation == "landscape" and projects.print_title_rows == "$3:$3"
    charts = {p.stem.rsplit("-", 1)[-1]: p for p in files if p.suffix == ".svg"}
    assert sorted(charts) == ["capital", "criteria", "gap"]
    svg = "{http://www.w3.org/2000/svg}"
    criteria = ElementTree.parse(charts["criteria"]).getroot()
    bars = {b.find(f"{svg}title").text for b in criteria.iter(f"{svg}rect")}
    # one bar per rural commune, named with its criteria met; the dashed line is the year's target
    rows = next(t for t in report.tables if t.title == "Tiêu chí theo xã").rows
    assert bars == {f"{name}: {met}" for name, met in rows} and len(bars) == 16
    assert any(t.text == "Mục tiêu bình quân: 16" for t in criteria.iter(f"{svg}text"))
    gap = ElementTree.parse(charts["gap"]).getroot()
    quarters = len(next(t for t in report.tables if t.title == "Diện tích GAP").rows)
    assert [len(line.get("points").split()) for line in gap.iter(f"{svg}polyline")] == [quarters, quarters] == [5, 5]
    page = (tmp_path / "2024-Q1-district-153.html").read_text(encoding="utf-8")
    assert page.count("<svg ") == 3 and "14,9 tiêu chí/xã" in page


def test_no_exported_cell_is_a_formula(tmp_path):
    report = Report("2024-Q1", "district", "153", "=Kim Bôi")
    report.blocks = [("h1", "=HYPERLINK(\"http://x\")"), ("table", Table("OCOP", ["Sản phẩm"], [["=1+1"], ["@SUM(A1)"]]))]
    path = tmp_path / "r.xlsx"
    to_workbook(report).save(path)
    with zipfile.ZipFile(path) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml
    from openpyxl import load_workbook

    sheet = load_workbook(path)["OCOP"]
    assert sheet["A4"].value == "=1+1" and sheet["A4"].data_type == "s"


def test_command_line_writes_the_same_report(sample_warehouse, report, tmp_path):
    script = Path(sys.executable).parent / "ntm"
    result = subprocess.run(
        [str(script), "report", "--period", "2024-Q1", "--district", "153", "--out", str(tmp_path)],
        capture_output=True, text=True, env={**os.environ, "NTM_WAREHOUSE": str(sample_warehouse)}, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "2024-Q1-district-153.md").read_text(encoding="utf-8") == to_markdown(report)


def test_reports_shared_among_processes_match_the_serial_ones(sample_warehouse, tmp_path, monkeypatch):
    """A country's reports are written by one process per core; each must write what the
    run's own process would."""
    from ntm_pipeline.report import build

    areas = _areas(sample_warehouse, "2024-Q1")
    serial = build.write_reports(str(sample_warehouse), "2024-Q1", areas, tmp_path / "serial")
    monkeypatch.setattr(build, "REPORTS_PER_WORKER", 1)
    monkeypatch.setattr(build.os, "cpu_count", lambda: 2)
    shared = build.write_reports(str(sample_warehouse), "2024-Q1", areas, tmp_path / "shared")
    assert sorted(p.name for p in shared.files) == sorted(p.name for p in serial.files) and len(serial.files) == 12
    for path in serial.files:
        if path.suffix != ".xlsx":  # a workbook's zip entries carry the time of writing
            assert (tmp_path / "shared" / path.name).read_bytes() == path.read_bytes()
    assert (shared.rewritten, shared.unchanged) == (serial.rewritten, serial.unchanged) == (2, 0)


@pytest.mark.parametrize("period", ["2024-Q1", "2025-Q2", "2025-Q3", "2026-Q3"])
def test_rows_fetched_for_all_areas_are_each_areas_own(sample_db, period):
    """A process fetches its areas' rows in one query each (AreaRows); every area's rows, in
    their order, are those the query gives for that area alone, districts and provinces before
    the reform and communes after it."""
    from ntm_pipeline.report.build import AREA_QUERIES, AreaRows, report_areas

    areas = [(level, code) for level, code, _ in report_areas(sample_db, period)]
    together = AreaRows(sample_db, period, areas)
    assert len(areas) >= 2
    assert {level for level, _ in areas} == ({"commune", "province"} if period >= "2025-Q3" else {"district", "province"})
    for level, code in areas:
        alone = AreaRows(sample_db, period, [(level, code)])
        for name in AREA_QUERIES:
            assert together.of(name, level, code) == alone.of(name, level, code), (level, code, name)
        assert alone.of("kpis", level, code) and alone.of("coverage", level, code)  # rows of its own
    assert together.of("kpis", "province", "99") == []  # no rows of an area not asked for


def _areas(database: Path, period: str) -> list[tuple[str, str, str]]:
    from ntm_pipeline.report.build import report_areas

    with duckdb.connect(str(database), read_only=True) as conn:
        return report_areas(conn, period)


def test_unchanged_reports_are_left_alone(sample_warehouse, tmp_path):
    """Writing again with the same inputs builds nothing and changes nothing; a report whose
    files went missing, whose manifest entry is of the earlier form (content only) or whose
    inputs changed is built again, and rewritten only if its content changed."""
    import json

    from ntm_pipeline.report.build import FINGERPRINTS, write_reports

    areas = _areas(sample_warehouse, "2024-Q1")
    assert [(level, code) for level, code, _ in areas] == [("district", "153"), ("province", "17")]
    first = write_reports(str(sample_warehouse), "2024-Q1", areas, tmp_path)
    assert (first.built, first.rewritten, first.unchanged) == (2, 2, 0)
    recorded = json.loads((tmp_path / FINGERPRINTS).read_text(encoding="utf-8"))
    times = {p: p.stat().st_mtime_ns for p in first.files}
    again = write_reports(str(sample_warehouse), "2024-Q1", areas, tmp_path)
    assert (again.built, again.rewritten, again.unchanged) == (0, 0, 2)
    assert sorted(again.files) == sorted(first.files)
    assert {p: p.stat().st_mtime_ns for p in again.files} == times
    # Other inputs, the same content: built to see, not rewritten.
    other = [(level, code, digest + "+") for level, code, digest in areas]
    built = write_reports(str(sample_warehouse), "2024-Q1", other, tmp_path)
    assert (built.built, built.rewritten, built.unchanged) == (2, 0, 2)
    assert {p: p.stat().st_mtime_ns for p in built.files} == times
    (tmp_path / "2024-Q1-province-17-gap.svg").unlink()
    manifest = json.loads((tmp_path / FINGERPRINTS).read_text(encoding="utf-8"))
    manifest["2024-Q1-district-153"] = "content of an earlier run"
    (tmp_path / FINGERPRINTS).write_text(json.dumps(manifest), encoding="utf-8")
    third = write_reports(str(sample_warehouse), "2024-Q1", areas, tmp_path)
    assert (third.built, third.rewritten, third.unchanged) == (2, 2, 0)
    assert (tmp_path / "2024-Q1-province-17-gap.svg").is_file()
    assert json.loads((tmp_path / FINGERPRINTS).read_text(encoding="utf-8")) == recorded
    assert sorted(recorded) == ["2024-Q1-district-153", "2024-Q1-province-17"]


# Changes to one commune's rows or one area's figures, each in a table the reports read:
# (what to change, the areas whose report may change). The sample's 2024-Q1 has district 153
# (Kim Bôi) and province 17 (Hòa Bình); every commune is in both, so a commune's change reaches
# both, and a district's KPI reaches the district only.
MUTATIONS = {
    "UPDATE core.fact_commune_status SET ntm_title = NULL WHERE period = '2024-Q1' AND ntm_title IS NOT NULL":
        {"district-153", "province-17"},
    "DELETE FROM core.fact_commune_status WHERE period = '2023-Q4' AND commune_code = '05068'":  # coverage by quarter
        {"district-153", "province-17"},
    "UPDATE core.fact_criteria_snapshot SET is_met = NOT is_met WHERE period = '2024-Q1' AND commune_code = '05068' "
    "AND criterion_no = 1": {"district-153", "province-17"},
    "UPDATE core.fact_ocop_rating SET product_name = product_name || ' mới' WHERE period = '2024-Q1'":
        {"district-153", "province-17"},
    "UPDATE core.fact_certified_area SET product = product || ' mới' WHERE period = '2024-Q1'":
        {"district-153", "province-17"},
    "UPDATE mart.ocop_register SET producer = producer || ' mới' WHERE period = '2024-Q1'":
        {"district-153", "province-17"},
    "UPDATE mart.kpi_quarterly SET value = value + 1 WHERE period = '2024-Q1' AND area_level = 'district' "
    "AND kpi_code = 'farms'": {"district-153"},
    "UPDATE mart.kpi_quarterly SET value = value + 1 WHERE period = '2023-Q3' AND area_level = 'province' "
    "AND kpi_code = 'vietgap_area_ha'": {"province-17"},
    "UPDATE mart.capital_by_source SET capital_ytd = capital_ytd + 1 WHERE period = '2024-Q1' AND area_level = 'province'":
        {"province-17"},
    "UPDATE core.dim_commune SET commune_name = commune_name || ' Mới' WHERE commune_code = '05068'": {"district-153", "province-17"},
}


@pytest.mark.parametrize("change", list(MUTATIONS))
def test_a_report_whose_content_changes_has_new_inputs(sample_warehouse, tmp_path, change):
    """The inputs' digest, taken in SQL, must change whenever the report's content would, and
    only for the areas the change can reach: a report left unbuilt is never stale."""
    import shutil

    from ntm_pipeline.report.build import build_report, report_areas

    database = tmp_path / "ntm.duckdb"
    shutil.copy(sample_warehouse, database)

    def state() -> dict[str, tuple[str, str]]:
        with duckdb.connect(str(database), read_only=True) as conn:
            return {f"{level}-{code}": (digest, build_report(conn, "2024-Q1", level, code).fingerprint)
                    for level, code, digest in report_areas(conn, "2024-Q1")}

    before = state()
    with duckdb.connect(str(database)) as conn:
        assert conn.execute(change).fetchall()[0][0] > 0  # rows changed
    after = state()
    inputs_changed = {area for area in before if before[area][0] != after[area][0]}
    content_changed = {area for area in before if before[area][1] != after[area][1]}
    assert content_changed  # the change shows in a report
    assert content_changed <= inputs_changed == MUTATIONS[change]
