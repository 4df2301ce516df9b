-- Criteria met per commune of each area of $areas (criterion rows only: indicators are in
-- core.fact_criteria_indicator), named as the units in force at the quarter's end.
WITH areas AS (SELECT unnest($areas, recursive := true))
SELECT a.area_level, a.area_code, d.commune_name, count(*) FILTER (WHERE c.is_met) AS criteria_met
FROM core.fact_criteria_snapshot AS c
CROSS JOIN LATERAL (VALUES ('commune', c.commune_code), ('district', c.district_code), ('province', c.province_code))
    AS x (area_level, area_code)
JOIN areas AS a ON a.area_level = x.area_level AND a.area_code = x.area_code
JOIN core.dim_period AS p ON p.period = c.period
JOIN core.dim_commune AS d ON d.commune_code = c.commune_code AND in_force(d.valid_from, d.valid_to, p.end_date)
WHERE c.period = $period
GROUP BY a.area_level, a.area_code, d.commune_name
ORDER BY a.area_level, a.area_code, criteria_met DESC, d.commune_name COLLATE vi
