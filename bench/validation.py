"""What validating staging.investment costs: Great Expectations the old way, the new way, and
the same rules as plain SQL in DuckDB, on the same rows.

    python bench/validation.py [warehouse.duckdb] [--periods 2024-Q1,...] [--bad-every 100]
                               [--all-tables | --steps | --memory]

On the warehouse's staged investment rows (read-only; default the country's of `make bench`),
a quarter at a time as the pipeline validates, twice: the rows as they are, and the same
rows with faults put in (every `--bad-every`th row a negative capital, and fewer null
project codes, unknown statuses and duplicated keys), so both a clean batch and one with
failures are timed. For each:

  (a) old: the suite with result_format COMPLETE and the index columns, every expectation,
      on every staged column (what validate_rows did before issue 15);
  (b) new: the pipeline's own path (`_results`): a BOOLEAN_ONLY pass over every
      expectation, then COMPLETE only for those that failed, on the columns they read;
  (c) sql: the suite's 18 rules written as one DuckDB query over the same rows (the same
      frame, copied into DuckDB first, not timed), listing every failing row and rule.

With `--all-tables`, (a) and (b) are also timed on the rows as they are of the other four
staging tables.

With `--steps`, the validation of every quarantine and core-fact step over all the quarters
given (what the steps call: checks.validation.validate, the facts' suite checks), twice in
one process, side by side: "before", a GX call per quarter (ROW_CAP 0) and the facts fetched
with every column, as before issue 15's batching; "after", the pipeline as it is (quarters
with the same codes in force in one call, up to ROW_CAP rows; only the needed columns).
It prints per step the GX batches (calls of `_results`: a summary pass, and a COMPLETE pass
when an expectation failed) and the seconds, and fails unless both ways give the same
findings and outcomes.

With `--memory`, the peak memory of one GX batch (summary and COMPLETE passes, with faults
put in) of 1, 2, 4 and 8 quarters of staging.criteria, the largest table, each in a process
of its own: the measurement ROW_CAP (ntm_pipeline/quality/validate.py) is chosen from.

Without these, GX alone is timed (the `validate` calls, not the fetch nor building findings); the fetch of
the rows to pandas is printed apart, all columns against the needed ones. Every way's count
of unexpected rows per rule must agree, or the script fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb

from ntm_pipeline.checks.validation import code_lists_in_force
from ntm_pipeline.quality import validate as gx_validate
from ntm_pipeline.quality.suites import load_suite, read_rules
from ntm_pipeline.warehouse import MACROS_SQL, read_sql

DEFAULT = ROOT / "bench" / ".data" / "country" / "run" / "ntm.duckdb"
KEY = gx_validate.ROW_KEY
CAPITALS = ["capital_central_budget", "capital_local_budget", "capital_integrated", "capital_credit",
            "capital_enterprise", "capital_people"]

# The investment suite (expectations/investment.json) as SQL, one row per failing row and
# rule; GX's semantics kept: a map rule ignores nulls (except not-null), the compound key
# ignores rows whose key columns are all null. Rule names are the pipeline's (Rule.name).
SUITE_SQL = """
WITH r AS (SELECT *, count(*) OVER (PARTITION BY period, commune_code, project_code) AS key_rows FROM rows)
SELECT * FROM (SELECT period, source_file, sheet, row_number, unnest([
    CASE WHEN commune_code IS NULL THEN 'expect_column_values_to_not_be_null(commune_code)' END,
    CASE WHEN NOT commune_known THEN 'commune_known' END,
    CASE WHEN NOT has_submission THEN 'has_submission' END,
    CASE WHEN project_code IS NULL THEN 'expect_column_values_to_not_be_null(project_code)' END,
    CASE WHEN NOT list_contains($project_category, category) THEN 'expect_column_values_to_be_in_set(category)' END,
    CASE WHEN NOT list_contains($project_status, status) THEN 'expect_column_values_to_be_in_set(status)' END,
    CASE WHEN category IS NULL THEN 'expect_column_values_to_not_be_null(category)' END,
    CASE WHEN status IS NULL THEN 'expect_column_values_to_not_be_null(status)' END,
    CASE WHEN unparsed_columns IS NOT NULL THEN 'expect_column_values_to_be_null(unparsed_columns)' END,
    CASE WHEN capital_central_budget < 0 THEN 'expect_column_values_to_be_between(capital_central_budget)' END,
    CASE WHEN capital_local_budget < 0 THEN 'expect_column_values_to_be_between(capital_local_budget)' END,
    CASE WHEN capital_integrated < 0 THEN 'expect_column_values_to_be_between(capital_integrated)' END,
    CASE WHEN capital_credit < 0 THEN 'expect_column_values_to_be_between(capital_credit)' END,
    CASE WHEN capital_enterprise < 0 THEN 'expect_column_values_to_be_between(capital_enterprise)' END,
    CASE WHEN capital_people < 0 THEN 'expect_column_values_to_be_between(capital_people)' END,
    CASE WHEN NOT capital_total_matches THEN 'capital_total' END,
    CASE WHEN key_rows > 1 AND NOT (period IS NULL AND commune_code IS NULL AND project_code IS NULL)
         THEN 'expect_compound_columns_to_be_unique(period, commune_code, project_code)' END,
    CASE WHEN NOT row_visible THEN 'row_visible' END
]) AS rule FROM r) WHERE rule IS NOT NULL
ORDER BY row_number, source_file, rule
"""


def old_results(suite_name, rules, rows, parameters, index_columns):
    """Before issue 15: COMPLETE with the index columns for every expectation."""
    batch = gx_validate._batch_definition(suite_name).get_batch(batch_parameters={"dataframe": rows.reset_index(drop=True)})
    suite = load_suite(suite_name)
    result = batch.validate(suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_columns},
                            expectation_parameters=parameters)
    by_id = {item.expectation_config.id: item for item in result.results}
    return [by_id[e.id] for e in suite.expectations]


def put_faults(rows, every: int):
    """The same rows with faults a suite catches, at fixed places (the same in every frame)."""
    rows = rows.copy()
    n = len(rows)
    rows.loc[rows.index[::every], "capital_local_budget"] = -1.0
    rows.loc[rows.index[every // 2::every * 4], "project_code"] = None
    rows.loc[rows.index[every // 3::every * 3], "status"] = "không rõ"
    dup = rows.index[1::every * 5]
    before = rows.index[[max(rows.index.get_loc(i) - 1, 0) for i in dup]]
    rows.loc[dup, ["commune_code", "project_code"]] = rows.loc[before, ["commune_code", "project_code"]].to_numpy()
    assert len(rows) == n
    return rows


def unexpected_counts(results) -> dict[str, int]:
    return {rule.name: int((item.result or {}).get("unexpected_count") or 0) if not item.success else 0
            for rule, item in zip(read_rules("investment"), results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--periods", help="comma-separated quarters (default: every quarter staged)")
    parser.add_argument("--bad-every", type=int, default=100)
    parser.add_argument("--all-tables", action="store_true", help="also time (a) and (b) on the other staging tables")
    parser.add_argument("--steps", action="store_true", help="only GX calls and seconds per step, before and after batching")
    parser.add_argument("--memory", action="store_true", help="only the peak memory of a GX batch by its rows")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        return batch_memory_child(args.warehouse, args.memory_child, args.bad_every)
    if args.memory:
        return batch_memory(args.warehouse, args.bad_every)
    if args.steps:
        return steps(args.warehouse, args.periods.split(",") if args.periods else None)

    conn = duckdb.connect(str(args.warehouse), read_only=True)
    conn.execute(read_sql(MACROS_SQL))
    periods = args.periods.split(",") if args.periods else [
        p for (p,) in conn.execute("SELECT DISTINCT period FROM staging.investment ORDER BY 1").fetchall()]
    needed = gx_validate.needed_columns("investment")
    gx_validate.prepare(["investment"])

    # GX's first validation of a process pays for imports and caches: pay it before timing
    sample = conn.execute("SELECT * FROM staging.investment WHERE row_status = 'validate' LIMIT 2000").df()
    warm_parameters = code_lists_in_force(conn, periods[0])
    for frame in (sample, put_faults(sample, args.bad_every)):
        old_results("investment", read_rules("investment"), frame, warm_parameters, KEY)
        gx_validate._results("investment", read_rules("investment"), frame[needed], warm_parameters, KEY)

    totals = {}
    rows_total = 0
    for period in periods:
        t = time.perf_counter()
        full = conn.execute("SELECT * FROM staging.investment WHERE row_status = 'validate' AND period = ?", [period]).df()
        fetch_all = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("SELECT COLUMNS(lambda c: list_contains($c, c)) FROM staging.investment "
                     "WHERE row_status = 'validate' AND period = $p", {"c": needed, "p": period}).df()
        fetch_needed = time.perf_counter() - t
        parameters = code_lists_in_force(conn, period)
        rows_total += len(full)
        for case, frame in (("clean", full), ("faults", put_faults(full, args.bad_every))):
            timed = {}
            t = time.perf_counter()
            old = old_results("investment", read_rules("investment"), frame, parameters, KEY)
            timed["old"] = time.perf_counter() - t
            t = time.perf_counter()
            new = gx_validate._results("investment", read_rules("investment"), frame[needed], parameters, KEY)
            timed["new"] = time.perf_counter() - t
            memory = duckdb.connect()
            memory.register("frame", frame[needed])
            memory.execute("CREATE TABLE rows AS SELECT * FROM frame")
            t = time.perf_counter()
            found = memory.execute(SUITE_SQL, {k: parameters[k] for k in ("project_category", "project_status")}).fetchall()
            timed["sql"] = time.perf_counter() - t
            memory.close()
            sql_counts = {rule.name: 0 for rule in read_rules("investment")}
            for *_, rule in found:
                sql_counts[rule] += 1
            assert unexpected_counts(old) == unexpected_counts(new) == sql_counts, (period, case)
            failed = sum(1 for c in sql_counts.values() if c)
            print(f"{period} {case:6} rows {len(frame):7,} rules failed {failed:2} unexpected {len(found):5,} | "
                  f"old {timed['old']:6.2f} s  new {timed['new']:6.2f} s  sql {timed['sql']:6.3f} s | "
                  f"fetch all {len(full.columns)} cols {fetch_all:5.2f} s, needed {len(needed)} cols {fetch_needed:5.2f} s",
                  flush=True)
            for way, seconds in [*timed.items(), ("fetch_all", fetch_all), ("fetch_needed", fetch_needed)]:
                totals[(case, way)] = totals.get((case, way), 0) + seconds
    print(f"\ntotal over {len(periods)} quarters, {rows_total:,} rows:")
    for case in ("clean", "faults"):
        old, new, sql = (totals[(case, w)] for w in ("old", "new", "sql"))
        print(f"  {case:6} old {old:6.2f} s  new {new:6.2f} s  sql {sql:6.3f} s   (old/new {old / new:4.1f}x, new/sql {new / sql:5.0f}x)")
    print(f"  fetch  all columns {totals[('clean', 'fetch_all')]:5.2f} s, needed columns {totals[('clean', 'fetch_needed')]:5.2f} s")
    if args.all_tables:
        other_tables(conn, periods)


def other_tables(conn, periods: list[str]) -> None:
    """(a) and (b) on the other staging tables' rows as they are, over the same quarters."""
    from ntm_pipeline.contract import INVESTMENT, SUBMISSION_TABLES

    print("\nthe other staging tables, rows as they are:")
    for table in (t for t in SUBMISSION_TABLES if t is not INVESTMENT):
        gx_validate.prepare([table.name])
        rules = read_rules(table.name)
        needed = gx_validate.needed_columns(table.name)
        old = new = 0.0
        rows = failed = 0
        for period in periods:
            frame = conn.execute(f"SELECT * FROM staging.{table.name} WHERE row_status = 'validate' AND period = ?",
                                 [period]).df()
            parameters = code_lists_in_force(conn, period)
            t = time.perf_counter()
            before = old_results(table.name, rules, frame, parameters, KEY)
            old += time.perf_counter() - t
            t = time.perf_counter()
            after = gx_validate._results(table.name, rules, frame[[c for c in needed if c in frame.columns]], parameters, KEY)
            new += time.perf_counter() - t
            assert [i.success for i in before] == [i.success for i in after], (table.name, period)
            rows += len(frame)
            failed += sum(1 for i in after if not i.success)
        print(f"  {table.name:15} rows {rows:9,} expectations {len(rules):2} failed {failed:3} | "
              f"old {old:6.2f} s  new {new:6.2f} s  (old/new {old / new:4.1f}x)", flush=True)


