-- OCOP ratings of 3 stars or more decided in a year, from the quarter's register: by stars,
-- then in the order they were decided, then by name in Vietnamese collation.
SELECT o.product_name, o.stars, o.event_type, o.decision_date
FROM core.fact_ocop_rating AS o
WHERE o.period = $period AND o.is_certified_ocop AND year(o.decision_date) = $year
  AND CASE $area_level WHEN 'commune' THEN o.commune_code WHEN 'district' THEN o.district_code
                       ELSE o.province_code END = $area_code
ORDER BY o.stars DESC, o.decision_date, o.product_name COLLATE vi
