"""The sample is generated deterministically and crosses the 2025 reform as the GSO lists
say; the template reads back as a submission."""

import hashlib

import pytest
from openpyxl import load_workbook

import sample_raw
from ntm_pipeline.contract import SUBMISSION_TABLES
from ntm_pipeline.samples.kim_boi import PERIODS, kim_boi_successors, kim_boi_units, write_sample
from ntm_pipeline.settings import PROJECT_ROOT
from ntm_pipeline.submissions.reader import read_submission_file

RAW = PROJECT_ROOT / "raw"
# SHA-256 of every file of 2023-Q1..2024-Q4 and of the 2024 targets as they were before the
# sample crossed the reform: what those quarters show must never change.
PINNED = PROJECT_ROOT / "tests" / "snapshots" / "sample_2023_2024.sha256"
OLD_PERIODS = PERIODS[: PERIODS.index("2025-Q3")]
NEW_PERIODS = PERIODS[PERIODS.index("2025-Q3"):]
PERIODS_2026 = [p for p in PERIODS if p >= "2026-Q1"]
# The domain reference's table (ntm-domain.md, "The 2025 reform"): new commune -> old units.
FORMED_FROM = {
    ("04978", "Kim Bôi"): {"04978", "05026", "05065"},  # Bo + Vĩnh Đồng + Kim Bôi
    ("05014", "Mường Động"): {"05014", "05038", "04999", "05005"},  # Đông Bắc + Hợp Tiến + Tú Sơn + Vĩnh Tiến
    ("05086", "Dũng Tiến"): {"05077", "05083", "05086"},  # Cuối Hạ + Mỵ Hòa + Nuông Dăm
    ("05068", "Hợp Kim"): {"05035", "05068", "05080"},  # Kim Lập + Nam Thượng + Sào Báy
    ("04990", "Nật Sơn"): {"05017", "04990", "04984", "04987"},  # Xuân Thủy + Bình Sơn + Đú Sáng + Hùng Sơn
}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    return root, write_sample(root)


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sample_regenerates_byte_for_byte(regenerated):
    root, written = regenerated
    # two templates, 17 units x 10 quarters to 2025-Q2, 5 communes x 5 quarters, targets of 2024-2026
    assert len(written) == 2 + 17 * 10 + 5 * 5 + 3
    for path in written:
        shipped = RAW / path.relative_to(root)
        assert shipped.read_bytes() == path.read_bytes(), f"{shipped} differs from the generator: run `make sample`"
    shipped_files = {p.relative_to(RAW) for p in RAW.rglob("*") if p.is_file() and p.suffix in (".xlsx", ".csv")}
    assert shipped_files == {p.relative_to(root) for p in written}


def test_the_2023_2024_files_keep_their_bytes(regenerated):
    """Extending the sample changed no file of 2023-Q1..2024-Q4, nor the 2024 targets: the
    shipped files and the generator's both have the pinned digests."""
    root, _ = regenerated
    pinned = dict(reversed(line.split("  ", 1)) for line in PINNED.read_text().splitlines())
    assert len(pinned) == 17 * 8 + 1
    for name, digest in pinned.items():
        assert _sha256(RAW / name) == digest, f"raw/{name} changed"
        assert _sha256(root / name) == digest, f"the generator changed {name}"
    assert sorted(p.name for p in (RAW / "submissions").iterdir() if p.name < "2025") == [
        f"{y}-Q{q}" for y in (2023, 2024) for q in range(1, 5)]


def test_all_17_units_with_real_gso_codes():
    units = kim_boi_units()
    assert [u.code for u in units] == [
        "04978", "04984", "04987", "04990", "04999", "05005", "05014", "05017", "05026",
        "05035", "05038", "05065", "05068", "05077", "05080", "05083", "05086",
    ]
    assert [u.unit_type for u in units].count("Thị trấn") == 1


def test_the_5_new_communes_are_made_of_the_17_units():
    assert {(u.code, u.name): set(u.formed_from) for u in kim_boi_successors()} == FORMED_FROM
    assert {u.unit_type for u in kim_boi_successors()} == {"Xã"}


def _package_units(table: str, where: str) -> dict[str, str]:
    from vietnamadminunits.database import query

    return {r["wardCode"]: r["wardShort"] for r in query(f"SELECT wardCode, wardShort FROM {table} WHERE {where}")}


