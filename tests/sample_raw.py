"""The sample's raw rows, read in Python for tests that derive a figure independently.

The files are read with the project's reader (python-calamine, text as typed); the typing
below is written again here, in plain Python, so that a figure derived from it does not
reuse the pipeline's SQL it is meant to check.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from ntm_pipeline.reference import read_reference_csv
from ntm_pipeline.settings import PROJECT_ROOT
from ntm_pipeline.submissions.reader import read_submission_file

SAMPLE_RAW = PROJECT_ROOT / "raw"
CAPITAL_COLUMNS = ("capital_central_budget", "capital_local_budget", "capital_integrated",
                   "capital_credit", "capital_enterprise", "capital_people")


@cache
def _file_rows(period: str) -> tuple:
    files = []
    for path in sorted((SAMPLE_RAW / "submissions" / period).glob("*.xlsx")):
        parsed = read_submission_file(path)
        assert parsed.error is None, (path, parsed.error)
        files.append((f"submissions/{period}/{path.name}", parsed))
    return tuple(files)


def files(period: str) -> list[str]:
    return [name for name, _ in _file_rows(period)]


def rows(period: str, table: str) -> list[tuple[str, int, dict]]:
    """(source_file, row_number, values as typed) of every row of `table` in the quarter."""
    return [(name, number, values) for name, parsed in _file_rows(period)
            for number, values in parsed.tables[table].rows]


def number(text: str | None) -> float:
    """46,5 and 46.5 are 46.5; blank is 0 (the sample has no thousands separators)."""
    return float(text.replace(",", ".")) if text else 0.0


def day(text: str) -> date:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    d, m, y = text.split("/")
    return date(int(y), int(m), int(d))


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower().strip()


@cache
def _labels() -> dict[tuple[str, str], str]:
    labels = {}
    for r in read_reference_csv("code_list"):
        for text in (r["code"], r["label_vi"], r["label_en"], *(r["aliases"] or "").split("|")):
            if text:
                labels[(r["code_list"], _plain(text))] = r["code"]
    return labels


def name_key(name: str) -> str:
    """A commune name compared as a reader would: no accents or case, no 'Xã' in front."""
    return re.sub(r"^(xa|thi tran) ", "", " ".join(_plain(name).split()))


def code(code_list: str, text: str | None) -> str | None:
    return _labels()[(code_list, _plain(text))] if text else None


def is_met(text: str | None) -> bool:
    if text is None:
        return False
    return {"x": True, "dat": True, "1": True, "co": True, "0": False, "khong": False, "chua dat": False}[_plain(text)]


def add_months(start: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    for d in (start.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError(start)


def quarter_end(period: str) -> date:
    year, q = int(period[:4]), int(period[-1])
    return {1: date(year, 3, 31), 2: date(year, 6, 30), 3: date(year, 9, 30), 4: date(year, 12, 31)}[q]


def ocop_certified_products(period: str) -> dict[tuple[str, str], int]:
    """(commune, product) -> stars of products whose latest rating is 3 stars or more and whose
    certificate runs to the day before the 36-month anniversary, which is after quarter end."""
    latest: dict[tuple[str, str], tuple[date, int]] = {}
    for _, _, r in rows(period, "ocop_product"):
        key, decided = (r["commune_code"], r["product_code"].strip()), day(r["decision_date"])
        if key not in latest or decided > latest[key][0]:
            latest[key] = (decided, int(r["stars"]))
    end = quarter_end(period)
    return {k: stars for k, (decided, stars) in latest.items() if stars >= 3 and add_months(decided, 36) > end}


def decimal(text: str | None) -> Decimal:
    return Decimal(text.replace(",", ".")) if text else Decimal(0)


def certificate_areas(period: str) -> list[tuple[str, str, str, Decimal, bool]]:
    """(commune, standard, product, hectares, valid at quarter end) of every certificate
    listed: valid when issued on or before quarter end and expiring on or after it."""
    end = quarter_end(period)
    return [(r["commune_code"], code("gap_standard", r["standard"]), r["product"].strip(), decimal(r["area_ha"]),
             day(r["issue_date"]) <= end <= day(r["expiry_date"]))
            for _, _, r in rows(period, "certified_area")]


def ocop_last_valid_day(decided: date) -> date:
    """36 months counted from the decision day: the day before the anniversary."""
    return add_months(decided, 36) - timedelta(days=1)


def is_indicator(criterion_no: str) -> bool:
    """'2.1' (or '2,1') is indicator 1 of criterion 2; '7' is criterion 7."""
    return "." in criterion_no or "," in criterion_no


def criteria_met(period: str) -> dict[str, list[int]]:
    """Commune -> the criterion numbers it meets at quarter end (indicator rows apart)."""
    met: dict[str, list[int]] = {}
    for _, _, r in rows(period, "criteria"):
        met.setdefault(r["commune_code"], [])
        if is_met(r["met"]) and not is_indicator(r["criterion_no"]):
            met[r["commune_code"]].append(int(r["criterion_no"]))
    return met


def headers(period: str) -> dict[str, dict]:
    """Commune -> its Thông tin chung row."""
    return {r["commune_code"]: r for _, _, r in rows(period, "submission")}
