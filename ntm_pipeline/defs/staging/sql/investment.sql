-- Investment projects, typed: capital by source in million VND.
WITH typed AS (
    SELECT
        {{ provenance("r") }},
        commune_code(r.commune_code) AS commune_code,
        clean_text(r.project_code) AS project_code,
        vn_label(r.project_name) AS project_name,
        {{ code("project_category", "r.category") }} AS category,
        {{ code("project_status", "r.status") }} AS status,
        parse_decimal(r.capital_central_budget) AS capital_central_budget,
        parse_decimal(r.capital_local_budget) AS capital_local_budget,
        parse_decimal(r.capital_integrated) AS capital_integrated,
        parse_decimal(r.capital_credit) AS capital_credit,
        parse_decimal(r.capital_enterprise) AS capital_enterprise,
        parse_decimal(r.capital_people) AS capital_people,
        parse_decimal(r.capital_total) AS capital_total_reported,
        {{ unparsed_columns("r") }} AS unparsed_columns
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
    {{ detail_status("t", "t.commune_code") }},
    t.unparsed_columns
FROM typed AS t
