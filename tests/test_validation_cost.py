"""Validation pays only for what fails: a summary pass over every expectation, then the row
lists (COMPLETE) only for the expectations that failed, on only the columns they read. On
the bad-input corpus the findings and outcomes must be exactly those of the old way, one
COMPLETE pass of every expectation over every column of the staged and raw rows."""

import sys
from functools import partial
from itertools import pairwise

import pandas as pd
import pytest
from test_bad_input import PERIOD, corpus  # noqa: F401  (the corpus's warehouse, built by the pipeline)

from ntm_pipeline.checks import validation as checks_validation
from ntm_pipeline.contract import ALL_TABLES
from ntm_pipeline.quality import validate as gx_validate
from ntm_pipeline.quality.suites import expectations_dir, read_rules
from ntm_pipeline.settings import PROJECT_ROOT
from ntm_pipeline.warehouse import MACROS_SQL, read_sql

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
from validation import old_results  # noqa: E402  (the old single COMPLETE pass, as bench/validation.py times it)

pytestmark = pytest.mark.slow  # builds the bad-input corpus's warehouse through the pipeline

PERIODS = ["2023-Q4", PERIOD]
FACT_INDEX = {"fact_certified_area": ["period", "commune_code", "product", "standard"],
              "fact_target": ["year", "area_level", "area_code", "kpi_code"]}


def old_rows(conn, table, period):
    """The old frames: every staged column (s.*) and every raw column (r.*)."""
    where = "s.row_status = 'validate'" + (" AND s.period = ?" if table.partitioned else "")
    params = [period] if table.partitioned else []
    staged = conn.execute(f"SELECT s.* FROM staging.{table.name} AS s WHERE {where} "
                          "ORDER BY s.period, s.source_file, s.sheet, s.row_number", params).df()  # as validation_rows.sql
    on = " AND ".join(f"r.{c} = s.{c}" for c in (["period"] if table.partitioned else []) + ["source_file", "sheet", "row_number"])
    raw = conn.execute(f"SELECT s.period AS validated_period, r.* FROM staging.{table.name} AS s "
                       f"JOIN raw.{table.name} AS r ON {on} WHERE {where}", params).df()
    return staged, raw.drop(columns="period", errors="ignore").rename(columns={"validated_period": "period"})


@pytest.fixture(scope="module")
def conn(corpus):  # noqa: F811
    """The corpus's warehouse, read-only, with the project's macros as the checks use them."""
    _, connection, _ = corpus
    connection.execute(read_sql(MACROS_SQL))
    return connection


def outcomes(validation):
    return [(o.rule.name, o.success, o.unexpected_count, o.row_level, o.observed, o.rows) for o in validation.outcomes]


def both_ways(monkeypatch, new, old):
    """(new validation, old validation, the GX calls the new way made)."""
    calls = []
    real = gx_validate._results

    def spy(suite_name, rules, rows, parameters, index_columns):
        calls.append(list(rows.columns))
        return real(suite_name, rules, rows, parameters, index_columns)

    monkeypatch.setattr(gx_validate, "_results", spy)
    validation_new = new()
    monkeypatch.setattr(gx_validate, "_results", old_results)
    validation_old = old()
    monkeypatch.setattr(gx_validate, "_results", real)
    return validation_new, validation_old, calls


def test_staged_findings_equal_the_old_way(conn, monkeypatch):
    failed_rules = findings_total = 0
    for table in ALL_TABLES:
        for period in PERIODS if table.partitioned else [None]:
            parameters = (checks_validation.code_lists_in_force(conn, period) if table.partitioned
                          else checks_validation.code_lists(conn))
            new, old, calls = both_ways(
                monkeypatch,
                partial(checks_validation.validate, conn, table, [period] if period else None),
                partial(gx_validate.validate_rows, *_staged_and_raw(conn, table, period, parameters)),
            )
            pd.testing.assert_frame_equal(new.findings, old.findings)
            assert outcomes(new) == outcomes(old), (table.name, period)
            assert new.rows_checked == old.rows_checked > 0
            # only the columns the validation reads reached pandas, fewer than the table has
            assert set(calls[0]) <= set(gx_validate.needed_columns(table.name)), table.name
            assert len(calls[0]) < len(old_rows(conn, table, period)[0].columns)
            failed_rules += len([o for o in new.outcomes if not o.success])
            findings_total += len(new.findings)
    # the corpus fails rules of every kind: the comparison is not of empty lists
    assert failed_rules >= 20 and findings_total >= 40, (failed_rules, findings_total)


