"""Every query of docs/analyst-guide.md runs against the sample warehouse and answers."""

import re

import pytest

import sample_raw as raw
from conftest import SAMPLE_PERIODS
from ntm_pipeline.settings import PROJECT_ROOT

GUIDE = (PROJECT_ROOT / "docs" / "analyst-guide.md").read_text(encoding="utf-8")
QUERIES = re.findall(r"### (\d+)\. ([^\n]+)\n\n```sql\n(.*?)```", GUIDE, re.S)
AFTER_THE_REFORM = {"15": "2025-Q4"}  # questions on a quarter the sample reaches once extended


def test_the_guide_answers_at_least_twelve_questions():
    assert len(QUERIES) >= 12


@pytest.mark.parametrize("number, question, sql", QUERIES, ids=[q[0] for q in QUERIES])
def test_query_answers(sample_db, number, question, sql):
    if number in AFTER_THE_REFORM and AFTER_THE_REFORM[number] not in SAMPLE_PERIODS:
        pytest.skip(f"the sample does not reach {AFTER_THE_REFORM[number]}")
    rows = sample_db.execute(sql).fetchall()
    assert rows, f"question {number} ({question}) returned no rows"
    assert number in ANSWERS, f"question {number} ({question}) has no independent answer in this test"
    ANSWERS[number](sample_db, rows)


# Each query's answer derived independently: from the raw workbooks (tests/sample_raw.py,
# plain Python) or, for the marts, from a second query over the core facts.

YEARS = SAMPLE_PERIODS
# The quarters of Kim Bôi district (153): up to the 2025 reform, after which there are no districts.
DISTRICT_YEARS = [p for p in SAMPLE_PERIODS if p <= "2025-Q2"]
TITLED = ("ntm", "advanced", "model", "modern")


def _round1(value):
    """Rounded as SQL's round(x, 1) does: halves away from zero (Python's round() goes to even)."""
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _avg_criteria(period):
    met = raw.criteria_met(period)
    return sum(len(v) for v in met.values()) / len(met)


def _ntm(period, titles=TITLED):
    return sum(raw.code("ntm_title", h["ntm_title"]) in titles for h in raw.headers(period).values())


def _band(period, low, high):
    titles = {c: raw.code("ntm_title", h["ntm_title"]) for c, h in raw.headers(period).items()}
    return sum(low <= len(m) <= high for c, m in raw.criteria_met(period).items() if titles[c] not in TITLED)


def _targets():
    import csv

    targets = {}
    for path in sorted((raw.SAMPLE_RAW / "targets").glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for r in csv.DictReader(handle):
                if r["Mã huyện"] == "153" and r["Năm"] == "2024":
                    targets[r["Mã chỉ tiêu"]] = float(raw.decimal(r["Giá trị"]))
    return targets


def _capital(period):
    return sum(raw.decimal(r[c]) for _, _, r in raw.rows(period, "investment") for c in raw.CAPITAL_COLUMNS)


def _certified(period, standard):
    return sum(a for _, s, _, a, valid in raw.certificate_areas(period) if s == standard and valid)


def _headline(period):
    return {
        "capital_mobilized_ytd": float(_capital(period)),
        "vietgap_area_ha": float(_certified(period, "vietgap")),
        "globalgap_area_ha": float(_certified(period, "globalgap")),
        "ocop_products": len(raw.ocop_certified_products(period)),
        "avg_criteria_met": _avg_criteria(period),
        "ntm_communes": _ntm(period),
    }


def answer_1(conn, rows):
    now, before, targets = _headline("2024-Q1"), _headline("2023-Q1"), _targets()
    assert now["capital_mobilized_ytd"] == 267_350 and now["avg_criteria_met"] == 14.875
    assert {r[0] for r in rows} == set(now)
    for code, value, prev, delta, target in rows:
        assert (value, prev, delta) == pytest.approx((now[code], before[code], now[code] - before[code]), abs=1e-6), code
        assert target == targets.get(code), code


def answer_2(conn, rows):
    period, targets = "2024-Q4", _targets()
    new_ocop = {(r["commune_code"], r["product_code"]) for _, _, r in raw.rows(period, "ocop_product")
                if raw.code("ocop_event", r["event_type"]) == "new" and raw.day(r["decision_date"]).year == 2024
                and int(r["stars"]) >= 3}
    values = {
        "avg_criteria_met": _avg_criteria(period), "ntm_communes": _ntm(period),
        "advanced_ntm_communes": _ntm(period, ("advanced", "model")),
        "communes_15_18_criteria": _band(period, 15, 18), "communes_10_14_criteria": _band(period, 10, 14),
        "ocop_products_new_ytd": len(new_ocop),
    }
    assert [r[0] for r in rows] == sorted(targets)
    for code, value, target, remaining, progress in rows:
        assert (value, target, remaining) == pytest.approx((values[code], targets[code], targets[code] - values[code])), code
        assert progress == pytest.approx(100 * values[code] / targets[code], abs=0.01), code


def _same_name(shown, typed):
    """The name shown is the one the commune typed, give or take spaces, 'Xã' and tone marks."""
    return raw.name_key(shown) == raw.name_key(typed)


def answer_3(conn, rows):
    expected = sorted(
        (h["commune_name"], raw.code("ntm_title", h["ntm_title"]), int(h["title_year"]),
         raw.code("ntm_title", h["proposed_title"]))
        for h in raw.headers("2024-Q1").values() if raw.code("ntm_title", h["ntm_title"]) in TITLED)
    assert len(rows) == len(expected) == 6
    assert [r[2] for r in rows] == sorted(r[2] for r in rows)  # by year recognised
    key = lambda r: raw.name_key(r[0])  # noqa: E731
    assert [(key(r), *r[1:]) for r in sorted(rows, key=key)] == [(key(r), *r[1:]) for r in sorted(expected, key=key)]


def _criterion_names():
    return {int(r["criterion_no"]): r["name_vi"] for r in raw.read_reference_csv("criterion")
            if r["criteria_set"] == "NTM_2021_2025"}


def answer_4(conn, rows):
    names = _criterion_names()
    now, before = raw.criteria_met("2024-Q1"), raw.criteria_met("2023-Q4")
    headers = raw.headers("2024-Q1")
    expected = {headers[c]["commune_name"]: (len(m), [f"{n}. {names[n]}" for n in range(1, 20) if n not in m],
                                             [f"{n}. {names[n]}" for n in m if n not in before[c]])
                for c, m in now.items() if raw.code("ntm_title", headers[c]["ntm_title"]) == "none"}
    assert len(rows) == len(expected) == 10
    assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True)
    for name, met, missing, gained in rows:
        (typed,) = [t for t in expected if _same_name(name, t)]
        assert (met, missing, sorted(gained or [], key=lambda g: int(g.split(".")[0]))) == expected[typed], name