def _sheet_headers(path, sheet: str) -> set[str]:
    rows = load_workbook(path, read_only=True)[sheet].iter_rows(max_row=4, values_only=True)
    return {cell for row in rows if "Mã xã" in row for cell in row if cell}


@pytest.mark.parametrize("period", PERIODS)
def test_each_quarter_names_only_the_units_in_force(period):
    """To 2025-Q2 the 17 units of district 153 (Hòa Bình 17), from 2025-Q3 the 5 communes of
    Phú Thọ (25) with no district: codes and names as the package's lists of that era give them,
    in every sheet of every file."""
    if period in OLD_PERIODS:
        units = _package_units("admin_units_legacy", "provinceCode = '17' AND districtCode = '153'")
        provinces, districts = {"17", None}, {"153", None}  # either may be left blank
    else:
        units = {code: name for code, name in FORMED_FROM}
        assert units.items() <= _package_units("admin_units", "provinceCode = '25'").items()
        provinces, districts = {"25"}, {None}
    headers = sample_raw.headers(period)
    assert set(headers) == set(units)
    for code, header in headers.items():
        assert sample_raw.name_key(header["commune_name"]) == sample_raw.name_key(units[code]), header
        assert header["province_code"] in provinces and header.get("district_code") in districts, header
    for table in ("investment", "criteria", "ocop_product", "certified_area"):
        assert {r["commune_code"] for _, _, r in sample_raw.rows(period, table)} <= set(units)
    for path in (RAW / "submissions" / period).glob("*.xlsx"):
        columns = _sheet_headers(path, "Thông tin chung")
        assert ("Mã huyện" in columns) == (period in OLD_PERIODS), path
        assert ("Nhóm xã" in columns) == (period in PERIODS_2026), path


@pytest.mark.parametrize("period", NEW_PERIODS)
def test_criteria_of_the_set_in_force_and_the_commune_group(period):
    """2025-Q3..Q4: the 19 criteria of NTM_2021_2025; from 2026-Q1 the 10 of NTM_2026_2030, a
    commune group 1, 2 or 3, and in some files indicator rows under a criterion they follow."""
    expected_set, count = ("NTM_2026_2030", 10) if period in PERIODS_2026 else ("NTM_2021_2025", 19)
    by_commune: dict[str, list[str]] = {}
    for _, _, r in sample_raw.rows(period, "criteria"):
        assert r["criteria_set"] == expected_set
        by_commune.setdefault(r["commune_code"], []).append(r["criterion_no"].strip().replace(",", "."))
    assert set(by_commune) == {code for code, _ in FORMED_FROM}
    indicators = 0
    for numbers in by_commune.values():
        criteria = [n for n in numbers if not sample_raw.is_indicator(n)]
        assert criteria == [str(n) for n in range(1, count + 1)]
        for position, number in enumerate(numbers):
            if sample_raw.is_indicator(number):
                indicators += 1
                criterion = number.split(".")[0]
                assert criterion in criteria and numbers.index(criterion) < position
    groups = {code: sample_raw.code("commune_group", h.get("commune_group"))
              for code, h in sample_raw.headers(period).items()}
    if period in PERIODS_2026:
        assert set(groups.values()) <= {"1", "2", "3"} and None not in groups.values()
        assert indicators > 0
    else:
        assert set(groups.values()) == {None} and indicators == 0


def test_template_has_every_table_and_no_rows():
    template = RAW / "templates" / "bao-cao-quy-xa.xlsx"
    parsed = read_submission_file(template)
    assert parsed.error is None
    assert set(parsed.tables) == {t.name for t in SUBMISSION_TABLES}
    assert parsed.row_count == 0
    for table in SUBMISSION_TABLES:
        assert parsed.tables[table.name].sheet == table.sheet_vi
        assert parsed.tables[table.name].ignored_headers == []
    assert {"Mã huyện", "Nhóm xã"} <= _sheet_headers(template, "Thông tin chung")


def test_template_offers_the_code_labels():
    workbook = load_workbook(RAW / "templates" / "bao-cao-quy-xa.xlsx")
    lists = workbook["Danh mục"]
    labels = {cell.value for column in lists.iter_cols(min_row=2) for cell in column if cell.value}
    assert {"Đường giao thông nông thôn", "Ngầm, tràn", "Chuyển tiếp", "Chuẩn bị đầu tư", "VietGAP"} <= labels
    sheet = workbook["Dự án đầu tư"]
    assert any("Danh mục" in v.formula1 for v in sheet.data_validations.dataValidation)
