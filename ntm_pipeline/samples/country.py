"""A synthetic country: valid submissions for any set of GSO units and quarters, across the 2025 reform.

For the benchmark (bench/) and for trying the pipeline at national scale. Every unit of the
pre-2025 GSO list (10,035 with a code) can report, for any run of quarters; a quarter from
2025-Q3 on is reported by the units they became (3,321 in all, as the post_2025 rows of
core.dim_commune hold them). A commune's history is drawn from a generator seeded by its code,
so the same arguments give the same bytes and a commune's data does not depend on which other
units are written:

- criteria met rise by about one every two or three quarters; a rural commune meeting all
  19 is proposed for the NTM title and holds it from the next quarter; towns and wards
  report no criteria;
- projects by category go from preparing to ongoing to completed, with capital per
  quarter split over the six sources;
- about a third of communes have OCOP products, re-rated within the 36 months of validity;
- certified VietGAP/GlobalGAP/organic plots are renewed before their certificates expire.

After the reform a new unit continues the histories of the old units it absorbed
(core.dim_commune_crosswalk, built by the reference layer's own SQL): its cooperatives and farms
are theirs summed (a divided old unit's weighted by its share), their projects, OCOP products and
certified plots go on in it (each item of a divided unit to one of its new units, drawn by the
shares), and it meets a criterion of the 19 when every rural unit it absorbed does, holding the
lowest of their titles. From the quarter the 2026-2030 set is in force (criteria_set.csv) a rural
commune reports its commune group and the set's 10 criteria: a titled commune meets all 10 and
keeps `ntm` (advanced and model belong to the old set), some become modern NTM communes (the
pilot title); the others start a few criteria short and rise as before.

`bad_row_share` turns that share of detail rows into rows that break a critical rule (an
unknown criterion, stars that contradict the score, an unreadable area or capital, an
unknown project status); the writers return how many, per table, so a run can be checked.

Output: one workbook per commune and quarter (as officers send them) or bulk CSV, one
file per province, quarter and table (as a provincial system would export them). Each
quarter's files have the columns of that quarter's template.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from ntm_pipeline.contract import CAPITAL_SOURCES, SUBMISSION_TABLES, TARGET
from ntm_pipeline.quarters import QUARTERS, quarter_end
from ntm_pipeline.samples.common import CATEGORY_COST, Project, code_labels, split_sources
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly, write_csv

SEED = 2026
CATEGORY_WEIGHTS = {
    "road": 30, "canal": 12, "school": 14, "village_cultural_house": 14, "clean_water": 6,
    "commune_cultural_house": 4, "sports_ground": 4, "electricity": 5, "market": 3,
    "health_station": 3, "ford": 2, "other": 3,
}
HARD_CRITERIA = [10, 11, 13, 17, 12, 6]  # usually met last: income, poverty, production, environment
# Of the 2026-2030 set: rural economy, poverty reduction, digital transformation, environment.
HARD_CRITERIA_2026 = [3, 6, 7, 8]
OCOP_GROUPS = ["food", "food", "food", "beverage", "herbal", "handicraft"]
PRODUCER_TYPES = ["cooperative", "cooperative", "enterprise", "household", "cooperative_group"]
PRODUCTS = ["Bưởi", "Cam", "Nhãn", "Vải", "Chè", "Gạo", "Mật ong", "Miến dong", "Măng khô", "Rau an toàn"]
GAP_YEARS = {"vietgap": 2, "globalgap": 1, "organic": 2}
TITLE_ORDER = ["none", "ntm", "advanced", "model"]
PRE_REFORM, POST_REFORM = "pre_2025", "post_2025"  # the eras of admin_era.csv this generator spans
OLD_SET, NEW_SET = "NTM_2021_2025", "NTM_2026_2030"
COMMUNE_GROUP_WEIGHTS = {"1": 15, "2": 50, "3": 35}
MODERN_PILOT_SHARE = 0.1  # of titled communes, taking part in the modern NTM pilot
NOTE_AFTER_MERGER = "Chưa đạt sau khi hợp nhất xã (từ 01/07/2025)"
NOTE_NEW_SET = "Chưa đạt theo Bộ tiêu chí giai đoạn 2026-2030 (Quyết định 51/2025/QĐ-TTg)"


@dataclass
class Unit:
    code: str
    name: str
    unit_type: str | None
    district_code: str | None  # None after the reform: no districts
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


# -- eras, criteria sets and the crosswalk, from the reference data ---------------------------
def _in_force(row: dict, day: date) -> bool:
    return (row["valid_from"] or "0000") <= day.isoformat() <= (row["valid_to"] or "9999")


@cache
def era_on(day: date) -> str:
    """The era of units (admin_era.csv) whose validity holds `day`."""
    from ntm_pipeline.reference import read_reference_csv

    return next(r["admin_era"] for r in read_reference_csv("admin_era") if _in_force(r, day))


def admin_era(period: str) -> str:
    """The era of the quarter's units: the one in force at its end (as core.dim_period.admin_era)."""
    return era_on(quarter_end(period))


