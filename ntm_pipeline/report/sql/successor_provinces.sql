-- The provinces a pre-reform province was merged into (from the crosswalk).
SELECT DISTINCT new_province_code, new_province_full_name
FROM core.dim_province_crosswalk
WHERE old_province_code = $area_code
ORDER BY new_province_code
