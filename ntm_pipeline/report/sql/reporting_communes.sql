-- A province's commune-level units in force at the quarter's end that reported in it, by code.
SELECT d.commune_code
FROM core.dim_commune AS d
JOIN core.dim_period AS p ON p.period = $period AND in_force(d.valid_from, d.valid_to, p.end_date)
JOIN core.fact_commune_status AS s ON s.period = p.period AND s.commune_code = d.commune_code
WHERE d.province_code = $area_code
ORDER BY d.commune_code
