-- What is wrong with core.dim_commune_crosswalk, one row per unit: a unit of the list in force
-- on 30/06/2025 whose weights do not sum to 1 (unmapped, or a key of the package's data that
-- names no unit), one without exactly one main successor, or a unit of the list in force on
-- 01/07/2025 that no old unit reaches. The five island districts with no commune are units
-- of their own (no code; their district's).
WITH old_units AS (
    SELECT commune_code, district_code, coalesce(commune_full_name, district_full_name) AS unit_name
    FROM core.dim_commune
    WHERE in_force(valid_from, valid_to, DATE '2025-06-30')
),
new_units AS (
    SELECT commune_code, commune_full_name AS unit_name
    FROM core.dim_commune
    WHERE in_force(valid_from, valid_to, DATE '2025-07-01')
),
mapped AS (
    SELECT old_commune_code, old_district_code, sum(weight) AS weight,
           count(*) FILTER (WHERE is_main_successor) AS main_successors
    FROM core.dim_commune_crosswalk
    GROUP BY ALL
)
SELECT 'old unit: weights do not sum to 1' AS problem, o.commune_code, o.district_code, o.unit_name,
       coalesce(m.weight, 0) AS detail
FROM old_units AS o
LEFT JOIN mapped AS m ON m.old_commune_code IS NOT DISTINCT FROM o.commune_code AND m.old_district_code = o.district_code
WHERE abs(coalesce(m.weight, 0) - 1) > 1e-9
UNION ALL
SELECT 'old unit: not exactly one main successor', o.commune_code, o.district_code, o.unit_name, m.main_successors
FROM old_units AS o
JOIN mapped AS m ON m.old_commune_code IS NOT DISTINCT FROM o.commune_code AND m.old_district_code = o.district_code
WHERE m.main_successors <> 1
UNION ALL
SELECT 'new unit: reached by no old unit', n.commune_code, NULL, n.unit_name, NULL
FROM new_units AS n
WHERE NOT EXISTS (SELECT 1 FROM core.dim_commune_crosswalk AS x WHERE x.new_commune_code = n.commune_code)
ORDER BY 1, 2, 3
