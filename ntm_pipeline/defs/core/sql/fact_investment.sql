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
JOIN core.fact_commune_status AS h ON h.period = s.period AND h.commune_code = s.commune_code
WHERE s.period IN (SELECT unnest($periods)) AND s.row_status = 'validate'
  AND NOT EXISTS (
      SELECT 1 FROM quarantine.investment AS q
      WHERE q.severity = 'critical' AND q.period = s.period AND q.source_file = s.source_file
        AND q.sheet = s.sheet AND q.row_number = s.row_number)
