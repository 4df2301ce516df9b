-- Every commune-level unit of each area of $areas in force at the quarter's end (xã, phường,
-- thị trấn, đặc khu alike), with whether its submission for the quarter was published and the
-- earlier quarters of the year it was published for: a unit that reported in Q1 and not in Q2
-- is named, not hidden. An earlier quarter counts only while the same unit was in force (after
-- the 2025 reform a reused code is another unit: Xã Kim Bôi did not report for Thị trấn Bo).
-- Districts (before the reform) and units by name in Vietnamese collation.
WITH report AS (
    SELECT year, quarter, end_date FROM core.dim_period WHERE period = $period
),
areas AS (SELECT unnest($areas, recursive := true)),
units AS (
    SELECT d.*
    FROM core.dim_commune AS d, report AS r
    WHERE in_force(d.valid_from, d.valid_to, r.end_date) AND d.commune_code IS NOT NULL
),
reported AS (
    SELECT u.commune_code,
           bool_or(s.period = $period) AS this_quarter,
           list(DISTINCT p.quarter ORDER BY p.quarter) FILTER (WHERE s.period <> $period) AS earlier_quarters
    FROM units AS u
    JOIN core.fact_commune_status AS s ON s.commune_code = u.commune_code
    JOIN core.dim_period AS p ON p.period = s.period AND in_force(u.valid_from, u.valid_to, p.end_date)
    JOIN report AS r ON p.year = r.year AND p.quarter <= r.quarter
    GROUP BY u.commune_code
)
SELECT a.area_level, a.area_code,
       u.district_code, u.district_full_name, u.commune_code, u.commune_name, u.unit_type,
       coalesce(r.this_quarter, false) AS reported,
       coalesce(r.earlier_quarters, []) AS earlier_quarters,
       u.commune_full_name
FROM units AS u
CROSS JOIN LATERAL (VALUES ('commune', u.commune_code), ('district', u.district_code), ('province', u.province_code))
    AS x (area_level, area_code)
JOIN areas AS a ON a.area_level = x.area_level AND a.area_code = x.area_code
LEFT JOIN reported AS r ON r.commune_code = u.commune_code
ORDER BY a.area_level, a.area_code, u.district_name COLLATE vi, u.district_code, u.commune_name COLLATE vi, u.commune_code
