"""Run a suite over a table's rows and turn GX's results into findings per row.

A finding names the row (period, file, sheet, row number), the column and the value as
typed in the file, the rule and its severity, and a message in Vietnamese and English.
Rows with a critical finding are quarantined; warnings are kept and reported.
GX first only counts what each expectation finds unexpected; it lists the rows only of
the expectations that failed (`_results`), so a clean batch costs one summary pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache

import pandas as pd

from ntm_pipeline.contract import ALL_TABLES
from ntm_pipeline.quarters import quarter_batches
from ntm_pipeline.quality.suites import Rule, gx, load_suite, read_rules

ROW_KEY = ["period", "source_file", "sheet", "row_number"]
# Staging lists here the columns whose text could not be read as a number, date or flag.
UNPARSED = "unparsed_columns"
NOT_NULL = "expect_column_values_to_not_be_null"
# What a cell of each kind must hold, appended to the unreadable-value message of its finding.
EXPECTED = {
    "integer": ("cần một số nguyên", "a whole number is expected"),
    "decimal": ("cần một số", "a number is expected"),
    "date": ("cần một ngày dạng dd/mm/yyyy", "a date as dd/mm/yyyy is expected"),
    "boolean": ("cần 'x' (có, đạt) hoặc để trống", "'x' (yes, met) or a blank is expected"),
    "period": ("cần một quý, ví dụ 2024-Q1 hoặc Quý 1/2024", "a quarter such as 2024-Q1 or Quý 1/2024 is expected"),
    "criterion": ("cần số tiêu chí (ví dụ 7) hoặc số chỉ tiêu (ví dụ 2.1)",
                  "a criterion number (e.g. 7) or an indicator number (e.g. 2.1) is expected"),
}
KINDS = {c.name: c.kind for t in ALL_TABLES for c in t.columns}
FINDING_COLUMNS = [
    *ROW_KEY, "commune_code", "column_name", "value", "rule", "severity", "message_vi", "message_en",
]


@dataclass
class RuleOutcome:
    rule: Rule
    success: bool
    unexpected_count: int
    row_level: bool
    observed: object = None
    rows: list[dict] = field(default_factory=list)


@dataclass
class Validation:
    suite: str
    rows_checked: int
    outcomes: list[RuleOutcome]
    findings: pd.DataFrame
    index_columns: list[str] = field(default_factory=lambda: list(ROW_KEY))

    def failed(self, severity: str) -> list[RuleOutcome]:
        return [o for o in self.outcomes if not o.success and o.rule.severity == severity]

    @property
    def table_level_critical_failures(self) -> list[RuleOutcome]:
        """Critical failures that no row can be quarantined for: the table itself is wrong."""
        return [o for o in self.failed("critical") if not o.row_level]

    @property
    def quarantined_rows(self) -> int:
        critical = self.findings[self.findings["severity"] == "critical"]
        return len(critical[self.index_columns].drop_duplicates())

    def check_metadata(self, severity: str, sample_rows: int = 5) -> dict:
        """What an asset check shows: per failed rule its count and a sample of rows."""
        import dagster as dg

        failed = self.failed(severity)
        summary = ["| rule | unexpected | message |", "|---|---|---|"] + [
            f"| {o.rule.name} | {o.unexpected_count if o.row_level else 'whole table: ' + str(o.observed)} "
            f"| {o.rule.message_en} |"
            for o in failed
        ]
        metadata: dict = {
            "rows_checked": self.rows_checked,
            "rules_checked": sum(1 for o in self.outcomes if o.rule.severity == severity),
            "rules_failed": len(failed),
            "failed_rules": dg.MetadataValue.md("\n".join(summary) if failed else "none"),
        }
        columns = [*self.index_columns, "column_name", "value"]
        for outcome in failed[:10]:
            if outcome.rows:
                lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
                lines += ["| " + " | ".join(str(row.get(c)) for c in columns) + " |" for row in outcome.rows[:sample_rows]]
                metadata[f"sample: {outcome.rule.name}"] = dg.MetadataValue.md("\n".join(lines))
        return metadata


def combine(parts: list[Validation]) -> Validation:
    """One validation from those of a table's parts (its quarters)."""
    first = parts[0]
    outcomes = []
    for same_rule in zip(*(p.outcomes for p in parts)):
        failed = [o for o in same_rule if not o.success]
        outcomes.append(RuleOutcome(
            same_rule[0].rule, not failed, sum(o.unexpected_count for o in same_rule),
            row_level=all(o.row_level for o in same_rule), observed=failed[0].observed if failed else None,
            rows=[row for o in same_rule for row in o.rows],
        ))
    findings = pd.concat([p.findings for p in parts], ignore_index=True) if len(parts) > 1 else first.findings
    return Validation(first.suite, sum(p.rows_checked for p in parts), outcomes, findings, first.index_columns)


