"""The SQL every staging and fact query repeats, written once and derived from the contract.

A staging or fact SQL file is a Jinja template (Jinja is what dbt and Dagster use for SQL
templates) rendered with the contract's table; it calls these fragments, so a column added
to the contract needs no edit of the SQL's repeated parts. Templates generate SQL text
only: every value stays a bound parameter ($periods).

    {{ provenance("r") }}            the provenance columns of a raw row
    {{ unparsed_columns("r") }}      which typed columns of the row could not be read
    {{ code("ntm_title", "r.x") }}   a coded value resolved through core.dim_code_key
    {{ detail_status("t", "t.commune_code") }}
                                     a detail row's commune_known, has_submission, row_status
                                     and row_visible: what waits for its commune's header
    {{ published("s") }}             a staged row that passed: kept, not superseded, no critical finding
    {{ with_header("s") }}           the join to the commune's published header
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ntm_pipeline.contract import PROVENANCE_COLUMNS, SubmissionTable

# How a column of each kind is read from text (ntm_pipeline/sql/macros.sql).
PARSERS = {"integer": "parse_integer", "decimal": "parse_decimal", "date": "parse_date",
           "boolean": "parse_met", "period": "parse_period", "criterion": "parse_criterion"}
ROW_PROVENANCE = [c for c in PROVENANCE_COLUMNS if c != "run_id"]


def _fragments(table: SubmissionTable) -> dict:
    def provenance(alias: str) -> str:
        return ", ".join(f"{alias}.{c}" for c in ROW_PROVENANCE if table.partitioned or c != "period")

    def unparsed_columns(alias: str) -> str:
        checks = [f"unreadable({alias}.{c.name}, {PARSERS[c.kind]}({alias}.{c.name}), '{c.name}')"
                  for c in table.columns if c.kind in PARSERS]
        return "nullif(concat_ws(', ',\n        " + ",\n        ".join(checks) + "\n    ), '')"

    def code(code_list: str, expression: str) -> str:
        # The code list as one map, read once per statement (an uncorrelated subquery): a lookup
        # per row by a correlated subquery made DuckDB carry every column of the row through a join.
        return (f"coalesce((SELECT map_from_entries(list((k.key, k.code))) FROM core.dim_code_key AS k "
                f"WHERE k.code_list = '{code_list}' AND k.key IS NOT NULL)[text_key({expression})], "
                f"clean_text({expression}))")

    def detail_status(alias: str, commune: str) -> str:
        # Each test is the row's key IN a set read once (uncorrelated): a correlated EXISTS per row
        # made DuckDB carry every column of the detail rows through a join, and spill at country
        # scale. No key in the sets has a NULL (struct equality matches NULL to NULL), so a key
        # with one matches none, as `=` in the EXISTS did. The rows keep their order (a mark join
        # streams them), and the facts' sums over them add in the same order as before.
        run = "{} IN (SELECT unnest($periods))".format if table.partitioned else "{} IS NOT NULL".format
        return f"""coalesce({{'period': {alias}.period, 'commune': {commune}}} IN (
        SELECT {{'period': d.period, 'commune': c.commune_code}}
        FROM core.dim_commune AS c JOIN core.dim_period AS d ON in_force(c.valid_from, c.valid_to, d.end_date)
        WHERE {run("d.period")} AND c.commune_code IS NOT NULL), false) AS commune_known,
    -- the commune's header in the same submission (batch) counts: not superseded, no critical finding
    coalesce({{'period': {alias}.period, 'commune': {commune}, 'batch': {alias}.batch}} IN (
        SELECT {{'period': s.period, 'commune': s.commune_code, 'batch': s.batch}}
        FROM staging.submission AS s
        WHERE {run("s.period")} AND s.row_status = 'validate'
          AND s.commune_code IS NOT NULL AND s.batch IS NOT NULL
          AND NOT EXISTS (
              SELECT 1 FROM quarantine.submission AS q
              WHERE q.severity = 'critical' AND q.period = s.period AND q.source_file = s.source_file
                AND q.sheet = s.sheet AND q.row_number = s.row_number)), false) AS has_submission,
    -- its file was taken out whole, its commune's submission was replaced by a correction, or it is validated
    CASE
        WHEN coalesce({{'period': {alias}.period, 'file': {alias}.source_file}} IN (
                 SELECT {{'period': f.period, 'file': f.source_file}} FROM quarantine.source_file AS f
                 WHERE {run("f.period")} AND f.source_file IS NOT NULL), false)
            THEN 'file_quarantined'
        WHEN coalesce({{'period': {alias}.period, 'batch': {alias}.batch, 'commune': {commune}}} IN (
                 SELECT {{'period': s.period, 'batch': s.batch, 'commune': s.commune_code}} FROM staging.submission AS s
                 WHERE {run("s.period")} AND s.is_superseded AND s.batch IS NOT NULL AND s.commune_code IS NOT NULL),
                 false)
            THEN 'superseded'
        ELSE 'validate'
    END AS row_status,
    NOT {alias}.row_hidden AS row_visible"""

    def published(alias: str) -> str:
        keep = f"{alias}.period IN (SELECT unnest($periods)) AND " if table.partitioned else ""
        return f"""{keep}{alias}.row_status = 'validate'
  AND NOT EXISTS (
      SELECT 1 FROM quarantine.{table.name} AS q
      WHERE q.severity = 'critical' AND {"q.period = " + alias + ".period AND " if table.partitioned else ""}q.source_file = {alias}.source_file
        AND q.sheet = {alias}.sheet AND q.row_number = {alias}.row_number)"""

    def with_header(alias: str) -> str:
        return (f"JOIN core.fact_commune_status AS h "
                f"ON h.period = {alias}.period AND h.commune_code = {alias}.commune_code")

    return dict(provenance=provenance, unparsed_columns=unparsed_columns, code=code,
                detail_status=detail_status, published=published, with_header=with_header)


@cache
def _environment():
    import jinja2

    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


def render_sql(path: Path, table: SubmissionTable | None = None) -> str:
    """The SQL of a template for `table` (its fragments written out), or of one that loops over
    the submission tables (`tables`), such as the row reconciliation, or over the KPI
    catalogue's columns of mart.kpi_wide (`kpi_columns`, in their order there)."""
    from ntm_pipeline.contract import SUBMISSION_TABLES
    from ntm_pipeline.reference import kpi_columns

    template = _environment().from_string(path.read_text(encoding="utf-8"))
    return template.render(table=table, tables=SUBMISSION_TABLES, kpi_columns=sorted(kpi_columns()),
                           **(_fragments(table) if table else {}))
