"""Write the quarterly report of a district or province from the warehouse.

One structure of blocks (headings, paragraphs, tables, charts) is rendered three ways:
Markdown (shown in the Dagster UI), a self-contained HTML page with the charts, and an
Excel workbook of the same tables set up for printing. The narrative follows the district
news releases it replaces, with Vietnamese number conventions.
"""

from __future__ import annotations

import hashlib
import html
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from ntm_pipeline.partitions import parse_period
from ntm_pipeline.reference import read_reference_csv
from ntm_pipeline.report.charts import bar_chart, line_chart
from ntm_pipeline.report.numbers import billion_vnd, count, vi_fixed, vi_number

SQL = Path(__file__).parent / "sql"


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]


@dataclass
class Report:
    period: str
    area_level: str
    area_code: str
    area_name: str
    blocks: list[tuple] = field(default_factory=list)  # ("h1"|"h2"|"p", text) | ("table", Table) | ("chart", name)
    charts: dict[str, str] = field(default_factory=dict)  # name -> SVG

    @property
    def tables(self) -> list[Table]:
        return [b[1] for b in self.blocks if b[0] == "table"]

    @property
    def slug(self) -> str:
        return f"{self.period}-{self.area_level}-{self.area_code}"

    @property
    def fingerprint(self) -> str:
        """What the files would hold: the content and the code that renders it."""
        content = repr((self.period, self.area_level, self.area_code, self.area_name, self.blocks, self.charts))
        return hashlib.sha256((_renderer_version() + content).encode("utf-8")).hexdigest()

    def files(self, folder: Path) -> list[Path]:
        """Its Markdown, HTML page, workbook and charts, in that order."""
        names = [f"{self.slug}.md", f"{self.slug}.html", f"{self.slug}.xlsx"]
        return [folder / n for n in names] + [folder / f"{self.slug}-{name}.svg" for name in self.charts]


@cache
def _renderer_version() -> str:
    """A hash of the report package's code: a change in rendering rewrites every report."""
    package = Path(__file__).parent
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted([*package.glob("*.py"), *SQL.glob("*.sql")]))).hexdigest()


def _query(conn, name: str, params: dict) -> list[tuple]:
    sql = (SQL / f"{name}.sql").read_text(encoding="utf-8")
    return conn.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql}).fetchall()


def _labels(code_list: str) -> dict[str, str]:
    return {r["code"]: r["label_vi"] for r in read_reference_csv("code_list") if r["code_list"] == code_list}


def _change(delta: float | None, unit: str) -> str:
    if delta is None:
        return "chưa có số liệu cùng kỳ"
    if abs(delta) < 1e-9:
        return "không đổi so với cùng kỳ"
    return f"{'tăng' if delta > 0 else 'giảm'} {vi_number(abs(delta))} {unit} so với cùng kỳ"


def _names(rows, stars: int) -> str:
    return ", ".join(name for name, s, *_ in rows if s == stars)