# Rows per Great Expectations batch. Quarters whose suite parameters are the same are
# validated in one GX call while their rows together stay within this, so a run pays GX's
# fixed cost per call (0.1 to 0.2 s a suite, whatever the rows: building its metric graph)
# once per batch, not once per quarter, and memory stays bounded however many quarters a
# backfill holds. Measured on the country's staging.criteria (`bench/validation.py
# --memory`): the staged frame takes 0.47 KiB a row, GX's passes 0.14-0.36 KiB more; 150,000
# rows (about 200 MiB with the rows as read) is just over the country's largest quarter of
# any table (criteria, 146,205 rows), which was validated alone before: batching adds no
# memory over that, and a quarter above the cap is still a batch of its own.
ROW_CAP = 150_000


@dataclass
class _Result:
    """One expectation's result for one quarter of a batch, shaped as GX's own."""

    success: bool
    result: dict
    exception_info: dict | None = None


def validate_by_period(
    suite_name: str,
    periods: list[str],
    rows_of: Callable[[list[str]], tuple[pd.DataFrame, pd.DataFrame | None]],
    parameters: dict | Callable[[str], dict],
    row_counts: Callable[[list[str]], dict[str, int]],
    index_columns: list[str] = ROW_KEY,
    row_cap: int | None = None,
) -> Validation:
    """Validate a quarter-partitioned table by batches of quarters (`batches`), so memory
    holds at most `row_cap` rows however many quarters the run covers. `rows_of(quarters)`
    gives those quarters' rows and the same rows as read; `parameters` are the suite's, or
    give them for a quarter (the codes valid in it); `row_counts(quarters)` the rows of
    each. Every rule's key includes the period, so a batch's result, split by quarter, is
    each quarter's own, and the whole is exactly what one quarter at a time gives."""
    parameters_of = parameters if callable(parameters) else (lambda _period: parameters)
    parts = []
    for batch, batch_parameters in batches(periods, parameters_of, row_counts(list(periods)),
                                           ROW_CAP if row_cap is None else row_cap):
        rows, raw_rows = rows_of(batch)
        parts += _validate_batch(suite_name, batch, rows, batch_parameters, raw_rows, index_columns)
    if parts:
        return combine(parts)
    return validate_rows(suite_name, pd.DataFrame(), parameters if isinstance(parameters, dict) else {},
                         index_columns=index_columns)


def batches(periods: list[str], parameters_of: Callable[[str], dict], counts: dict[str, int],
            row_cap: int) -> list[tuple[list[str], dict]]:
    """Runs of consecutive quarters with the same suite parameters whose rows together stay
    within `row_cap` (a quarter larger than the cap is a batch of its own), with their
    parameters."""
    parameters = {period: parameters_of(period) for period in periods}  # a query each: asked once
    return [(run, parameters[run[0]]) for run in quarter_batches(periods, counts, row_cap, parameters.__getitem__)]


