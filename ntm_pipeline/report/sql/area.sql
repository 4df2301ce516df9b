-- The area's name, its label with its unit type (Xã Kim Bôi, Huyện Kim Bôi, Tỉnh Phú Thọ) and
-- its province, from the units in force on the quarter's last day: a reused code (04978 is
-- Thị trấn Bo to 30/06/2025, Xã Kim Bôi after) names the unit of the report's quarter.
SELECT DISTINCT
    CASE $area_level WHEN 'commune' THEN d.commune_name WHEN 'district' THEN d.district_name
                     ELSE d.province_name END AS area_name,
    d.province_name,
    CASE $area_level WHEN 'commune' THEN d.commune_full_name WHEN 'district' THEN d.district_full_name
                     ELSE d.province_full_name END AS area_label
FROM core.dim_commune AS d
JOIN core.dim_period AS p ON p.period = $period AND in_force(d.valid_from, d.valid_to, p.end_date)
WHERE CASE $area_level WHEN 'commune' THEN d.commune_code WHEN 'district' THEN d.district_code
                       ELSE d.province_code END = $area_code
