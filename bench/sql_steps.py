"""Time every SQL step (staging, facts, reconciliation, marts) on a copy of a warehouse, with
the code of a git revision and of the working tree side by side, and check that both write
the same rows.

    .venv/bin/python bench/sql_steps.py WAREHOUSE [--before REV] [--periods 2024-Q4,...] [--steps a,b]
                                                  [--repeat N] [--no-compare] [--work DIR]

Each side (`--before REV`, HEAD by default, and the working tree) gets its own copy of
WAREHOUSE and its own code: the revision's ntm_pipeline/ is taken with `git archive` into a
temporary folder and imported from there, so the old SQL is never kept in the tree. The
steps run in the pipeline's order, each in a child process (its time is the step's whole
write: the statement, the table comments and the metadata the asset reports; its peak is
the child's resident memory), alternating before and after so both see the same load on a
shared machine; with `--repeat N` each step runs N times so and the fastest counts (a step
rewrites its own quarters, so a rerun writes the same rows). The quarantine tables are the
copy's own (they are Great Expectations' findings, not SQL), so each side's steps read the
same inputs. Then every table written is compared between the two copies: row counts, EXCEPT
ALL both ways on the columns of the before side, and the columns' names and types.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def steps() -> list[dict]:
    """The SQL steps in the pipeline's order, from the contract of the code imported; the marts'
    partitioning as defs/mart/assets.py declares them, and kpi_quarterly's one quarter at a
    time as code older than warehouse.statement_batches declared it."""
    from ntm_pipeline.contract import ALL_TABLES, CRITERIA

    out = [{"table": f"staging.{t.name}", "sql": f"defs/staging/sql/{t.name}.sql", "template_for": t.name,
            "partitioned": t.partitioned} for t in ALL_TABLES]
    out += [{"table": f"core.{t.fact}", "sql": f"defs/core/sql/{t.fact}.sql", "template_for": t.name,
             "partitioned": t.partitioned} for t in ALL_TABLES]
    out.append({"table": "core.fact_criteria_indicator", "sql": "defs/core/sql/fact_criteria_indicator.sql",
                "template_for": CRITERIA.name, "partitioned": True})
    out.append({"table": "core.row_reconciliation", "sql": "defs/core/sql/row_reconciliation.sql",
                "template": True, "partitioned": True})
    out.append({"table": "mart.kpi_quarterly", "sql": "defs/mart/sql/kpi_quarterly.sql", "partitioned": True,
                "one_period_at_a_time": True})
    out += [{"table": f"mart.{n}", "sql": f"defs/mart/sql/{n}.sql", "partitioned": True}
            for n in ("commune_scorecard", "ocop_register", "capital_by_source")]
    out.append({"table": "mart.kpi_wide", "sql": "defs/mart/sql/kpi_wide.sql", "partitioned": True, "template": True})
    return out


def _child(db: str, step_table: str, periods: list[str]) -> dict:
    """Run one step with the code on sys.path; print its time and peak."""
    from dagster_duckdb import DuckDBResource

    import ntm_pipeline
    from ntm_pipeline.contract import ALL_TABLES
    from ntm_pipeline.warehouse import materialize_sql

    package = Path(ntm_pipeline.__file__).parent
    step = next(s for s in steps() if s["table"] == step_table)
    tables = {t.name: t for t in ALL_TABLES}
    start = time.perf_counter()
    materialize_sql(
        DuckDBResource(database=db), step["table"], package / step["sql"],
        periods=periods if step["partitioned"] else None,
        template=step.get("template", False),
        template_for=tables[step["template_for"]] if step.get("template_for") else None,
        **({"one_period_at_a_time": step.get("one_period_at_a_time", False)}
           if "one_period_at_a_time" in inspect.signature(materialize_sql).parameters else {}),
    )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _tree(rev: str, into: Path) -> Path:
    """ntm_pipeline/ of `rev`, extracted under `into`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "ntm_pipeline"], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _run_step(code: Path, db: Path, table: str, periods: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(db), "--child-step", table, "--periods", ",".join(periods)],
        env=env, capture_output=True, text=True, cwd=str(code), check=False,
    )
    if done.returncode:
        raise SystemExit(f"{table} failed with the code in {code}:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(before: Path, after: Path, tables: list[str]) -> list[tuple]:
    """(table, rows before, rows after, rows only before, rows only after, same columns and types)
    for each table."""
    import duckdb

    conn = duckdb.connect()
    conn.execute(f"ATTACH '{before}' AS b (READ_ONLY)")
    conn.execute(f"ATTACH '{after}' AS a (READ_ONLY)")
    out = []
    for table in tables:
        columns = ", ".join(f'"{d[0]}"' for d in conn.execute(f"SELECT * FROM b.{table} LIMIT 0").description)
        b_rows, a_rows = (conn.execute(f"SELECT count(*) FROM {side}.{table}").fetchone()[0] for side in ("b", "a"))
        only_b = conn.execute(f"SELECT count(*) FROM (SELECT {columns} FROM b.{table} EXCEPT ALL "
                              f"SELECT {columns} FROM a.{table})").fetchone()[0]
        only_a = conn.execute(f"SELECT count(*) FROM (SELECT {columns} FROM a.{table} EXCEPT ALL "
                              f"SELECT {columns} FROM b.{table})").fetchone()[0]
        b_cols, a_cols = (sorted(conn.execute(f"SELECT column_name, column_type FROM (DESCRIBE {side}.{table})").fetchall())
                          for side in ("b", "a"))
        out.append((table, b_rows, a_rows, only_b, only_a, b_cols == a_cols))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", nargs="?")
    parser.add_argument("--before", default="HEAD", help="git revision of the 'before' code (HEAD)")
    parser.add_argument("--periods", help="quarters to write, comma-separated (default: every quarter of raw.submission)")
    parser.add_argument("--steps", help="only these tables, comma-separated (their inputs must be in the copy)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each step this many times, before and after alternately, and keep the fastest")
    parser.add_argument("--no-compare", action="store_true")
    parser.add_argument("--work", help="folder for the copies (a temporary one by default)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-step", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.child_step, args.periods.split(","))))
        return 0

    import duckdb

    work = Path(args.work or tempfile.mkdtemp(prefix="sql_steps-"))
    work.mkdir(parents=True, exist_ok=True)
    before_code = _tree(args.before, work / "before")
    after_code = ROOT
    copies = {"before": work / "before.duckdb", "after": work / "after.duckdb"}
    for copy in copies.values():
        shutil.copyfile(args.warehouse, copy)
        copy.chmod(0o644)
    if args.periods:
        periods = args.periods.split(",")
    else:
        with duckdb.connect(str(copies["before"]), read_only=True) as conn:
            periods = [p for (p,) in conn.execute("SELECT DISTINCT period FROM raw.submission ORDER BY 1").fetchall()]
    sys.path.insert(0, str(ROOT))
    chosen = [s["table"] for s in steps() if not args.steps or s["table"] in args.steps.split(",")]
    print(f"{args.warehouse}: {len(periods)} quarter(s) {periods[0]}..{periods[-1]}; before = {args.before}, "
          "after = the working tree; each step's whole write (statement, comments, metadata), "
          f"before and after run alternately, the fastest of {args.repeat}")
    print(f"{'step':34} {'before s':>9} {'after s':>8} {'x':>6} {'peak MiB before':>16} {'after':>6}")
    totals = [0.0, 0.0]
    for table in chosen:
        runs = [(_run_step(before_code, copies["before"], table, periods),
                 _run_step(after_code, copies["after"], table, periods)) for _ in range(args.repeat)]
        b, a = (min((r[side] for r in runs), key=lambda r: r["seconds"]) for side in (0, 1))
        totals[0] += b["seconds"]
        totals[1] += a["seconds"]
        print(f"{table:34} {b['seconds']:9.2f} {a['seconds']:8.2f} {b['seconds'] / a['seconds']:6.1f} "
              f"{b['peak_mib']:16.0f} {a['peak_mib']:6.0f}", flush=True)
    print(f"{'total':34} {totals[0]:9.2f} {totals[1]:8.2f} {totals[0] / totals[1]:6.1f}")
    if args.no_compare:
        return 0
    print("\ntable                              rows before  rows after  only before  only after  same columns and types")
    failed = False
    for table, b_rows, a_rows, only_b, only_a, same_columns in compare(copies["before"], copies["after"], chosen):
        failed |= bool(b_rows != a_rows or only_b or only_a or not same_columns)
        print(f"{table:34} {b_rows:11} {a_rows:11} {only_b:12} {only_a:11}  {same_columns}")
    print("EQUAL" if not failed else "DIFFERENT")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