def _validate_batch(suite_name: str, periods: list[str], rows: pd.DataFrame, parameters: dict,
                    raw_rows: pd.DataFrame | None, index_columns: list[str]) -> list[Validation]:
    """Each quarter's validation from one GX call over the quarters' rows together. Where
    the split could differ from a quarter's own call (a failure GX gives for the batch as a
    whole, not row by row), the quarters are validated one by one instead."""
    def of(frame, period):
        return None if frame is None else frame[frame["period"] == period]

    if len(periods) == 1 or rows.empty:
        return [validate_rows(suite_name, rows, parameters, raw_rows=raw_rows, index_columns=index_columns)
                for _ in periods]
    rules = read_rules(suite_name)
    split = _split(_results(suite_name, rules, rows, parameters, index_columns), periods)
    if split is None:
        return [validate_rows(suite_name, of(rows, p), parameters, raw_rows=of(raw_rows, p), index_columns=index_columns)
                for p in periods]
    return [_validation(suite_name, rules, of(rows, p), split[p], of(raw_rows, p), index_columns) for p in periods]


def _split(results: list, periods: list[str]) -> dict[str, list[_Result]] | None:
    """A batch's results as each quarter's own: a passed expectation passes in every quarter
    (as GX's summary gives it, an empty result); a failed one lists in each quarter the rows
    of that quarter. None when a failure is not of rows (an exception, a table-level result
    or a count that is not its rows')."""
    out: dict[str, list[_Result]] = {p: [] for p in periods}
    for item in results:
        info = item.result or {}
        raised = bool(item.exception_info and item.exception_info.get("raised_exception"))
        if item.success and not raised:
            for period in periods:
                out[period].append(_Result(True, {}, item.exception_info))
            continue
        index_list = info.get("unexpected_index_list")
        if raised or index_list is None or "observed_value" in info or info.get("unexpected_count") != len(index_list):
            return None
        by_period: dict = {}
        for entry in index_list:
            by_period.setdefault(entry.get("period"), []).append(entry)
        if set(by_period) - set(periods):
            return None
        for period in periods:
            entries = by_period.get(period, [])
            out[period].append(_Result(False, {**info, "unexpected_count": len(entries), "unexpected_index_list": entries},
                                       item.exception_info) if entries else _Result(True, {}, item.exception_info))
    return out


@lru_cache(maxsize=1)
def _context():
    """One ephemeral GX context per process: creating one takes about a second."""
    great_expectations = gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = great_expectations.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@cache
def _batch_definition(suite_name: str):
    """The whole-dataframe batch of a suite's rows, declared once per process and suite."""
    source = _context().data_sources.add_pandas(f"rows_of_{suite_name}")
    return source.add_dataframe_asset(suite_name).add_batch_definition_whole_dataframe("rows")


def prepare(suite_names: list[str]) -> None:
    """Load GX, its context and the suites now, so the first validation is as fast as the next."""
    for name in suite_names:
        load_suite(name)
        _batch_definition(name)


def validate_rows(
    suite_name: str,
    rows: pd.DataFrame,
    parameters: dict,
    raw_rows: pd.DataFrame | None = None,
    index_columns: list[str] = ROW_KEY,
) -> Validation:
    """Validate `rows` against a suite; a finding names its row by `index_columns`.

    `raw_rows` holds the same rows as read from the file, so a finding can quote the value
    the officer typed rather than the value after typing (which is empty when unreadable).
    """
    rules = read_rules(suite_name)
    results = None if rows.empty else _results(suite_name, rules, rows, parameters, index_columns)
    return _validation(suite_name, rules, rows, results, raw_rows, index_columns)