def _staged_and_raw(conn, table, period, parameters):
    staged, raw = old_rows(conn, table, period)
    return table.name, staged, parameters, raw


def test_fact_findings_equal_the_old_way(conn, monkeypatch):
    lists = checks_validation.code_lists(conn)
    checked = 0
    for path in sorted(expectations_dir().glob("fact_*.json")):
        name = path.stem
        index = FACT_INDEX.get(name, gx_validate.ROW_KEY)
        rows = conn.table(f"core.{name}").df()
        run = partial(gx_validate.validate_rows, name, rows, lists, index_columns=index)
        new, old, _ = both_ways(monkeypatch, run, run)
        pd.testing.assert_frame_equal(new.findings, old.findings)
        assert outcomes(new) == outcomes(old), name
        checked += len(rows)
    assert checked > 0


def test_row_lists_only_for_the_expectations_that_failed(conn, monkeypatch):
    """A batch with failures: the summary pass covers every expectation without listing a
    row; the COMPLETE pass covers exactly the failed ones, on their columns and the index."""
    from ntm_pipeline.contract import INVESTMENT

    batches = []
    real_get_batch = type(gx_validate._batch_definition("investment")).get_batch

    def get_batch(self, batch_parameters=None):
        batch = real_get_batch(self, batch_parameters=batch_parameters)
        real_validate = batch.validate

        def validate(expect, **kwargs):
            result = real_validate(expect, **kwargs)
            batches.append((list(batch_parameters["dataframe"].columns), len(expect.expectations),
                            kwargs["result_format"]["result_format"],
                            [bool(r.result.get("unexpected_index_list")) for r in result.results]))
            return result

        batch.validate = validate
        return batch

    monkeypatch.setattr(type(gx_validate._batch_definition("investment")), "get_batch", get_batch)
    validation = checks_validation.validate(conn, INVESTMENT, [PERIOD])
    rules = read_rules("investment")
    failed = [o.rule for o in validation.outcomes if not o.success]
    assert failed and len(failed) < len(rules)
    (summary_columns, summary_count, summary_format, summary_lists), (columns, count, format_, lists) = batches
    assert (summary_count, summary_format, any(summary_lists)) == (len(rules), "BOOLEAN_ONLY", False)
    assert (count, format_, all(lists)) == (len(failed), "COMPLETE", True)
    assert set(columns) == set(gx_validate.ROW_KEY) | {c for r in failed for c in r.gx_columns}
    assert set(summary_columns) == set(gx_validate.ROW_KEY) | {c for r in rules for c in r.gx_columns}


def test_a_clean_batch_costs_one_summary_pass(conn, monkeypatch):
    """A quarter whose rows all pass: no COMPLETE pass at all, no finding."""
    from ntm_pipeline.contract import INVESTMENT

    formats = []
    real = gx_validate.load_suite

    def load(name, positions=None):
        formats.append(positions)
        return real(name, positions)

    monkeypatch.setattr(gx_validate, "load_suite", load)
    validation = checks_validation.validate(conn, INVESTMENT, ["2023-Q4"])
    assert validation.rows_checked > 0 and validation.findings.empty
    assert all(o.success for o in validation.outcomes)
    assert formats and all(p is None for p in formats)


def test_checked_workbook_quotes_the_same_as_the_old_way(checker, tmp_path, monkeypatch):
    """Through the checks library, a workbook whose findings quote what the narrower frames
    must still hold: a row's own message (a commune name that is not the code's) and the text of an unreadable cell no rule names (is_correction)."""
    from test_checks import workbook

    def edit(tables):
        tables["submission"][0].update(commune_name="Xã Không Có", is_correction="có lẽ")

    path = workbook(tmp_path, "05080", "05080.xlsx", edit)

    def findings():
        [result] = checker.check([(path, "2024-Q1")])
        return [(f.sheet, f.row_number, f.column_name, f.value, f.rule, f.severity, f.message_vi, f.message_en)
                for f in result.rows]

    new = findings()
    monkeypatch.setattr(checks_validation, "rows_for_validation", lambda c, table, periods: old_rows(c, table, periods[0] if periods else None))
    monkeypatch.setattr(gx_validate, "_results", old_results)
    assert new == findings()
    quoted = {(f[2], f[3]) for f in new}
    assert ("is_correction", "có lẽ") in quoted and ("commune_name", "Xã Không Có") in quoted, new
    assert "trong Quý 1/2024 mã 05080 là Xã Sào Báy" in {f[6].split(": ", 1)[-1] for f in new}


