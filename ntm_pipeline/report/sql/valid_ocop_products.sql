-- The area's certified OCOP products valid at quarter end, for the report's table (from mart.ocop_register).
SELECT commune_name, product_name, stars, producer, certified_on, certificate_expires_on
FROM mart.ocop_register
WHERE period = $period
  AND CASE $area_level WHEN 'commune' THEN commune_code WHEN 'district' THEN district_code
                       ELSE province_code END = $area_code
ORDER BY stars DESC, product_name COLLATE vi
