-- What is grown on each area's certified plots (of $areas), by standard, in Vietnamese collation.
WITH areas AS (SELECT unnest($areas, recursive := true))
SELECT a.area_level, a.area_code, g.standard, list(DISTINCT g.product ORDER BY g.product COLLATE vi) AS products
FROM core.fact_certified_area AS g
CROSS JOIN LATERAL (VALUES ('commune', g.commune_code), ('district', g.district_code), ('province', g.province_code))
    AS x (area_level, area_code)
JOIN areas AS a ON a.area_level = x.area_level AND a.area_code = x.area_code
WHERE g.period = $period AND g.certified_area_ha > 0
GROUP BY a.area_level, a.area_code, g.standard
ORDER BY a.area_level, a.area_code, g.standard
