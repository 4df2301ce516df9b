"""Write the quarterly report of a district or province from the warehouse.

One structure of blocks (the header block, headings, paragraphs, tables, charts) is rendered
three ways: Markdown (shown in the Dagster UI), a self-contained HTML page with the charts,
and an Excel workbook of the same tables set up for printing. The narrative follows the
district news releases it replaces, with Vietnamese number conventions. It opens with how
many of the area's commune-level units reported: when only some did, every total is said
to be theirs, never the district's or province's. Lists of names are in Vietnamese
collation (DuckDB's ICU `COLLATE vi` in the SQL: Đ right after D, tones after the base letter).
"""

from __future__ import annotations

import hashlib
import html
import json
import multiprocessing
import os
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path

import duckdb

from ntm_pipeline.partitions import parse_period
from ntm_pipeline.reference import read_reference_csv
from ntm_pipeline.report.charts import bar_chart, line_chart
from ntm_pipeline.report.numbers import billion_vnd, count, vi_fixed, vi_number
from ntm_pipeline.report.text import inline, printable
from ntm_pipeline.warehouse import MACROS_SQL, bind, read_sql

SQL = Path(__file__).parent / "sql"


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]
    align: str = ""  # a letter per column: l(eft), r(ight), c(entre); by default text first, numbers after
    note: str | None = None  # shown with the table: whose figures they are

    @property
    def alignments(self) -> str:
        return self.align or "l" + "r" * (len(self.headers) - 1)


@dataclass
class Header:
    """The header block of a Vietnamese official document: the issuing office on the left;
    the national name, the motto and the place-and-date line on the right."""
    office: str
    place_date: str
    nation: str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    motto: str = "Độc lập - Tự do - Hạnh phúc"


@dataclass
class Report:
    period: str
    area_level: str
    area_code: str
    area_name: str
    blocks: list[tuple] = field(default_factory=list)  # ("header", Header) | ("h1"|"h2"|"p", text) | ("table", Table) | ("chart", name)
    charts: dict[str, str] = field(default_factory=dict)  # name -> SVG

    @property
    def tables(self) -> list[Table]:
        return [b[1] for b in self.blocks if b[0] == "table"]

    @property
    def slug(self) -> str:
        return report_slug(self.period, self.area_level, self.area_code)

    @property
    def fingerprint(self) -> str:
        """What the files would hold: the content and the code that renders it."""
        content = repr((self.period, self.area_level, self.area_code, self.area_name, self.blocks, self.charts))
        return hashlib.sha256((_renderer_version() + content).encode("utf-8")).hexdigest()

    def files(self, folder: Path) -> list[Path]:
        """Its Markdown, HTML page, workbook and charts, in that order."""
        names = [f"{self.slug}.md", f"{self.slug}.html", f"{self.slug}.xlsx"]
        return [folder / n for n in names] + [folder / f"{self.slug}-{name}.svg" for name in self.charts]


def report_slug(period: str, area_level: str, area_code: str) -> str:
    """A report's name: of its files and of its entry in the folder's manifest."""
    return f"{period}-{area_level}-{area_code}"


@cache
def _renderer_version() -> str:
    """A hash of the report package's code: a change in rendering rewrites every report."""
    package = Path(__file__).parent
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted([*package.glob("*.py"), *SQL.glob("*.sql")]))).hexdigest()


def _query(conn, name: str, params: dict) -> list[tuple]:
    sql = read_sql(SQL / f"{name}.sql")
    return conn.execute(sql, bind(sql, params)).fetchall()


def _labels(code_list: str) -> dict[str, str]:
    return {r["code"]: r["label_vi"] for r in read_reference_csv("code_list") if r["code_list"] == code_list}


# How each figure compares with the same quarter last year (mart.kpi_quarterly.yoy_basis), as
# the headline table's last column says it when a comparison is not on the same units.
BASIS_LABELS = {
    "same_units": "Cùng địa giới",
    "crosswalk": "Quy đổi theo địa giới hiện nay",
    "crosswalk_estimated": "Quy đổi theo địa giới hiện nay (có ước tính)",
    "not_comparable": "Không so sánh được",
}
NO_FIGURE = "Chưa có số liệu cùng kỳ"  # no yoy_basis: nothing last year (a KPI of a new set or title)
BASIS_SUFFIX = {"crosswalk": ", quy đổi theo địa giới hiện nay",
                "crosswalk_estimated": ", quy đổi theo địa giới hiện nay, có ước tính"}


def _change(delta: float | None, unit: str, basis: str | None = None) -> str:
    if basis == "not_comparable":
        return "không so sánh được với cùng kỳ"
    if delta is None:
        return NO_FIGURE.lower()
    if abs(delta) < 1e-9:
        return "không đổi so với cùng kỳ" + BASIS_SUFFIX.get(basis, "")
    return f"{'tăng' if delta > 0 else 'giảm'} {vi_number(abs(delta))} {unit} so với cùng kỳ" + BASIS_SUFFIX.get(basis, "")


def _names(rows, stars: int) -> str:
    return ", ".join(name for name, s, *_ in rows if s == stars)


# KPI units of measures with decimals; every other unit counts things (communes, projects,
# products, cooperatives, farms, ratings), shown and exported as integers.
DECIMAL_UNITS = {"million VND", "ha", "criteria per commune"}


def vi_date(day) -> str:
    """'ngày 05 tháng 4 năm 2024': a leading zero on days below 10 and on months 1 and 2, as
    Decree 30/2020/NĐ-CP dates official documents."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


@dataclass
class Era:
    """The quarter's era of administrative units and criteria set, and those of the same
    quarter last year (rows of period.sql)."""
    end_date: object
    admin_era: str | None
    has_districts: bool | None
    era_from: object  # the first day of the era, None for the first era
    criteria_set: str | None
    criteria_set_name: str | None
    criteria_count: int | None
    prev_admin_era: str | None
    prev_criteria_set: str | None
    prev_criteria_set_name: str | None

    @property
    def crosses_reform(self) -> bool:
        """Last year's quarter was on other administrative units."""
        return self.prev_admin_era is not None and self.prev_admin_era != self.admin_era

    @property
    def crosses_sets(self) -> bool:
        """Last year's quarter was scored on another criteria set."""
        return self.prev_criteria_set is not None and self.prev_criteria_set != self.criteria_set


