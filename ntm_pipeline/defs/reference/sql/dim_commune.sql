-- Commune-level units of both administrative eras, as packaged in vietnamadminunits: the GSO
-- list before the 1 July 2025 reform (admin_units_legacy: 63 provinces, with districts) and
-- the list after it (admin_units: 34 provinces, no districts). Codes were reused, so a code
-- names a unit only together with a day: each row carries its era and the era's validity
-- (core.dim_admin_era), and every lookup joins on code AND in_force(valid_from, valid_to, day).
WITH units AS (
    SELECT 'admin_units_legacy' AS source_table,
           wardCode AS commune_code, wardShort AS commune_name, ward AS commune_full_name,
           wardType AS unit_type,
           districtCode AS district_code, districtShort AS district_name, district AS district_full_name,
           districtType AS district_type,
           provinceCode AS province_code, provinceShort AS province_name, province AS province_full_name,
           wardLat AS latitude, wardLon AS longitude, CAST(NULL AS DOUBLE) AS area_km2  -- no areas before 2025
    FROM admin_units_legacy
    UNION ALL
    SELECT 'admin_units',
           wardCode, wardShort, ward,
           wardType,
           NULL, NULL, NULL,
           NULL,
           provinceCode, provinceShort, province,
           wardLat, wardLon, wardAreaKm2
    FROM admin_units
)
SELECT
    u.commune_code,
    e.admin_era,
    e.valid_from,
    e.valid_to,
    u.commune_name,
    u.commune_full_name,
    u.unit_type,
    u.unit_type = 'Xã' AS is_rural_commune,
    u.district_code,
    u.district_name,
    u.district_full_name,
    u.district_type,
    u.province_code,
    u.province_name,
    u.province_full_name,
    CAST(u.latitude AS DOUBLE) AS latitude,
    CAST(u.longitude AS DOUBLE) AS longitude,
    CAST(u.area_km2 AS DOUBLE) AS area_km2
FROM units AS u
JOIN core.dim_admin_era AS e ON e.source_table = u.source_table
ORDER BY u.commune_code, e.valid_from NULLS FIRST
