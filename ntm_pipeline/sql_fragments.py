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
        return (f"coalesce((SELECT k.code FROM core.dim_code_key AS k WHERE k.code_list = '{code_list}' "
                f"AND k.key = text_key({expression})), clean_text({expression}))")

    def detail_status(alias: str, commune: str) -> str:
        return f"""EXISTS (
        SELECT 1 FROM core.dim_commune AS c JOIN core.dim_period AS d ON d.period = {alias}.period
        WHERE c.commune_code = {commune} AND in_force(c.valid_from, c.valid_to, d.end_date)) AS commune_known,
    -- the commune's header in the same submission (batch) counts: not superseded, no critical finding
    EXISTS (
        SELECT 1 FROM staging.submission AS s
        WHERE s.period = {alias}.period AND s.commune_code = {commune} AND s.batch = {alias}.batch
          AND s.row_status = 'validate'
          AND NOT EXISTS (
              SELECT 1 FROM quarantine.submission AS q
              WHERE q.severity = 'critical' AND q.period = s.period AND q.source_file = s.source_file
                AND q.sheet = s.sheet AND q.row_number = s.row_number)) AS has_submission,
    -- its file was taken out whole, its commune's submission was replaced by a correction, or it is validated
    CASE
        WHEN EXISTS (SELECT 1 FROM quarantine.source_file AS f
                     WHERE f.period = {alias}.period AND f.source_file = {alias}.source_file)
            THEN 'file_quarantined'
        WHEN EXISTS (SELECT 1 FROM staging.submission AS s
                     WHERE s.period = {alias}.period AND s.batch = {alias}.batch AND s.commune_code = {commune}
                       AND s.is_superseded)
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
    the submission tables (`tables`), such as the row reconciliation."""
    from ntm_pipeline.contract import SUBMISSION_TABLES

    template = _environment().from_string(path.read_text(encoding="utf-8"))
    return template.render(table=table, tables=SUBMISSION_TABLES, **(_fragments(table) if table else {}))
