-- The districts and provinces of a quarter's KPI table: the areas whose report is written.
SELECT DISTINCT area_level, area_code
FROM mart.kpi_quarterly
WHERE period = $period AND area_level IN ('district', 'province')
ORDER BY 1, 2