def gx_calls(monkeypatch):
    """The frames of every GX call (`_results`) made from now on."""
    calls = []
    real = gx_validate._results

    def spy(suite_name, rules, rows, parameters, index_columns):
        calls.append(rows)
        return real(suite_name, rules, rows, parameters, index_columns)

    monkeypatch.setattr(gx_validate, "_results", spy)
    return calls


def test_quarters_with_the_same_codes_share_one_gx_call(conn, monkeypatch):
    """The corpus's two quarters have the same codes in force: each table's validation makes
    one summary pass and one COMPLETE pass over both, and its findings and outcomes are
    exactly those of a call per quarter (a row cap of 0 keeps every quarter apart). Every
    staged row of an even row number is also marked hidden (row_visible), so both quarters have findings
    and their order across the quarters is compared too."""
    assert checks_validation.code_lists_in_force(conn, PERIODS[0]) == checks_validation.code_lists_in_force(conn, PERIODS[1])
    real_rows = checks_validation.rows_for_validation

    def with_hidden_rows(c, table, periods):
        staged, raw = real_rows(c, table, periods)
        staged.loc[staged["row_number"] % 2 == 0, "row_visible"] = False  # by the row, however fetched
        return staged, raw

    findings_total = 0
    for table in (t for t in ALL_TABLES if t.partitioned):
        monkeypatch.setattr(checks_validation, "rows_for_validation", with_hidden_rows)
        calls = gx_calls(monkeypatch)
        batched = checks_validation.validate(conn, table, PERIODS)
        assert len(calls) == 1 and set(calls[0]["period"]) == set(PERIODS), table.name
        monkeypatch.setattr(gx_validate, "ROW_CAP", 0)
        calls.clear()
        one_by_one = checks_validation.validate(conn, table, PERIODS)
        assert len(calls) == 2 and [set(c["period"]) for c in calls] == [{PERIODS[0]}, {PERIODS[1]}], table.name
        monkeypatch.undo()
        pd.testing.assert_frame_equal(batched.findings, one_by_one.findings)
        assert outcomes(batched) == outcomes(one_by_one), table.name
        assert batched.rows_checked == one_by_one.rows_checked
        assert set(batched.findings["period"]) == set(PERIODS), table.name
        findings_total += len(batched.findings)
    assert findings_total >= 100  # the corpus's findings and the hidden rows', not empty lists


def test_a_failure_not_of_rows_is_validated_a_quarter_at_a_time(conn, monkeypatch):
    """A batch where GX fails an expectation for the table itself (here: a column the rows
    lack, an exception) cannot be split by quarter: each quarter is validated again on its own,
    and the outcome is exactly that of a call per quarter."""
    from ntm_pipeline.contract import INVESTMENT

    real_rows = checks_validation.rows_for_validation

    def without_status(c, table, periods):
        staged, raw = real_rows(c, table, periods)
        return staged.drop(columns="status"), raw

    monkeypatch.setattr(checks_validation, "rows_for_validation", without_status)
    calls = gx_calls(monkeypatch)
    batched = checks_validation.validate(conn, INVESTMENT, PERIODS)
    assert [sorted(set(c["period"])) for c in calls] == [PERIODS, [PERIODS[0]], [PERIODS[1]]]
    monkeypatch.setattr(gx_validate, "ROW_CAP", 0)
    one_by_one = checks_validation.validate(conn, INVESTMENT, PERIODS)
    assert [o.rule.name for o in batched.table_level_critical_failures] == [
        "expect_column_values_to_be_in_set(status)", "expect_column_values_to_not_be_null(status)"]
    assert outcomes(batched) == outcomes(one_by_one)
    pd.testing.assert_frame_equal(batched.findings, one_by_one.findings)