@cache
def criteria_set(period: str) -> tuple[str, tuple[int, ...]]:
    """The criteria set valid at the quarter's end (criteria_set.csv) and its criterion numbers."""
    from ntm_pipeline.reference import read_reference_csv

    code = next(r["criteria_set"] for r in read_reference_csv("criteria_set") if _in_force(r, quarter_end(period)))
    numbers = sorted(int(r["criterion_no"]) for r in read_reference_csv("criterion") if r["criteria_set"] == code)
    return code, tuple(numbers)


@dataclass(frozen=True)
class Reform:
    """The post-reform units and the crosswalk, as the warehouse's reference tables hold them."""

    units: dict[str, Unit]  # the post-reform units by code, in code order
    parts: dict[str, list[tuple[str | None, float]]]  # new code -> [(old code, weight)]
    successors: dict[str, list[tuple[str, float]]]  # old code -> [(new code, weight)]
    # new code -> the old provinces of its parts with no commune-level unit (an island district)
    island_provinces: dict[str, set[str]]


# Static queries on the reference tables the checks library builds (no value is interpolated).
POST_REFORM_UNITS_SQL = """
SELECT d.commune_code, d.commune_name, d.unit_type, d.province_code, d.province_name
FROM core.dim_commune AS d JOIN core.dim_admin_era AS e ON e.admin_era = $era
WHERE in_force(d.valid_from, d.valid_to, e.valid_from)
ORDER BY d.commune_code
"""
CROSSWALK_SQL = """
SELECT old_commune_code, old_province_code, new_commune_code, weight
FROM core.dim_commune_crosswalk
ORDER BY old_commune_code, new_commune_code
"""


@cache
def reform() -> Reform:
    """Built once per process by the reference layer's SQL on an in-memory DuckDB (about a second)."""
    import duckdb

    from ntm_pipeline.checks.reference import build_reference
    from ntm_pipeline.warehouse import prepare_connection

    with duckdb.connect() as conn:
        prepare_connection(conn)
        build_reference(conn)
        units = conn.execute(POST_REFORM_UNITS_SQL, {"era": POST_REFORM}).fetchall()
        crosswalk = conn.execute(CROSSWALK_SQL).fetchall()
    parts: dict[str, list[tuple[str | None, float]]] = {}
    successors: dict[str, list[tuple[str, float]]] = {}
    islands: dict[str, set[str]] = {}
    for old, old_province, new, weight in crosswalk:
        parts.setdefault(new, []).append((old, weight))
        if old is None:
            islands.setdefault(new, set()).add(old_province)
        else:
            successors.setdefault(old, []).append((new, weight))
    return Reform({code: Unit(code, name, unit_type, None, province, province_name)
                   for code, name, unit_type, province, province_name in units}, parts, successors, islands)


@cache
def legacy_units() -> dict[str, Unit]:
    """Every pre-reform unit by code: the old units a new one may have absorbed."""
    return {u.code: u for u in country_units()}


def successor_units(units: list[Unit]) -> list[Unit]:
    """The post-reform units that absorbed any of `units`, and those made of an island district
    with no commune (the five special zones) of a province of theirs: all 3,321 for the whole
    country, in code order."""
    codes, provinces = {u.code for u in units}, {u.province_code for u in units}
    ref = reform()
    return [unit for code, unit in ref.units.items()
            if any(old in codes for old, _w in ref.parts.get(code, []))
            or ref.island_provinces.get(code, set()) & provinces]


