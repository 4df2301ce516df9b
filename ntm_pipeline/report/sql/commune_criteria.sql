-- A commune's criteria of the quarter's set, met or not, with their names: the criteria
-- table of a commune's report.
SELECT c.criterion_no, c.criterion_name_vi, c.is_met
FROM core.fact_criteria_snapshot AS c
WHERE c.period = $period AND c.commune_code = $area_code
ORDER BY c.criterion_no