def answer_5(conn, rows):
    names, missing = _criterion_names(), {}
    for _, _, r in raw.rows("2024-Q1", "criteria"):
        if not raw.is_met(r["met"]):
            missing[int(r["criterion_no"])] = missing.get(int(r["criterion_no"]), 0) + 1
    assert rows == sorted(((n, names[n], k) for n, k in missing.items()), key=lambda r: (-r[2], r[0]))


def answer_6(conn, rows):
    assert rows == [(p, _round1(_avg_criteria(p))) for p in DISTRICT_YEARS]


def answer_7(conn, rows):
    by_source = {c.removeprefix("capital_"): sum(raw.decimal(r[c]) for _, _, r in raw.rows("2024-Q1", "investment"))
                 for c in raw.CAPITAL_COLUMNS}
    assert dict(rows) == {s: _round1(v / 1000) for s, v in by_source.items()}
    assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True)


def answer_8(conn, rows):
    counts = {}
    for _, _, r in raw.rows("2024-Q1", "investment"):
        key = (raw.code("project_category", r["category"]), raw.code("project_status", r["status"]))
        if key[1] in ("ongoing", "preparing"):
            counts[key] = counts.get(key, 0) + 1
    assert {(c, s): n for c, s, n in rows} == counts


def _register(period):
    """(commune, product) -> the row of its current certified, valid rating."""
    latest = {}
    for _, _, r in raw.rows(period, "ocop_product"):
        key = (r["commune_code"], r["product_code"].strip())
        if key not in latest or raw.day(r["decision_date"]) > raw.day(latest[key]["decision_date"]):
            latest[key] = r
    return {k: r for k, r in latest.items() if k in raw.ocop_certified_products(period)}


def answer_9(conn, rows):
    expected = sorted(
        (r["product_name"], int(r["stars"]), raw.day(r["decision_date"]), raw.ocop_last_valid_day(raw.day(r["decision_date"])))
        for r in _register("2024-Q1").values()
        if raw.ocop_last_valid_day(raw.day(r["decision_date"])) <= raw.quarter_end("2024-Q3"))
    assert sorted(tuple(r[1:]) for r in rows) == expected
    assert [r[4] for r in rows] == sorted(r[4] for r in rows)


def answer_10(conn, rows):
    counts = {}
    for r in _register("2024-Q1").values():
        key = (int(r["stars"]), raw.code("producer_type", r["producer_type"]))
        counts[key] = counts.get(key, 0) + 1
    assert {(s, t): n for s, t, n in rows} == counts and sum(counts.values()) == 12


def answer_11(conn, rows):
    expected = {}
    for period in DISTRICT_YEARS:
        for _, standard, product, area, valid in raw.certificate_areas(period):
            if standard in ("vietgap", "globalgap"):
                key = (period, standard, product)
                expected[key] = expected.get(key, 0) + (area if valid else 0)
    assert {(p, s, pr): h for p, s, pr, h in rows} == {k: _round1(v) for k, v in expected.items()}


