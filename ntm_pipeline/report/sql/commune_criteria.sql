-- The criteria of the quarter's set of each commune of $areas, met or not, with their names:
-- the criteria table of a commune's report.
WITH areas AS (SELECT unnest($areas, recursive := true))
SELECT a.area_level, a.area_code, c.criterion_no, c.criterion_name_vi, c.is_met
FROM core.fact_criteria_snapshot AS c
JOIN areas AS a ON a.area_level = 'commune' AND a.area_code = c.commune_code
WHERE c.period = $period
ORDER BY a.area_level, a.area_code, c.criterion_no
