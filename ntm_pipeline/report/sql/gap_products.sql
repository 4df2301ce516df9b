SELECT standard, list(DISTINCT product ORDER BY product COLLATE vi) AS products
FROM core.fact_certified_area
WHERE period = $period AND certified_area_ha > 0
  AND CASE $area_level WHEN 'commune' THEN commune_code WHEN 'district' THEN district_code
                       ELSE province_code END = $area_code
GROUP BY standard
