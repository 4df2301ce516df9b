-- What is wrong with core.dim_province_crosswalk: a province of the list in force on 30/06/2025
-- merged into no or several new provinces, one of 01/07/2025 that no old province reaches, or
-- a commune crosswalk pair whose provinces are not a merged pair (a unit that left its
-- province: then provinces were not merged whole and a weight of 1 would be wrong).
WITH old_provinces AS (
    SELECT DISTINCT province_code, province_full_name FROM core.dim_commune
    WHERE in_force(valid_from, valid_to, DATE '2025-06-30')
),
new_provinces AS (
    SELECT DISTINCT province_code, province_full_name FROM core.dim_commune
    WHERE in_force(valid_from, valid_to, DATE '2025-07-01')
)
SELECT 'old province: not merged into exactly one new province' AS problem, o.province_code, o.province_full_name,
       count(p.new_province_code) AS detail
FROM old_provinces AS o
LEFT JOIN core.dim_province_crosswalk AS p ON p.old_province_code = o.province_code
GROUP BY ALL
HAVING count(p.new_province_code) <> 1
UNION ALL
SELECT 'new province: reached by no old province', n.province_code, n.province_full_name, NULL
FROM new_provinces AS n
WHERE n.province_code NOT IN (SELECT new_province_code FROM core.dim_province_crosswalk)
UNION ALL
SELECT 'commune pair: provinces not a merged pair', x.old_commune_code, x.old_commune_full_name,
       count(*) OVER ()
FROM core.dim_commune_crosswalk AS x
LEFT JOIN core.dim_province_crosswalk AS p USING (old_province_code, new_province_code)
WHERE p.old_province_code IS NULL
ORDER BY 1, 2
