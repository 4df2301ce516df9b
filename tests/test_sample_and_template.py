"""The sample is generated deterministically, and the template reads back as a submission."""


from ntm_pipeline.contract import SUBMISSION_TABLES
from ntm_pipeline.samples.kim_boi import kim_boi_units, write_sample
from ntm_pipeline.settings import PROJECT_ROOT
from ntm_pipeline.submissions.reader import read_submission_file

RAW = PROJECT_ROOT / "raw"


def test_sample_regenerates_byte_for_byte(tmp_path):
    written = write_sample(tmp_path)
    assert len(written) == 2 + 17 * 8 + 1  # two templates, 17 units x 8 quarters, the targets
    for path in written:
        shipped = RAW / path.relative_to(tmp_path)
        assert shipped.read_bytes() == path.read_bytes(), f"{shipped} differs from the generator: run `make sample`"
    shipped_files = {p.relative_to(RAW) for p in RAW.rglob("*") if p.is_file() and p.suffix in (".xlsx", ".csv")}
    assert shipped_files == {p.relative_to(tmp_path) for p in written}


def test_all_17_units_with_real_gso_codes():
    units = kim_boi_units()
    assert [u.code for u in units] == [
        "04978", "04984", "04987", "04990", "04999", "05005", "05014", "05017", "05026",
        "05035", "05038", "05065", "05068", "05077", "05080", "05083", "05086",
    ]
    assert [u.unit_type for u in units].count("Thị trấn") == 1


def test_template_has_every_table_and_no_rows():
    template = RAW / "templates" / "bao-cao-quy-xa.xlsx"
    parsed = read_submission_file(template)
    assert parsed.error is None
    assert set(parsed.tables) == {t.name for t in SUBMISSION_TABLES}
    assert parsed.row_count == 0
    for table in SUBMISSION_TABLES:
        assert parsed.tables[table.name].sheet == table.sheet_vi
        assert parsed.tables[table.name].ignored_headers == []


def test_template_offers_the_code_labels():
    from openpyxl import load_workbook

    workbook = load_workbook(RAW / "templates" / "bao-cao-quy-xa.xlsx")
    lists = workbook["Danh mục"]
    labels = {cell.value for column in lists.iter_cols(min_row=2) for cell in column if cell.value}
    assert {"Đường giao thông nông thôn", "Ngầm, tràn", "Chuyển tiếp", "Chuẩn bị đầu tư", "VietGAP"} <= labels
    sheet = workbook["Dự án đầu tư"]
    assert any("Danh mục" in v.formula1 for v in sheet.data_validations.dataValidation)
