"""The submission contract: which tables a commune sends and what their columns mean.

This module is the single source for the template workbook, the parser that reads
submissions, the raw table layout and `docs/submission-format.md`. Each column has an
English canonical name (the column name in the warehouse and the header of machine
exports) and a Vietnamese header (what officers see in the template). Either is accepted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    header_vi: str
    kind: str  # text | code | integer | decimal | date | boolean | period | criterion
    description: str
    required: bool = False
    code_list: str | None = None
    # The quarters the column belongs to (None: open): a template made for a quarter has only
    # the columns of that quarter; a file without a column of its quarter is still read.
    first_period: str | None = None
    last_period: str | None = None

    def in_period(self, period: str | None) -> bool:
        """The column is part of the template for `period` (every column when None)."""
        return period is None or (
            (self.first_period is None or period >= self.first_period)
            and (self.last_period is None or period <= self.last_period))


HEADER, DETAIL, ANNUAL = "header", "detail", "annual"


@dataclass(frozen=True)
class SubmissionTable:
    """A table of the submission format, with the rules every layer reads from it:

    - `role`: the `header` (one row per commune and quarter, checked first: a file whose header
      breaks a critical rule is taken out whole), a `detail` table (its rows count only for a
      commune whose header was published), or `annual` (targets: set per year, in files of
      their own, not partitioned by quarter);
    - `fact`: the core fact table it is published to, and `fact_description`, what a row of it
      is; its suites are expectations/<name>.json and expectations/<fact>.json, its findings
      quarantine.<name>.
    """

    name: str
    sheet_vi: str
    description: str
    columns: tuple[Column, ...]
    role: str = DETAIL
    fact: str | None = None
    fact_description: str = ""
    fact_lists_rows: bool = False  # a fact row sums several staged rows and lists them in source_rows

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def columns_in(self, period: str | None) -> tuple[Column, ...]:
        """The columns of the template for `period` (every column when None)."""
        return tuple(c for c in self.columns if c.in_period(period))

    @property
    def partitioned(self) -> bool:
        """Kept by quarter: every table but the annual targets."""
        return self.role != ANNUAL

    @property
    def waits_for_header(self) -> bool:
        """A detail table: its rows count only for a commune whose header was published."""
        return self.role == DETAIL


COMMUNE_CODE = Column(
    "commune_code", "Mã xã", "text",
    "GSO code of the commune (5 digits, e.g. 05068). In a one-commune workbook the detail "
    "sheets may leave it blank: the code of the Thông tin chung sheet applies.",
    required=True,
)

SUBMISSION = SubmissionTable(
    "submission", "Thông tin chung",
    "One row per commune and reporting period: who reports, the commune's NTM title and "
    "its stock of cooperatives and farms at quarter end.",
    (
        COMMUNE_CODE,
        Column("commune_name", "Tên xã", "text", "Commune name as written by the commune (a label; the code is the key)."),
        Column("district_code", "Mã huyện", "text",
               "GSO code of the district the commune reports to (3 digits), up to 2025-Q2; when given it "
               "must be the commune's. From 2025-Q3 there are no districts: leave it out (given, it is "
               "a warning and ignored).", last_period="2025-Q2"),
        Column("province_code", "Mã tỉnh", "text",
               "GSO code of the province (2 digits) of the quarter's units: one of the 63 up to 2025-Q2, "
               "one of the 34 from 2025-Q3; when given it must be the commune's."),
        Column("commune_group", "Nhóm xã", "code",
               "Commune group 1, 2 or 3 of Decision 51/2025/QĐ-TTg, whose thresholds the commune is "
               "scored against: from 2026-Q1, for every rural commune (missing: a warning).",
               code_list="commune_group", first_period="2026-Q1"),
        Column("reporting_period", "Kỳ báo cáo", "period", "Reporting quarter: 2024-Q1, Q1/2024 or Quý 1/2024.", required=True),
        Column("date_prepared", "Ngày lập", "date", "Date the report was prepared (dd/mm/yyyy)."),
        Column("preparer", "Người lập", "text", "Name of the officer who prepared the report."),
        Column("agri_cooperatives", "Số hợp tác xã nông nghiệp", "integer",
               "Agricultural cooperatives operating in the commune at quarter end."),
        Column("farms", "Số trang trại", "integer", "Farms (trang trại) in the commune at quarter end."),
        Column("ntm_title", "Danh hiệu NTM", "code",
               "Highest NTM title the commune holds at quarter end.", code_list="ntm_title"),
        Column("title_year", "Năm công nhận", "integer", "Year the title in Danh hiệu NTM was recognised."),
        Column("proposed_title", "Danh hiệu đề nghị xét", "code",
               "Title the commune has been proposed for and awaits (blank if none).", code_list="ntm_title"),
        Column("is_correction", "Báo cáo điều chỉnh", "boolean",
               "x when this submission corrects one already sent for the same commune and period: "
               "it replaces it. Blank for a first submission."),
    ),
    role=HEADER, fact="fact_commune_status",
    fact_description=(
        "One row per commune and quarter that sent a valid submission: its NTM title and the "
        "year it was recognised, the title it is proposed for, and its agricultural "
        "cooperatives and farms at quarter end. The spine every other fact joins to."
    ),
)

CAPITAL_SOURCES = (
    ("capital_central_budget", "Vốn ngân sách trung ương", "central state budget"),
    ("capital_local_budget", "Vốn ngân sách địa phương", "provincial, district and commune budgets"),
    ("capital_integrated", "Vốn lồng ghép", "other national programmes and projects integrated into NTM"),
    ("capital_credit", "Vốn tín dụng", "credit"),
    ("capital_enterprise", "Vốn doanh nghiệp", "enterprises"),
    ("capital_people", "Vốn nhân dân đóng góp", "people's contributions"),
)

INVESTMENT = SubmissionTable(
    "investment", "Dự án đầu tư",
    "One row per investment project of the commune in the period: its status at quarter end "
    "and the capital mobilised for it during the quarter, by source, in million VND.",
    (
        COMMUNE_CODE,
        Column("project_code", "Mã dự án", "text", "The commune's code for the project; stable across quarters.", required=True),
        Column("project_name", "Tên dự án", "text", "Project name."),
        Column("category", "Loại công trình", "code", "Kind of works.", required=True, code_list="project_category"),
        Column("status", "Tình trạng", "code", "Status at quarter end.", required=True, code_list="project_status"),
        *(
            Column(name, f"{label} (triệu đồng)", "decimal",
                   f"Capital mobilised in the quarter from {what}, million VND.")
            for name, label, what in CAPITAL_SOURCES
        ),
        Column("capital_total", "Tổng vốn (triệu đồng)", "decimal",
               "Optional total of the six sources, million VND; when given it must equal their sum."),
    ),
    fact="fact_investment",
    fact_description=(
        "One row per investment project and quarter: category, status at quarter end (ongoing, "
        "preparing, completed) and capital mobilised during the quarter by source, million VND."
    ),
)

CRITERIA = SubmissionTable(
    "criteria", "Tiêu chí",
    "One row per criterion of the commune's criteria set (the set in force for the quarter): met "
    "or not at quarter end, and optionally one row per indicator of a criterion (2.1, 2.2, ...). "
    "Towns and wards (thị trấn, phường) do not report rural commune criteria.",
    (
        COMMUNE_CODE,
        Column("criteria_set", "Bộ tiêu chí", "code",
               "Criteria set, the one in force for the quarter: NTM_2021_2025 (Decision 318/QĐ-TTg) up to "
               "2025-Q4, NTM_2026_2030 (Decision 51/2025/QĐ-TTg) from 2026-Q1.", required=True,
               code_list="criteria_set"),
        Column("criterion_no", "Số tiêu chí", "criterion",
               "Criterion number within the set (1-19 for NTM_2021_2025, 1-10 for NTM_2026_2030), or an "
               "indicator of a criterion as criterion.indicator (2.1: indicator 1 of criterion 2; 2,1 "
               "is read alike). Indicator rows are optional.", required=True),
        Column("met", "Đạt", "boolean",
               "Met at quarter end: x, đạt, 1 or có for met; blank, 0, không or chưa đạt for not met."),
        Column("note", "Ghi chú", "text", "Free note, e.g. why a criterion was lost."),
    ),
    fact="fact_criteria_snapshot",
    fact_description=(
        "One row per commune, criterion and quarter: whether the commune met the criterion of "
        "its criteria set at quarter end. Towns do not appear: they are not scored on rural "
        "criteria."
    ),
)

OCOP_PRODUCT = SubmissionTable(
    "ocop_product", "Sản phẩm OCOP",
    "One row per OCOP rating event of a product of the commune: the commune's register, "
    "carried forward each quarter with new ratings added.",
    (
        COMMUNE_CODE,
        Column("product_code", "Mã sản phẩm", "text", "The commune's code for the product; stable across ratings.", required=True),
        Column("product_name", "Tên sản phẩm", "text", "Product name.", required=True),
        Column("producer", "Chủ thể", "text", "Producer (chủ thể) that owns the product."),
        Column("producer_type", "Loại chủ thể", "code", "Kind of producer.", code_list="producer_type"),
        Column("product_group", "Nhóm sản phẩm", "code", "Product group under Decision 148/919.", code_list="product_group"),
        Column("score", "Điểm", "decimal", "Rating score out of 100."),
        Column("stars", "Số sao", "integer", "Stars awarded (3, 4 or 5 for certified OCOP products).", required=True),
        Column("decision_no", "Số quyết định", "text", "Number of the recognition decision."),
        Column("decision_date", "Ngày quyết định", "date",
               "Date of the recognition decision; the certificate is valid for 36 months from it.", required=True),
        Column("certifying_level", "Cấp công nhận", "code", "Level that certified the rating.", code_list="certifying_level"),
        Column("event_type", "Loại đánh giá", "code",
               "New certification, re-rating of an expired product, or upgrade.", required=True, code_list="ocop_event"),
    ),
    fact="fact_ocop_rating",
    fact_description=(
        "One row per OCOP rating event (new certification, re-rating, upgrade) as listed in "
        "each quarter's register: stars, score, decision, certificate validity (36 months) and "
        "whether it is the product's current rating and still valid at quarter end."
    ),
)

CERTIFIED_AREA = SubmissionTable(
    "certified_area", "Vùng sản xuất đạt chứng nhận",
    "One row per certificate of a production area (VietGAP, GlobalGAP, organic) held in the "
    "commune; an area counts only while its certificate is valid.",
    (
        COMMUNE_CODE,
        Column("product", "Sản phẩm", "text", "Product grown on the certified area (e.g. Bưởi, Nhãn, Rau).", required=True),
        Column("standard", "Tiêu chuẩn", "code", "Certification standard.", required=True, code_list="gap_standard"),
        Column("area_ha", "Diện tích (ha)", "decimal", "Certified area in hectares; decimal comma accepted (46,5).", required=True),
        Column("certificate_no", "Số giấy chứng nhận", "text", "Certificate number."),
        Column("issue_date", "Ngày cấp", "date", "Date the certificate was issued.", required=True),
        Column("expiry_date", "Ngày hết hạn", "date", "Date the certificate expires.", required=True),
    ),
    fact="fact_certified_area", fact_lists_rows=True,
    fact_description=(
        "One row per commune, product, standard (VietGAP, GlobalGAP, organic) and quarter: "
        "hectares under a certificate valid at quarter end, beside the hectares reported."
    ),
)

TARGET = SubmissionTable(
    "target", "Chỉ tiêu",
    "Annual targets of a province, district (up to 2025) or commune, in a file of their own: one "
    "row per year, area and KPI code from docs/kpis.md.",
    (
        Column("year", "Năm", "integer", "Year the target is set for (end of year).", required=True),
        Column("district_code", "Mã huyện", "text",
               "GSO code of the area: a province (2 digits), a district (3 digits, up to 2025) or a commune (5 "
               "digits), as in force on 1 January of the year: 2026 targets name the units after the 2025 reform.",
               required=True),
        Column("target_code", "Mã chỉ tiêu", "text", "KPI code the target applies to, e.g. ntm_communes.", required=True),
        Column("value", "Giá trị", "decimal", "Target value at the end of the year.", required=True),
    ),
    role=ANNUAL, fact="fact_target",
    fact_description="Annual targets by year, area (district or province) and KPI code, from raw/targets/.",
)

SUBMISSION_TABLES: tuple[SubmissionTable, ...] = (SUBMISSION, INVESTMENT, CRITERIA, OCOP_PRODUCT, CERTIFIED_AREA)
ALL_TABLES: tuple[SubmissionTable, ...] = (*SUBMISSION_TABLES, TARGET)

# Columns every raw table carries to say where each row came from.
PROVENANCE_COLUMNS = ("period", "source_file", "file_hash", "batch", "sheet", "row_number", "row_hidden", "run_id")
PROVENANCE_DESCRIPTIONS = {
    "period": "Quarter the file was dropped for (its folder under raw/submissions/), e.g. 2024-Q1.",
    "source_file": "Path of the file under raw/.",
    "file_hash": "SHA-256 of the file's bytes.",
    "batch": "The submission the file belongs to: the workbook itself, or the path shared by a set of "
    "CSV files (export.investment.csv and export.criteria.csv are batch 'export').",
    "sheet": "Sheet name, or the CSV file name.",
    "row_number": "Row number in the sheet or CSV file, as the officer sees it (header rows included).",
    "row_hidden": "The row was hidden in the workbook.",
    "run_id": "Dagster run that loaded the row.",
    "loaded_at": "When the row was loaded (UTC).",
}


def column_descriptions(table: "SubmissionTable") -> dict[str, str]:
    """Descriptions of a table's columns, for the column schema shown in Dagster."""
    return {**PROVENANCE_DESCRIPTIONS, **{c.name: c.description for c in table.columns}}


def text_key(value: str) -> str:
    """A comparison key for Vietnamese text: no accents, no case, no punctuation.

    "Hòa", "Hoà", NFD forms and stray spaces all give the same key, so headers, sheet
    names and code labels match however they were typed.
    """
    text = unicodedata.normalize("NFD", str(value)).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"\(.*?\)", " ", text)
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def header_lookup(table: SubmissionTable) -> dict[str, str]:
    """Map the key of every accepted header (Vietnamese or English) to the canonical column."""
    lookup: dict[str, str] = {}
    for column in table.columns:
        lookup[text_key(column.name)] = column.name
        lookup[text_key(column.header_vi)] = column.name
    return lookup


def table_for_name(name: str) -> SubmissionTable | None:
    """The table whose Vietnamese sheet name or English name matches `name`."""
    key = text_key(name)
    for table in ALL_TABLES:
        if key in (text_key(table.name), text_key(table.sheet_vi)):
            return table
    return None