@dataclass
class Coverage:
    """The area's commune-level units in force at the quarter's end (xã, phường, thị trấn,
    đặc khu: rows of coverage.sql) and whether each one's submission for the quarter was published."""
    units: list[tuple]  # district_code, district_label, commune_code, commune_name, unit_type, reported, earlier_quarters, commune_label

    @property
    def reporting(self) -> int:
        return sum(1 for u in self.units if u[5])

    @property
    def total(self) -> int:
        return len(self.units)

    @property
    def complete(self) -> bool:
        return self.reporting == self.total

    @property
    def ratio(self) -> str:
        return f"{self.reporting}/{self.total}"

    @property
    def missing(self) -> list[tuple]:
        return [u for u in self.units if not u[5]]


def _unit_name(unit: tuple, year: int) -> str:
    """'xã Hùng Sơn', 'thị trấn Bo (đã gửi báo cáo quý 1/2024)': the earlier quarters of the
    year it reported for, if any."""
    earlier = " và ".join(f"quý {q}/{year}" for q in unit[6])
    return f"{unit[4][:1].lower()}{unit[4][1:]} {unit[3]}" + (f" (đã gửi báo cáo {earlier})" if earlier else "")


def _band_text(low: int, high: int) -> str:
    """'từ 15 – 18 tiêu chí', 'dưới 10 tiêu chí', '19 tiêu chí': a criteria band of the KPI catalogue."""
    if low == high:
        return f"{low} tiêu chí"
    if low == 0:
        return f"dưới {high + 1} tiêu chí"
    return f"từ {low} – {high} tiêu chí"


@dataclass
class Bands:
    """The criteria bands of the quarter's set (bands.sql), as the report reads them: the
    middle bands are always stated; the lowest (from 0) and the full one (every criterion
    met, awaiting recognition) only when some commune is in them."""
    rows: list[tuple]  # kpi_code, criteria_min, criteria_max; the highest first
    criteria_count: int | None

    @property
    def full(self) -> list[tuple]:
        return [b for b in self.rows if b[1] == b[2] == self.criteria_count]

    @property
    def lowest(self) -> list[tuple]:
        return [b for b in self.rows if b[1] == 0 and b not in self.full]

    @property
    def middle(self) -> list[tuple]:
        return [b for b in self.rows if b not in self.full and b not in self.lowest]


def _not_an_area(conn, params: dict, era: Era) -> str:
    """Why a code is no area of the quarter: no such code, or a unit of another era (with the
    provinces a pre-reform province became)."""
    level, code, period = params["area_level"], params["area_code"], params["period"]
    message = f"no {level} with GSO code {code} in {period}"
    if level == "district" and era.has_districts is False:
        return (f"{period} has no districts: they were abolished from {era.era_from:%d/%m/%Y}; "
                "write the report of a province (--province) or a commune (--commune)")
    other = _query(conn, "former_area", params)
    if other:
        label, _, valid_from, valid_to = other[0]
        if valid_to is not None and valid_to < era.end_date:
            message += f": {code} was {label} until {valid_to:%d/%m/%Y}"
            if level == "province" and (successors := _query(conn, "successor_provinces", params)):
                message += "; it is now part of " + ", ".join(f"{c} {n} (--province {c})" for c, n in successors)
        elif valid_from is not None:
            message += f": {code} is {label} from {valid_from:%d/%m/%Y}"
    return message


# Connections given the macros already: creating them takes longer than a report's queries.
_PREPARED: weakref.WeakSet = weakref.WeakSet()


def _prepare(conn) -> None:
    if conn not in _PREPARED:  # in_force() and the others: temporary, so also on a read-only connection
        conn.execute(read_sql(MACROS_SQL))
        _PREPARED.add(conn)


# What a report reads of its own area: sql/<name>.sql for the areas $areas, its rows led by
# each row's area_level and area_code.
AREA_QUERIES = (
    "area", "kpis", "coverage", "date_prepared", "gap_products", "ocop_ratings", "communes_by_title",
    "commune_criteria", "coverage_by_period", "criteria_by_commune", "gap_history", "capital_ytd_by_source",
    "valid_ocop_products",
)


class AreaRows:
    """The rows of AREA_QUERIES for some areas of one quarter, each query run once for all of
    them: a process writing a share of the country's 754 reports asks 13 queries, not 13 per
    report (a query costs DuckDB a millisecond or two whatever its rows)."""

    def __init__(self, conn, period: str, areas: Sequence[tuple[str, str]]):
        _prepare(conn)
        year, _ = parse_period(period)
        params = {"period": period, "year": year,
                  "areas": [{"area_level": level, "area_code": code} for level, code in areas]}
        self.period = period
        self._rows: dict[tuple[str, str, str], list[tuple]] = {}
        for name in AREA_QUERIES:
            for level, code, *row in _query(conn, name, params):
                self._rows.setdefault((name, level, code), []).append(tuple(row))

    def of(self, name: str, area_level: str, area_code: str) -> list[tuple]:
        """The rows of query `name` for one area, in the query's order."""
        return self._rows.get((name, area_level, area_code), [])


