-- One row per project and period: status at quarter end, capital mobilised in the quarter.
SELECT
    s.period, s.commune_code, h.district_code, h.province_code,
    s.project_code, s.project_name, s.category, s.status,
    coalesce(s.capital_central_budget, 0) AS capital_central_budget,
    coalesce(s.capital_local_budget, 0) AS capital_local_budget,
    coalesce(s.capital_integrated, 0) AS capital_integrated,
    coalesce(s.capital_credit, 0) AS capital_credit,
    coalesce(s.capital_enterprise, 0) AS capital_enterprise,
    coalesce(s.capital_people, 0) AS capital_people,
    s.capital_total,
    s.source_file, s.sheet, s.row_number
FROM staging.investment AS s
{{ with_header("s") }}
WHERE {{ published("s") }}
