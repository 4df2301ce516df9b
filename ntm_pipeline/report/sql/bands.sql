-- The criteria bands of the quarter's criteria set (KPI catalogue rows with criteria_set,
-- criteria_min and criteria_max), the highest first.
SELECT k.kpi_code, k.criteria_min, k.criteria_max
FROM core.dim_kpi AS k
JOIN core.dim_period AS p ON p.period = $period AND k.criteria_set = p.criteria_set
WHERE k.criteria_min IS NOT NULL
ORDER BY k.criteria_min DESC
