-- Criteria met per commune (criterion rows only: indicators are in core.fact_criteria_indicator),
-- named as the units in force at the quarter's end.
SELECT d.commune_name, count(*) FILTER (WHERE c.is_met) AS criteria_met
FROM core.fact_criteria_snapshot AS c
JOIN core.dim_period AS p ON p.period = c.period
JOIN core.dim_commune AS d ON d.commune_code = c.commune_code AND in_force(d.valid_from, d.valid_to, p.end_date)
WHERE c.period = $period
  AND CASE $area_level WHEN 'commune' THEN c.commune_code WHEN 'district' THEN c.district_code
                       ELSE c.province_code END = $area_code
GROUP BY d.commune_name
ORDER BY criteria_met DESC, d.commune_name COLLATE vi
