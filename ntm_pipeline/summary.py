"""The short summary `ntm run` prints: periods, rows per table, checks, headline KPIs."""

from __future__ import annotations

import duckdb

import dagster as dg

from ntm_pipeline import settings

HEADLINE_KPIS = [
    "capital_mobilized_ytd", "vietgap_area_ha", "globalgap_area_ha", "agri_cooperatives", "farms",
    "ocop_products", "avg_criteria_met", "ntm_communes", "advanced_ntm_communes",
    "communes_15_18_criteria", "communes_10_14_criteria",
]


def print_summary(result: dg.ExecuteInProcessResult, periods: list[str], elapsed: float) -> None:
    print(f"\nntm_pipeline run {result.run_id[:8]}: {'succeeded' if result.success else 'FAILED'} in {elapsed:.1f} s")
    evaluations = result.get_asset_check_evaluations()
    failed = [e for e in evaluations if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    warned = [e for e in evaluations if not e.passed and e.severity == dg.AssetCheckSeverity.WARN]
    print(f"checks: {len(evaluations) - len(failed) - len(warned)} passed, {len(failed)} failed, {len(warned)} with warnings")
    for evaluation in failed + warned:
        label = "failed" if evaluation in failed else "warning"
        print(f"  {label}: {evaluation.asset_key.to_user_string()} {evaluation.check_name}")
    for event in result.all_events:
        if event.is_step_failure:
            error = event.event_specific_data.error
            while error.cause is not None:  # the user code's own exception, not Dagster's wrapper
                error = error.cause
            print(f"  step failed: {event.step_key}: {error.message.strip()}")
    with duckdb.connect(str(settings.warehouse_path())) as conn:
        loaded = [r[0] for r in conn.execute(
            "SELECT DISTINCT period FROM core.fact_commune_status ORDER BY 1"
        ).fetchall()] if _exists(conn, "core", "fact_commune_status") else []
        print(f"periods loaded: {', '.join(loaded) or 'none'}")
        print(f"warehouse: {settings.warehouse_path()}")
        for schema, table, rows in conn.execute(
            "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() ORDER BY 1, 2"
        ).fetchall():
            exact = conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
            print(f"  {schema}.{table:<28} {exact:>8} rows")
        if loaded and _exists(conn, "mart", "kpi_quarterly"):
            latest = loaded[-1]
            print(f"headline KPIs, {latest}, by district (value / same quarter last year / target):")
            for row in conn.execute(
                "SELECT area_name, kpi_code, value, value_prev_year, target, unit FROM mart.kpi_quarterly "
                "WHERE period = ? AND area_level = 'district' AND kpi_code IN (SELECT unnest(?)) "
                "ORDER BY area_code, array_position(?, kpi_code)",
                [latest, HEADLINE_KPIS, HEADLINE_KPIS],
            ).fetchall():
                name, code, value, prev, target, unit = row
                print(f"  {name:<10} {code:<26} {_fmt(value):>12} / {_fmt(prev):>10} / {_fmt(target):>6} {unit}")


def _exists(conn, schema: str, table: str) -> bool:
    return bool(conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, table]
    ).fetchone()[0])


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"
