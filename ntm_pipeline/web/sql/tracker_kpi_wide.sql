-- The quarter's mart.kpi_wide rows of an area: the area's own row and those of every area
-- inside it (a province: its districts before the reform, and its communes). An area is as
-- in tracker_status.sql: $level 'commune', 'district' or 'province' and $area_code, or 'all'
-- (every row of the quarter, the country's too).
WITH period AS (
    SELECT admin_era, end_date FROM core.dim_period WHERE period = $period
),
units AS (
    SELECT d.commune_code, d.district_code, d.province_code
    FROM core.dim_commune AS d JOIN period AS p
      ON d.admin_era = p.admin_era AND in_force(d.valid_from, d.valid_to, p.end_date)
    WHERE CASE $level WHEN 'commune' THEN d.commune_code WHEN 'district' THEN d.district_code
                      WHEN 'province' THEN d.province_code ELSE '' END = $area_code
)
SELECT k.*
FROM mart.kpi_wide AS k
WHERE k.period = $period
  AND CASE k.area_level
          WHEN 'commune' THEN k.area_code IN (SELECT commune_code FROM units)
          WHEN 'district' THEN $level IN ('district', 'province', 'all')
                               AND k.area_code IN (SELECT district_code FROM units)
          WHEN 'province' THEN $level IN ('province', 'all') AND k.area_code IN (SELECT province_code FROM units)
          ELSE $level = 'all' END
ORDER BY CASE k.area_level WHEN 'national' THEN 0 WHEN 'province' THEN 1 WHEN 'district' THEN 2 ELSE 3 END,
         k.area_code