def build_report(conn: duckdb.DuckDBPyConnection, period: str, area_level: str, area_code: str) -> Report:
    year, quarter = parse_period(period)
    params = {"period": period, "area_level": area_level, "area_code": area_code, "year": year}
    area = _query(conn, "area", params)
    if not area:
        raise ValueError(f"no {area_level} with GSO code {area_code}")
    area_name, province_name = area[0]
    kpis = {code: rest for code, *rest in _query(conn, "kpis", params)}
    if not kpis:
        raise ValueError(f"no KPIs for {area_level} {area_code} in {period}: run the pipeline for that quarter first")

    def value(code):
        return (kpis.get(code) or [0, None, None, None])[0] or 0

    unit = "huyện" if area_level == "district" else "tỉnh"
    place = f"{unit} {area_name}"
    report = Report(period, area_level, area_code, area_name)
    months = "năm" if quarter == 4 else f"{quarter * 3} tháng đầu năm"
    report.blocks.append(("h1", f"{area_name.upper()}: KẾT QUẢ XÂY DỰNG NÔNG THÔN MỚI QUÝ {quarter}/{year}"))

    # Capital and projects.
    categories = _labels("project_category")
    ongoing = [(c, value(f"projects_ongoing.{c}")) for c in categories]
    preparing = [(c, value(f"projects_preparing.{c}")) for c in categories]
    phrase = lambda pairs: ", ".join(f"{count(n)} công trình {categories[c].lower()}" for c, n in pairs if n)  # noqa: E731
    report.blocks.append(("p",
        f"{months.capitalize()} {year}, {place} đã huy động được {billion_vnd(value('capital_mobilized_ytd'))} "
        f"({vi_number(value('capital_mobilized_ytd'))} triệu đồng) cho Chương trình MTQG xây dựng nông thôn mới. "
        f"Các công trình chuyển tiếp đang thực hiện: {phrase(ongoing) or 'không có'}. "
        f"Chuẩn bị đầu tư sửa chữa, nâng cấp và xây dựng mới: {phrase(preparing) or 'không có'}."))

    # Good agricultural practice.
    products = {standard: items for standard, items in _query(conn, "gap_products", params)}
    gap = []
    for standard, label in (("vietgap", "VietGAP"), ("globalgap", "GlobalGAP")):
        _, prev, delta, _ = kpis.get(f"{standard}_area_ha", [0, None, None, None])
        items = ", ".join(p.lower() for p in products.get(standard, []))
        gap.append(f"{label}{f' ({items})' if items else ''} đạt {vi_number(value(f'{standard}_area_ha'))} ha "
                   f"({_change(delta, 'ha')})")
    report.blocks.append(("p", f"Diện tích sản xuất đạt chứng nhận còn hiệu lực đến cuối quý: {'; '.join(gap)}."))
    report.blocks.append(("p",
        f"Toàn {unit} có {count(value('agri_cooperatives'))} hợp tác xã hoạt động trong lĩnh vực nông nghiệp; "
        f"có {count(value('farms'))} trang trại."))

    # OCOP.
    last_year = _query(conn, "ocop_ratings", {**params, "year": year - 1})
    this_year = [r for r in _query(conn, "ocop_ratings", params) if r[2] == "new"]
    ocop = []
    if last_year:
        parts = [f"{count(sum(1 for r in last_year if r[1] == s))} sản phẩm {s} sao ({_names(last_year, s)})"
                 for s in (5, 4, 3) if any(r[1] == s for r in last_year)]
        ocop.append(f"Năm {year - 1}, có {count(len(last_year))} lượt sản phẩm được công nhận OCOP: {'; '.join(parts)}.")
    if this_year:
        ocop.append(f"Từ đầu năm {year}, {count(len(this_year))} sản phẩm được công nhận mới: "
                    + ", ".join(f"{name} ({stars} sao)" for name, stars, *_ in this_year) + ".")
    else:
        ocop.append(f"Từ đầu năm {year}, chưa có sản phẩm OCOP mới được công nhận.")
    stars_text = ", ".join(f"{count(value(f'ocop_products_{s}_star'))} sản phẩm {s} sao"
                           for s in (3, 4, 5) if value(f"ocop_products_{s}_star"))
    ocop.append(f"Hiện nay, {place} có tổng số {count(value('ocop_products'))} sản phẩm được chứng nhận OCOP "
                f"đạt từ 3 sao trở lên còn hiệu lực ({stars_text or 'không có'}).")
    report.blocks.append(("p", " ".join(ocop)))

    # Criteria and titles.
    communes = _query(conn, "communes_by_title", params)
    ntm = [name for name, title, *_ in communes if title in ("ntm", "advanced", "model")]
    advanced = [name for name, title, *_ in communes if title in ("advanced", "model")]
    proposed_advanced = [name for name, _, _, proposed in communes if proposed == "advanced"]
    proposed_ntm = [name for name, _, _, proposed in communes if proposed == "ntm"]
    end_month = quarter * 3
    criteria = [
        f"Tính đến hết tháng {end_month}/{year}, bình quân tiêu chí của cả {unit} đạt "
        f"{vi_fixed(value('avg_criteria_met'))} tiêu chí/xã.",
        f"Số xã đạt chuẩn nông thôn mới: {count(len(ntm))} xã" + (f" (các xã: {', '.join(ntm)})." if ntm else "."),
    ]
    if advanced:
        criteria.append(f"Số xã đạt chuẩn nông thôn mới nâng cao: {count(len(advanced))} xã ({', '.join(advanced)}).")
    if proposed_advanced:
        criteria.append(f"Đang đề nghị xét, công nhận xã {', '.join(proposed_advanced)} đạt chuẩn nông thôn mới nâng cao.")
    if proposed_ntm:
        criteria.append(f"Đang đề nghị xét, công nhận xã {', '.join(proposed_ntm)} đạt chuẩn nông thôn mới.")
    bands = [f"{count(value('communes_15_18_criteria'))} xã đạt từ 15 – 18 tiêu chí",
             f"{count(value('communes_10_14_criteria'))} xã đạt từ 10 – 14 tiêu chí"]
    if value("communes_under_10_criteria"):
        bands.append(f"{count(value('communes_under_10_criteria'))} xã đạt dưới 10 tiêu chí")
    if value("communes_19_criteria"):
        bands.append(f"{count(value('communes_19_criteria'))} xã đạt 19 tiêu chí đang chờ công nhận")
    criteria.append(f"Có {'; '.join(bands)}.")
    report.blocks.append(("p", " ".join(criteria)))

    # Targets of the year and what remains.
    def target(code):
        return (kpis.get(code) or [None, None, None, None])[3]

    goals = []
    if target("avg_criteria_met") is not None:
        gap_left = max(target("avg_criteria_met") - value("avg_criteria_met"), 0)
        goals.append(f"bình quân tiêu chí đạt {vi_fixed(target('avg_criteria_met'))} tiêu chí/xã "
                     f"(còn {vi_fixed(gap_left)} tiêu chí/xã)")
    for code, text in (("ntm_communes", "xã đạt chuẩn NTM"), ("advanced_ntm_communes", "xã đạt chuẩn NTM nâng cao")):
        if target(code) is not None:
            goals.append(f"có {count(target(code))} {text} (còn {count(max(target(code) - value(code), 0))} xã)")
    for code, text in (("communes_15_18_criteria", "xã đạt từ 15 – 18 tiêu chí"), ("communes_10_14_criteria", "xã đạt từ 10 – 14 tiêu chí")):
        if target(code) is not None:
            goals.append(f"có {count(target(code))} {text} (hiện có {count(value(code))} xã)")
    if target("ocop_products_new_ytd") is not None:
        done = value("ocop_products_new_ytd")
        goals.append(f"chuẩn hóa thêm {count(target('ocop_products_new_ytd'))} sản phẩm OCOP đạt từ 3 sao trở lên "
                     f"({f'đã có {count(done)} sản phẩm' if done else 'chưa có sản phẩm nào'})")
    if goals:
        report.blocks.append(("p", f"Mục tiêu đến hết năm {year}: {'; '.join(goals)}."))

    _add_tables_and_charts(conn, report, params, kpis, categories)
    return report


