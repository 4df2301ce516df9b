-- Every pre-reform unit -> the post-reform unit(s) it became, from the package's conversion
-- data (data/converter_2025.json, $converter) and its two unit tables. The JSON names units
-- by normalised keys ('tinhhoabinh_huyenkimboi_xakimlap'): an old unit by its province,
-- district and commune keys, a new one by its province and commune keys; the unit tables map
-- them to codes, exactly (a key is the package's own, accents and all).
--   DICT_PROVINCE_WARD_NO_DIVIDED: new province -> new unit -> the old units taken into it whole.
--   DICT_PROVINCE_WARD_DIVIDED: old unit -> the new units it was divided among, each with its
--     area and whether it is the default successor; a divided unit is in this list only.
-- An old unit's weights sum to 1: 1 for a unit taken whole; for a divided one, each new unit's
-- share of the summed areas of the new units it went to (the package gives no area of the
-- parts, so the split is estimated), or, when an area is missing or zero, 1 for the default
-- successor and 0 for the others (the package's own choice for an address it cannot place).
-- Weights are computed before keys are resolved, so a key that names no unit leaves its old
-- unit short of 1 or unmapped: the asset's checks report it.
WITH doc AS (
    SELECT json AS j FROM read_json_objects($converter)
),
taken_whole AS (
    SELECT p.key AS new_province_key, w.key AS new_ward_key, o.value ->> '$' AS old_key,
           true AS is_main_successor, 1.0 AS weight, false AS split_estimated
    FROM doc,
         json_each(doc.j, '$.DICT_PROVINCE_WARD_NO_DIVIDED') AS p,
         json_each(p.value) AS w,
         json_each(w.value) AS o
),
parts AS (
    SELECT p.key AS new_province_key, o.key AS old_key, n.value ->> 'newWardKey' AS new_ward_key,
           CAST(n.value -> 'isDefaultNewWard' AS BOOLEAN) AS is_main_successor,
           CAST(n.value -> 'newWardAreaKm2' AS DOUBLE) AS area_km2
    FROM doc,
         json_each(doc.j, '$.DICT_PROVINCE_WARD_DIVIDED') AS p,
         json_each(p.value) AS o,
         json_each(o.value) AS n
),
divided AS (
    SELECT new_province_key, new_ward_key, old_key, is_main_successor,
           CASE WHEN bool_and(coalesce(area_km2, 0) > 0) OVER (PARTITION BY old_key)
                THEN area_km2 / sum(area_km2) OVER (PARTITION BY old_key)
                ELSE CAST(is_main_successor AS DOUBLE) END AS weight,
           true AS split_estimated
    FROM parts
),
pairs AS (
    SELECT new_province_key, new_ward_key, old_key, is_main_successor, weight, split_estimated FROM taken_whole
    UNION ALL
    SELECT new_province_key, new_ward_key, old_key, is_main_successor, weight, split_estimated FROM divided
),
old_units AS (
    -- the five island districts with no commune have an empty commune key (and no code)
    SELECT provinceKey || '_' || districtKey || '_' || coalesce(wardKey, '') AS old_key,
           wardCode, ward, districtCode, provinceCode
    FROM admin_units_legacy
)
SELECT
    o.wardCode AS old_commune_code,
    o.ward AS old_commune_full_name,
    o.districtCode AS old_district_code,
    o.provinceCode AS old_province_code,
    n.wardCode AS new_commune_code,
    n.ward AS new_commune_full_name,
    n.provinceCode AS new_province_code,
    CAST(x.weight AS DOUBLE) AS weight,
    x.split_estimated,
    x.is_main_successor
FROM pairs AS x
JOIN old_units AS o ON o.old_key = x.old_key
JOIN admin_units AS n ON n.provinceKey = x.new_province_key AND n.wardKey = x.new_ward_key
ORDER BY o.districtCode, old_commune_code, new_commune_code