def _validation(suite_name: str, rules: list[Rule], rows: pd.DataFrame, results: list | None,
                raw_rows: pd.DataFrame | None, index_columns: list[str]) -> Validation:
    """The findings and outcomes of `rows` from GX's result for each rule (`results`, in
    the suite's order; None for no rows)."""
    columns_out = [*index_columns, *(c for c in FINDING_COLUMNS if c not in index_columns)]
    if rows.empty:
        return Validation(suite_name, 0, [RuleOutcome(r, True, 0, True) for r in rules], pd.DataFrame(columns=columns_out))
    raw_index = raw_rows.set_index(index_columns) if raw_rows is not None and not raw_rows.empty else None
    outcomes, findings = [], []
    unreadable = _unreadable_cells(rows, index_columns)
    own_messages = _row_messages(rows, rules, index_columns)
    for rule, item in zip(rules, results):
        info = item.result or {}
        index_list = info.get("unexpected_index_list")
        outcome = RuleOutcome(
            rule, bool(item.success), int(info.get("unexpected_count") or 0),
            row_level=index_list is not None or bool(item.success),
            observed=info.get("observed_value"),
        )
        if item.exception_info and item.exception_info.get("raised_exception"):
            outcome.success, outcome.row_level = False, False
            outcome.observed = item.exception_info.get("exception_message")
        for entry in index_list or []:
            key = tuple(_plain(entry[k]) for k in index_columns)
            if rule.columns == [UNPARSED]:  # one finding per cell whose text could not be typed
                cells = [([c], *_expected(rule, c)) for c in str(entry[UNPARSED]).split(", ")]
            elif rule.expectation_type == NOT_NULL and rule.columns[0] in unreadable.get(key, ()):
                continue  # the cell was filled but unreadable: its one finding is the rule above
            elif key in own_messages.get(rule.name, {}):
                cells = [(rule.columns, *own_messages[rule.name][key])]
            else:
                cells = [(rule.columns, rule.message_vi, rule.message_en)]
            for columns, message_vi, message_en, *staged in cells:
                finding = dict(zip(index_columns, key))
                value = _raw_value(raw_index, key, columns, entry)
                if value is None and staged and staged[0] is not None and not pd.isna(staged[0]):
                    value = str(_plain(staged[0]))
                finding.update(
                    commune_code=finding.get("commune_code") or _raw_value(raw_index, key, ["commune_code"], entry),
                    column_name=", ".join(columns), value=value, rule=rule.name,
                    severity=rule.severity, message_vi=message_vi, message_en=message_en,
                )
                findings.append(finding)
                outcome.rows.append(finding)
        if rule.expectation_type == NOT_NULL and index_list is not None:
            outcome.unexpected_count = len(outcome.rows)
            outcome.success = not outcome.rows
        outcomes.append(outcome)
    frame = pd.DataFrame.from_records(findings, columns=columns_out)
    return Validation(suite_name, len(rows), outcomes, frame, index_columns)


def needed_columns(suite_name: str, index_columns: list[str] = ROW_KEY) -> list[str]:
    """The columns of a table that `validate_rows` reads for a suite: the index, what GX
    checks, and what a finding quotes from the staged row (a rule's source column, a row's
    own messages, the unreadable cells). Only these need to reach pandas."""
    columns = [*index_columns, UNPARSED]
    for rule in read_rules(suite_name):
        columns += [*rule.gx_columns, *rule.columns, *(rule.message_columns or ())]
    return list(dict.fromkeys(columns))


def _results(suite_name: str, rules: list[Rule], rows: pd.DataFrame, parameters: dict, index_columns: list[str]) -> list:
    """GX's result for each rule, in the suite's order. A summary pass (BOOLEAN_ONLY: GX
    counts the unexpected values and lists none) says which expectations pass; only those
    that failed are validated again with COMPLETE, their rows named by `index_columns`, on
    a frame of those columns and the ones the failed expectations read."""
    def frame(selected: list[Rule]) -> pd.DataFrame:
        wanted = dict.fromkeys([*index_columns, *(c for r in selected for c in r.gx_columns)])
        return rows[[c for c in wanted if c in rows.columns]].reset_index(drop=True)

    definition = _batch_definition(suite_name)
    try:
        batch = definition.get_batch(batch_parameters={"dataframe": frame(rules)})
        summary = _in_suite_order(load_suite(suite_name), batch.validate(
            load_suite(suite_name), result_format={"result_format": "BOOLEAN_ONLY"}, expectation_parameters=parameters,
        ))
        failed = tuple(i for i, item in enumerate(summary) if not item.success)
        if not failed:
            return summary
        part = load_suite(suite_name, failed)
        batch = definition.get_batch(batch_parameters={"dataframe": frame([rules[i] for i in failed])})
        complete = _in_suite_order(part, batch.validate(
            part, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_columns},
            expectation_parameters=parameters,
        ))
        for i, item in zip(failed, complete):
            summary[i] = item
        return summary
    finally:
        _release_batches(definition)


