-- The areas whose report is written for a quarter, from its KPI table: the districts and
-- provinces; in an era without districts (from 1 July 2025) the provinces and every commune
-- that reported in the quarter, the commune being the local level that reports.
SELECT DISTINCT k.area_level, k.area_code
FROM mart.kpi_quarterly AS k
JOIN core.dim_period AS p ON p.period = k.period
LEFT JOIN core.dim_admin_era AS e ON e.admin_era = p.admin_era
WHERE k.period = $period
  AND (k.area_level IN ('district', 'province')
       OR (k.area_level = 'commune' AND e.has_districts = false AND k.communes_reporting > 0))
ORDER BY 1, 2