HEADLINE = [
    ("capital_mobilized_ytd", "Vốn huy động từ đầu năm (triệu đồng)"),
    ("vietgap_area_ha", "Diện tích VietGAP (ha)"),
    ("globalgap_area_ha", "Diện tích GlobalGAP (ha)"),
    ("agri_cooperatives", "Hợp tác xã nông nghiệp"),
    ("farms", "Trang trại"),
    ("ocop_products", "Sản phẩm OCOP (3 sao trở lên)"),
    ("ocop_products_new_ytd", "Sản phẩm OCOP công nhận mới từ đầu năm"),
    ("avg_criteria_met", "Bình quân tiêu chí/xã"),
    ("ntm_communes", "Xã đạt chuẩn NTM"),
    ("advanced_ntm_communes", "Xã đạt chuẩn NTM nâng cao"),
    ("communes_15_18_criteria", "Xã đạt 15 – 18 tiêu chí"),
    ("communes_10_14_criteria", "Xã đạt 10 – 14 tiêu chí"),
]
SOURCES = {
    "central_budget": "Ngân sách trung ương", "local_budget": "Ngân sách địa phương", "integrated": "Vốn lồng ghép",
    "credit": "Vốn tín dụng", "enterprise": "Doanh nghiệp", "people": "Nhân dân đóng góp",
}


