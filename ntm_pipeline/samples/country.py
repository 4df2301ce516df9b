"""A synthetic country: valid submissions for any set of GSO units and quarters.

For the benchmark (bench/) and for trying the pipeline at national scale. Every unit of the
pre-2025 GSO list (10,035 with a code) can report, for any run of quarters. A commune's history is
drawn from a generator seeded by its code, so the same arguments give the same bytes and a
commune's data does not depend on which other units are written:

- criteria met rise by about one every two or three quarters; a rural commune meeting all
  19 is proposed for the NTM title and holds it from the next quarter; towns and wards
  report no criteria;
- projects by category go from preparing to ongoing to completed, with capital per
  quarter split over the six sources;
- about a third of communes have OCOP products, re-rated within the 36 months of validity;
- certified VietGAP/GlobalGAP/organic plots are renewed before their certificates expire.

`bad_row_share` turns that share of detail rows into rows that break a critical rule (an
unknown criterion, stars that contradict the score, an unreadable area or capital, an
unknown project status); the writers return how many, per table, so a run can be checked.

Output: one workbook per commune and quarter (as officers send them) or bulk CSV, one
file per province, quarter and table (as a provincial system would export them).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ntm_pipeline.contract import CAPITAL_SOURCES, SUBMISSION_TABLES, TARGET
from ntm_pipeline.partitions import QUARTERS, quarter_end
from ntm_pipeline.samples.common import CATEGORY_COST, Project, code_labels, split_sources
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly, write_csv

SEED = 2026
CATEGORY_WEIGHTS = {
    "road": 30, "canal": 12, "school": 14, "village_cultural_house": 14, "clean_water": 6,
    "commune_cultural_house": 4, "sports_ground": 4, "electricity": 5, "market": 3,
    "health_station": 3, "ford": 2, "other": 3,
}
HARD_CRITERIA = [10, 11, 13, 17, 12, 6]  # usually met last: income, poverty, production, environment
OCOP_GROUPS = ["food", "food", "food", "beverage", "herbal", "handicraft"]
PRODUCER_TYPES = ["cooperative", "cooperative", "enterprise", "household", "cooperative_group"]
PRODUCTS = ["Bưởi", "Cam", "Nhãn", "Vải", "Chè", "Gạo", "Mật ong", "Miến dong", "Măng khô", "Rau an toàn"]
GAP_YEARS = {"vietgap": 2, "globalgap": 1, "organic": 2}
TITLE_ORDER = ["none", "ntm", "advanced", "model"]


@dataclass
class Unit:
    code: str
    name: str
    unit_type: str | None
    district_code: str
    province_code: str
    province_name: str

    @property
    def is_rural(self) -> bool:
        return self.unit_type == "Xã"


@dataclass
class Rating:
    decided: date
    stars: int
    score: int
    event: str
    level: str
    number: str


def country_units(provinces: list[str] | None = None) -> list[Unit]:
    """Commune-level units of the pre-2025 GSO list packaged in vietnamadminunits, in code order."""
    from vietnamadminunits.database import query

    rows = query(
        "SELECT wardCode, wardShort, wardType, districtCode, provinceCode, provinceShort "
        "FROM admin_units_legacy ORDER BY wardCode"
    )
    units = [
        Unit(r["wardCode"], r["wardShort"], r["wardType"], r["districtCode"], r["provinceCode"], r["provinceShort"])
        for r in rows
        if r["wardCode"]  # five island districts have no commune-level unit
    ]
    return [u for u in units if provinces is None or u.province_code in provinces]


def quarter_range(first: str, count: int) -> list[str]:
    start = QUARTERS.index(first)
    return QUARTERS[start : start + count]


class CommuneHistory:
    """One commune's made-up history over the quarters written, drawn from its own seed."""

    def __init__(self, unit: Unit, periods: list[str], seed: int) -> None:
        self.unit, self.periods = unit, periods
        rng = self.rng = random.Random(f"{seed}-{unit.code}")
        n = len(periods)
        self.criteria: list[int] = []
        self.titles: list[str] = []
        self.proposals: list[str | None] = []
        self.title_year: int | None = None
        if unit.is_rural:
            self._criteria_and_titles(n)
        easy = [c for c in range(1, 20) if c not in HARD_CRITERIA]
        rng.shuffle(easy)
        self.criteria_order = easy + HARD_CRITERIA
        self.cooperatives = self._stock(rng.randint(0, 4), n, 0.15)
        self.farms = self._stock(rng.randint(0, 5), n, 0.15)
        self.projects = self._projects(n)
        self.ocop = self._ocop(n)
        self.plots = self._plots(n)

    def _criteria_and_titles(self, n: int) -> None:
        rng = self.rng
        if rng.random() < 0.7:  # most communes already hold the title
            met, title = 19, rng.choices(["ntm", "advanced", "model"], [70, 25, 5])[0]
            self.title_year = rng.randint(2012, int(self.periods[0][:4]) - 1)
        else:
            met, title = rng.randint(6, 18), "none"
        for _ in range(n):
            proposal = None
            if title == "none" and met == 19:
                if self.proposals and self.proposals[-1] == "ntm":
                    title, self.title_year = "ntm", None
                else:
                    proposal = "ntm"
            self.criteria.append(met)
            self.titles.append(title)
            self.proposals.append(proposal)
            if met < 19 and rng.random() < 0.4:
                met += 1
        # the year the title was conferred, for communes that earn it on the way
        for i, title in enumerate(self.titles):
            if title != "none" and self.title_year is None:
                self.title_year = int(self.periods[i][:4])

    def _stock(self, start: int, n: int, rise: float) -> list[int]:
        values, value = [], start
        for _ in range(n):
            values.append(value)
            value += self.rng.random() < rise
        return values

    def _projects(self, n: int) -> list[Project]:
        rng, projects, serial = self.rng, [], Counter()
        categories, weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
        for _ in range(rng.randint(2, 6) + n):
            category = rng.choices(categories, weights)[0]
            if category == "village_cultural_house" and not self.unit.is_rural:
                category = "other"
            serial[category] += 1
            start = rng.randint(-4, n)
            prep = start - rng.randint(1, 2) if rng.random() < 0.6 else None
            project = Project(
                commune=self.unit.code, code=f"{category[:2].upper()}{serial[category]:02d}",
                name=f"{code_labels()['project_category'][category]} {self.unit.name} {serial[category]}",
                category=category, prep=prep, start=start, end=start + rng.randint(2, 6),
            )
            for i in range(n):
                if project.status(i) in ("ongoing", "completed"):
                    cost = CATEGORY_COST[category] * (0.8 + 0.15 * (i % 4)) * rng.uniform(0.5, 1.5)
                    project.capital[i] = round(cost, 1)
            projects.append(project)
        return projects

    def _ocop(self, n: int) -> list[tuple[str, str, str, str, list[Rating]]]:
        rng, products = self.rng, []
        first_day = quarter_end(self.periods[0]) - timedelta(days=89)
        last_day = quarter_end(self.periods[-1])
        for k in range(rng.choices([0, 1, 2], [65, 25, 10])[0]):
            stars = rng.choices([3, 4, 5], [75, 22, 3])[0]
            decided = first_day - timedelta(days=rng.randint(-90 * n, 900))
            ratings = []
            while decided <= last_day:
                low = {3: 50, 4: 70, 5: 90}[stars]
                event = "new" if not ratings else ("upgrade" if stars > ratings[-1].stars else "rerating")
                level = "district" if stars == 3 and rng.random() < 0.5 else "province"
                ratings.append(Rating(decided, stars, rng.randint(low, low + 19 if stars < 5 else 100), event, level,
                                      f"{rng.randint(100, 4999)}/QĐ-UBND"))
                decided += timedelta(days=rng.randint(700, 1000))  # re-rated within 36 months
                if stars < 5 and rng.random() < 0.25:
                    stars += 1
            product = rng.choice(PRODUCTS)
            products.append((f"OCOP{k + 1:02d}", f"{product} {self.unit.name}",
                             f"HTX {product} {self.unit.name}", rng.choice(PRODUCER_TYPES), ratings))
        return products

    def _plots(self, n: int) -> list[tuple[str, str, float, list[tuple[str, date, date]]]]:
        rng, plots = self.rng, []
        if not self.unit.is_rural:
            return plots
        last_day = quarter_end(self.periods[-1])
        for k in range(rng.choices([0, 1, 2, 3], [50, 25, 15, 10])[0]):
            standard = rng.choices(list(GAP_YEARS), [75, 15, 10])[0]
            issue = quarter_end(self.periods[0]) - timedelta(days=rng.randint(-90 * n, 300 * GAP_YEARS[standard]))
            certificates = []
            while issue <= last_day:
                expiry = date(issue.year + GAP_YEARS[standard], issue.month, min(issue.day, 28)) - timedelta(days=1)
                certificates.append((f"{standard.upper()}-{self.unit.code}-{k + 1}/{issue.year}", issue, expiry))
                issue = expiry + timedelta(days=1)
            plots.append((rng.choice(PRODUCTS), standard, round(rng.uniform(1, 25) * 2) / 2, certificates))
        return plots

    # -- one quarter's submission ------------------------------------------------------------
    def submission(self, i: int, bad_row_share: float, labels: dict[str, dict[str, str]] | None) -> dict[str, list[dict]]:
        """The tables of quarter i. `labels` writes Vietnamese labels for codes, as officers do."""
        unit, period = self.unit, self.periods[i]
        rng = random.Random(f"{SEED}-{unit.code}-{period}")
        end = quarter_end(period)

        def code(code_list: str, value: str) -> str:
            return labels[code_list][value] if labels else value

        title = self.titles[i] if unit.is_rural else "none"
        proposal = self.proposals[i] if unit.is_rural else None
        header = {
            "commune_code": unit.code, "commune_name": unit.name, "district_code": unit.district_code,
            "province_code": unit.province_code, "reporting_period": period,
            "date_prepared": (end + timedelta(days=rng.randint(3, 15))).isoformat(),
            "preparer": "Cán bộ văn phòng NTM xã", "agri_cooperatives": self.cooperatives[i], "farms": self.farms[i],
            "ntm_title": code("ntm_title", title) if unit.is_rural else None,
            "title_year": self.title_year if title != "none" else None,
            "proposed_title": code("ntm_title", proposal) if proposal else None,
        }
        investment = []
        for project in self.projects:
            status = project.status(i)
            if status is None:
                continue
            row = {"commune_code": unit.code, "project_code": project.code, "project_name": project.name,
                   "category": code("project_category", project.category), "status": code("project_status", status)}
            amount = project.capital.get(i)
            parts = split_sources(amount, rng) if amount else [None] * len(CAPITAL_SOURCES)
            row.update({name: part for (name, _l, _w), part in zip(CAPITAL_SOURCES, parts)})
            row["capital_total"] = amount
            investment.append(row)
        criteria = []
        if unit.is_rural:
            met = set(self.criteria_order[: self.criteria[i]])
            criteria = [
                {"commune_code": unit.code, "criteria_set": "NTM_2021_2025", "criterion_no": number,
                 "met": "x" if number in met else None, "note": None}
                for number in range(1, 20)
            ]
        ocop = [
            {"commune_code": unit.code, "product_code": product_code, "product_name": name, "producer": producer,
             "producer_type": code("producer_type", producer_type),
             "product_group": code("product_group", OCOP_GROUPS[int(unit.code) % len(OCOP_GROUPS)]),
             "score": r.score, "stars": r.stars, "decision_no": r.number, "decision_date": r.decided.isoformat(),
             "certifying_level": code("certifying_level", r.level), "event_type": code("ocop_event", r.event)}
            for product_code, name, producer, producer_type, ratings in self.ocop
            for r in ratings if r.decided <= end
        ]
        areas = []
        for product, standard, area, certificates in self.plots:
            current = [c for c in certificates if c[1] <= end]
            if current:
                number, issued, expires = current[-1]
                areas.append({"commune_code": unit.code, "product": product, "standard": code("gap_standard", standard),
                              "area_ha": area, "certificate_no": number, "issue_date": issued.isoformat(),
                              "expiry_date": expires.isoformat()})
        tables = {"submission": [header], "investment": investment, "criteria": criteria,
                  "ocop_product": ocop, "certified_area": areas}
        if bad_row_share:
            for name, rows in tables.items():
                if name != "submission":
                    for row in rows:
                        if rng.random() < bad_row_share:
                            BREAK_ROW[name](row)
                            row["_bad"] = True
        return tables