def build_report(conn: duckdb.DuckDBPyConnection, period: str, area_level: str, area_code: str,
                 area_rows: AreaRows | None = None) -> Report:
    """The report of a district, province or commune for a quarter, on the administrative units
    and criteria set of that quarter. A district exists only before the 2025 reform; a commune's
    report (written from the reform on) is its own figures, as its People's Committee reports them.
    `area_rows` holds the area's rows when they were fetched with other areas' (`write_reports`)."""
    year, quarter = parse_period(period)
    params = {"period": period, "area_level": area_level, "area_code": area_code, "year": year}
    _prepare(conn)
    if area_rows is None or area_rows.period != period:
        area_rows = AreaRows(conn, period, [(area_level, area_code)])

    def of(name: str) -> list[tuple]:
        return area_rows.of(name, area_level, area_code)

    era_rows = _query(conn, "period", params)
    if not era_rows:
        raise ValueError(f"{period} is not a quarter of the warehouse")
    era = Era(*era_rows[0])
    area = of("area") if area_level != "district" or era.has_districts is not False else []
    if not area:
        raise ValueError(_not_an_area(conn, params, era))
    area_name, province_name, area_label = area[0]
    rows = of("kpis")
    if not rows:
        raise ValueError(f"no KPIs for {area_level} {area_code} in {period}: run the pipeline for that quarter first")
    kpis, basis, kpi_names = {}, {}, {}
    for code, value_, prev, delta, target_, kpi_unit, yoy_basis, name_vi in rows:
        values = [value_, prev, delta, target_]
        kpis[code] = values if kpi_unit in DECIMAL_UNITS else [None if v is None else int(round(v)) for v in values]
        basis[code], kpi_names[code] = yoy_basis, name_vi

    def value(code):
        return (kpis.get(code) or [0, None, None, None])[0] or 0

    # The unit type as the GSO label gives it: a district may be a huyện, thị xã, thành phố or
    # quận, a province a tỉnh or thành phố ("Thành phố Hòa Bình" is not "huyện Hòa Bình"), a
    # commune a xã, phường or đặc khu.
    unit = (area_label[: -len(area_name)].strip().lower() if area_label.endswith(area_name) else "")
    unit = unit or {"district": "huyện", "commune": "xã"}.get(area_level, "tỉnh")
    coverage = Coverage(of("coverage"))
    commune = area_level == "commune"
    if commune and not coverage.complete:
        raise ValueError(f"{area_label} ({area_code}) has no published submission for {period}")
    # With every unit reported the totals are the area's; otherwise each says it is the
    # reporting communes'.
    if coverage.complete:
        place, whole, of_whole = f"{unit} {area_name}", f"Toàn {unit}", f"của cả {unit}"
    else:
        place = f"các xã đã gửi báo cáo của {unit} {area_name} ({coverage.ratio} xã)"
        whole, of_whole = "Các xã đã gửi báo cáo", "của các xã đã gửi báo cáo"
    report = Report(period, area_level, area_code, area_name)
    months = "năm" if quarter == 4 else f"{quarter * 3} tháng đầu năm"
    # Dated by the data, never by the clock, so an unchanged report keeps its files. A
    # commune's report is its People's Committee's; a district's or province's, its NTM office's.
    ((dated,),) = of("date_prepared")
    office = f"ỦY BAN NHÂN DÂN {area_label.upper()}" if commune else f"VĂN PHÒNG ĐIỀU PHỐI NÔNG THÔN MỚI {area_label.upper()}"
    report.blocks.append(("header", Header(office, f"{area_name}, {vi_date(dated)}")))
    report.blocks.append(("h1", f"{(area_label if commune else area_name).upper()}: "
                                f"KẾT QUẢ XÂY DỰNG NÔNG THÔN MỚI QUÝ {quarter}/{year}"))
    if commune:
        report.blocks.append(("p", f"Số liệu theo báo cáo quý {quarter}/{year} của {place}."))
    else:
        report.blocks.append(("p", _coverage_text(coverage, area_level, unit, quarter, year, era)))
    titles = dict(_query(conn, "titles", params))
    bands = Bands(_query(conn, "bands", params), era.criteria_count)
    headline = _headline(area_level, titles, bands)
    if comparison := _comparison_text(era, basis, kpi_names, headline, f"{unit} {area_name}", quarter, year):
        report.blocks.append(("p", comparison))

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
    products = {standard: items for standard, items in of("gap_products")}
    gap = []
    for standard, label in (("vietgap", "VietGAP"), ("globalgap", "GlobalGAP")):
        _, prev, delta, _ = kpis.get(f"{standard}_area_ha", [0, None, None, None])
        items = ", ".join(p.lower() for p in products.get(standard, []))
        gap.append(f"{label}{f' ({items})' if items else ''} đạt {vi_number(value(f'{standard}_area_ha'))} ha "
                   f"({_change(delta, 'ha', basis.get(f'{standard}_area_ha'))})")
    report.blocks.append(("p", f"Diện tích sản xuất đạt chứng nhận còn hiệu lực đến cuối quý: {'; '.join(gap)}."))
    report.blocks.append(("p",
        f"{whole} có {count(value('agri_cooperatives'))} hợp tác xã hoạt động trong lĩnh vực nông nghiệp; "
        f"có {count(value('farms'))} trang trại."))

    # OCOP.
    ratings = of("ocop_ratings")  # decided this year or last
    last_year = [r for r in ratings if r[3].year == year - 1]
    this_year = [r for r in ratings if r[3].year == year and r[2] == "new"]
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

    # Criteria and titles, on the quarter's criteria set.
    communes = of("communes_by_title")
    end_month = quarter * 3
    scored_on = f" theo {era.criteria_set_name} ({era.criteria_count} tiêu chí)" if era.crosses_sets else ""
    if commune:
        report.blocks.append(("p", _commune_criteria_text(of("commune_criteria"), communes, place, end_month, year, scored_on)))
    else:
        report.blocks.append(("p", _criteria_text(communes, bands, value, of_whole, end_month, year, scored_on)))

    # Targets of the year and what remains.
    def target(code):
        return (kpis.get(code) or [None, None, None, None])[3]

    goals = []
    if target("avg_criteria_met") is not None:
        gap_left = max(target("avg_criteria_met") - value("avg_criteria_met"), 0)
        if commune:
            goals.append(f"đạt {vi_number(target('avg_criteria_met'))} tiêu chí "
                         f"(còn {vi_number(gap_left)} tiêu chí)")
        else:
            goals.append(f"bình quân tiêu chí đạt {vi_fixed(target('avg_criteria_met'))} tiêu chí/xã "
                         f"(còn {vi_fixed(gap_left)} tiêu chí/xã)")
    if commune:  # a title the commune is to reach this year, and whether it has
        for code, _ in TITLE_TARGETS:
            if target(code):
                title = TITLE_KPIS[code]
                goals.append(f"{TITLE_PHRASES[title]} ({'đã đạt' if value(code) >= target(code) else 'chưa đạt'})")
    else:
        for code, text in TITLE_TARGETS:
            if target(code) is not None:
                goals.append(f"có {count(target(code))} {text} (còn {count(max(target(code) - value(code), 0))} xã)")
        for code, low, high in bands.middle:
            if target(code) is not None:
                goals.append(f"có {count(target(code))} xã đạt {_band_text(low, high)} (hiện có {count(value(code))} xã)")
    if target("ocop_products_new_ytd") is not None:
        done = value("ocop_products_new_ytd")
        goals.append(f"chuẩn hóa thêm {count(target('ocop_products_new_ytd'))} sản phẩm OCOP đạt từ 3 sao trở lên "
                     f"({f'đã có {count(done)} sản phẩm' if done else 'chưa có sản phẩm nào'})")
    if goals:
        scope = "" if coverage.complete else (f" của toàn {unit} (phần đã đạt tính trên số liệu của "
                                              f"{coverage.ratio} xã đã gửi báo cáo)")
        report.blocks.append(("p", f"Mục tiêu đến hết năm {year}{scope}: {'; '.join(goals)}."))

    _add_tables_and_charts(conn, of, report, params, kpis, basis, categories, coverage, era, headline)
    return report


