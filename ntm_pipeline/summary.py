"""The summary `ntm run` prints at the end: the run, its checks, the reports written, where
each quarantined file and row and each warning can be read, what under raw/submissions/ was
ignored, rows per table, headline KPIs.
Every table of it is aligned on its longest name."""

from __future__ import annotations

from pathlib import Path

import duckdb

import dagster as dg

from ntm_pipeline import settings
from ntm_pipeline.contract import ALL_TABLES
from ntm_pipeline.defs import keys
from ntm_pipeline.warehouse import read_sql, table_exists

SQL = Path(__file__).parent / "sql"

HEADLINE_KPIS = [
    "capital_mobilized_ytd", "vietgap_area_ha", "globalgap_area_ha", "agri_cooperatives", "farms",
    "ocop_products", "avg_criteria_met", "ntm_communes", "advanced_ntm_communes", "modern_ntm_communes",
    # the bands of each criteria set: a quarter has those of its set only
    "communes_15_18_criteria", "communes_10_14_criteria", "communes_2026_8_9_criteria", "communes_2026_5_7_criteria",
]


def print_summary(result: dg.ExecuteInProcessResult, periods: list[str], elapsed: float, out=print,
                  reports: dg.ExecuteInProcessResult | None = None) -> None:
    """`result` is the data run; `reports` the report run that followed its publication, if any."""
    span = periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
    out("")
    out(f"ntm run {result.run_id[:8]} (job {result.job_def.name}, {span}): "
        f"{'succeeded' if result.success else 'FAILED'} in {elapsed:.1f} s")
    _checks(result, out)
    _reports(reports, out)
    if not settings.warehouse_path().is_file():
        return
    with duckdb.connect(str(settings.warehouse_path()), read_only=True) as conn:
        loaded = [r[0] for r in conn.execute(
            "SELECT DISTINCT period FROM core.fact_commune_status ORDER BY 1"
        ).fetchall()] if table_exists(conn, "core.fact_commune_status") else []
        out(f"quarters in the warehouse: {', '.join(loaded) or 'none'}")
        out(f"warehouse: {settings.warehouse_path()}")
        _findings(conn, periods, span, out)
        _ignored(conn, periods, span, out)
        out("rows per table:")
        counts = [
            (f"{schema}.{table}", conn.execute("SELECT count(*) FROM query_table(?)", [f"{schema}.{table}"]).fetchone()[0])
            for schema, table in conn.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2").fetchall()
        ]
        out_table([(name, f"{rows:,}") for name, rows in counts], out, align=("<", ">"))
        if loaded and table_exists(conn, "mart.kpi_quarterly"):
            _headline(conn, loaded[-1], out)


def out_table(rows: list[tuple[str, ...]], out, align: tuple[str, ...] | None = None, indent: str = "  ") -> None:
    """Rows as columns padded to their widest cell; `align` gives each column's '<' or '>'."""
    if not rows:
        return
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    align = align or ("<",) * len(widths)
    for row in rows:
        out(indent + "  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(row, align, widths)).rstrip())


def _checks(result: dg.ExecuteInProcessResult, out) -> None:
    evaluations = result.get_asset_check_evaluations()
    failed = [e for e in evaluations if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    warned = [e for e in evaluations if not e.passed and e.severity == dg.AssetCheckSeverity.WARN]
    out(f"checks: {len(evaluations) - len(failed) - len(warned)} passed, {len(failed)} failed, "
        f"{len(warned)} with warnings")
    out_table([
        ("failed" if e in failed else "warning", ".".join(e.asset_key.path), e.check_name)
        for e in failed + warned
    ], out)
    for event in result.all_events:
        if event.is_step_failure:
            from ntm_pipeline.run import _error_message

            out(f"  step failed: {event.step_key}: {_error_message(event.step_failure_data.error)}")
            out(f"    (its traceback is in the run's event log: the Dagster UI, run {result.run_id})")


def _reports(result: dg.ExecuteInProcessResult | None, out) -> None:
    if result is None:
        out("reports: none written (the data was not published)")
        return
    for event in result.get_asset_materialization_events():
        if event.asset_key == keys.QUARTERLY_REPORT:
            metadata = event.step_materialization_data.materialization.metadata
            period = metadata["period"].value
            out(f"reports: {metadata['reports'].value} report{_s(metadata['reports'].value)} for {period} (Markdown, HTML and Excel "
                f"each) in {settings.reports_dir() / period}: {metadata['reports_rewritten'].value} rewritten, "
                f"{metadata['reports_unchanged'].value} unchanged (run {result.run_id[:8]}, job {result.job_def.name})")
            return
    from ntm_pipeline.run import _error_message

    failures = [e for e in result.all_events if e.is_step_failure]
    reason = f": {_error_message(failures[0].step_failure_data.error)}" if failures else ""
    out(f"reports: NOT written: run {result.run_id[:8]} (job {result.job_def.name}) failed{reason} "
        "(its traceback is in the run's event log: make dev)")


def _findings(conn, periods: list[str], span: str, out) -> None:
    """Where each file taken out whole, each quarantined row and each warning can be read."""
    rows, files = [], []
    if table_exists(conn, "quarantine.source_file"):
        files = conn.execute((SQL / "summary_files.sql").read_text(encoding="utf-8"), {"periods": periods}).fetchall()
        if files:
            rows.append(("quarantine.source_file:", f"{len(files):,}", f"file{_s(len(files))} taken out whole"))
    query = (SQL / "summary_findings.sql").read_text(encoding="utf-8")
    for table in ALL_TABLES:
        name = f"quarantine.{table.name}"
        if not table_exists(conn, name):
            continue
        held, warned = conn.execute(query, {"table": name, "periods": periods, "all_periods": table.name == "target"}).fetchone()
        if held:
            rows.append((f"{name}:", f"{held:,}", f"row{_s(held)} quarantined (severity 'critical'), not published"))
        if warned:
            rows.append((f"{name}:", f"{warned:,}", f"row{_s(warned)} with warnings (severity 'warning'), published"))
    if not rows:
        out(f"quarantine, {span}: no file taken out, no row quarantined, no warning")
        return
    out(f"quarantine, {span} (every row's path: core.row_reconciliation):")
    out_table(rows, out, align=("<", ">", "<"))
    for source_file, reason in files:
        out(f"    {source_file}: {reason}")


def _ignored(conn, periods: list[str], span: str, out) -> None:
    """What the run saw under raw/ and did not take (its quarters' folders, and
    outside any quarter folder), each with its reason; nothing when there is none."""
    if not table_exists(conn, "raw.ignored_entry"):
        return
    entries = conn.execute(read_sql(SQL / "summary_ignored.sql"), {"periods": periods}).fetchall()
    if entries:
        out(f"ignored, {span} (raw.ignored_entry): {len(entries):,} entr{'y' if len(entries) == 1 else 'ies'} "
            "under raw/ not read:")
        for path, reason in entries:
            out(f"    {path}: {reason}")


def _headline(conn, latest: str, out) -> None:
    rows = conn.execute(read_sql(SQL / "summary_headline.sql"), {"period": latest, "kpis": HEADLINE_KPIS}).fetchall()
    level = rows[0][0] if rows else "district"
    out(f"headline KPIs, {latest}, by {level} (value / same quarter last year / target):")
    out_table(
        [(name, code, _fmt(value), "/", _fmt(prev), "/", _fmt(target), unit or "")
         for _, name, code, value, prev, target, unit in rows],
        out, align=("<", "<", ">", "<", ">", "<", ">", "<"),
    )


def _s(count: int) -> str:
    return "s" if count != 1 else ""


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"
