-- The area's name, its label with its unit type (Huyện Kim Bôi, Tỉnh Hòa Bình) and its province.
SELECT DISTINCT
    CASE $area_level WHEN 'district' THEN district_name ELSE province_name END AS area_name,
    province_name,
    CASE $area_level WHEN 'district' THEN district_full_name ELSE province_full_name END AS area_label
FROM core.dim_commune
WHERE CASE $area_level WHEN 'district' THEN district_code ELSE province_code END = $area_code
