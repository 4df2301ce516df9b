SELECT d.commune_name, count(*) FILTER (WHERE c.is_met) AS criteria_met
FROM core.fact_criteria_snapshot AS c
JOIN core.dim_commune AS d ON d.commune_code = c.commune_code AND d.admin_era = 'pre_2025'
WHERE c.period = $period
  AND CASE $area_level WHEN 'district' THEN c.district_code ELSE c.province_code END = $area_code
GROUP BY d.commune_name
ORDER BY criteria_met DESC, d.commune_name COLLATE vi