def _add_tables_and_charts(conn, report: Report, params: dict, kpis: dict, categories: dict) -> None:
    def row(code):
        value, prev, delta, target = kpis.get(code, [None] * 4)
        return [value, prev, delta, target]

    report.blocks.append(("h2", "Các chỉ tiêu chính"))
    report.blocks.append(("table", Table("Chỉ tiêu chính", ["Chỉ tiêu", "Kỳ này", "Cùng kỳ năm trước", "Tăng/giảm", "Mục tiêu năm"],
                                         [[label, *row(code)] for code, label in HEADLINE])))
    report.blocks.append(("table", Table("Công trình", ["Loại công trình", "Chuyển tiếp", "Chuẩn bị đầu tư"], [
        [label, row(f"projects_ongoing.{c}")[0], row(f"projects_preparing.{c}")[0]] for c, label in categories.items()
    ])))
    criteria = _query(conn, "criteria_by_commune", params)
    report.blocks.append(("h2", "Tiêu chí theo xã"))
    report.blocks.append(("table", Table("Tiêu chí theo xã", ["Xã", "Số tiêu chí đạt"], [list(r) for r in criteria])))
    report.charts["criteria"] = bar_chart(
        [r[0] for r in criteria], [r[1] for r in criteria], "Số tiêu chí đạt theo xã",
        line=(kpis.get("avg_criteria_met") or [None] * 4)[3], line_label="Mục tiêu bình quân",
    )
    report.blocks.append(("chart", "criteria"))
    history = _query(conn, "gap_history", params)
    periods = sorted({p for p, _, _ in history})
    series = {code: [next((v for p, c, v in history if p == period and c == code), 0) for period in periods]
              for code in ("vietgap_area_ha", "globalgap_area_ha")}
    report.blocks.append(("h2", "Diện tích đạt chứng nhận qua tám quý"))
    report.blocks.append(("table", Table("Diện tích GAP", ["Quý", "VietGAP (ha)", "GlobalGAP (ha)"],
                                         [[p, series["vietgap_area_ha"][i], series["globalgap_area_ha"][i]]
                                          for i, p in enumerate(periods)])))
    report.charts["gap"] = line_chart(periods, {"VietGAP": series["vietgap_area_ha"], "GlobalGAP": series["globalgap_area_ha"]},
                                       "Diện tích VietGAP và GlobalGAP (ha)")
    report.blocks.append(("chart", "gap"))
    capital = _query(conn, "capital_by_source", params)
    report.blocks.append(("h2", "Vốn huy động từ đầu năm theo nguồn"))
    report.blocks.append(("table", Table("Vốn theo nguồn", ["Nguồn vốn", "Triệu đồng"],
                                         [[SOURCES.get(s, s), v] for s, v in capital])))
    report.charts["capital"] = bar_chart([SOURCES.get(s, s) for s, _ in capital], [v / 1000 for _, v in capital],
                                          "Vốn huy động từ đầu năm theo nguồn (tỷ đồng)")
    report.blocks.append(("chart", "capital"))
    register = _query(conn, "ocop_register", params)
    report.blocks.append(("h2", "Sản phẩm OCOP còn hiệu lực"))
    report.blocks.append(("table", Table("Sản phẩm OCOP", ["Xã", "Sản phẩm", "Số sao", "Chủ thể", "Ngày công nhận", "Hết hạn"],
                                         [list(r) for r in register])))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return vi_number(value)
    if isinstance(value, int):
        return vi_number(value)
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value)


def to_markdown(report: Report) -> str:
    lines = []
    for block in report.blocks:
        kind = block[0]
        if kind == "h1":
            lines += [f"# {block[1]}", ""]
        elif kind == "h2":
            lines += [f"## {block[1]}", ""]
        elif kind == "p":
            lines += [block[1], ""]
        elif kind == "table":
            table = block[1]
            lines.append("| " + " | ".join(table.headers) + " |")
            lines.append("|" + "---|" * len(table.headers))
            lines += ["| " + " | ".join(_cell(v).replace("|", "/") for v in row) + " |" for row in table.rows]
            lines.append("")
        elif kind == "chart":
            lines += [f"![{block[1]}]({report.slug}-{block[1]}.svg)", ""]
    return "\n".join(lines)


def to_html(report: Report) -> str:
    parts = [
        "<!DOCTYPE html>", '<html lang="vi"><head><meta charset="utf-8">',
        f"<title>{html.escape(report.area_name)} {report.period}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.5}"
        "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #999;padding:.2rem .5rem}"
        "td{text-align:right}td:first-child{text-align:left}svg{max-width:100%;height:auto}</style></head><body>",
    ]
    for block in report.blocks:
        kind = block[0]
        if kind in ("h1", "h2", "p"):
            parts.append(f"<{kind}>{html.escape(block[1])}</{kind}>")
        elif kind == "table":
            table = block[1]
            parts.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in table.headers) + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in table.rows]
            parts.append("</table>")
        elif kind == "chart":
            parts.append(f'<figure aria-label="{block[1]}">{report.charts[block[1]]}</figure>')
    parts.append("</body></html>")
    return "\n".join(parts)


