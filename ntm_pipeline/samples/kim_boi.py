"""The Kim Bôi sample: 17 units of Kim Bôi district (Hòa Bình), 2023-Q1 to 2024-Q4.

Deterministic: the same code writes the same bytes. It agrees with the district's Q1/2024
report (capital over 267 billion VND, the project counts by category, VietGAP over 233 ha
and GlobalGAP 46.5 ha with their year-on-year gains, 31 cooperatives and farms, 12 OCOP
products, 14.9 criteria per commune, six NTM communes) and moves plausibly towards the
2024 targets in the other quarters. It also carries the habits of real files: labels
instead of codes, decimal commas, dd/mm/yyyy dates, "x"/"đạt"/"1" for met, "Hoà" and NFD
spellings, stray spaces, blank rows and title lines above the header.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ntm_pipeline.contract import CAPITAL_SOURCES, TARGET
from ntm_pipeline.partitions import quarter_end
from ntm_pipeline.samples.common import CATEGORY_COST, Project, code_labels, split_sources
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly, write_csv

DISTRICT_CODE = "153"
PROVINCE_CODE = "17"
PERIODS = [f"{year}-Q{q}" for year in (2023, 2024) for q in range(1, 5)]
REPORT_INDEX = PERIODS.index("2024-Q1")
SEED = 153_2024

# Criteria met per rural commune, one value per quarter 2023-Q1 .. 2024-Q4.
CRITERIA_MET = {
    "05068": [19] * 8,  # Nam Thượng
    "05080": [19] * 8,  # Sào Báy
    "05026": [19] * 8,  # Vĩnh Đồng
    "05083": [19] * 8,  # Mỵ Hòa
    "05014": [19] * 8,  # Đông Bắc
    "05005": [18, 18, 19, 19, 19, 19, 19, 19],  # Vĩnh Tiến, recognised in 2023-Q4
    "05038": [15, 15, 16, 16, 17, 17, 18, 19],  # Hợp Tiến, recognised in 2024-Q4
    "05065": [12, 12, 13, 13, 14, 14, 15, 16],  # Kim Bôi
    "05017": [12, 12, 12, 13, 13, 14, 14, 15],  # Xuân Thủy
    "04987": [11, 12, 12, 12, 13, 13, 14, 14],  # Hùng Sơn
    "05035": [10, 11, 11, 11, 12, 12, 13, 13],  # Kim Lập
    "05077": [11, 11, 11, 12, 12, 12, 13, 13],  # Cuối Hạ
    "04999": [9, 10, 10, 10, 11, 11, 12, 12],  # Tú Sơn
    "04990": [10, 10, 10, 11, 11, 11, 12, 12],  # Bình Sơn
    "05086": [9, 10, 10, 10, 11, 11, 11, 12],  # Nuông Dăm
    "04984": [8, 9, 9, 9, 10, 10, 10, 11],  # Đú Sáng
}
# Criteria that communes usually meet last (income, poverty, production, environment).
HARD_CRITERIA = [10, 11, 13, 17, 12, 6]

# (code, title by quarter, title year by quarter, proposed title by quarter); "" means none.
TITLES = {
    "05068": (["ntm"] * 7 + ["advanced"], [2016] * 7 + [2024], [""] * 2 + ["advanced"] * 5 + [""]),
    "05080": (["ntm"] * 8, [2019] * 8, [""] * 7 + ["advanced"]),
    "05026": (["ntm"] * 8, [2018] * 8, [""] * 8),
    "05083": (["ntm"] * 8, [2020] * 8, [""] * 8),
    "05014": (["ntm"] * 8, [2017] * 8, [""] * 8),
    "05005": (["none"] * 3 + ["ntm"] * 5, [None] * 3 + [2023] * 5, [""] * 2 + ["ntm"] + [""] * 5),
    "05038": (["none"] * 7 + ["ntm"], [None] * 7 + [2024], [""] * 6 + ["ntm", ""]),
}

COOPERATIVES = [27, 28, 29, 30, 31, 32, 32, 33]
FARMS = [26, 27, 28, 30, 31, 31, 33, 34]

# Quarter-end certified areas (ha) the certificates must add up to.
VIETGAP_HA = [210.0, 214.5, 219.8, 226.0, 233.2, 238.5, 244.0, 251.3]
GLOBALGAP_HA = [34.0, 34.0, 40.5, 40.5, 46.5, 46.5, 52.0, 52.0]

# Projects at 2024-Q1 by category: (ongoing, preparing), as in the report.
PROJECTS_2024_Q1 = {
    "road": (31, 28),
    "ford": (1, 0),
    "canal": (11, 8),
    "school": (28, 7),
    "commune_cultural_house": (3, 0),
    "sports_ground": (3, 0),
    "village_cultural_house": (6, 19),
    "clean_water": (1, 3),
    "market": (0, 0),
    "electricity": (0, 0),
    "health_station": (0, 0),
    "other": (0, 0),
}
CAPITAL_2024_Q1 = 267_350.0  # million VND: "trên 267 tỷ đồng"
CATEGORY_PREFIX = {
    "road": "GT", "ford": "NG", "canal": "KM", "school": "TH", "commune_cultural_house": "VHX",
    "village_cultural_house": "VHT", "sports_ground": "TT", "clean_water": "NS", "market": "CH",
    "electricity": "DI", "health_station": "YT", "other": "KH",
}
CATEGORY_NAME = {
    "road": "Đường giao thông nông thôn {place}", "ford": "Ngầm tràn {place}",
    "canal": "Kênh mương nội đồng {place}", "school": "Nhà lớp học trường {school} {commune}",
    "commune_cultural_house": "Nhà văn hóa xã {commune}", "village_cultural_house": "Nhà văn hóa {place}",
    "sports_ground": "Khu thể thao xã {commune}", "clean_water": "Công trình nước sạch tập trung {place}",
    "market": "Chợ nông thôn {commune}", "electricity": "Cải tạo lưới điện {place}",
    "health_station": "Trạm y tế xã {commune}", "other": "Công trình phụ trợ {place}",
}
HAMLETS = ["xóm Đồi", "xóm Bãi", "xóm Chanh", "xóm Mớ Đá", "xóm Ong", "xóm Bái", "xóm Trang", "xóm Khoang",
           "xóm Vó", "xóm Cốc", "xóm Mới", "xóm Rộc", "xóm Sáng", "xóm Lập", "xóm Bến", "xóm Chiềng"]
SCHOOLS = ["Mầm non", "Tiểu học", "THCS", "Mầm non (phân hiệu)", "Tiểu học (điểm lẻ)"]
PREPARERS = ["Bùi Văn Hùng", "Quách Thị Lan", "Đinh Công Tuấn", "Bùi Thị Hòa", "Nguyễn Văn Thắng",
             "Xa Thị Huệ", "Bùi Minh Đức", "Đinh Thị Thu"]

# OCOP products: (commune, code, name, producer, producer type, group, events)
# event: (decision date, stars, score, event type, certifying level, decision number)
OCOP_PRODUCTS = [
    ("05065", "OCOP01", "Nước khoáng thiên nhiên Kim Bôi", "Công ty CP Nước khoáng Kim Bôi", "enterprise", "beverage",
     [(date(2020, 6, 15), 4, 78, "new", "province", "1234/QĐ-UBND"),
      (date(2023, 7, 20), 4, 81, "rerating", "province", "1650/QĐ-UBND")]),
    ("05038", "OCOP01", "Mật ong rừng Hợp Tiến", "HTX Nông nghiệp Hợp Tiến", "cooperative", "food",
     [(date(2021, 9, 10), 3, 62, "new", "district", "2870/QĐ-UBND"),
      (date(2023, 9, 25), 4, 74, "upgrade", "province", "2105/QĐ-UBND")]),
    ("05068", "OCOP01", "Bưởi da xanh Nam Thượng", "HTX Bưởi Nam Thượng", "cooperative", "food",
     [(date(2023, 11, 8), 3, 64, "new", "district", "4012/QĐ-UBND")]),
    ("05017", "OCOP01", "Nhãn Sơn Thủy", "HTX Nhãn Sơn Thủy", "cooperative", "food",
     [(date(2022, 5, 20), 3, 60, "new", "district", "1533/QĐ-UBND")]),
    ("05005", "OCOP01", "Dầu sả chanh Vĩnh Tiến", "HTX Dược liệu Vĩnh Tiến", "cooperative", "herbal",
     [(date(2022, 8, 12), 3, 58, "new", "district", "2241/QĐ-UBND")]),
    ("05014", "OCOP01", "Cơm lam Mường Động", "Hộ kinh doanh Bùi Văn Khiêm", "household", "food",
     [(date(2021, 12, 3), 3, 55, "new", "district", "3650/QĐ-UBND")]),
    ("05026", "OCOP01", "Bưởi Mường Động", "HTX Nông nghiệp Vĩnh Đồng", "cooperative", "food",
     [(date(2021, 10, 15), 3, 66, "new", "district", "3104/QĐ-UBND"),
      (date(2024, 11, 12), 3, 68, "rerating", "province", "2987/QĐ-UBND")]),
    ("05077", "OCOP01", "Măng khô Cuối Hạ", "Tổ hợp tác Măng Cuối Hạ", "cooperative_group", "food",
     [(date(2022, 3, 18), 3, 56, "new", "district", "0815/QĐ-UBND")]),
    ("05083", "OCOP01", "Gạo nếp cẩm Mỵ Hòa", "HTX Nông nghiệp Mỵ Hòa", "cooperative", "food",
     [(date(2022, 11, 22), 3, 59, "new", "district", "3318/QĐ-UBND")]),
    ("05080", "OCOP01", "Chè dây Sào Báy", "HTX Dược liệu Sào Báy", "cooperative", "herbal",
     [(date(2022, 6, 30), 3, 57, "new", "district", "1872/QĐ-UBND")]),
    ("04978", "OCOP01", "Rượu cần Mường Bo", "Hộ kinh doanh Quách Văn Dũng", "household", "beverage",
     [(date(2021, 7, 14), 3, 54, "new", "district", "2011/QĐ-UBND"),
      (date(2024, 8, 21), 3, 57, "rerating", "province", "1944/QĐ-UBND")]),
    ("05035", "OCOP01", "Cam Kim Lập", "HTX Cây ăn quả Kim Lập", "cooperative", "food",
     [(date(2022, 12, 9), 3, 61, "new", "district", "3620/QĐ-UBND")]),
    ("04987", "OCOP01", "Chuối ngự Hùng Sơn", "HTX Nông nghiệp Hùng Sơn", "cooperative", "food",
     [(date(2024, 8, 15), 3, 58, "new", "province", "1902/QĐ-UBND")]),
    ("04999", "OCOP01", "Miến dong Tú Sơn", "Công ty TNHH Miến dong Tú Sơn", "enterprise", "food",
     [(date(2024, 12, 5), 3, 63, "new", "province", "3301/QĐ-UBND")]),
]

VIETGAP_PRODUCTS = ["Bưởi", "Cam", "Thanh long", "Rau an toàn", "Cây dược liệu"]
GLOBALGAP_PRODUCTS = ["Nhãn", "Bưởi"]

TARGETS_2024 = {
    "avg_criteria_met": "16,0",
    "ntm_communes": "8",
    "advanced_ntm_communes": "1",
    "communes_15_18_criteria": "2",
    "communes_10_14_criteria": "6",
    "ocop_products_new_ytd": "2",
}

GUIDE = [
    "MẪU BÁO CÁO QUÝ CỦA XÃ - CHƯƠNG TRÌNH MTQG XÂY DỰNG NÔNG THÔN MỚI VÀ OCOP",
    "Mỗi xã gửi một tệp mỗi quý. Mỗi trang tính là một bảng; dòng tiêu đề giữ nguyên tên cột.",
    "Thông tin chung: một dòng cho xã (mã xã GSO 5 chữ số, kỳ báo cáo ví dụ Quý 1/2024).",
    "Dự án đầu tư: mỗi công trình một dòng; vốn huy động trong quý theo nguồn, đơn vị triệu đồng.",
    "Tiêu chí: 19 dòng theo Bộ tiêu chí 2021-2025 (QĐ 318/QĐ-TTg); cột Đạt ghi x, đạt hoặc 1. Thị trấn không kê khai.",
    "Sản phẩm OCOP: mỗi lần công nhận một dòng (mới, đánh giá lại, nâng hạng); giữ các dòng của quý trước.",
    "Vùng sản xuất đạt chứng nhận: mỗi giấy chứng nhận VietGAP, GlobalGAP hoặc hữu cơ một dòng.",
    "Số thập phân dùng dấu phẩy (46,5); ngày ghi dd/mm/yyyy. Các cột mã chọn từ danh sách (trang Danh mục).",
    "Hướng dẫn đầy đủ: docs/submission-format.md",
]


@dataclass
class Unit:
    code: str
    name: str
    unit_type: str

    @property
    def is_town(self) -> bool:
        return self.unit_type == "Thị trấn"


@dataclass
class Plot:
    commune: str
    product: str
    standard: str
    area: float
    certificates: list[tuple[str, date, date]]  # (number, issue, expiry)
    listed_until: int = 99  # last quarter index the commune still lists the plot

    def certificate_at(self, day: date) -> tuple[str, date, date] | None:
        current = [c for c in self.certificates if c[1] <= day]
        return current[-1] if current else None


def kim_boi_units() -> list[Unit]:
    """The district's 17 units, read from the GSO list packaged in vietnamadminunits."""
    from vietnamadminunits.database import query

    rows = query(
        "SELECT wardCode, wardShort, wardType FROM admin_units_legacy "
        "WHERE provinceCode = '17' AND districtCode = '153' ORDER BY wardCode"
    )
    return [Unit(r["wardCode"], r["wardShort"], r["wardType"]) for r in rows]