def answer_12(conn, rows):
    headers = raw.headers("2024-Q1")
    assert len(rows) == len(headers) == 17
    for name, cooperatives, farms in rows:
        (h,) = [h for h in headers.values() if _same_name(name, h["commune_name"])]
        assert (cooperatives, farms) == (int(h["agri_cooperatives"]), int(h["farms"])), name


def answer_13(conn, rows):
    # The sample is clean: every row read is published; nothing quarantined or replaced.
    expected = [(p, len(raw.files(p)), sum(1 for t in ("submission", "investment", "criteria", "ocop_product",
                                                        "certified_area") for _ in raw.rows(p, t)))
                for p in YEARS]
    assert rows == [(p, files, n, n, 0, 0, 0) for p, files, n in expected]


def answer_14(conn, rows):
    """2023-Q3's only problem: a certificate listed after its expiry date."""
    end = raw.quarter_end("2023-Q3")
    lapsed = [(f, n) for f, n, r in raw.rows("2023-Q3", "certified_area") if raw.day(r["expiry_date"]) < end]
    lapsed += [(f, n) for f, n, r in raw.rows("2023-Q3", "ocop_product")
               if raw.ocop_last_valid_day(raw.day(r["decision_date"])) < end
               and (r["commune_code"], r["product_code"].strip()) not in raw.ocop_certified_products("2023-Q3")]
    assert [(r[0], r[2]) for r in rows] == lapsed and len(lapsed) == 1
    assert [(r[3], r[5]) for r in rows] == [("expiry_date", "warning")]
    assert "hết hạn" in rows[0][6]


def _year_to_date_capital(period):
    year, quarter = period[:4], int(period[-1])
    return float(sum(_capital(f"{year}-Q{q}") for q in range(1, quarter + 1)))


def _province_figures(period):
    """Kim Bôi's units, all of them in Phú Thọ (25) after the reform, none divided."""
    return {
        "capital_mobilized_ytd": _year_to_date_capital(period),
        "vietgap_area_ha": float(_certified(period, "vietgap")),
        "farms": sum(int(h["farms"]) for h in raw.headers(period).values()),
        "ocop_products": len(raw.ocop_certified_products(period)),
    }


def answer_15(conn, rows):
    now, before = _province_figures("2025-Q4"), _province_figures("2024-Q4")
    by_kpi = {r[0]: r[1:] for r in rows}
    assert set(by_kpi) == {*now, "ntm_communes", "avg_criteria_met"}
    for code in now:
        value, prev, delta, basis = by_kpi[code]
        assert basis == "crosswalk", code
        assert (value, prev, delta) == pytest.approx((now[code], before[code], now[code] - before[code]), abs=1e-6), code
    for code in ("ntm_communes", "avg_criteria_met"):
        value, prev, delta, basis = by_kpi[code]
        assert value is not None and (prev, delta, basis) == (None, None, "not_comparable"), code


ANSWERS = {name.removeprefix("answer_"): f for name, f in dict(globals()).items() if name.startswith("answer_")}


def test_answers_agree_with_the_report(sample_db):
    by_number = {n: sql for n, _, sql in QUERIES}
    headline = dict((k, v) for k, v, *_ in sample_db.execute(by_number["1"]).fetchall())
    assert headline["ntm_communes"] == 6 and headline["ocop_products"] == 12
    ntm = sample_db.execute(by_number["3"]).fetchall()
    assert len(ntm) == 6
    todo = sample_db.execute(by_number["4"]).fetchall()
    assert len(todo) == 10 and todo[0][1] == 17  # Hợp Tiến, the one commune at 15-18 criteria
    projects = {(c, s): n for c, s, n in sample_db.execute(by_number["8"]).fetchall()}
    assert projects[("road", "ongoing")] == 31 and projects[("village_cultural_house", "preparing")] == 19
    sources = sample_db.execute(by_number["7"]).fetchall()
    assert 267.0 < sum(v for _, v in sources) < 268.0


def test_data_dictionary_is_in_sync_and_complete(sample_db):
    from ntm_pipeline.docs import DICTIONARY, render_dictionary

    assert DICTIONARY.read_text(encoding="utf-8") == render_dictionary(sample_db), (
        "docs/data-dictionary.md is out of date: make run && make docs"
    )
    undocumented = sample_db.execute(
        "SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns() "
        "WHERE schema_name IN ('raw', 'staging', 'quarantine', 'core', 'mart') "
        "AND (comment IS NULL OR comment NOT LIKE '% | %')"
    ).fetchall()
    assert undocumented == []
    assert sample_db.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE comment IS NULL OR comment NOT LIKE '% | %'"
    ).fetchone()[0] == 0
