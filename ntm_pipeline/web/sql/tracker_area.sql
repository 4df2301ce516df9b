-- The unit a GSO code names in a quarter's era: a commune (5 digits), a district (3, before
-- 1 July 2025 only) or a province (2), with the district and province it belongs to; no row
-- when the code names no unit of that era (a district after the reform, a merged commune).
WITH period AS (
    SELECT admin_era, end_date FROM core.dim_period WHERE period = $period
),
units AS (
    SELECT d.* FROM core.dim_commune AS d JOIN period AS p
      ON d.admin_era = p.admin_era AND in_force(d.valid_from, d.valid_to, p.end_date)
)
SELECT 'commune' AS level, commune_code AS code, commune_full_name AS name, district_code, province_code
FROM units WHERE length($code) = 5 AND commune_code = $code
UNION ALL
SELECT DISTINCT 'district', district_code, district_full_name, district_code, province_code
FROM units WHERE length($code) = 3 AND district_code = $code
UNION ALL
SELECT DISTINCT 'province', province_code, province_full_name, NULL, province_code
FROM units WHERE length($code) = 2 AND province_code = $code
