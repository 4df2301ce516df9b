"""The Kim Bôi sample: Kim Bôi district (Hòa Bình) from 2023-Q1 across the 2025 reform to 2026-Q3.

Deterministic: the same code writes the same bytes. Its 17 units report from 2023-Q1 to
2025-Q2; from 2025-Q3 the 5 communes of Phú Thọ (25) they became report instead, with no
district, carrying on their old units' cooperatives, farms, certified areas, OCOP products
and projects; from 2026-Q1 they are scored on the 10 criteria of NTM_2026_2030 and give
their commune group. The 2024-Q1 files agree with the district's Q1/2024 report (capital
over 267 billion VND, the project counts by category, VietGAP over 233 ha and GlobalGAP
46.5 ha with their year-on-year gains, 31 cooperatives and farms, 12 OCOP products, 14.9
criteria per commune, six NTM communes); the other quarters move plausibly towards the
year's targets (2024 and 2025 for the district, 2026 for the province and the 5 communes).
The files carry the habits of real files: labels instead of codes, decimal commas,
dd/mm/yyyy dates, "x"/"đạt"/"1" for met, "Hoà" and NFD spellings, stray spaces, blank
rows and title lines above the header.

The files of 2023-Q1..2024-Q4 are pinned byte for byte: everything they show is drawn
from the shared stream `self.rng` exactly as before the sample was extended; every later
quarter draws from streams of its own (`self.later`, and one per file), so extending the
sample never changes an earlier file. Each file is written with the template of its
quarter (`SubmissionTable.columns_in`) and the codes valid at the quarter's end.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ntm_pipeline.contract import CAPITAL_SOURCES, TARGET
from ntm_pipeline.quarters import QUARTERS, quarter_end
from ntm_pipeline.samples.common import CATEGORY_COST, Project, code_labels, split_sources
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly, write_csv

DISTRICT_CODE = "153"
PROVINCE_CODE = "17"  # Hòa Bình, to 30/06/2025
NEW_PROVINCE_CODE = "25"  # Phú Thọ, which Hòa Bình joined on 01/07/2025
PERIODS = QUARTERS[QUARTERS.index("2023-Q1") : QUARTERS.index("2026-Q3") + 1]
REPORT_INDEX = PERIODS.index("2024-Q1")
PINNED = PERIODS.index("2025-Q1")  # quarters before it are drawn as they always were
REFORM_INDEX = PERIODS.index("2025-Q3")  # the first quarter of the 5 new communes
NEW_SET_INDEX = PERIODS.index("2026-Q1")  # the first quarter scored on NTM_2026_2030
OLD_SET, NEW_SET = "NTM_2021_2025", "NTM_2026_2030"
SEED = 153_2024

# Criteria met per rural commune, one value per quarter 2023-Q1 .. 2025-Q2 (of the 19).
CRITERIA_MET = {
    "05068": [19] * 10,  # Nam Thượng
    "05080": [19] * 10,  # Sào Báy
    "05026": [19] * 10,  # Vĩnh Đồng
    "05083": [19] * 10,  # Mỵ Hòa
    "05014": [19] * 10,  # Đông Bắc
    "05005": [18, 18, 19, 19, 19, 19, 19, 19, 19, 19],  # Vĩnh Tiến, recognised in 2023-Q4
    "05038": [15, 15, 16, 16, 17, 17, 18, 19, 19, 19],  # Hợp Tiến, recognised in 2024-Q4
    "05065": [12, 12, 13, 13, 14, 14, 15, 16, 17, 18],  # Kim Bôi
    "05017": [12, 12, 12, 13, 13, 14, 14, 15, 15, 16],  # Xuân Thủy
    "04987": [11, 12, 12, 12, 13, 13, 14, 14, 15, 15],  # Hùng Sơn
    "05035": [10, 11, 11, 11, 12, 12, 13, 13, 14, 15],  # Kim Lập
    "05077": [11, 11, 11, 12, 12, 12, 13, 13, 13, 14],  # Cuối Hạ
    "04999": [9, 10, 10, 10, 11, 11, 12, 12, 13, 13],  # Tú Sơn
    "04990": [10, 10, 10, 11, 11, 11, 12, 12, 12, 13],  # Bình Sơn
    "05086": [9, 10, 10, 10, 11, 11, 11, 12, 12, 13],  # Nuông Dăm
    "04984": [8, 9, 9, 9, 10, 10, 10, 11, 12, 12],  # Đú Sáng
}
# The 5 new communes, 2025-Q3 .. 2026-Q3: of the 19 criteria in 2025, of the 10 from 2026-Q1.
# A merged commune meets a criterion when its whole territory does, so it starts near its
# weakest old unit; the 2026-2030 set is stricter and starts lower.
NEW_CRITERIA_MET = {
    "04978": [16, 17, 6, 7, 7],  # Kim Bôi: Bo, Vĩnh Đồng, Kim Bôi
    "05014": [17, 18, 7, 8, 8],  # Mường Động: Đông Bắc, Hợp Tiến, Tú Sơn, Vĩnh Tiến
    "05086": [14, 15, 5, 6, 6],  # Dũng Tiến: Cuối Hạ, Mỵ Hòa, Nuông Dăm
    "05068": [18, 19, 10, 10, 10],  # Hợp Kim: Kim Lập, Nam Thượng, Sào Báy
    "04990": [14, 15, 4, 5, 6],  # Nật Sơn: Xuân Thủy, Bình Sơn, Đú Sáng, Hùng Sơn
}
# Commune group of Decision 51/2025/QĐ-TTg (from 2026-Q1): group 3 for the mountain
# communes of area II-III, group 2 for Kim Bôi, the old district seat.
COMMUNE_GROUP = {"04978": "2", "05014": "3", "05086": "3", "05068": "3", "04990": "3"}
# Indicator rows some 2026 files add under their criterion: (commune, first quarter index).
INDICATOR_ROWS = {"05068": (["2.1", "2.2", "8.1"], NEW_SET_INDEX), "04978": (["2,1", "2,2"], NEW_SET_INDEX + 1),
                  "05014": (["7.1", "7.2"], NEW_SET_INDEX + 2)}
# Criteria that communes usually meet last (income, poverty, production, environment).
HARD_CRITERIA = [10, 11, 13, 17, 12, 6]
# Of NTM_2026_2030: rural economy, poverty reduction, environment, digital transformation.
NEW_HARD_CRITERIA = [3, 6, 8, 7]

# (code, title by quarter, title year by quarter, proposed title by quarter); "" means none.
TITLES = {  # the old units, 2023-Q1 .. 2025-Q2
    "05068": (["ntm"] * 7 + ["advanced"] * 3, [2016] * 7 + [2024] * 3, [""] * 2 + ["advanced"] * 5 + [""] * 3),
    "05080": (["ntm"] * 9 + ["advanced"], [2019] * 9 + [2025], [""] * 7 + ["advanced"] * 2 + [""]),
    "05026": (["ntm"] * 10, [2018] * 10, [""] * 10),
    "05083": (["ntm"] * 10, [2020] * 10, [""] * 10),
    "05014": (["ntm"] * 10, [2017] * 10, [""] * 10),
    "05005": (["none"] * 3 + ["ntm"] * 7, [None] * 3 + [2023] * 7, [""] * 2 + ["ntm"] + [""] * 7),
    "05038": (["none"] * 7 + ["ntm"] * 3, [None] * 7 + [2024] * 3, [""] * 6 + ["ntm"] + [""] * 3),
    "05065": (["none"] * 10, [None] * 10, [""] * 9 + ["ntm"]),
}
# The new communes, 2025-Q3 .. 2026-Q3. A merged commune holds no title of its old units
# until the province recognises it: Hợp Kim is recognised NTM in 2025-Q4 and, as a pilot of
# Decision 51/2025/QĐ-TTg (Appendix II), modern NTM in 2026-Q3. Mường Động's 2025 proposal
# lapses with the 2021-2025 set.
NEW_TITLES = {
    "05068": (["none", "ntm", "ntm", "ntm", "modern"], [None, 2025, 2025, 2025, 2026], ["ntm", "", "", "modern", ""]),
    "05014": (["none"] * 5, [None] * 5, ["", "ntm", "", "", ""]),
}

# Stocks at quarter end, district totals to 2025-Q2; then the new communes' totals, which
# start from the sum of their old units (carried over whole) and grow.
COOPERATIVES = [27, 28, 29, 30, 31, 32, 32, 33, 33, 34]
FARMS = [26, 27, 28, 30, 31, 31, 33, 34, 35, 35]
NEW_COOPERATIVES = [34, 35, 35, 36, 37]
NEW_FARMS = [35, 36, 36, 37, 38]

# Quarter-end certified areas (ha) the certificates must add up to, 2023-Q1 .. 2026-Q3.
VIETGAP_HA = [210.0, 214.5, 219.8, 226.0, 233.2, 238.5, 244.0, 251.3, 255.0, 258.6, 262.4, 268.0, 271.5, 276.8, 281.2]
GLOBALGAP_HA = [34.0, 34.0, 40.5, 40.5, 46.5, 46.5, 52.0, 52.0, 52.0, 57.5, 57.5, 61.0, 61.0, 64.5, 64.5]

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
      (date(2023, 7, 20), 4, 81, "rerating", "province", "1650/QĐ-UBND"),
      (date(2026, 7, 8), 4, 83, "rerating", "province", "1592/QĐ-UBND")]),
    ("05038", "OCOP01", "Mật ong rừng Hợp Tiến", "HTX Nông nghiệp Hợp Tiến", "cooperative", "food",
     [(date(2021, 9, 10), 3, 62, "new", "district", "2870/QĐ-UBND"),
      (date(2023, 9, 25), 4, 74, "upgrade", "province", "2105/QĐ-UBND"),
      (date(2026, 9, 15), 4, 76, "rerating", "province", "2218/QĐ-UBND")]),
    ("05068", "OCOP01", "Bưởi da xanh Nam Thượng", "HTX Bưởi Nam Thượng", "cooperative", "food",
     [(date(2023, 11, 8), 3, 64, "new", "district", "4012/QĐ-UBND")]),
    ("05017", "OCOP01", "Nhãn Sơn Thủy", "HTX Nhãn Sơn Thủy", "cooperative", "food",
     [(date(2022, 5, 20), 3, 60, "new", "district", "1533/QĐ-UBND"),
      (date(2025, 5, 12), 3, 61, "rerating", "district", "1187/QĐ-UBND")]),
    ("05005", "OCOP01", "Dầu sả chanh Vĩnh Tiến", "HTX Dược liệu Vĩnh Tiến", "cooperative", "herbal",
     [(date(2022, 8, 12), 3, 58, "new", "district", "2241/QĐ-UBND"),
      (date(2025, 8, 4), 3, 59, "rerating", "province", "1876/QĐ-UBND")]),
    ("05014", "OCOP01", "Cơm lam Mường Động", "Hộ kinh doanh Bùi Văn Khiêm", "household", "food",
     [(date(2021, 12, 3), 3, 55, "new", "district", "3650/QĐ-UBND"),
      (date(2025, 4, 22), 3, 56, "rerating", "district", "0968/QĐ-UBND")]),
    ("05026", "OCOP01", "Bưởi Mường Động", "HTX Nông nghiệp Vĩnh Đồng", "cooperative", "food",
     [(date(2021, 10, 15), 3, 66, "new", "district", "3104/QĐ-UBND"),
      (date(2024, 11, 12), 3, 68, "rerating", "province", "2987/QĐ-UBND")]),
    ("05077", "OCOP01", "Măng khô Cuối Hạ", "Tổ hợp tác Măng Cuối Hạ", "cooperative_group", "food",
     [(date(2022, 3, 18), 3, 56, "new", "district", "0815/QĐ-UBND"),
      (date(2025, 3, 6), 3, 57, "rerating", "district", "0412/QĐ-UBND")]),
    ("05083", "OCOP01", "Gạo nếp cẩm Mỵ Hòa", "HTX Nông nghiệp Mỵ Hòa", "cooperative", "food",
     [(date(2022, 11, 22), 3, 59, "new", "district", "3318/QĐ-UBND"),
      (date(2025, 11, 10), 4, 72, "upgrade", "province", "3054/QĐ-UBND")]),
    ("05080", "OCOP01", "Chè dây Sào Báy", "HTX Dược liệu Sào Báy", "cooperative", "herbal",
     [(date(2022, 6, 30), 3, 57, "new", "district", "1872/QĐ-UBND"),
      (date(2025, 6, 18), 3, 60, "rerating", "district", "1523/QĐ-UBND")]),
    ("04978", "OCOP01", "Rượu cần Mường Bo", "Hộ kinh doanh Quách Văn Dũng", "household", "beverage",
     [(date(2021, 7, 14), 3, 54, "new", "district", "2011/QĐ-UBND"),
      (date(2024, 8, 21), 3, 57, "rerating", "province", "1944/QĐ-UBND")]),
    ("05035", "OCOP01", "Cam Kim Lập", "HTX Cây ăn quả Kim Lập", "cooperative", "food",
     [(date(2022, 12, 9), 3, 61, "new", "district", "3620/QĐ-UBND")]),
    ("04987", "OCOP01", "Chuối ngự Hùng Sơn", "HTX Nông nghiệp Hùng Sơn", "cooperative", "food",
     [(date(2024, 8, 15), 3, 58, "new", "province", "1902/QĐ-UBND")]),
    ("04999", "OCOP01", "Miến dong Tú Sơn", "Công ty TNHH Miến dong Tú Sơn", "enterprise", "food",
     [(date(2024, 12, 5), 3, 63, "new", "province", "3301/QĐ-UBND")]),
    ("04990", "OCOP01", "Tinh dầu quế Bình Sơn", "HTX Dược liệu Bình Sơn", "cooperative", "herbal",
     [(date(2025, 5, 27), 3, 58, "new", "district", "1264/QĐ-UBND")]),
]
# Cam Kim Lập (decided 09/12/2022) is not re-rated: it lapses in 2025-Q4. From 06/07/2025
# the province rates 3 and 4 stars (Decision 1489/QĐ-TTg). After the reform a new commune's
# register lists its old units' products, renumbered, then products of its own:
NEW_OCOP_PRODUCTS = [  # (new commune, name, producer, producer type, group, events)
    ("05068", "Bưởi đỏ Hợp Kim", "HTX Nông nghiệp Hợp Kim", "cooperative", "food",
     [(date(2025, 10, 28), 3, 63, "new", "province", "2612/QĐ-UBND")]),
    ("05014", "Chè hoa vàng Mường Động", "Công ty TNHH Chè Mường Động", "enterprise", "beverage",
     [(date(2026, 4, 16), 3, 65, "new", "province", "0877/QĐ-UBND")]),
    ("04990", "Măng tre Bát Độ Nật Sơn", "HTX Nông lâm nghiệp Nật Sơn", "cooperative", "food",
     [(date(2026, 8, 20), 3, 57, "new", "province", "1954/QĐ-UBND")]),
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
# 2025: set by the district in January for its 17 units (they apply to 2025-Q1..Q2).
TARGETS_2025 = {
    "avg_criteria_met": "16,5",
    "ntm_communes": "8",
    "advanced_ntm_communes": "2",
    "communes_15_18_criteria": "4",
    "communes_10_14_criteria": "5",
    "ocop_products_new_ytd": "2",
}
# 2026: set by Phú Thọ for the province and for each of the 5 communes, on the 2026-2030 set.
TARGETS_2026 = {
    NEW_PROVINCE_CODE: {"avg_criteria_met": "7,5", "modern_ntm_communes": "1", "ocop_products_new_ytd": "2"},
    "04978": {"avg_criteria_met": "8"},
    "05014": {"avg_criteria_met": "9", "ocop_products_new_ytd": "1"},
    "05086": {"avg_criteria_met": "7"},
    "05068": {"avg_criteria_met": "10", "modern_ntm_communes": "1"},
    "04990": {"avg_criteria_met": "7", "ocop_products_new_ytd": "1"},
}

GUIDE = [
    "MẪU BÁO CÁO QUÝ CỦA XÃ - CHƯƠNG TRÌNH MTQG XÂY DỰNG NÔNG THÔN MỚI VÀ OCOP",
    "Mỗi xã gửi một tệp mỗi quý. Mỗi trang tính là một bảng; dòng tiêu đề giữ nguyên tên cột.",
    "Thông tin chung: một dòng cho xã (mã xã GSO 5 chữ số, kỳ báo cáo ví dụ Quý 1/2024).",
    "Từ Quý 3/2025: ghi mã xã và mã tỉnh mới (sau sắp xếp đơn vị hành chính), không ghi Mã huyện.",
    "Từ Quý 1/2026: ghi Nhóm xã (1, 2 hoặc 3) theo QĐ 51/2025/QĐ-TTg.",
    "Dự án đầu tư: mỗi công trình một dòng; vốn huy động trong quý theo nguồn, đơn vị triệu đồng.",
    ("Tiêu chí: đến Quý 4/2025 ghi 19 dòng theo Bộ tiêu chí 2021-2025 (QĐ 318/QĐ-TTg); từ Quý 1/2026 ghi 10 dòng "
     "theo Bộ tiêu chí 2026-2030 (QĐ 51/2025/QĐ-TTg), có thể thêm dòng chỉ tiêu (2.1, 2.2...) dưới tiêu chí."),
    "Tiêu chí: cột Đạt ghi x, đạt hoặc 1. Thị trấn, phường không kê khai.",
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
    formed_from: tuple[str, ...] = ()  # a new commune: the codes of the old units it was made of

    @property
    def is_town(self) -> bool:
        return self.unit_type == "Thị trấn"

    @property
    def is_new(self) -> bool:
        return bool(self.formed_from)


@dataclass
class Plot:
    commune: str  # the commune that lists it when certified (an old unit before 2025-Q3)
    product: str
    standard: str
    area: float
    certificates: list[tuple[str, date, date]]  # (number, issue, expiry)
    listed_until: int = 99  # last quarter index the commune still lists the plot
    successor: str = ""  # the new commune that lists it from 2025-Q3

    def certificate_at(self, day: date) -> tuple[str, date, date] | None:
        current = [c for c in self.certificates if c[1] <= day]
        return current[-1] if current else None

    def commune_at(self, i: int) -> str:
        return self.successor if i >= REFORM_INDEX else self.commune


def kim_boi_units() -> list[Unit]:
    """The district's 17 units, read from the GSO list packaged in vietnamadminunits."""
    from vietnamadminunits.database import query

    rows = query(
        "SELECT wardCode, wardShort, wardType FROM admin_units_legacy "
        "WHERE provinceCode = '17' AND districtCode = '153' ORDER BY wardCode"
    )
    return [Unit(r["wardCode"], r["wardShort"], r["wardType"]) for r in rows]