# -- one commune's history ------------------------------------------------------------------
class History:
    """What a commune reports in each quarter written; `submission` turns a quarter into rows."""

    unit: Unit
    periods: list[str]
    cooperatives: list[int]
    farms: list[int]
    projects: list[Project]
    ocop: list[tuple[str, str, str, str, str, list[Rating]]]  # code, name, producer, its type, group, ratings
    plots: list[tuple[str, str, float, list[tuple[str, date, date]]]]  # product, standard, ha, certificates

    def title(self, i: int) -> str | None: ...
    def title_year(self, i: int) -> int | None: ...
    def proposal(self, i: int) -> str | None: ...
    def commune_group(self, i: int) -> str | None: ...
    def criteria_rows(self, i: int) -> list[dict]: ...

    def submission(self, i: int, bad_row_share: float, labels: dict[str, dict[str, str]] | None) -> dict[str, list[dict]]:
        """The tables of quarter i. `labels` writes Vietnamese labels for codes, as officers do."""
        unit, period = self.unit, self.periods[i]
        rng = random.Random(f"{SEED}-{unit.code}-{period}")
        end = quarter_end(period)

        def code(code_list: str, value: str) -> str:
            return labels[code_list][value] if labels else value

        title = self.title(i) if unit.is_rural else "none"
        proposal = self.proposal(i) if unit.is_rural else None
        group = self.commune_group(i) if unit.is_rural else None
        header = {
            "commune_code": unit.code, "commune_name": unit.name, "district_code": unit.district_code,
            "province_code": unit.province_code, "reporting_period": period,
            "commune_group": code("commune_group", group) if group else None,
            "date_prepared": (end + timedelta(days=rng.randint(3, 15))).isoformat(),
            "preparer": "Cán bộ văn phòng NTM xã", "agri_cooperatives": self.cooperatives[i], "farms": self.farms[i],
            "ntm_title": code("ntm_title", title) if unit.is_rural else None,
            "title_year": self.title_year(i) if title != "none" else None,
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
        criteria = self.criteria_rows(i) if unit.is_rural else []
        ocop = [
            {"commune_code": unit.code, "product_code": product_code, "product_name": name, "producer": producer,
             "producer_type": code("producer_type", producer_type), "product_group": code("product_group", group),
             "score": r.score, "stars": r.stars, "decision_no": r.number, "decision_date": r.decided.isoformat(),
             "certifying_level": code("certifying_level", r.level), "event_type": code("ocop_event", r.event)}
            for product_code, name, producer, producer_type, group, ratings in self.ocop
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


class CommuneHistory(History):
    """One pre-reform commune's made-up history over the quarters written, drawn from its own
    seed. It runs over every quarter given, those after the reform included: a new unit carries
    on from the quarters its old units would have had."""

    def __init__(self, unit: Unit, periods: list[str], seed: int | str) -> None:
        self.unit, self.periods = unit, periods
        rng = self.rng = random.Random(f"{seed}-{unit.code}")
        n = len(periods)
        self.criteria: list[int] = []
        self.titles: list[str] = []
        self.proposals: list[str | None] = []
        self.first_title_year: int | None = None
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
            self.first_title_year = rng.randint(2012, int(self.periods[0][:4]) - 1)
        else:
            met, title = rng.randint(6, 18), "none"
        for _ in range(n):
            proposal = None
            if title == "none" and met == 19:
                if self.proposals and self.proposals[-1] == "ntm":
                    title, self.first_title_year = "ntm", None
                else:
                    proposal = "ntm"
            self.criteria.append(met)
            self.titles.append(title)
            self.proposals.append(proposal)
            if met < 19 and rng.random() < 0.4:
                met += 1
        # the year the title was conferred, for communes that earn it on the way
        for i, title in enumerate(self.titles):
            if title != "none" and self.first_title_year is None:
                self.first_title_year = int(self.periods[i][:4])

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

    def _ocop(self, n: int) -> list[tuple[str, str, str, str, str, list[Rating]]]:
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
            products.append((f"OCOP{k + 1:02d}", f"{product} {self.unit.name}", f"HTX {product} {self.unit.name}",
                             rng.choice(PRODUCER_TYPES), OCOP_GROUPS[int(self.unit.code) % len(OCOP_GROUPS)], ratings))
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

    def met(self, i: int) -> set[int]:
        """The criteria of the 2021-2025 set met at the end of quarter i."""
        return set(self.criteria_order[: self.criteria[i]])

    def title(self, i: int) -> str:
        return self.titles[i]

    def title_year(self, i: int) -> int | None:
        return self.first_title_year

    def proposal(self, i: int) -> str | None:
        return self.proposals[i]

    def commune_group(self, i: int) -> None:
        return None

    def criteria_rows(self, i: int) -> list[dict]:
        met = self.met(i)
        return [
            {"commune_code": self.unit.code, "criteria_set": OLD_SET, "criterion_no": number,
             "met": "x" if number in met else None, "note": None}
            for number in range(1, 20)
        ]


class NewCommuneHistory(History):
    """A post-reform unit's history: the old units it absorbed carried on (see the module's
    docstring), from their histories over the same quarters. Its own draws (commune group, the
    2026-2030 criteria) come from a seed of its code and era, apart from the old unit that had
    the code before."""

    def __init__(self, unit: Unit, periods: list[str], seed: int, old_units: dict[str, Unit]) -> None:
        self.unit, self.periods = unit, periods
        ref = reform()
        own_seed = f"{seed}-{POST_REFORM}"
        self.rng = rng = random.Random(f"{own_seed}-{unit.code}")
        # (old unit's history, its weight in this unit); a unit no old one maps to has a history of its own
        self.parts = [(CommuneHistory(old_units[old], periods, seed), weight)
                      for old, weight in ref.parts.get(unit.code, []) if old in old_units]
        if not self.parts:
            self.parts = [(CommuneHistory(unit, periods, own_seed), 1.0)]
        n = len(periods)
        self.cooperatives = [round(sum(w * h.cooperatives[i] for h, w in self.parts)) for i in range(n)]
        self.farms = [round(sum(w * h.farms[i] for h, w in self.parts)) for i in range(n)]
        self.projects, self.ocop, self.plots = [], [], []
        for history, _weight in self.parts:
            old = history.unit.code
            for project in history.projects:
                if self._goes_here(old, f"project-{project.code}", seed):
                    self.projects.append(replace(project, commune=unit.code, code=f"{old}-{project.code}"))
            for product in history.ocop:
                if self._goes_here(old, f"ocop-{product[0]}", seed):
                    self.ocop.append((f"OCOP{len(self.ocop) + 1:02d}", *product[1:]))
            for k, plot in enumerate(history.plots):
                if self._goes_here(old, f"plot-{k}", seed):
                    self.plots.append(plot)
        # the 2021-2025 criteria: those every rural unit absorbed meets (a unit of towns and wards alone draws its own)
        self.basis = [h for h, _w in self.parts if h.unit.is_rural] or [
            CommuneHistory(replace(unit, unit_type="Xã"), periods, own_seed)]
        self.group = rng.choices(list(COMMUNE_GROUP_WEIGHTS), list(COMMUNE_GROUP_WEIGHTS.values()))[0]
        self.pilot = rng.random() < MODERN_PILOT_SHARE
        easy = [c for c in range(1, 11) if c not in HARD_CRITERIA_2026]
        rng.shuffle(easy)
        self.order_2026 = easy + HARD_CRITERIA_2026
        self.new_set: dict[int, tuple[int, str, int | None, str | None]] = {}  # i -> (met, title, year, proposal)
        if unit.is_rural:
            self._new_set(n)

    def _goes_here(self, old: str, item: str, seed: int) -> bool:
        """Whether an item of old unit `old` is in this unit: always for a unit taken whole; for a
        divided one, the new unit drawn for the item by the shares."""
        successors = reform().successors.get(old, [(self.unit.code, 1.0)])
        if len(successors) == 1:
            return True
        codes, weights = zip(*successors)
        return random.Random(f"{seed}-{old}-{item}").choices(codes, weights)[0] == self.unit.code

    def _old_set_state(self, i: int) -> tuple[set[int], str, int | None, str | None]:
        """Criteria met, title, its year and proposal under the 2021-2025 set at quarter i."""
        met = set.intersection(*(h.met(i) for h in self.basis))
        title = min((h.titles[i] for h in self.basis), key=TITLE_ORDER.index)
        year = max(h.first_title_year for h in self.basis) if title != "none" else None
        proposal = "ntm" if title == "none" and len(met) == 19 else None
        return met, title, year, proposal

    def _new_set(self, n: int) -> None:
        """Met count, title, year and proposal under the 2026-2030 set, quarter by quarter."""
        rng, state = self.rng, None
        for i, period in enumerate(self.periods):
            if criteria_set(period)[0] != NEW_SET:
                continue
            if state is None:  # the first quarter of the set: from the commune's standing under the old one
                met, title, year, _p = self._old_set_state(i)
                if title == "none":
                    state = [max(0, min(9, round(10 * len(met) / 19) - rng.randint(1, 3))), "none", None, None]
                else:
                    state = [10, "ntm", year, None]
            count, title, year, proposal = state
            if title == "none" and count == 10:
                if proposal == "ntm":
                    title, year, proposal = "ntm", int(period[:4]), None
                else:
                    proposal = "ntm"
            elif title == "ntm" and self.pilot and rng.random() < 0.3:
                title, year = "modern", int(period[:4])
            self.new_set[i] = (count, title, year, proposal)
            if count < 10 and rng.random() < 0.4:
                count += 1
            state = [count, title, year, proposal]

    def title(self, i: int) -> str:
        return self.new_set[i][1] if i in self.new_set else self._old_set_state(i)[1]

    def title_year(self, i: int) -> int | None:
        return self.new_set[i][2] if i in self.new_set else self._old_set_state(i)[2]

    def proposal(self, i: int) -> str | None:
        return self.new_set[i][3] if i in self.new_set else self._old_set_state(i)[3]

    def commune_group(self, i: int) -> str | None:
        return self.group if i in self.new_set else None

    def criteria_rows(self, i: int) -> list[dict]:
        set_code, numbers = criteria_set(self.periods[i])
        if i in self.new_set:
            met, note = set(self.order_2026[: self.new_set[i][0]]), NOTE_NEW_SET
        else:
            met, note = self._old_set_state(i)[0], NOTE_AFTER_MERGER
        # a criterion the code's commune met last quarter and this one does not, the reason noted
        before = self._met_last_quarter(i)
        return [
            {"commune_code": self.unit.code, "criteria_set": set_code, "criterion_no": number,
             "met": "x" if number in met else None, "note": note if number in before - met else None}
            for number in numbers
        ]

    def _met_last_quarter(self, i: int) -> set[int]:
        """The criteria numbers reported met under this code in the quarter before (by the old unit
        that had the code, before the reform)."""
        if i == 0:
            return set()
        if admin_era(self.periods[i - 1]) == POST_REFORM:
            if not self.unit.is_rural:
                return set()
            if i - 1 in self.new_set:
                return set(self.order_2026[: self.new_set[i - 1][0]])
            return self._old_set_state(i - 1)[0]
        same_code = [h for h, _w in self.parts if h.unit.code == self.unit.code and h.unit.is_rural]
        return same_code[0].met(i - 1) if same_code else set()



# How a bad row is made, per table: each breaks a critical rule of its suite.
BREAK_ROW = {
    "investment": lambda row: row.update(status="tạm dừng"),  # not a project status
    "criteria": lambda row: row.update(criterion_no=20 + int(row["criterion_no"])),  # no such criterion
    "ocop_product": lambda row: row.update(stars=5, score=55),  # stars contradict the score
    "certified_area": lambda row: row.update(area_ha="khoảng 3 ha"),  # not a number
}


@dataclass
class CountrySample:
    """What to write: which pre-reform units, which quarters, how many bad rows. A quarter from
    the reform on is written for the units `units` became (`successor_units`)."""

    units: list[Unit]
    periods: list[str]
    bad_row_share: float = 0.0
    seed: int = SEED

    @property
    def new_units(self) -> list[Unit]:
        return successor_units(self.units) if self._quarters(POST_REFORM) else []

    def _quarters(self, era: str) -> list[int]:
        return [i for i, p in enumerate(self.periods) if admin_era(p) == era]

    def _groups(self):
        """Province by province, the units written and the indexes of the quarters they report,
        each with how its history is made: the old units before the reform, the new ones after."""
        for era, units in ((PRE_REFORM, self.units), (POST_REFORM, None)):
            quarters = self._quarters(era)
            if not quarters:
                continue
            if era == PRE_REFORM:
                def history(unit):
                    return CommuneHistory(unit, self.periods, self.seed)
            else:
                units = self.new_units

                def history(unit):
                    return NewCommuneHistory(unit, self.periods, self.seed, legacy_units())
            by_province: dict[str, list[Unit]] = {}
            for unit in units:
                by_province.setdefault(unit.province_code, []).append(unit)
            for province, members in by_province.items():
                yield province, quarters, members, history

    def histories(self):
        """Each commune's history with the indexes of the quarters it reports, made one at a time."""
        for _province, quarters, units, history in self._groups():
            for unit in units:
                yield history(unit), quarters

    def write_workbooks(self, raw_dir: Path) -> Counter:
        """One workbook per commune and quarter, codes as Vietnamese labels. Returns bad rows per table."""
        bad, labels = Counter(), code_labels()
        for history, quarters in self.histories():
            for i in quarters:
                period = self.periods[i]
                tables = history.submission(i, self.bad_row_share, labels)
                bad.update(_count_bad(tables))
                path = raw_dir / "submissions" / period / f"{history.unit.code}.xlsx"
                save_reproducibly(build_workbook(tables, period=period), path)
        return bad

    def write_bulk_csv(self, raw_dir: Path) -> Counter:
        """Per province and quarter, one CSV per table (`<province>.<table>.csv`), codes as codes."""
        bad = Counter()
        for province, quarters, units, history in self._groups():
            rows = {(i, t.name): [] for i in quarters for t in SUBMISSION_TABLES}
            for unit in units:
                made = history(unit)
                for i in quarters:
                    tables = made.submission(i, self.bad_row_share, None)
                    bad.update(_count_bad(tables))
                    for name, table_rows in tables.items():
                        rows[(i, name)].extend(table_rows)
            for table in SUBMISSION_TABLES:
                for i in quarters:
                    period = self.periods[i]
                    path = raw_dir / "submissions" / period / f"province-{province}" / f"{province}.{table.name}.csv"
                    write_csv(path, table, rows[(i, table.name)], english_headers=True, period=period)
        return bad

    def write(self, raw_dir: Path, form: str) -> Counter:
        """Submissions in `form` ("xlsx" or "csv") and the targets; returns bad rows per table."""
        bad = self.write_bulk_csv(raw_dir) if form == "csv" else self.write_workbooks(raw_dir)
        self.write_targets(raw_dir)
        return bad

    def write_targets(self, raw_dir: Path) -> Path:
        """Annual province targets for every year written: a step above the first quarter's level.
        A year's targets are for the provinces in force on 1 January of it (63 to 2025, 34 from 2026)."""
        rows = []
        for year in sorted({p[:4] for p in self.periods}):
            units = self.units if era_on(date(int(year), 1, 1)) == PRE_REFORM else self.new_units
            for province in sorted({u.province_code for u in units}):
                rows.append({"year": year, "district_code": province, "target_code": "ocop_products_new_ytd",
                             "value": 2 + int(province) % 7})
        path = raw_dir / "targets" / "provinces.csv"
        write_csv(path, TARGET, rows, english_headers=True)
        return path

    def describe(self) -> str:
        """How many units over how many quarters, per era."""
        old, new = len(self._quarters(PRE_REFORM)), len(self._quarters(POST_REFORM))
        parts = [f"{len(self.units)} units x {old} quarters"] if old else []
        if new:
            parts.append(f"{len(self.new_units)} units after the 2025 reform x {new} quarters")
        return " and ".join(parts)


def _count_bad(tables: dict[str, list[dict]]) -> Counter:
    counts = Counter()
    for name, rows in tables.items():
        for row in rows:
            if row.pop("_bad", False):
                counts[name] += 1
    return counts