# Title KPIs with a target sentence; a target exists only where the title is in use.
TITLE_TARGETS = [("ntm_communes", "xã đạt chuẩn NTM"), ("advanced_ntm_communes", "xã đạt chuẩn NTM nâng cao"),
                 ("modern_ntm_communes", "xã nông thôn mới hiện đại")]


def _criteria_text(communes, bands: Bands, value, of_whole: str, end_month: int, year: int, scored_on: str) -> str:
    """The criteria paragraph of a district or province: average, NTM communes by name,
    higher titles, proposals and the bands of the quarter's set."""
    ntm = [name for name, title, *_ in communes if title not in (None, "none")]
    advanced = [name for name, title, *_ in communes if title in ("advanced", "model")]
    modern = [name for name, title, *_ in communes if title == "modern"]
    proposed = {kind: [name for name, _, _, p in communes if p == kind] for kind in ("advanced", "modern", "ntm")}
    criteria = [
        f"Tính đến hết tháng {end_month}/{year}, bình quân tiêu chí {of_whole} đạt "
        f"{vi_fixed(value('avg_criteria_met'))} tiêu chí/xã{scored_on}.",
        f"Số xã đạt chuẩn nông thôn mới: {count(len(ntm))} xã" + (f" (các xã: {', '.join(ntm)})." if ntm else "."),
    ]
    if advanced:
        criteria.append(f"Số xã đạt chuẩn nông thôn mới nâng cao: {count(len(advanced))} xã ({', '.join(advanced)}).")
    if modern:
        criteria.append(f"Số xã nông thôn mới hiện đại: {count(len(modern))} xã ({', '.join(modern)}).")
    if proposed["advanced"]:
        criteria.append(f"Đang đề nghị xét, công nhận xã {', '.join(proposed['advanced'])} đạt chuẩn nông thôn mới nâng cao.")
    if proposed["modern"]:
        criteria.append(f"Đang đề nghị xét, công nhận xã {', '.join(proposed['modern'])} là xã nông thôn mới hiện đại.")
    if proposed["ntm"]:
        criteria.append(f"Đang đề nghị xét, công nhận xã {', '.join(proposed['ntm'])} đạt chuẩn nông thôn mới.")
    stated = [f"{count(value(code))} xã đạt {_band_text(low, high)}" for code, low, high in bands.middle]
    stated += [f"{count(value(code))} xã đạt {_band_text(low, high)}" for code, low, high in bands.lowest if value(code)]
    stated += [f"{count(value(code))} xã đạt {_band_text(low, high)} đang chờ công nhận"
               for code, low, high in bands.full if value(code)]
    if stated:
        criteria.append(f"Có {'; '.join(stated)}.")
    return " ".join(criteria)


TITLE_KPIS = {"ntm_communes": "ntm", "advanced_ntm_communes": "advanced", "modern_ntm_communes": "modern"}
TITLE_PHRASES = {"ntm": "đạt chuẩn nông thôn mới", "advanced": "đạt chuẩn nông thôn mới nâng cao",
                 "model": "đạt chuẩn nông thôn mới kiểu mẫu", "modern": "được công nhận là xã nông thôn mới hiện đại"}
PROPOSED_PHRASES = {"ntm": "đạt chuẩn nông thôn mới", "advanced": "đạt chuẩn nông thôn mới nâng cao",
                    "model": "đạt chuẩn nông thôn mới kiểu mẫu", "modern": "là xã nông thôn mới hiện đại"}


def _commune_criteria_text(criteria: list[tuple], communes, place: str, end_month: int, year: int,
                           scored_on: str) -> str:
    """The criteria paragraph of a commune (`criteria`: rows of commune_criteria.sql): criteria
    met of the set, those not met by name, its title and proposal."""
    subject = place[:1].upper() + place[1:]
    if not criteria:
        return f"{subject} không đánh giá theo bộ tiêu chí quốc gia về xã nông thôn mới trong quý."
    met = sum(1 for _, _, is_met in criteria if is_met)
    text = [f"Tính đến hết tháng {end_month}/{year}, {place} đạt {met}/{len(criteria)} tiêu chí{scored_on}."]
    missing = [f"{no}. {name}" for no, name, is_met in criteria if not is_met]
    if missing:
        text.append(f"Các tiêu chí chưa đạt: {'; '.join(missing)}.")
    for _, title, title_year, proposed in communes[:1]:
        if title in TITLE_PHRASES:
            text.append(f"{subject} {TITLE_PHRASES[title]}" + (f" (năm {title_year})." if title_year else "."))
        if proposed in PROPOSED_PHRASES:
            text.append(f"Đang đề nghị xét, công nhận {place} {PROPOSED_PHRASES[proposed]}.")
    return " ".join(text)


def _comparison_text(era: Era, basis: dict, kpi_names: dict, headline: list[tuple[str, str]], area: str,
                     quarter: int, year: int) -> str | None:
    """What the comparisons with the same quarter last year are made on, when not simply on
    the same units: carried through the crosswalk to today's boundaries, or not comparable
    (a count of communes across mergers, criteria scored on two sets)."""
    shown = [code for code, _ in headline]
    kinds = {basis.get(code) for code in basis}
    text = []
    if kinds & {"crosswalk", "crosswalk_estimated"}:
        since = f" (từ ngày {era.era_from:%d/%m/%Y})" if era.era_from else ""
        text.append(f"Số liệu cùng kỳ năm trước (quý {quarter}/{year - 1}) được tính theo địa giới hành chính hiện "
                    f"nay{since}: cộng số liệu của các đơn vị hành chính cấp xã trước sắp xếp nay thuộc {area}")
        if era.era_from and era.era_from.year == year and (era.era_from.month, era.era_from.day) != (1, 1):
            text[-1] += (f"; số liệu lũy kế từ đầu năm {year} gồm cả số liệu đến ngày "
                         f"{era.era_from - timedelta(days=1):%d/%m/%Y} của các đơn vị đó")
        if "crosswalk_estimated" in kinds:
            text[-1] += ("; đơn vị cũ được chia cho nhiều đơn vị mới thì số liệu được phân bổ theo tỷ lệ diện tích "
                         "(số ước tính)")
        text[-1] += "."
    not_comparable = [code for code in shown if basis.get(code) == "not_comparable"]
    criteria_codes = {"avg_criteria_met"} | {c for c in kpi_names if c.startswith("communes_") and "criteria" in c}
    by_set = [c for c in not_comparable if era.crosses_sets and c in criteria_codes]
    by_reform = [c for c in not_comparable if c not in by_set]
    label = {code: text[:1].lower() + text[1:] for code, text in headline}  # 'xã đạt chuẩn NTM'
    if by_reform:
        reason = (f"do sắp xếp đơn vị hành chính từ ngày {era.era_from:%d/%m/%Y}"
                  if era.crosses_reform and era.era_from else "do khác đơn vị hành chính")
        text.append(f"Không so sánh được với cùng kỳ ({reason}): {', '.join(label[c] for c in by_reform)}.")
    if by_set:
        text.append(f"Không so sánh được với cùng kỳ (năm {year} chấm theo {era.criteria_set_name}, cùng kỳ chấm theo "
                    f"{era.prev_criteria_set_name}): {', '.join(label[c] for c in by_set)}.")
    return " ".join(text) or None


