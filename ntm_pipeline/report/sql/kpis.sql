-- The area's KPIs of the quarter, with how each compares with the same quarter last year
-- (yoy_basis) and the KPI's unit and name.
SELECT k.kpi_code, k.value, k.value_prev_year, k.yoy_delta, k.target, d.unit, k.yoy_basis, d.name_vi
FROM mart.kpi_quarterly AS k
LEFT JOIN core.dim_kpi AS d ON d.kpi_code = k.kpi_code
WHERE k.period = $period AND k.area_level = $area_level AND k.area_code = $area_code
