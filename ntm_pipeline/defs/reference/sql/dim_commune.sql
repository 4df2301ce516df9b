-- Commune-level units of the GSO list before the 1 July 2025 reform, as packaged in
-- vietnamadminunits. Codes are reused after the reform, so each row carries its era and
-- validity; the post-2025 units arrive as a new era.
SELECT
    wardCode AS commune_code,
    'pre_2025' AS admin_era,
    CAST(NULL AS DATE) AS valid_from,
    DATE '2025-06-30' AS valid_to,
    wardShort AS commune_name,
    ward AS commune_full_name,
    wardType AS unit_type,
    wardType = 'Xã' AS is_rural_commune,
    districtCode AS district_code,
    districtShort AS district_name,
    district AS district_full_name,
    districtType AS district_type,
    provinceCode AS province_code,
    provinceShort AS province_name,
    province AS province_full_name,
    wardLat AS latitude,
    wardLon AS longitude
FROM admin_units
ORDER BY commune_code