def _coverage_text(coverage: Coverage, area_level: str, unit: str, quarter: int, year: int, era: Era) -> str:
    """The narrative's opening: how many units reported and, if not all, who did not."""
    text = f"Số liệu tổng hợp từ {coverage.ratio} xã đã gửi báo cáo quý {quarter}/{year}"
    if coverage.complete:
        return text + "."
    missing = coverage.missing
    text += (f"; {len(missing)} xã chưa gửi báo cáo, nên các số liệu dưới đây là của {coverage.reporting} xã "
             f"đã gửi báo cáo, chưa phải số liệu của toàn {unit}.")
    if area_level == "district":
        return text + f" Các xã chưa gửi báo cáo quý {quarter}/{year}: {', '.join(_unit_name(u, year) for u in missing)}."
    # A province's missing units can be many: the narrative names those that reported earlier
    # in the year (a gap, not a unit that never reports); the coverage table names them all.
    lapsed = [u for u in missing if u[6]]
    if lapsed:
        text += (f" Chưa gửi báo cáo quý {quarter}/{year} dù đã gửi báo cáo quý trước: "
                 f"{', '.join(_unit_name(u, year) for u in lapsed)}.")
    where = " theo từng huyện" if era.has_districts is not False else ""
    return text + f" Danh sách các xã chưa gửi báo cáo{where} ở bảng Tình hình gửi báo cáo."


HEADLINE = [
    ("capital_mobilized_ytd", "Vốn huy động từ đầu năm (triệu đồng)"),
    ("vietgap_area_ha", "Diện tích VietGAP (ha)"),
    ("globalgap_area_ha", "Diện tích GlobalGAP (ha)"),
    ("agri_cooperatives", "Hợp tác xã nông nghiệp"),
    ("farms", "Trang trại"),
    ("ocop_products", "Sản phẩm OCOP (3 sao trở lên)"),
    ("ocop_products_new_ytd", "Sản phẩm OCOP công nhận mới từ đầu năm"),
]
# Title rows of the headline table, each shown while its title code is valid for the quarter.
TITLE_ROWS = [("advanced", "advanced_ntm_communes", "Xã đạt chuẩn NTM nâng cao"),
              ("modern", "modern_ntm_communes", "Xã nông thôn mới hiện đại")]


def _headline(area_level: str, titles: dict, bands: Bands) -> list[tuple[str, str]]:
    """The headline table's KPIs and labels: the quarter's titles and the middle criteria
    bands of its set; a commune's report has its own criteria met and no counts of communes."""
    if area_level == "commune":
        return HEADLINE + [("avg_criteria_met", "Số tiêu chí đạt")]
    rows = HEADLINE + [("avg_criteria_met", "Bình quân tiêu chí/xã"), ("ntm_communes", "Xã đạt chuẩn NTM")]
    rows += [(code, label) for title, code, label in TITLE_ROWS if title in titles]
    return rows + [(code, f"Xã đạt {_band_text(low, high).removeprefix('từ ')}") for code, low, high in bands.middle]


SOURCES = {
    "central_budget": "Ngân sách trung ương", "local_budget": "Ngân sách địa phương", "integrated": "Vốn lồng ghép",
    "credit": "Vốn tín dụng", "enterprise": "Doanh nghiệp", "people": "Nhân dân đóng góp",
}