def to_workbook(report: Report):
    """The report's tables as a workbook set up for printing. Text stays text: a name that
    starts with '=' is never read as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    summary = workbook.create_sheet("Báo cáo")
    summary.column_dimensions["A"].width = 120
    for block in report.blocks:
        if block[0] in ("h1", "h2", "p"):
            cell = summary.cell(row=summary.max_row + (0 if summary.max_row == 1 and summary["A1"].value is None else 1),
                                column=1)
            _set_text(cell, block[1])
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if block[0] != "p":
                cell.font = Font(bold=True, size=14 if block[0] == "h1" else 12)
    for table in report.tables:
        sheet = workbook.create_sheet(table.title[:31])
        _set_text(sheet.cell(row=1, column=1), f"{table.title} - {report.area_name} - {report.period}")
        sheet["A1"].font = Font(bold=True, size=12)
        for col, header in enumerate(table.headers, start=1):
            cell = sheet.cell(row=3, column=col)
            _set_text(cell, header)
            cell.font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(col)].width = max(14, len(header) + 4)
        for r, values in enumerate(table.rows, start=4):
            for col, value in enumerate(values, start=1):
                cell = sheet.cell(row=r, column=col)
                if isinstance(value, str):
                    _set_text(cell, value)
                else:
                    cell.value = value
                    if isinstance(value, float):
                        cell.number_format = "#,##0.0"
        sheet.print_title_rows = "3:3"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    summary.page_setup.fitToWidth = 1
    return workbook


def _set_text(cell, text: str) -> None:
    cell.value = text
    cell.data_type = "s"  # never a formula, whatever the first character


@dataclass
class WrittenReports:
    files: list[Path]
    rewritten: int
    unchanged: int


def write_reports(database: str, period: str, areas: list[tuple[str, str]], folder: Path) -> WrittenReports:
    """Write the report of every (level, code) in `areas` for `period` into `folder`.

    A report whose content (and rendering code) is what its files already hold is left
    alone: a correction from one commune rewrites its district and province, not the
    country's 760 reports. `folder/fingerprints.json` records what each report's files hold.
    Reports are independent and read-only, so many are shared among one process per core,
    each opening the warehouse read-only; the caller must hold no open connection to it.
    """
    manifest = folder / FINGERPRINTS
    previous = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else {}
    workers = min(os.cpu_count() or 1, len(areas) // REPORTS_PER_WORKER)
    if workers < 2:
        results = [_write_share(database, period, areas, folder, previous)]
    else:
        shares = [areas[i::workers] for i in range(workers)]
        context = multiprocessing.get_context("spawn")  # no fork of a process that has run DuckDB and Dagster
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = list(pool.map(_write_share, [database] * workers, [period] * workers, shares,
                                    [folder] * workers, [previous] * workers))
    fingerprints = {**previous, **{k: v for r in results for k, v in r[1].items()}}
    folder.mkdir(parents=True, exist_ok=True)
    staged = manifest.with_suffix(".json.tmp")
    staged.write_text(json.dumps(fingerprints, indent=0, sort_keys=True), encoding="utf-8")
    staged.replace(manifest)  # all at once: a crash never leaves half a manifest
    return WrittenReports(
        files=[p for r in results for p in r[0]],
        rewritten=sum(r[2] for r in results),
        unchanged=sum(len(r[1]) - r[2] for r in results),
    )


FINGERPRINTS = "fingerprints.json"
REPORTS_PER_WORKER = 50  # below this a worker's start-up (about a second) costs more than it saves


def _write_share(database: str, period: str, areas: list[tuple[str, str]], folder: Path, previous: dict[str, str]):
    """Files, fingerprints and the number rewritten, for some areas."""
    files, fingerprints, rewritten = [], {}, 0
    with duckdb.connect(database, read_only=True) as conn:
        for level, code in areas:
            report = build_report(conn, period, level, code)
            fingerprint = report.fingerprint
            paths = report.files(folder)
            if previous.get(report.slug) != fingerprint or not all(p.is_file() for p in paths):
                write_report(report, folder)
                rewritten += 1
            files += paths
            fingerprints[report.slug] = fingerprint
    return files, fingerprints, rewritten


def write_report(report: Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    markdown, page, workbook, *charts = paths = report.files(folder)
    markdown.write_text(to_markdown(report), encoding="utf-8")
    page.write_text(to_html(report), encoding="utf-8")
    to_workbook(report).save(workbook)
    for path, svg in zip(charts, report.charts.values()):
        path.write_text(svg, encoding="utf-8")
    return paths
