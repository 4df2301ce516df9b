-- The certified OCOP products valid at quarter end of each area of $areas, for the report's
-- table (from mart.ocop_register).
WITH areas AS (SELECT unnest($areas, recursive := true))
SELECT a.area_level, a.area_code, o.commune_name, o.product_name, o.stars, o.producer, o.certified_on,
       o.certificate_expires_on
FROM mart.ocop_register AS o
CROSS JOIN LATERAL (VALUES ('commune', o.commune_code), ('district', o.district_code), ('province', o.province_code))
    AS x (area_level, area_code)
JOIN areas AS a ON a.area_level = x.area_level AND a.area_code = x.area_code
WHERE o.period = $period
ORDER BY a.area_level, a.area_code, o.stars DESC, o.product_name COLLATE vi, o.certified_on,
         o.commune_name COLLATE vi, o.producer