def _add_tables_and_charts(conn, of: Callable[[str], list[tuple]], report: Report, params: dict, kpis: dict, basis: dict, categories: dict,
                           coverage: Coverage, era: Era, headline: list[tuple[str, str]]) -> None:
    def row(code):
        value, prev, delta, target = kpis.get(code, [None] * 4)
        return [value, prev, delta, target]

    year, quarter = parse_period(report.period)
    commune = report.area_level == "commune"
    note = (f"Số liệu theo báo cáo quý {quarter}/{year} của xã." if commune
            else f"Số liệu tổng hợp từ {coverage.ratio} xã đã gửi báo cáo quý {quarter}/{year}.")
    reporting = dict(of("coverage_by_period"))
    ratio = lambda period: f"{reporting[period]}/{coverage.total}" if period in reporting else None  # noqa: E731
    # The comparison column appears only when some comparison is not on the same units.
    with_basis = era.crosses_reform or any(basis.get(code) not in (None, "same_units") for code, _ in headline)
    rows = [] if commune else [["Số xã đã gửi báo cáo", coverage.ratio,
                                None if era.crosses_reform else ratio(f"{year - 1}-Q{quarter}"), None, None]]
    if rows and with_basis:
        rows[0].append(BASIS_LABELS["not_comparable"] if era.crosses_reform else BASIS_LABELS["same_units"])
    rows += [[label, *row(code)] + ([BASIS_LABELS.get(basis.get(code), NO_FIGURE)] if with_basis else [])
             for code, label in headline]
    headers = ["Chỉ tiêu", "Kỳ này", "Cùng kỳ năm trước", "Tăng/giảm", "Mục tiêu năm"]
    headline_note = note
    if with_basis:
        headers.append("So sánh cùng kỳ")
        if any(basis.get(code) in ("crosswalk", "crosswalk_estimated") for code, _ in headline):
            headline_note += " Cùng kỳ năm trước tính theo địa giới hành chính hiện nay."
    report.blocks.append(("h2", "Các chỉ tiêu chính"))
    report.blocks.append(("table", Table("Chỉ tiêu chính", headers, rows, align="lrrrrl" if with_basis else "",
                                         note=headline_note)))
    report.blocks.append(("table", Table("Công trình", ["Loại công trình", "Chuyển tiếp", "Chuẩn bị đầu tư"], [
        [label, row(f"projects_ongoing.{c}")[0], row(f"projects_preparing.{c}")[0]] for c, label in categories.items()
    ], note=note)))
    set_note = f" ({era.criteria_set_name})" if era.crosses_sets else ""
    if commune:
        criteria = of("commune_criteria")
        if criteria:
            report.blocks.append(("h2", f"Kết quả thực hiện các tiêu chí{set_note}"))
            report.blocks.append(("table", Table("Tiêu chí", ["Số TT", "Tiêu chí", "Kết quả"],
                                                 [[no, name, "Đạt" if met else "Chưa đạt"] for no, name, met in criteria],
                                                 align="rll", note=note)))
    else:
        criteria = of("criteria_by_commune")
        report.blocks.append(("h2", f"Tiêu chí theo xã{set_note}"))
        report.blocks.append(("table", Table("Tiêu chí theo xã", ["Xã", "Số tiêu chí đạt"], [list(r) for r in criteria],
                                             note=note)))
        report.charts["criteria"] = bar_chart(
            [r[0] for r in criteria], [r[1] for r in criteria], f"Số tiêu chí đạt theo xã{set_note}",
            line=(kpis.get("avg_criteria_met") or [None] * 4)[3], line_label="Mục tiêu bình quân",
        )
        report.blocks.append(("chart", "criteria"))

    history = of("gap_history")
    periods = sorted({(p, label) for p, label, _, _ in history})
    series = {code: [next((v for p, _, c, v in history if p == period and c == code), 0) for period, _ in periods]
              for code in ("vietgap_area_ha", "globalgap_area_ha")}
    labels = [label for _, label in periods]
    span = _gap_span(periods)
    # The eight quarters reach back before the era began: those are other units' figures.
    window_start = divmod(year * 4 + quarter - 1 - 7, 4)
    cut = era.era_from is not None and (window_start[0], window_start[1] * 3 + 1) < (era.era_from.year, era.era_from.month)
    gap_note = (f"Các quý trước ngày {era.era_from:%d/%m/%Y} thuộc địa giới hành chính cũ, không đưa vào bảng và biểu đồ."
                if cut else None)
    report.blocks.append(("h2", f"Diện tích đạt chứng nhận {span}"))
    report.blocks.append(("table", Table("Diện tích GAP", ["Quý", "VietGAP (ha)", "GlobalGAP (ha)", "Số xã đã gửi báo cáo"],
                                         [[label, series["vietgap_area_ha"][i], series["globalgap_area_ha"][i], ratio(p)]
                                          for i, (p, label) in enumerate(periods)], note=gap_note)))
    report.charts["gap"] = line_chart(labels, {"VietGAP": series["vietgap_area_ha"], "GlobalGAP": series["globalgap_area_ha"]},
                                       f"Diện tích VietGAP và GlobalGAP (ha) {span}")
    report.blocks.append(("chart", "gap"))

    capital = of("capital_ytd_by_source")
    report.blocks.append(("h2", "Vốn huy động từ đầu năm theo nguồn"))
    report.blocks.append(("table", Table("Vốn theo nguồn", ["Nguồn vốn", "Triệu đồng"],
                                         [[SOURCES.get(s, s), v] for s, v in capital], note=note)))
    report.charts["capital"] = bar_chart([SOURCES.get(s, s) for s, _ in capital], [v / 1000 for _, v in capital],
                                          "Vốn huy động từ đầu năm theo nguồn (tỷ đồng)")
    report.blocks.append(("chart", "capital"))
    register = of("valid_ocop_products")
    report.blocks.append(("h2", "Sản phẩm OCOP còn hiệu lực"))
    report.blocks.append(("table", Table("Sản phẩm OCOP", ["Xã", "Sản phẩm", "Số sao", "Chủ thể", "Ngày công nhận", "Hết hạn"],
                                         [list(r) for r in register], align="llrlcc", note=note)))

    if not commune:
        report.blocks.append(("h2", "Tình hình gửi báo cáo"))
        other_types = ", ".join(t.lower() for (t,) in _query(conn, "unit_types", params))
        report.blocks.append(("table", _coverage_table(coverage, report.area_level, quarter, year, era, other_types)))


def _gap_span(periods: list[tuple[str, str]]) -> str:
    """'qua 5 quý (Quý 1/2023 – Quý 1/2024)': the quarters the GAP section really shows."""
    if not periods:
        return "(chưa có số liệu)"
    first, last = periods[0], periods[-1]
    if len(periods) == 1:
        return f"{last[1].lower()}"
    (y0, q0), (y1, q1) = parse_period(first[0]), parse_period(last[0])
    gaps = "" if (y1 * 4 + q1) - (y0 * 4 + q0) + 1 == len(periods) else " có số liệu"
    return f"qua {len(periods)} quý{gaps} ({first[1]} – {last[1]})"


def _coverage_table(coverage: Coverage, area_level: str, quarter: int, year: int, era: Era, other_types: str) -> Table:
    """Per district of the area: its units, how many reported, and those that did not, by
    name. Without districts (from the 2025 reform), every unit of the province with whether it
    reported."""
    note = (f"{coverage.ratio} xã đã gửi báo cáo quý {quarter}/{year} (tính cả {other_types}, "
            "theo danh mục đơn vị hành chính).")
    if era.has_districts is False:
        rows = [[u[7], u[2], "Đã gửi báo cáo" if u[5] else "Chưa gửi báo cáo"
                 + (f" (đã gửi báo cáo {' và '.join(f'quý {q}/{year}' for q in u[6])})" if u[6] else "")]
                for u in coverage.units]
        return Table("Gửi báo cáo", ["Xã, phường, đặc khu", "Mã đơn vị", f"Quý {quarter}/{year}"], rows,
                     align="lcl", note=note)
    districts: dict[str, list[tuple]] = {}
    for unit in coverage.units:
        districts.setdefault(unit[1], []).append(unit)
    rows = []
    for label, units in districts.items():
        missing = [u for u in units if not u[5]]
        names = ("chưa có xã nào gửi báo cáo" if len(missing) == len(units)
                 else ", ".join(_unit_name(u, year) for u in missing))
        rows.append([label, len(units), len(units) - len(missing), len(missing), names or None])
    if area_level == "province":
        rows.append(["Toàn tỉnh", coverage.total, coverage.reporting, coverage.total - coverage.reporting, None])
    return Table("Gửi báo cáo", ["Huyện", "Số xã", "Đã gửi báo cáo", "Chưa gửi báo cáo",
                                 f"Xã chưa gửi báo cáo quý {quarter}/{year}"], rows, align="lrrrl", note=note)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return vi_number(value)
    if isinstance(value, int):
        return vi_number(value)
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return inline(value)


