-- The KPIs of the quarter of each area of $areas (area_level, area_code), with how each
-- compares with the same quarter last year (yoy_basis) and the KPI's unit and name.
WITH areas AS (SELECT unnest($areas, recursive := true))
SELECT k.area_level, k.area_code,
       k.kpi_code, k.value, k.value_prev_year, k.yoy_delta, k.target, d.unit, k.yoy_basis, d.name_vi
FROM mart.kpi_quarterly AS k
JOIN areas AS a ON a.area_level = k.area_level AND a.area_code = k.area_code
LEFT JOIN core.dim_kpi AS d ON d.kpi_code = k.kpi_code
WHERE k.period = $period
ORDER BY k.area_level, k.area_code, k.kpi_code