class KimBoiSample:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.units = kim_boi_units()
        self.by_code = {u.code: u for u in self.units}
        self.projects = self._projects()
        self.plots = self._plots()
        self.coops = self._spread(COOPERATIVES)
        self.farms = self._spread(FARMS)
        self.criteria_order = {code: self._criteria_order() for code in CRITERIA_MET}

    # -- projects ---------------------------------------------------------------------
    def _projects(self) -> list[Project]:
        rng = self.rng
        projects: list[Project] = []
        counters: dict[tuple[str, str], int] = {}
        rural = [u.code for u in self.units if not u.is_town]

        def add(category: str, prep: int | None, start: int, end: int) -> None:
            pool = rural if category == "village_cultural_house" else [u.code for u in self.units]
            commune = rng.choice(pool)
            key = (commune, category)
            counters[key] = counters.get(key, 0) + 1
            unit = self.by_code[commune]
            name = CATEGORY_NAME[category].format(
                place=rng.choice(HAMLETS), commune=unit.name, school=rng.choice(SCHOOLS)
            )
            code = f"{CATEGORY_PREFIX[category]}{counters[key]:02d}"
            projects.append(Project(commune, code, name, category, prep, start, end))

        for category, (ongoing, preparing) in PROJECTS_2024_Q1.items():
            for _ in range(ongoing):  # ongoing at 2024-Q1
                start = rng.randint(-3, REPORT_INDEX)
                add(category, start - rng.randint(1, 2) if start > 0 else None, start, rng.randint(5, 9))
            for _ in range(preparing):  # being prepared at 2024-Q1
                start = rng.randint(5, 8)
                add(category, rng.randint(1, REPORT_INDEX), start, start + rng.randint(2, 4))
            for _ in range(max(1, round(ongoing * 0.4))):  # completed before 2024-Q2
                end = rng.randint(0, REPORT_INDEX)
                add(category, None, end - rng.randint(1, 4), end)
            for _ in range(max(1, round(preparing * 0.4))):  # appear after 2024-Q1
                prep = rng.randint(5, 7)
                add(category, prep, prep + rng.randint(1, 2), prep + rng.randint(4, 6))
        for project in projects:
            for i in range(len(PERIODS)):
                if project.status(i) in ("ongoing", "completed"):
                    seasonal = 0.8 + 0.15 * (i % 4)
                    project.capital[i] = CATEGORY_COST[project.category] * seasonal * rng.uniform(0.6, 1.4)
        self._calibrate_capital(projects, REPORT_INDEX, CAPITAL_2024_Q1)
        return projects

    @staticmethod
    def _calibrate_capital(projects: list[Project], i: int, total: float) -> None:
        funded = [p for p in projects if i in p.capital]
        factor = total / sum(p.capital[i] for p in funded)
        for p in funded:
            p.capital[i] = round(p.capital[i] * factor, 1)
        largest = max(funded, key=lambda p: p.capital[i])
        largest.capital[i] = round(largest.capital[i] + total - sum(p.capital[i] for p in funded), 1)

    # -- certified areas ----------------------------------------------------------------
    def _plots(self) -> list[Plot]:
        plots: list[Plot] = []
        for standard, totals, products, years in (
            ("vietgap", VIETGAP_HA, VIETGAP_PRODUCTS, 2),
            ("globalgap", GLOBALGAP_HA, GLOBALGAP_PRODUCTS, 1),
        ):
            serial = iter(range(1, 1000))
            first_end = quarter_end(PERIODS[0])

            def new_plot(area: float, issued: date, listed_until: int = 99) -> Plot:
                commune = self.rng.choice([u.code for u in self.units if not u.is_town])
                certificates, issue = [], issued
                while issue <= date(2025, 12, 31):
                    expiry = date(issue.year + years, issue.month, min(issue.day, 28)) - timedelta(days=1)
                    certificates.append((f"{standard.upper()}-{next(serial):03d}/{issue.year}", issue, expiry))
                    if listed_until != 99:
                        break  # a certificate the commune lets lapse
                    issue = expiry + timedelta(days=1)
                plot = Plot(commune, self.rng.choice(products), standard, area, certificates, listed_until)
                plots.append(plot)
                return plot

            # Opening stock: plots certified in the two years before 2023-Q1.
            remaining = totals[0]
            while remaining > 0.05:
                area = min(remaining, round(self.rng.uniform(4, 16) * 2) / 2)
                remaining = round(remaining - area, 1)
                new_plot(area, first_end - timedelta(days=self.rng.randint(20, 360 * years - 30)))
            if standard == "vietgap":
                # One plot whose certificate lapses in 2023-Q3 and is still listed that quarter:
                # the warehouse must stop counting it at expiry.
                lapsing = plots[-1]
                lapsing.certificates = [(f"VIETGAP-{next(serial):03d}/2021", date(2021, 8, 10), date(2023, 8, 9))]
                lapsing.listed_until = 2
            for i in range(1, len(PERIODS)):
                end = quarter_end(PERIODS[i])
                valid = sum(
                    p.area for p in plots
                    if p.standard == standard and self._valid(p, end) and self._listed(p, i, end)
                )
                gain = round(totals[i] - valid, 1)
                if gain > 0.05:
                    new_plot(gain, end - timedelta(days=self.rng.randint(10, 80)))
        return plots

    @staticmethod
    def _valid(plot: Plot, day: date) -> bool:
        certificate = plot.certificate_at(day)
        return certificate is not None and certificate[2] >= day

    @staticmethod
    def _listed(plot: Plot, i: int, end: date) -> bool:
        return plot.certificates[0][1] <= end and i <= plot.listed_until

    # -- cooperatives, farms, criteria ---------------------------------------------------
    def _spread(self, totals: list[int]) -> dict[str, list[int]]:
        """Per-unit counts that add up to the district total of every quarter."""
        codes = [u.code for u in self.units]
        at_report = {c: 1 for c in codes}
        for _ in range(totals[REPORT_INDEX] - len(codes)):
            at_report[self.rng.choice(codes)] += 1
        series = {c: [0] * len(PERIODS) for c in codes}
        for c in codes:
            series[c][REPORT_INDEX] = at_report[c]
        for i in range(REPORT_INDEX - 1, -1, -1):
            current = {c: series[c][i + 1] for c in codes}
            for _ in range(totals[i + 1] - totals[i]):
                choice = self.rng.choice([c for c in codes if current[c] > 0])
                current[choice] -= 1
            for c in codes:
                series[c][i] = current[c]
        for i in range(REPORT_INDEX + 1, len(PERIODS)):
            current = {c: series[c][i - 1] for c in codes}
            for _ in range(totals[i] - totals[i - 1]):
                current[self.rng.choice(codes)] += 1
            for c in codes:
                series[c][i] = current[c]
        return series

    def _criteria_order(self) -> list[int]:
        easy = [n for n in range(1, 20) if n not in HARD_CRITERIA]
        self.rng.shuffle(easy)
        return easy + HARD_CRITERIA

    # -- the habits of real files -------------------------------------------------------
    def _commune_label(self, unit: Unit, i: int) -> str:
        style = (int(unit.code) + i) % 5
        name = unit.name
        if style == 1:
            name = f"Xã {name}" if not unit.is_town else f"Thị trấn {name}"
        elif style == 2:
            name = unicodedata.normalize("NFD", name)
        elif style == 3:
            name = f"  {name.replace('Hòa', 'Hoà').replace('Thủy', 'Thuỷ')} "
        return name

    def _date(self, day: date, as_text: bool):
        return day.strftime("%d/%m/%Y") if as_text else day

    def _number(self, value: float, as_text: bool):
        if as_text:
            return f"{value:.1f}".replace(".", ",")
        return int(value) if float(value).is_integer() else value

    # -- submissions ---------------------------------------------------------------------
    def submission(self, unit: Unit, i: int) -> tuple[dict[str, list], str | None]:
        rng = random.Random(f"{SEED}-{unit.code}-{i}")
        period = PERIODS[i]
        end = quarter_end(period)
        text_dates = rng.random() < 0.5
        labels = code_labels()
        year, quarter = period.split("-Q")
        title, title_year, proposed = ("none", None, "")
        if unit.code in TITLES:
            titles, years, proposals = TITLES[unit.code]
            title, title_year, proposed = titles[i], years[i], proposals[i]
        header = {
            "commune_code": unit.code,
            "commune_name": self._commune_label(unit, i),
            "district_code": DISTRICT_CODE if rng.random() < 0.8 else None,
            "province_code": PROVINCE_CODE if rng.random() < 0.8 else None,
            "reporting_period": period if rng.random() < 0.5 else f"Quý {quarter}/{year}",
            "date_prepared": self._date(end + timedelta(days=rng.randint(5, 15)), text_dates),
            "preparer": rng.choice(PREPARERS),
            "agri_cooperatives": self.coops[unit.code][i],
            "farms": self.farms[unit.code][i],
            "ntm_title": None if unit.is_town else labels["ntm_title"][title],
            "title_year": title_year,
            "proposed_title": labels["ntm_title"][proposed] if proposed else None,
        }
        investment: list[dict | None] = []
        for project in (p for p in self.projects if p.commune == unit.code):
            status = project.status(i)
            if status is None:
                continue
            row = {
                "project_code": project.code,
                "project_name": project.name,
                "category": labels["project_category"][project.category],
                "status": labels["project_status"][status],
            }
            amount = project.capital.get(i, 0.0)
            parts = split_sources(amount, self.rng) if amount else [None] * len(CAPITAL_SOURCES)
            for (name, _label, _what), part in zip(CAPITAL_SOURCES, parts):
                row[name] = None if not part else self._number(part, rng.random() < 0.1)
            row["capital_total"] = round(amount, 1) if amount and rng.random() < 0.7 else None
            investment.append(row)
            if rng.random() < 0.04:
                investment.append(None)  # a blank row left in the sheet
        criteria: list[dict | None] = []
        if not unit.is_town:
            met_count = CRITERIA_MET[unit.code][i]
            met = set(self.criteria_order[unit.code][:met_count])
            marks = ["x", "x", "đạt", "1", "Đạt", "X"]
            for number in range(1, 20):
                is_met = number in met
                criteria.append({
                    "criteria_set": "NTM_2021_2025",
                    "criterion_no": number,
                    "met": rng.choice(marks) if is_met else (None if rng.random() < 0.7 else "chưa đạt"),
                    "note": None if is_met or rng.random() < 0.5 else "Đang triển khai thực hiện",
                })
        ocop = []
        for commune, code, name, producer, producer_type, group, events in OCOP_PRODUCTS:
            if commune != unit.code:
                continue
            for decided, stars, score, event, level, number in events:
                if decided > end:
                    continue
                ocop.append({
                    "product_code": code,
                    "product_name": name if (i % 3) else name.replace("Hòa", "Hoà"),
                    "producer": producer,
                    "producer_type": labels["producer_type"][producer_type],
                    "product_group": labels["product_group"][group],
                    "score": score,
                    "stars": stars,
                    "decision_no": number,
                    "decision_date": self._date(decided, text_dates),
                    "certifying_level": labels["certifying_level"][level],
                    "event_type": labels["ocop_event"][event],
                })
        areas = []
        for plot in (p for p in self.plots if p.commune == unit.code and self._listed(p, i, end)):
            number, issued, expires = plot.certificate_at(end)
            areas.append({
                "product": plot.product,
                "standard": labels["gap_standard"][plot.standard],
                "area_ha": self._number(plot.area, rng.random() < 0.3),
                "certificate_no": number,
                "issue_date": self._date(issued, text_dates),
                "expiry_date": self._date(expires, text_dates),
            })
        title_line = (
            f"BÁO CÁO KẾT QUẢ XÂY DỰNG NÔNG THÔN MỚI QUÝ {quarter}/{year}" if rng.random() < 0.3 else None
        )
        tables = {"submission": [header], "investment": investment, "criteria": criteria,
                  "ocop_product": ocop, "certified_area": areas}
        return tables, title_line

    def write(self, raw_dir: Path) -> list[Path]:
        written = []
        for i, period in enumerate(PERIODS):
            for unit in self.units:
                tables, title = self.submission(unit, i)
                slug = _slug(unit.name)
                path = raw_dir / "submissions" / period / f"{unit.code}-{slug}.xlsx"
                save_reproducibly(build_workbook(tables, title=title), path)
                written.append(path)
        targets = raw_dir / "targets" / f"{DISTRICT_CODE}-kim-boi-2024.csv"
        write_csv(targets, TARGET, [
            {"year": 2024, "district_code": DISTRICT_CODE, "target_code": code, "value": value}
            for code, value in TARGETS_2024.items()
        ])
        written.append(targets)
        return written


