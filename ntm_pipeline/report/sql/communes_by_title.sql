-- The communes of each area of $areas holding a title or proposed for one, in the order they
-- were recognised, then by name in Vietnamese collation (Đ right after D, tones after the
-- base letter). Names are those of the units in force at the quarter's end.
WITH areas AS (SELECT unnest($areas, recursive := true))
SELECT a.area_level, a.area_code, d.commune_name, s.ntm_title, s.title_year, s.proposed_title
FROM core.fact_commune_status AS s
CROSS JOIN LATERAL (VALUES ('commune', s.commune_code), ('district', s.district_code), ('province', s.province_code))
    AS x (area_level, area_code)
JOIN areas AS a ON a.area_level = x.area_level AND a.area_code = x.area_code
JOIN core.dim_period AS p ON p.period = s.period
JOIN core.dim_commune AS d ON d.commune_code = s.commune_code AND in_force(d.valid_from, d.valid_to, p.end_date)
WHERE s.period = $period
ORDER BY a.area_level, a.area_code, s.title_year NULLS LAST, d.commune_name COLLATE vi, s.commune_code