MARKDOWN_ALIGN = {"l": ":---", "r": "---:", "c": ":---:"}
HTML_ALIGN = {"l": "left", "r": "right", "c": "center"}


def to_markdown(report: Report) -> str:
    lines = []
    for block in report.blocks:
        kind = block[0]
        if kind == "header":
            header = block[1]
            lines += [f"**{inline(header.office)}**", "", f"**{inline(header.nation)}**  ",
                      f"**{inline(header.motto)}**", "", f"*{inline(header.place_date)}*", ""]
        elif kind == "h1":
            lines += [f"# {inline(block[1])}", ""]
        elif kind == "h2":
            lines += [f"## {inline(block[1])}", ""]
        elif kind == "p":
            lines += [printable(block[1]), ""]
        elif kind == "table":
            table = block[1]
            if table.note:
                lines += [f"*{inline(table.note)}*", ""]
            lines.append("| " + " | ".join(inline(h).replace("|", "/") for h in table.headers) + " |")
            lines.append("|" + "".join(f"{MARKDOWN_ALIGN[a]}|" for a in table.alignments))
            lines += ["| " + " | ".join(_cell(v).replace("|", "/") for v in row) + " |" for row in table.rows]
            lines.append("")
        elif kind == "chart":
            lines += [f"![{block[1]}]({report.slug}-{block[1]}.svg)", ""]
    return "\n".join(lines)


def _html(text) -> str:
    return html.escape(printable(text))


def to_html(report: Report) -> str:
    parts = [
        "<!DOCTYPE html>", '<html lang="vi"><head><meta charset="utf-8">',
        f"<title>{_html(report.area_name)} {report.period}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.5}"
        "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #999;padding:.2rem .5rem}"
        "caption{caption-side:top;text-align:left;font-style:italic}"
        ".left{text-align:left}.right{text-align:right}.center{text-align:center}"
        ".doc-header{display:flex;justify-content:space-between;text-align:center;font-weight:bold}"
        ".dated{text-align:right;font-style:italic}svg{max-width:100%;height:auto}</style></head><body>",
    ]
    for block in report.blocks:
        kind = block[0]
        if kind == "header":
            header = block[1]
            parts.append(f'<header class="doc-header"><div>{_html(header.office)}</div>'
                         f"<div>{_html(header.nation)}<br><u>{_html(header.motto)}</u></div></header>")
            parts.append(f'<p class="dated">{_html(header.place_date)}</p>')
        elif kind in ("h1", "h2", "p"):
            parts.append(f"<{kind}>{_html(block[1])}</{kind}>")
        elif kind == "table":
            table = block[1]
            align = [HTML_ALIGN[a] for a in table.alignments]
            parts.append("<table>" + (f"<caption>{_html(table.note)}</caption>" if table.note else "") + "<tr>"
                         + "".join(f'<th class="{a}">{_html(h)}</th>' for a, h in zip(align, table.headers)) + "</tr>")
            parts += ["<tr>" + "".join(f'<td class="{a}">{_html(_cell(v))}</td>' for a, v in zip(align, row))
                      + "</tr>" for row in table.rows]
            parts.append("</table>")
        elif kind == "chart":
            parts.append(f'<figure aria-label="{block[1]}">{report.charts[block[1]]}</figure>')
    parts.append("</body></html>")
    return "\n".join(parts)


# Excel number formats that show what the HTML shows: counts and whole numbers without
# decimals, other numbers with one, dates dd/mm/yyyy. The separators are the reader's Excel
# locale's: with Vietnamese regional settings 154472.3 shows as 154.472,3, as in the HTML.
WHOLE_FORMAT, DECIMAL_FORMAT, DATE_FORMAT = "#,##0", "#,##0.0", "dd/mm/yyyy"


def _number_format(value) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return WHOLE_FORMAT
    if isinstance(value, float):
        return DECIMAL_FORMAT
    if hasattr(value, "strftime"):
        return DATE_FORMAT
    return None


@cache
def _alignment(horizontal: str | None = None, wrap_text: bool | None = None, vertical: str | None = None):
    """One openpyxl Alignment per distinct value, shared by the cells and reports that use it:
    building a new one for each cell was half the time of writing a workbook."""
    from openpyxl.styles import Alignment
    return Alignment(horizontal=horizontal, wrap_text=wrap_text, vertical=vertical)


@cache
def _font(bold: bool | None = None, italic: bool | None = None, size: int | None = None):
    from openpyxl.styles import Font
    return Font(bold=bold, italic=italic, size=size)


