-- Each area's (of $areas) name, its label with its unit type (Xã Kim Bôi, Huyện Kim Bôi, Tỉnh
-- Phú Thọ) and its province, from the units in force on the quarter's last day: a reused code
-- (04978 is Thị trấn Bo to 30/06/2025, Xã Kim Bôi after) names the unit of the report's quarter.
WITH areas AS (SELECT unnest($areas, recursive := true))
SELECT DISTINCT a.area_level, a.area_code,
    CASE a.area_level WHEN 'commune' THEN d.commune_name WHEN 'district' THEN d.district_name
                      ELSE d.province_name END AS area_name,
    d.province_name,
    CASE a.area_level WHEN 'commune' THEN d.commune_full_name WHEN 'district' THEN d.district_full_name
                      ELSE d.province_full_name END AS area_label
FROM core.dim_commune AS d
JOIN core.dim_period AS p ON p.period = $period AND in_force(d.valid_from, d.valid_to, p.end_date)
CROSS JOIN LATERAL (VALUES ('commune', d.commune_code), ('district', d.district_code), ('province', d.province_code))
    AS x (area_level, area_code)
JOIN areas AS a ON a.area_level = x.area_level AND a.area_code = x.area_code