# How a bad row is made, per table: each breaks a critical rule of its suite.
BREAK_ROW = {
    "investment": lambda row: row.update(status="tạm dừng"),  # not a project status
    "criteria": lambda row: row.update(criterion_no=20 + int(row["criterion_no"])),  # no such criterion
    "ocop_product": lambda row: row.update(stars=5, score=55),  # stars contradict the score
    "certified_area": lambda row: row.update(area_ha="khoảng 3 ha"),  # not a number
}


@dataclass
class CountrySample:
    """What to write: which units, which quarters, how many bad rows."""

    units: list[Unit]
    periods: list[str]
    bad_row_share: float = 0.0
    seed: int = SEED

    def histories(self):
        for unit in self.units:
            yield CommuneHistory(unit, self.periods, self.seed)

    def write_workbooks(self, raw_dir: Path) -> Counter:
        """One workbook per commune and quarter, codes as Vietnamese labels. Returns bad rows per table."""
        bad, labels = Counter(), code_labels()
        for history in self.histories():
            for i, period in enumerate(self.periods):
                tables = history.submission(i, self.bad_row_share, labels)
                bad.update(_count_bad(tables))
                path = raw_dir / "submissions" / period / f"{history.unit.code}.xlsx"
                save_reproducibly(build_workbook(tables), path)
        return bad

    def write_bulk_csv(self, raw_dir: Path) -> Counter:
        """Per province and quarter, one CSV per table (`<province>.<table>.csv`), codes as codes."""
        bad = Counter()
        by_province: dict[str, list[Unit]] = {}
        for unit in self.units:
            by_province.setdefault(unit.province_code, []).append(unit)
        for province, units in by_province.items():
            rows = {(p, t.name): [] for p in self.periods for t in SUBMISSION_TABLES}
            for unit in units:
                history = CommuneHistory(unit, self.periods, self.seed)
                for i, period in enumerate(self.periods):
                    tables = history.submission(i, self.bad_row_share, None)
                    bad.update(_count_bad(tables))
                    for name, table_rows in tables.items():
                        rows[(period, name)].extend(table_rows)
            for table in SUBMISSION_TABLES:
                for period in self.periods:
                    path = raw_dir / "submissions" / period / f"province-{province}" / f"{province}.{table.name}.csv"
                    write_csv(path, table, rows[(period, table.name)], english_headers=True)
        return bad

    def write(self, raw_dir: Path, form: str) -> Counter:
        """Submissions in `form` ("xlsx" or "csv") and the targets; returns bad rows per table."""
        bad = self.write_bulk_csv(raw_dir) if form == "csv" else self.write_workbooks(raw_dir)
        self.write_targets(raw_dir)
        return bad

    def write_targets(self, raw_dir: Path) -> Path:
        """Annual province targets for every year written: a step above the first quarter's level."""
        rows = []
        for year in sorted({p[:4] for p in self.periods}):
            for province in sorted({u.province_code for u in self.units}):
                rows.append({"year": year, "district_code": province, "target_code": "ocop_products_new_ytd",
                             "value": 2 + int(province) % 7})
        path = raw_dir / "targets" / "provinces.csv"
        write_csv(path, TARGET, rows, english_headers=True)
        return path


def _count_bad(tables: dict[str, list[dict]]) -> Counter:
    counts = Counter()
    for name, rows in tables.items():
        for row in rows:
            if row.pop("_bad", False):
                counts[name] += 1
    return counts