def test_batches_follow_the_codes_in_force_and_the_row_cap(sample_build):
    """On the sample (2023-Q1..2026-Q3, across the 2025 reform), a batch is a run of quarters
    with the same codes in force, cut where their rows together would pass the cap."""
    import duckdb

    from ntm_pipeline.contract import INVESTMENT

    connection = duckdb.connect(str(sample_build[0]), read_only=True)
    connection.execute(read_sql(MACROS_SQL))
    periods = [p for (p,) in connection.execute("SELECT period FROM core.dim_period ORDER BY period").fetchall()
               if connection.execute("SELECT count(*) FROM staging.investment WHERE period = ?", [p]).fetchone()[0]]
    counts = checks_validation.staged_row_counts(connection, INVESTMENT, periods)
    in_force = {p: checks_validation.code_lists_in_force(connection, p) for p in periods}
    runs = gx_validate.batches(periods, in_force.__getitem__, counts, 10**9)
    # every quarter once, in order; a new batch exactly where the codes in force change
    assert [p for batch, _ in runs for p in batch] == periods
    changes = [p for before, p in pairwise(periods) if in_force[before] != in_force[p]]
    assert changes and [batch[0] for batch, _ in runs[1:]] == changes
    assert all(params == in_force[batch[0]] for batch, params in runs)
    # a cap of two quarters' rows: no batch holds more, and each holds as many as fit
    cap = max(counts[a] + counts[b] for a, b in pairwise(periods))
    capped = gx_validate.batches(periods, in_force.__getitem__, counts, cap)
    assert all(sum(counts[p] for p in batch) <= cap for batch, _ in capped)
    assert len(capped) > len(runs) and [p for batch, _ in capped for p in batch] == periods
    connection.close()


def test_fact_checks_read_only_the_columns_their_suite_needs(conn, monkeypatch):
    """A fact's suite gets the columns `needed_columns` names, both quarters in one call, and
    its check says exactly what a call per quarter on every column of the fact says."""
    import duckdb

    from ntm_pipeline.defs.core import assets as core_assets

    narrower = 0
    for path in sorted(expectations_dir().glob("fact_*.json")):
        name = path.stem
        if name == "fact_target":
            continue  # not kept by quarter: one call, as before
        fact = conn.table(f"core.{name}")
        calls = gx_calls(monkeypatch)
        [check] = core_assets._suite_check(name)(conn, PERIODS)
        if not len(fact):
            assert not calls and check.passed, name  # no rows (no indicator rows in the corpus): no call
            monkeypatch.undo()
            continue
        assert len(calls) == 1 and set(calls[0]["period"]) == set(PERIODS), name
        needed = gx_validate.needed_columns(name, FACT_INDEX.get(name, gx_validate.ROW_KEY))
        assert set(calls[0].columns) <= set(needed), name
        narrower += len(calls[0].columns) < len(fact.columns)
        monkeypatch.undo()
        by_quarter = [gx_validate.validate_rows(name, fact.filter(duckdb.ColumnExpression("period") == duckdb.ConstantExpression(p)).df(),
                                                checks_validation.code_lists(conn),
                                                index_columns=FACT_INDEX.get(name, gx_validate.ROW_KEY))
                      for p in PERIODS]
        old = gx_validate.combine(by_quarter)
        assert check.passed == (not old.failed("critical")), name
        plain = {k: getattr(v, "value", v) for k, v in old.check_metadata("critical").items()}
        assert {k: v.value for k, v in check.metadata.items()} == plain, name
    assert narrower >= 4, narrower


def test_no_rows_are_kept_once_validated(conn, monkeypatch):
    """GX's execution engine lives as long as the process and kept the last frame it was given
    of every suite (up to ROW_CAP rows each), so each step of a run started from what the
    validations before it had held. Every frame handed to GX, the summary pass's and the
    failed expectations' alike, is gone once the validation returns."""
    import gc
    import weakref

    from ntm_pipeline.contract import INVESTMENT

    handed: list[weakref.ref] = []
    real = gx_validate._batch_definition

    class Recording:
        def __init__(self, definition):
            self._definition = definition

        def get_batch(self, batch_parameters):
            handed.append(weakref.ref(batch_parameters["dataframe"]))
            return self._definition.get_batch(batch_parameters=batch_parameters)

        def __getattr__(self, name):
            return getattr(self._definition, name)

    monkeypatch.setattr(gx_validate, "_batch_definition", lambda suite_name: Recording(real(suite_name)))
    validation = checks_validation.validate(conn, INVESTMENT, PERIODS)
    assert not validation.findings.empty  # the corpus has bad rows: both passes ran
    assert len(handed) >= 2
    gc.collect()
    assert [ref() is None for ref in handed] == [True] * len(handed)
