"""Staging layer: raw text typed and normalised, codes resolved, nothing dropped yet.

Decimal commas, dd/mm/yyyy dates, "x"/"đạt"/"1" for met, NFD names and "Hoà" spellings
are all read here, in SQL (see ntm_pipeline/sql/macros.sql). Each row keeps its file,
sheet and row number, and gains the helper columns the validation rules test.

The header table is staged first; a detail table's rows wait for their commune's header
(its findings and the files taken out whole), as the contract's `waits_for_header` says.
"""

from pathlib import Path

from ntm_pipeline.contract import ALL_TABLES, SUBMISSION, SubmissionTable, column_descriptions
from ntm_pipeline.defs import keys
from ntm_pipeline.defs.sql_asset import sql_table

SQL = Path(__file__).parent / "sql"
REFERENCE_DEPS = [keys.core(n) for n in ("dim_code_key", "dim_commune", "dim_period")]
EXTRA_DEPS = {
    # the crosswalk says what a unit of another era became; dim_code which codes a quarter has
    "submission": [keys.core("dim_commune_alias"), keys.core("dim_criteria_set"), keys.core("dim_commune_crosswalk"),
                   keys.core("dim_code"), keys.key("raw.criteria")],
    "criteria": [keys.core("dim_criterion"), keys.core("dim_criterion_indicator"), keys.core("dim_criteria_set")],
    "ocop_product": [keys.core("dim_ocop_star_band")],
    "target": [keys.core("dim_kpi"), keys.core("dim_admin_era")],
}
# What a detail table waits for: its commune's header, checked, and the files taken out whole.
HEADER_DEPS = [keys.staging(SUBMISSION), keys.quarantine(SUBMISSION), keys.QUARANTINED_FILES]


def _staging_asset(table: SubmissionTable):
    return sql_table(
        keys.staging(table), SQL / f"{table.name}.sql",
        description=f"{table.description} Typed and normalised from raw.{table.name}; "
        "every row is kept, with its file, sheet and row number, for validation.",
        deps=[keys.raw(table), *REFERENCE_DEPS, *EXTRA_DEPS.get(table.name, []),
              *(HEADER_DEPS if table.waits_for_header else [])],
        partitioned=table.partitioned,
        descriptions=column_descriptions(table),
        lineage_from=[keys.raw(table)],
        template_for=table,
    )


staging_assets = [_staging_asset(t) for t in ALL_TABLES]
