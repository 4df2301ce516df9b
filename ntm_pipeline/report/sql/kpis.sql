SELECT kpi_code, value, value_prev_year, yoy_delta, target
FROM mart.kpi_quarterly
WHERE period = $period AND area_level = $area_level AND area_code = $area_code