def _slug(name: str) -> str:
    from ntm_pipeline.contract import text_key

    return text_key(name).replace("_", "-")


TARGET_GUIDE = [
    "MẪU CHỈ TIÊU NĂM - CHƯƠNG TRÌNH MTQG XÂY DỰNG NÔNG THÔN MỚI VÀ OCOP",
    "Huyện hoặc tỉnh gửi một tệp chỉ tiêu; đặt tệp vào thư mục raw/targets/.",
    "Chỉ tiêu: mỗi dòng một chỉ tiêu của một năm cho một địa bàn; dòng tiêu đề giữ nguyên tên cột.",
    "Năm: năm đặt chỉ tiêu (đến hết năm), ví dụ 2024.",
    "Mã huyện: mã GSO của huyện (3 chữ số) hoặc của tỉnh (2 chữ số).",
    "Mã chỉ tiêu: mã KPI trong docs/kpis.md, ví dụ ntm_communes, avg_criteria_met, ocop_products_new_ytd.",
    "Giá trị: giá trị phấn đấu đến hết năm; số thập phân dùng dấu phẩy (16,0).",
    "Hướng dẫn đầy đủ: docs/submission-format.md",
]


def write_template(raw_dir: Path) -> Path:
    """The blank submission template officers fill in."""
    path = raw_dir / "templates" / "bao-cao-quy-xa.xlsx"
    save_reproducibly(build_workbook({}, title=None, guide=GUIDE), path)
    return path


def write_target_template(raw_dir: Path) -> Path:
    """The blank targets workbook a district or province office fills in for raw/targets/."""
    path = raw_dir / "templates" / "chi-tieu-nam.xlsx"
    save_reproducibly(build_workbook({}, tables=(TARGET,), guide=TARGET_GUIDE), path)
    return path


def write_sample(raw_dir: Path) -> list[Path]:
    """Write the templates, every sample submission and the 2024 targets under raw_dir."""
    return [write_template(raw_dir), write_target_template(raw_dir), *KimBoiSample().write(raw_dir)]