def to_workbook(report: Report):
    """The report's tables as a workbook set up for printing: numbers and dates as values
    with number formats, text aligned as in the HTML, the header block on the first sheet and
    in every printed page's header. Text stays text: a name that starts with '=' is never
    read as a formula."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    summary = workbook.create_sheet("Báo cáo")
    summary.column_dimensions["A"].width = 120
    header = next((b[1] for b in report.blocks if b[0] == "header"), None)

    def next_row():
        return summary.max_row + (0 if summary.max_row == 1 and summary["A1"].value is None else 1)

    for block in report.blocks:
        if block[0] == "header":
            for text, style in ((block[1].office, "bold"), (block[1].nation, "bold"), (block[1].motto, "bold"),
                                (block[1].place_date, "italic")):
                cell = summary.cell(row=next_row(), column=1)
                _set_text(cell, text)
                cell.font = _font(bold=style == "bold", italic=style == "italic")
                cell.alignment = _alignment(horizontal="left" if text == block[1].office else "right")
        elif block[0] in ("h1", "h2", "p"):
            cell = summary.cell(row=next_row(), column=1)
            _set_text(cell, block[1])
            cell.alignment = _alignment(wrap_text=True, vertical="top")
            if block[0] != "p":
                cell.font = _font(bold=True, size=14 if block[0] == "h1" else 12)
    sheets = [summary]
    for table in report.tables:
        sheet = workbook.create_sheet(inline(table.title)[:31])
        sheets.append(sheet)
        _set_text(sheet.cell(row=1, column=1), f"{table.title} - {report.area_name} - {report.period}")
        sheet["A1"].font = _font(bold=True, size=12)
        if table.note:
            _set_text(sheet.cell(row=2, column=1), table.note)
            sheet["A2"].font = _font(italic=True)
        align = [HTML_ALIGN[a] for a in table.alignments]
        for col, header_text in enumerate(table.headers, start=1):
            cell = sheet.cell(row=3, column=col)
            _set_text(cell, header_text)
            cell.font = _font(bold=True)
            cell.alignment = _alignment(horizontal=align[col - 1], wrap_text=True, vertical="top")
            longest = max((len(v) for r in table.rows if isinstance(v := r[col - 1], str)), default=0)
            sheet.column_dimensions[get_column_letter(col)].width = max(14, len(header_text) + 4, min(longest + 2, 60))
        for r, values in enumerate(table.rows, start=4):
            for col, value in enumerate(values, start=1):
                cell = sheet.cell(row=r, column=col)
                if isinstance(value, str):
                    _set_text(cell, value)
                else:
                    cell.value = value
                    if number_format := _number_format(value):
                        cell.number_format = number_format
                cell.alignment = _alignment(horizontal=align[col - 1], wrap_text=isinstance(value, str), vertical="top")
        sheet.print_title_rows = "3:3"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    summary.page_setup.fitToWidth = 1
    if header:
        for sheet in sheets:  # every printed page says who issued it and when ('&' is a code there)
            sheet.oddHeader.left.text = inline(header.office).replace("&", "&&")
            sheet.oddHeader.right.text = inline(header.place_date).replace("&", "&&")
    return workbook


def _set_text(cell, text: str) -> None:
    cell.value = printable(text)  # openpyxl refuses a control character
    cell.data_type = "s"  # never a formula, whatever the first character


@dataclass
class WrittenReports:
    files: list[Path]
    rewritten: int  # built, and their content differed from what their files held
    unchanged: int  # left as they were: inputs unchanged (not built), or built to the same content
    built: int  # built to see their content: new inputs, new code or files missing


def report_areas(conn: duckdb.DuckDBPyConnection, period: str) -> list[tuple[str, str, str]]:
    """The (level, code, inputs) of every report written for `period`: `inputs` is the digest
    of the warehouse rows the report may read (sql/report_areas.sql)."""
    return _query(conn, "report_areas", {"period": period})


def write_reports(database: str, period: str, areas: list[tuple[str, str, str]], folder: Path) -> WrittenReports:
    """Write the report of every (level, code, inputs) in `areas` (`report_areas`) for `period`
    into `folder`.

    Work follows what changed, twice over. A report whose inputs' digest and rendering code are
    those its files were written from, files all present, is not built at all: a correction
    from one commune builds the reports of its district and province, not the country's 760.
    A report that is built and comes out as its files hold is not rewritten.
    `folder/fingerprints.json` records, for each report, its inputs, its content and its files.
    Reports are independent and read-only, so those to build are shared among one process per
    core, each opening the warehouse read-only; the caller must hold no open connection to it.
    """
    manifest = folder / FINGERPRINTS
    previous = _read_manifest(manifest)
    inputs = {report_slug(period, level, code): _inputs_digest(digest) for level, code, digest in areas}
    kept = {slug: entry for slug, entry in previous.items() if slug in inputs and entry.get("inputs") == inputs[slug]
            and entry.get("files") and all((folder / name).is_file() for name in entry["files"])}
    to_build = [(level, code) for level, code, _ in areas if report_slug(period, level, code) not in kept]
    workers = min(os.cpu_count() or 1, len(to_build) // REPORTS_PER_WORKER)
    if workers < 2:
        results = [_write_share(database, period, to_build, folder, previous)]
    else:
        shares = [to_build[i::workers] for i in range(workers)]
        context = multiprocessing.get_context("spawn")  # no fork of a process that has run DuckDB and Dagster
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = list(pool.map(_write_share, [database] * workers, [period] * workers, shares,
                                    [folder] * workers, [previous] * workers))
    built = {slug: {**entry, "inputs": inputs[slug]} for r in results for slug, entry in r[1].items()}
    folder.mkdir(parents=True, exist_ok=True)
    staged = manifest.with_suffix(".json.tmp")
    staged.write_text(json.dumps({**previous, **built}, indent=0, sort_keys=True), encoding="utf-8")
    staged.replace(manifest)  # all at once: a crash never leaves half a manifest
    rewritten = sum(r[2] for r in results)
    return WrittenReports(
        files=[folder / name for entry in kept.values() for name in entry["files"]] + [p for r in results for p in r[0]],
        rewritten=rewritten,
        unchanged=len(areas) - rewritten,
        built=len(built),
    )


FINGERPRINTS = "fingerprints.json"
REPORTS_PER_WORKER = 50  # below this a worker's start-up (about a second) costs more than it saves


def _inputs_digest(digest: str) -> str:
    """What a report is written from: the warehouse rows' digest and the code that renders them."""
    return hashlib.sha256(f"{_renderer_version()}:{digest}".encode()).hexdigest()


def _read_manifest(path: Path) -> dict[str, dict]:
    """slug -> {"inputs", "content", "files"}; an entry of the earlier form (the content's
    fingerprint alone) has no inputs, so its report is built once more."""
    if not path.is_file():
        return {}
    stored = json.loads(path.read_text(encoding="utf-8"))
    return {slug: entry if isinstance(entry, dict) else {"content": entry} for slug, entry in stored.items()}


def _write_share(database: str, period: str, areas: list[tuple[str, str]], folder: Path, previous: dict[str, dict]):
    """Files, manifest entries and the number rewritten, for some areas."""
    files, entries, rewritten = [], {}, 0
    if not areas:
        return files, entries, rewritten
    with duckdb.connect(database, read_only=True) as conn:
        # A report's queries are small (a few ms each, 17 per report): DuckDB's second thread
        # costs them more than it brings, and the shares already keep every core busy.
        conn.execute("SET threads = 1")
        area_rows = AreaRows(conn, period, areas)
        for level, code in areas:
            report = build_report(conn, period, level, code, area_rows)
            fingerprint = report.fingerprint
            paths = report.files(folder)
            if previous.get(report.slug, {}).get("content") != fingerprint or not all(p.is_file() for p in paths):
                write_report(report, folder)
                rewritten += 1
            files += paths
            entries[report.slug] = {"content": fingerprint, "files": [p.name for p in paths]}
    return files, entries, rewritten


def write_report(report: Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    markdown, page, workbook, *charts = paths = report.files(folder)
    markdown.write_text(to_markdown(report), encoding="utf-8")
    page.write_text(to_html(report), encoding="utf-8")
    to_workbook(report).save(workbook)
    for path, svg in zip(charts, report.charts.values()):
        path.write_text(svg, encoding="utf-8")
    return paths


def reporting_communes(conn: duckdb.DuckDBPyConnection, period: str, province_code: str) -> list[str]:
    """The codes of a province's communes (in force at the quarter's end) that reported in it."""
    return [code for (code,) in _query(conn, "reporting_communes", {"period": period, "area_code": province_code})]