def kim_boi_successors() -> list[Unit]:
    """The 5 communes the 17 units became on 1 July 2025, each with the old units it was made
    of, from the package's post-reform list and its converter_2025.json (whole units: none of
    the 17 was divided)."""
    import json
    from importlib.resources import files

    from vietnamadminunits.database import query

    rows = query(
        "SELECT provinceKey, districtKey, wardKey, wardCode FROM admin_units_legacy "
        "WHERE provinceCode = '17' AND districtCode = '153'"
    )
    old = {f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}": r["wardCode"] for r in rows}
    converter = json.loads((files("vietnamadminunits") / "data" / "converter_2025.json").read_text(encoding="utf-8"))
    new_units = query(
        "SELECT provinceKey, wardKey, wardCode, wardShort, wardType FROM admin_units "
        "WHERE provinceCode = '25' ORDER BY wardCode"
    )
    province_key = new_units[0]["provinceKey"]
    assert not set(converter["DICT_PROVINCE_WARD_DIVIDED"].get(province_key, {})) & set(old), \
        "a Kim Bôi unit was divided: the sample assumes whole units"
    made_of = converter["DICT_PROVINCE_WARD_NO_DIVIDED"][province_key]
    units = []
    for r in new_units:
        keys = made_of.get(r["wardKey"], [])
        if any(k in old for k in keys):
            assert all(k in old for k in keys), f"{r['wardShort']} takes in units outside Kim Bôi"
            units.append(Unit(r["wardCode"], r["wardShort"], r["wardType"], tuple(sorted(old[k] for k in keys))))
    assert sorted(c for u in units for c in u.formed_from) == sorted(old.values())
    return units