def steps(warehouse: Path, periods: list[str] | None) -> None:
    """GX calls and seconds per quarantine and fact step, before and after batching."""
    import pandas as pd

    from ntm_pipeline.checks import validation as checks_validation
    from ntm_pipeline.contract import ALL_TABLES
    from ntm_pipeline.defs.core import assets as core_assets
    from ntm_pipeline.quality.suites import expectations_dir

    conn = duckdb.connect(str(warehouse), read_only=True)
    conn.execute(read_sql(MACROS_SQL))
    periods = periods or [p for (p,) in conn.execute(
        "SELECT DISTINCT period FROM staging.submission ORDER BY 1").fetchall()]
    facts = [p.stem for p in sorted(expectations_dir().glob("fact_*.json"))]
    gx_validate.prepare([t.name for t in ALL_TABLES] + facts)
    calls = [0]
    real = gx_validate._results

    def counted(*args):
        calls[0] += 1
        return real(*args)

    gx_validate._results = counted
    captured = {}
    real_vr, real_bp = core_assets.validate_rows, core_assets.validate_by_period
    row_cap = gx_validate.ROW_CAP

    def capture(name, real_function):
        def wrapped(*args, **kwargs):
            captured[name] = real_function(*args, **kwargs)
            return captured[name]
        return wrapped

    def run(way: str) -> dict:
        """{step: (calls, seconds, validation)} for every step, the way given."""
        out = {}
        gx_validate.ROW_CAP = 0 if way == "before" else row_cap
        every_column = (lambda name, index: [c for c in conn.table(f"core.{name}").columns])
        core_assets.needed_columns = every_column if way == "before" else gx_validate.needed_columns
        for table in ALL_TABLES:
            before, t = calls[0], time.perf_counter()
            validation = checks_validation.validate(conn, table, periods if table.partitioned else None)
            out[f"quarantine__{table.name}"] = (calls[0] - before, time.perf_counter() - t, validation)
        for name in facts:
            before, t = calls[0], time.perf_counter()
            core_assets.validate_rows, core_assets.validate_by_period = capture(name, real_vr), capture(name, real_bp)
            partitioned = name != "fact_target"
            list(core_assets._suite_check(name)(conn, periods if partitioned else None))
            out[f"core__{name} (check)"] = (calls[0] - before, time.perf_counter() - t, captured.pop(name))
        core_assets.validate_rows, core_assets.validate_by_period = real_vr, real_bp
        return out

    rows = conn.execute("SELECT sum(estimated_size) FROM duckdb_tables() WHERE schema_name = 'staging'").fetchone()[0]
    print(f"{warehouse}: {len(periods)} quarters, about {rows:,} staged rows; ROW_CAP {row_cap:,}")
    before, after = run("before"), run("after")
    print(f"{'step':42} {'GX batches':>17} {'seconds':>17}\n{'':42} {'before':>8} {'after':>8} {'before':>8} {'after':>8}")
    for step in before:
        (c0, s0, v0), (c1, s1, v1) = before[step], after[step]
        pd.testing.assert_frame_equal(v0.findings, v1.findings, obj=step)
        assert [(o.rule.name, o.success, o.unexpected_count, o.rows) for o in v0.outcomes] == \
            [(o.rule.name, o.success, o.unexpected_count, o.rows) for o in v1.outcomes], step
        print(f"{step:42} {c0:8} {c1:8} {s0:8.2f} {s1:8.2f}   ({len(v1.findings):,} findings, equal)")
    total = [sum(w[s][i] for s in w) for w in (before, after) for i in (0, 1)]
    print(f"{'total':42} {total[0]:8} {total[2]:8} {total[1]:8.2f} {total[3]:8.2f}")