def _release_batches(definition) -> None:
    """Drop the rows GX's execution engine keeps of the last batch it validated. The engine
    lives as long as its data source, one per suite and process, so each suite held on to
    its last batch of up to ROW_CAP rows until the process ended, and every later step of
    the run started from that: the country's run peaked at 1,504 MiB, and at 1,203 MiB
    once they are dropped (docs/performance.md)."""
    batches = definition.data_asset.datasource.get_execution_engine().batch_manager
    batches.reset_batch_cache()
    batches.batch_data_cache.clear()


def _in_suite_order(suite, result) -> list:
    """GX does not return results in the suite's order: the loaded suite keeps the JSON's
    order, so each expectation's result is found by its id."""
    by_id = {item.expectation_config.id: item for item in result.results}
    return [by_id[expectation.id] for expectation in suite.expectations]


def _row_messages(rows: pd.DataFrame, rules: list[Rule], index_columns: list[str]) -> dict[str, dict]:
    """Per rule that names message columns, the rows' own (Vietnamese, English) messages by
    row key, where the row has one, with the staged value of the rule's column (for a column
    staging derives, which the file does not have as such)."""
    messages: dict[str, dict] = {}
    for rule in (r for r in rules if r.message_columns):
        vi, en = rule.message_columns
        if vi not in rows.columns:
            continue
        given = rows[rows[vi].notna()]
        english = given[en] if en in given.columns else given[vi]
        column = rule.columns[0] if rule.columns and rule.columns[0] in given.columns else None
        values = given[column] if column else [None] * len(given)
        messages[rule.name] = {
            tuple(_plain(v) for v in key): (text_vi, text_en if isinstance(text_en, str) else text_vi, value)
            for key, text_vi, text_en, value in zip(
                given[index_columns].itertuples(index=False, name=None), given[vi], english, values)
        }
    return messages


def _unreadable_cells(rows: pd.DataFrame, index_columns: list[str]) -> dict[tuple, set[str]]:
    """Per row key, the columns whose text staging could not type. Such a cell is empty once
    typed, but it is not missing: a not-null rule must not report it a second time."""
    if UNPARSED not in rows.columns:
        return {}
    flagged = rows[rows[UNPARSED].notna()]
    return {
        tuple(_plain(v) for v in key): set(str(text).split(", "))
        for key, text in zip(flagged[index_columns].itertuples(index=False, name=None), flagged[UNPARSED])
    }


def _expected(rule: Rule, column: str) -> tuple[str, str]:
    """The unreadable-value message for one cell, saying what the cell must hold."""
    kind = EXPECTED.get(KINDS.get(column, ""))
    if kind is None:
        return rule.message_vi, rule.message_en
    return f"{rule.message_vi}: {kind[0]}", f"{rule.message_en}: {kind[1]}"


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _raw_value(raw_index, key, columns, entry) -> str | None:
    values = []
    for column in columns:
        value = None
        if raw_index is not None and column in raw_index.columns and key in raw_index.index:
            value = raw_index.at[key, column]
        elif column in entry:
            value = entry[column]
        values.append("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(_plain(value)))
    joined = " | ".join(values)
    return joined or None
