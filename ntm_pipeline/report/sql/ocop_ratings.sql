-- OCOP ratings of 3 stars or more decided in the report's year or the year before, from the
-- quarter's register of each area of $areas: by stars, then in the order they were decided,
-- then by name in Vietnamese collation.
WITH areas AS (SELECT unnest($areas, recursive := true))
SELECT a.area_level, a.area_code, o.product_name, o.stars, o.event_type, o.decision_date
FROM core.fact_ocop_rating AS o
CROSS JOIN LATERAL (VALUES ('commune', o.commune_code), ('district', o.district_code), ('province', o.province_code))
    AS x (area_level, area_code)
JOIN areas AS a ON a.area_level = x.area_level AND a.area_code = x.area_code
WHERE o.period = $period AND o.is_certified_ocop AND year(o.decision_date) IN ($year - 1, $year)
ORDER BY a.area_level, a.area_code, o.stars DESC, o.decision_date, o.product_name COLLATE vi,
         o.commune_code, o.product_code