class KimBoiSample:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)  # the pinned quarters' stream: draw on it as before only
        self.later = random.Random(f"{SEED}-after-2024")  # everything from 2025-Q1 on
        self.units = kim_boi_units()
        self.by_code = {u.code: u for u in self.units}
        self.new_units = kim_boi_successors()
        self.successor = {old: u.code for u in self.new_units for old in u.formed_from}
        self.projects = self._projects()
        self.plots = self._plots()
        self.coops = self._spread(COOPERATIVES)
        self.farms = self._spread(FARMS)
        self.criteria_order = {code: self._criteria_order() for code in CRITERIA_MET}
        # self.rng is drawn on above exactly as before 2025 was added; the rest draws on self.later.
        self._extend_projects()
        self._extend_plots()
        self.new_coops = self._carry_over(self.coops, NEW_COOPERATIVES)
        self.new_farms = self._carry_over(self.farms, NEW_FARMS)
        self.new_criteria_order = {
            code: (self._criteria_order(self.later), self._new_set_order()) for code in NEW_CRITERIA_MET
        }
        self.project_codes = self._project_codes_after_reform()
        self.ocop_registers = self._ocop_registers_after_reform()

    def units_at(self, i: int) -> list[Unit]:
        """The units that report in quarter index i: the 17 old ones, or the 5 new ones."""
        return self.new_units if i >= REFORM_INDEX else self.units

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
            for i in range(PINNED):
                if project.status(i) in ("ongoing", "completed"):
                    project.capital[i] = self._quarter_capital(project, i, rng)
        self._calibrate_capital(projects, REPORT_INDEX, CAPITAL_2024_Q1)
        return projects

    @staticmethod
    def _quarter_capital(project: Project, i: int, rng: random.Random) -> float:
        seasonal = 0.8 + 0.15 * (i % 4)
        return CATEGORY_COST[project.category] * seasonal * rng.uniform(0.6, 1.4)

    def _extend_projects(self) -> None:
        """Projects begun from 2025 (by an old unit up to 2025-Q2, by a new commune after), and
        the capital of every project from 2025-Q1 on: per project 15 % above the 2023-2024
        level in 2025 and 30 % in 2026, so the year-to-date totals stay near 2024's."""
        rng = self.later
        for category, (ongoing, preparing) in PROJECTS_2024_Q1.items():
            for _ in range(max(1, round((ongoing + preparing) * 0.9))):
                prep = rng.randint(PINNED, len(PERIODS) - 1)
                start = prep + rng.randint(1, 2)
                unit = rng.choice([u for u in self.units_at(prep)
                                   if not (u.is_town and category == "village_cultural_house")])
                code = ""  # a new commune's projects are numbered in _project_codes_after_reform
                if not unit.is_new:
                    taken = sum(p.commune == unit.code and p.category == category and not p.era_new
                                for p in self.projects)
                    code = f"{CATEGORY_PREFIX[category]}{taken + 1:02d}"
                name = CATEGORY_NAME[category].format(
                    place=rng.choice(HAMLETS), commune=unit.name, school=rng.choice(SCHOOLS))
                self.projects.append(Project(unit.code, code, name, category, prep, start,
                                             start + rng.randint(2, 5), era_new=unit.is_new))
        for project in self.projects:
            for i in range(PINNED, len(PERIODS)):
                if project.status(i) in ("ongoing", "completed"):
                    growth = 1.3 if i >= NEW_SET_INDEX else 1.15
                    project.capital[i] = round(self._quarter_capital(project, i, rng) * growth, 1)

    def _project_codes_after_reform(self) -> dict[int, tuple[str, str]]:
        """Project index -> (new commune, code) from 2025-Q3. A new commune renumbers per
        category the projects of its old units still listed, then numbers its own."""
        carried = sorted(
            (index for index, p in enumerate(self.projects)
             if not p.era_new and any(p.status(i) for i in range(REFORM_INDEX, len(PERIODS)))),
            key=lambda index: (self.projects[index].commune, self.projects[index].code))
        own = [index for index, p in enumerate(self.projects) if p.era_new]
        codes: dict[int, tuple[str, str]] = {}
        counters: dict[tuple[str, str], int] = {}
        for index in carried + own:
            p = self.projects[index]
            key = (p.commune if p.era_new else self.successor[p.commune], p.category)
            counters[key] = counters.get(key, 0) + 1
            codes[index] = (key[0], f"{CATEGORY_PREFIX[p.category]}{counters[key]:02d}")
        return codes

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
                plot = Plot(commune, self.rng.choice(products), standard, area, certificates, listed_until,
                            self.successor[commune])
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
            for i in range(1, PINNED):
                self._certify_gain(plots, standard, totals, i, new_plot)
        return plots

    def _certify_gain(self, plots: list[Plot], standard: str, totals: list[float], i: int, new_plot) -> None:
        """A new plot for whatever the quarter's total holds above the valid listed plots."""
        end = quarter_end(PERIODS[i])
        valid = sum(p.area for p in plots if p.standard == standard and self._valid(p, end) and self._listed(p, i, end))
        gain = round(totals[i] - valid, 1)
        if gain > 0.05:
            new_plot(gain, end - timedelta(days=(self.rng if i < PINNED else self.later).randint(10, 80)))

    def _extend_plots(self) -> None:
        """Certificates renewed to the end of 2026, and new plots for the totals from 2025-Q1
        (certified by an old unit up to 2025-Q2, by a new commune after), numbered on from
        the last certificate of their standard."""
        for standard, totals, products, years in (
            ("vietgap", VIETGAP_HA, VIETGAP_PRODUCTS, 2),
            ("globalgap", GLOBALGAP_HA, GLOBALGAP_PRODUCTS, 1),
        ):
            serial = iter(range(1 + max(int(n.split("-")[1].split("/")[0]) for p in self.plots
                                        if p.standard == standard for n, _, _ in p.certificates), 1000))

            def renew(plot: Plot) -> None:
                while plot.listed_until == 99 and plot.certificates[-1][2] < date(2026, 12, 31):
                    issue = plot.certificates[-1][2] + timedelta(days=1)
                    expiry = date(issue.year + years, issue.month, min(issue.day, 28)) - timedelta(days=1)
                    plot.certificates.append((f"{standard.upper()}-{next(serial):03d}/{issue.year}", issue, expiry))

            for plot in self.plots:
                if plot.standard == standard:
                    renew(plot)

            def new_plot(area: float, issued: date, i: int) -> None:
                unit = self.later.choice([u for u in self.units_at(i) if not u.is_town])
                expiry = date(issued.year + years, issued.month, min(issued.day, 28)) - timedelta(days=1)
                first = (f"{standard.upper()}-{next(serial):03d}/{issued.year}", issued, expiry)
                plot = Plot(unit.code, self.later.choice(products), standard, area, [first],
                            successor=unit.code if unit.is_new else self.successor[unit.code])
                renew(plot)
                self.plots.append(plot)

            for i in range(PINNED, len(PERIODS)):
                self._certify_gain(self.plots, standard, totals, i, lambda area, issued, i=i: new_plot(area, issued, i))

    @staticmethod
    def _valid(plot: Plot, day: date) -> bool:
        certificate = plot.certificate_at(day)
        return certificate is not None and certificate[2] >= day

    @staticmethod
    def _listed(plot: Plot, i: int, end: date) -> bool:
        return plot.certificates[0][1] <= end and i <= plot.listed_until

    # -- cooperatives, farms, criteria ---------------------------------------------------
    def _spread(self, totals: list[int]) -> dict[str, list[int]]:
        """Per-unit counts that add up to the district total of every quarter to 2025-Q2."""
        codes = [u.code for u in self.units]
        at_report = {c: 1 for c in codes}
        for _ in range(totals[REPORT_INDEX] - len(codes)):
            at_report[self.rng.choice(codes)] += 1
        series = {c: [0] * len(totals) for c in codes}
        for c in codes:
            series[c][REPORT_INDEX] = at_report[c]
        for i in range(REPORT_INDEX - 1, -1, -1):
            current = {c: series[c][i + 1] for c in codes}
            for _ in range(totals[i + 1] - totals[i]):
                choice = self.rng.choice([c for c in codes if current[c] > 0])
                current[choice] -= 1
            for c in codes:
                series[c][i] = current[c]
        for i in range(REPORT_INDEX + 1, len(totals)):
            rng = self.rng if i < PINNED else self.later
            current = {c: series[c][i - 1] for c in codes}
            for _ in range(totals[i] - totals[i - 1]):
                current[rng.choice(codes)] += 1
            for c in codes:
                series[c][i] = current[c]
        return series

    def _carry_over(self, old: dict[str, list[int]], totals: list[int]) -> dict[str, list[int]]:
        """The new communes' counts from 2025-Q3: their old units' counts of 2025-Q2 summed,
        then growing to the totals."""
        last = REFORM_INDEX - 1
        current = {u.code: sum(old[c][last] for c in u.formed_from) for u in self.new_units}
        assert sum(current.values()) == totals[0], "the new communes start from the old units' total"
        series = {code: [count] for code, count in current.items()}
        for step in range(1, len(totals)):
            for _ in range(totals[step] - totals[step - 1]):
                current[self.later.choice(sorted(current))] += 1
            for code, counts in series.items():
                counts.append(current[code])
        return series

    def _criteria_order(self, rng: random.Random | None = None) -> list[int]:
        easy = [n for n in range(1, 20) if n not in HARD_CRITERIA]
        (rng or self.rng).shuffle(easy)
        return easy + HARD_CRITERIA

    def _new_set_order(self) -> list[int]:
        easy = [n for n in range(1, 11) if n not in NEW_HARD_CRITERIA]
        self.later.shuffle(easy)
        return easy + NEW_HARD_CRITERIA

    # -- OCOP after the reform -----------------------------------------------------------
    def _ocop_registers_after_reform(self) -> dict[str, list[tuple[str, tuple]]]:
        """New commune -> (product code, product) of its register from 2025-Q3: its old
        units' products in code order, then its own, numbered OCOP01, OCOP02, ..."""
        registers: dict[str, list[tuple[str, tuple]]] = {u.code: [] for u in self.new_units}
        for product in sorted(OCOP_PRODUCTS, key=lambda p: (p[0], p[1])):
            registers[self.successor[product[0]]].append(product)
        for commune, *rest in NEW_OCOP_PRODUCTS:
            registers[commune].append((commune, None, *rest))
        return {commune: [(f"OCOP{n:02d}", product) for n, product in enumerate(products, start=1)]
                for commune, products in registers.items()}

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
        """The tables of `unit`'s workbook for quarter index i, and its title line (or None).
        `unit` is one of units_at(i): an old unit to 2025-Q2, a new commune from 2025-Q3."""
        assert unit.is_new == (i >= REFORM_INDEX), f"{unit.name} does not report in {PERIODS[i]}"
        rng = random.Random(f"{SEED}-{unit.code}-{i}")
        period = PERIODS[i]
        end = quarter_end(period)
        text_dates = rng.random() < 0.5
        labels = code_labels()
        year, quarter = period.split("-Q")
        title, title_year, proposed = ("none", None, "")
        titles = NEW_TITLES if unit.is_new else TITLES
        if unit.code in titles:
            step = i - REFORM_INDEX if unit.is_new else i
            titles, years, proposals = titles[unit.code]
            title, title_year, proposed = titles[step], years[step], proposals[step]
        header = {
            "commune_code": unit.code,
            "commune_name": self._commune_label(unit, i),
            "district_code": DISTRICT_CODE if rng.random() < 0.8 else None,
            "province_code": PROVINCE_CODE if rng.random() < 0.8 else None,
            "reporting_period": period if rng.random() < 0.5 else f"Quý {quarter}/{year}",
            "date_prepared": self._date(end + timedelta(days=rng.randint(5, 15)), text_dates),
            "preparer": rng.choice(PREPARERS),
            "agri_cooperatives": self._stock(self.coops, self.new_coops, unit, i),
            "farms": self._stock(self.farms, self.new_farms, unit, i),
            "ntm_title": None if unit.is_town else labels["ntm_title"][title],
            "title_year": title_year,
            "proposed_title": labels["ntm_title"][proposed] if proposed else None,
        }
        if unit.is_new:  # the new units: no district, the new province
            del header["district_code"]
            header["province_code"] = NEW_PROVINCE_CODE
        if i >= NEW_SET_INDEX:
            header["commune_group"] = labels["commune_group"][COMMUNE_GROUP[unit.code]]
        # The pinned quarters split capital on the shared stream, as they always have.
        split_rng = self.rng if i < PINNED else rng
        investment: list[dict | None] = []
        for project, code in self._projects_listed(unit, i):
            status = project.status(i)
            row = {
                "project_code": code,
                "project_name": project.name,
                "category": labels["project_category"][project.category],
                "status": labels["project_status"][status],
            }
            amount = project.capital.get(i, 0.0)
            parts = split_sources(amount, split_rng) if amount else [None] * len(CAPITAL_SOURCES)
            for (name, _label, _what), part in zip(CAPITAL_SOURCES, parts):
                row[name] = None if not part else self._number(part, rng.random() < 0.1)
            row["capital_total"] = round(amount, 1) if amount and rng.random() < 0.7 else None
            investment.append(row)
            if rng.random() < 0.04:
                investment.append(None)  # a blank row left in the sheet
        criteria = [] if unit.is_town else self._criteria_rows(unit, i, rng)
        ocop = []
        for code, (_commune, _old_code, name, producer, producer_type, group, events) in self._ocop_listed(unit, i):
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
        for plot in (p for p in self.plots if p.commune_at(i) == unit.code and self._listed(p, i, end)):
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

    @staticmethod
    def _stock(old: dict[str, list[int]], new: dict[str, list[int]], unit: Unit, i: int) -> int:
        return new[unit.code][i - REFORM_INDEX] if unit.is_new else old[unit.code][i]

    def _projects_listed(self, unit: Unit, i: int) -> list[tuple[Project, str]]:
        """(project, its code in the file) of every project the unit lists in quarter i."""
        if not unit.is_new:
            return [(p, p.code) for p in self.projects
                    if p.commune == unit.code and not p.era_new and p.status(i) is not None]
        listed = [(self.project_codes[index], p) for index, p in enumerate(self.projects)
                  if index in self.project_codes and self.project_codes[index][0] == unit.code
                  and p.status(i) is not None]
        return [(p, code) for (_commune, code), p in sorted(listed, key=lambda item: item[0][1])]

    def _ocop_listed(self, unit: Unit, i: int) -> list[tuple[str, tuple]]:
        """(code, product) of the unit's register in quarter i. From 2025 a product whose
        certificate lapsed is listed for that quarter and the next, then dropped."""
        if unit.is_new:
            register = self.ocop_registers[unit.code]
        else:
            register = [(product[1], product) for product in OCOP_PRODUCTS if product[0] == unit.code]
        if i < PINNED:
            return register
        end, dropped_by = quarter_end(PERIODS[i]), quarter_end(PERIODS[i - 2])

        def still_listed(events: list[tuple]) -> bool:
            decided = max((e[0] for e in events if e[0] <= end), default=None)
            last_valid = date(decided.year + 3, decided.month, decided.day) - timedelta(days=1) if decided else None
            return last_valid is not None and last_valid > dropped_by

        return [(code, product) for code, product in register if still_listed(product[-1])]

    def _criteria_rows(self, unit: Unit, i: int, rng: random.Random) -> list[dict]:
        """One row per criterion of the set valid in quarter i; some 2026 files add indicator
        rows under their criterion (met when the criterion is, else the last one is not)."""
        marks = ["x", "x", "đạt", "1", "Đạt", "X"]
        if unit.is_new:
            step = i - REFORM_INDEX
            old_order, new_order = self.new_criteria_order[unit.code]
            order = new_order if i >= NEW_SET_INDEX else old_order
            met_count = NEW_CRITERIA_MET[unit.code][step]
        else:
            order, met_count = self.criteria_order[unit.code], CRITERIA_MET[unit.code][i]
        criteria_set, count = (NEW_SET, 10) if i >= NEW_SET_INDEX else (OLD_SET, 19)
        met = set(order[:met_count])
        indicators, first = INDICATOR_ROWS.get(unit.code, ([], len(PERIODS))) if unit.is_new else ([], 0)
        rows = []
        for number in range(1, count + 1):
            is_met = number in met
            rows.append({
                "criteria_set": criteria_set,
                "criterion_no": number,
                "met": rng.choice(marks) if is_met else (None if rng.random() < 0.7 else "chưa đạt"),
                "note": None if is_met or rng.random() < 0.5 else "Đang triển khai thực hiện",
            })
            if i >= max(first, NEW_SET_INDEX):
                mine = [n for n in indicators if n.replace(",", ".").split(".")[0] == str(number)]
                for k, indicator in enumerate(mine):
                    indicator_met = is_met or k < len(mine) - 1
                    rows.append({"criteria_set": criteria_set, "criterion_no": indicator,
                                 "met": rng.choice(marks) if indicator_met else None, "note": None})
        return rows

    def write(self, raw_dir: Path) -> list[Path]:
        written = []
        for i, period in enumerate(PERIODS):
            for unit in self.units_at(i):
                rows, title = self.submission(unit, i)
                path = raw_dir / "submissions" / period / f"{unit.code}-{_slug(unit.name)}.xlsx"
                # The quarter's template: its columns, and the codes valid at its end.
                save_reproducibly(build_workbook(rows, title=title, period=period), path)
                written.append(path)
        for name, year, rows in (
            (f"{DISTRICT_CODE}-kim-boi-2024.csv", 2024, {DISTRICT_CODE: TARGETS_2024}),
            (f"{DISTRICT_CODE}-kim-boi-2025.csv", 2025, {DISTRICT_CODE: TARGETS_2025}),
            (f"{NEW_PROVINCE_CODE}-phu-tho-kim-boi-2026.csv", 2026, TARGETS_2026),
        ):
            path = raw_dir / "targets" / name
            write_csv(path, TARGET, [
                {"year": year, "district_code": area, "target_code": code, "value": value}
                for area, targets in rows.items() for code, value in targets.items()
            ])
            written.append(path)
        return written


def _slug(name: str) -> str:
    from ntm_pipeline.contract import text_key

    return text_key(name).replace("_", "-")


TARGET_GUIDE = [
    "MẪU CHỈ TIÊU NĂM - CHƯƠNG TRÌNH MTQG XÂY DỰNG NÔNG THÔN MỚI VÀ OCOP",
    "Huyện hoặc tỉnh gửi một tệp chỉ tiêu; đặt tệp vào thư mục raw/targets/.",
    "Chỉ tiêu: mỗi dòng một chỉ tiêu của một năm cho một địa bàn; dòng tiêu đề giữ nguyên tên cột.",
    "Năm: năm đặt chỉ tiêu (đến hết năm), ví dụ 2024.",
    "Mã huyện: mã GSO của huyện (3 chữ số) hoặc của tỉnh (2 chữ số); từ năm 2026: mã tỉnh mới hoặc mã xã (5 chữ số).",
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
