-- How many of the commune-level units of each area of $areas had a submission published, per
-- quarter, each quarter's units being those in force at its end.
WITH areas AS (SELECT unnest($areas, recursive := true))
SELECT a.area_level, a.area_code, s.period, count(DISTINCT s.commune_code) AS communes_reporting
FROM core.fact_commune_status AS s
JOIN core.dim_period AS p ON p.period = s.period
JOIN core.dim_commune AS d ON d.commune_code = s.commune_code AND in_force(d.valid_from, d.valid_to, p.end_date)
CROSS JOIN LATERAL (VALUES ('commune', d.commune_code), ('district', d.district_code), ('province', d.province_code))
    AS x (area_level, area_code)
JOIN areas AS a ON a.area_level = x.area_level AND a.area_code = x.area_code
GROUP BY a.area_level, a.area_code, s.period
ORDER BY a.area_level, a.area_code, s.period
