-- Every pre-reform province -> the post-reform province it was merged into (DICT_PROVINCE of
-- the package's data/converter_2025.json, $converter: new province key -> old province keys).
-- Provinces were merged whole, so each weight is 1; the asset's check holds every commune
-- crosswalk pair to these provinces.
WITH merged AS (
    SELECT p.key AS new_province_key, o.value ->> '$' AS old_province_key
    FROM read_json_objects($converter) AS doc,
         json_each(doc.json, '$.DICT_PROVINCE') AS p,
         json_each(p.value) AS o
),
old_provinces AS (SELECT DISTINCT provinceKey, provinceCode, province FROM admin_units_legacy),
new_provinces AS (SELECT DISTINCT provinceKey, provinceCode, province FROM admin_units)
SELECT
    o.provinceCode AS old_province_code,
    o.province AS old_province_full_name,
    n.provinceCode AS new_province_code,
    n.province AS new_province_full_name,
    1.0::DOUBLE AS weight
FROM merged AS m
JOIN old_provinces AS o ON o.provinceKey = m.old_province_key
JOIN new_provinces AS n ON n.provinceKey = m.new_province_key
ORDER BY old_province_code