def batch_memory(warehouse: Path, bad_every: int) -> None:
    """The peak memory of one GX batch by its quarters of staging.criteria, each in a process of its own."""
    import subprocess

    print("one GX batch of staging.criteria (needed columns, faults put in), a process each:")
    for quarters in (1, 2, 4, 8):
        subprocess.run([sys.executable, __file__, str(warehouse), "--memory-child", str(quarters),
                        "--bad-every", str(bad_every)], check=True)


def batch_memory_child(warehouse: Path, quarters: int, bad_every: int) -> None:
    import resource

    from ntm_pipeline.quality.validate import validate_rows

    def rss_mib() -> float:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024

    conn = duckdb.connect(str(warehouse), read_only=True)
    conn.execute(read_sql(MACROS_SQL))
    periods = [p for (p,) in conn.execute("SELECT DISTINCT period FROM staging.criteria ORDER BY 1").fetchall()][:quarters]
    gx_validate.prepare(["criteria"])
    needed = gx_validate.needed_columns("criteria")
    frame = conn.execute("SELECT COLUMNS(lambda c: list_contains($c, c)) FROM staging.criteria "
                         "WHERE row_status = 'validate' AND period IN (SELECT unnest($p))", {"c": needed, "p": periods}).df()
    frame.loc[frame.index[::bad_every], "criterion_known"] = False  # rows to list in the COMPLETE pass
    parameters = code_lists_in_force(conn, periods[0])
    conn.close()
    validate_rows("criteria", frame.head(500), parameters)  # GX's caches, paid before measuring
    held = rss_mib()
    t = time.perf_counter()
    validation = validate_rows("criteria", frame, parameters)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    frame_mib = frame.memory_usage(deep=True).sum() / 2**20
    print(f"  {quarters} quarter(s) {len(frame):9,} rows: frame {frame_mib:6.0f} MiB, GX batch adds {peak - held:6.0f} MiB "
          f"({(peak - held) * 1024 / len(frame):4.2f} KiB/row, frame {frame_mib * 1024 / len(frame):4.2f} KiB/row), "
          f"{seconds:5.1f} s, {len(validation.findings):,} findings", flush=True)


if __name__ == "__main__":
    main()
