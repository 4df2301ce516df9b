-- Every commune-level unit of the area in the GSO list (xã, phường and thị trấn alike), with
-- whether its submission for the quarter was published and the earlier quarters of the year
-- it was published for: a unit that reported in Q1 and not in Q2 is named, not hidden.
-- Districts and units by name in Vietnamese collation.
WITH report AS (
    SELECT year, quarter FROM core.dim_period WHERE period = $period
),
reported AS (
    SELECT s.commune_code,
           bool_or(s.period = $period) AS this_quarter,
           list(DISTINCT p.quarter ORDER BY p.quarter) FILTER (WHERE s.period <> $period) AS earlier_quarters
    FROM core.fact_commune_status AS s
    JOIN core.dim_period AS p ON p.period = s.period
    JOIN report AS r ON p.year = r.year AND p.quarter <= r.quarter
    GROUP BY s.commune_code
)
SELECT d.district_code, d.district_full_name, d.commune_code, d.commune_name, d.unit_type,
       coalesce(r.this_quarter, false) AS reported,
       coalesce(r.earlier_quarters, []) AS earlier_quarters
FROM core.dim_commune AS d
LEFT JOIN reported AS r ON r.commune_code = d.commune_code
WHERE d.admin_era = 'pre_2025' AND d.commune_code IS NOT NULL
  AND CASE $area_level WHEN 'district' THEN d.district_code ELSE d.province_code END = $area_code
ORDER BY d.district_name COLLATE vi, d.district_code, d.commune_name COLLATE vi
