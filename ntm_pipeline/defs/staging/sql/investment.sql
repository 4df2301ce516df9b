-- Investment projects, typed: capital by source in million VND.
WITH typed AS (
    SELECT
        r.period, r.source_file, r.file_hash, r.batch, r.sheet, r.row_number, r.row_hidden,
        commune_code(r.commune_code) AS commune_code,
        clean_text(r.project_code) AS project_code,
        vn_label(r.project_name) AS project_name,
        resolve_code('project_category', r.category) AS category,
        resolve_code('project_status', r.status) AS status,
        parse_decimal(r.capital_central_budget) AS capital_central_budget,
        parse_decimal(r.capital_local_budget) AS capital_local_budget,
        parse_decimal(r.capital_integrated) AS capital_integrated,
        parse_decimal(r.capital_credit) AS capital_credit,
        parse_decimal(r.capital_enterprise) AS capital_enterprise,
        parse_decimal(r.capital_people) AS capital_people,
        parse_decimal(r.capital_total) AS capital_total_reported,
        nullif(concat_ws(', ',
            unreadable(r.capital_central_budget, parse_decimal(r.capital_central_budget), 'capital_central_budget'),
            unreadable(r.capital_local_budget, parse_decimal(r.capital_local_budget), 'capital_local_budget'),
            unreadable(r.capital_integrated, parse_decimal(r.capital_integrated), 'capital_integrated'),
            unreadable(r.capital_credit, parse_decimal(r.capital_credit), 'capital_credit'),
            unreadable(r.capital_enterprise, parse_decimal(r.capital_enterprise), 'capital_enterprise'),
            unreadable(r.capital_people, parse_decimal(r.capital_people), 'capital_people'),
            unreadable(r.capital_total, parse_decimal(r.capital_total), 'capital_total')
        ), '') AS unparsed_columns
    FROM raw.investment AS r
    WHERE r.period IN (SELECT unnest($periods))
)
SELECT
    t.* EXCLUDE (unparsed_columns),
    coalesce(t.capital_central_budget, 0) + coalesce(t.capital_local_budget, 0)
        + coalesce(t.capital_integrated, 0) + coalesce(t.capital_credit, 0)
        + coalesce(t.capital_enterprise, 0) + coalesce(t.capital_people, 0) AS capital_total,
    t.capital_total_reported IS NULL OR abs(t.capital_total_reported - (
        coalesce(t.capital_central_budget, 0) + coalesce(t.capital_local_budget, 0)
        + coalesce(t.capital_integrated, 0) + coalesce(t.capital_credit, 0)
        + coalesce(t.capital_enterprise, 0) + coalesce(t.capital_people, 0))) <= 1 AS capital_total_matches,
    commune_known(t.commune_code, t.period) AS commune_known,
    has_valid_header(t.period, t.commune_code, t.batch) AS has_submission,
    detail_row_status(t.period, t.source_file, t.batch, t.commune_code) AS row_status,
    NOT t.row_hidden AS row_visible,
    t.unparsed_columns
FROM typed AS t
