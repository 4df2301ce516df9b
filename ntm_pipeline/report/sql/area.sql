SELECT DISTINCT
    CASE $area_level WHEN 'district' THEN district_name ELSE province_name END AS area_name,
    province_name
FROM core.dim_commune
WHERE CASE $area_level WHEN 'district' THEN district_code ELSE province_code END = $area_code
