-- The run summary's headline KPIs for its latest quarter: by district up to 2025-Q2, by
-- province after the reform (its era has no districts), with last year and the target.
WITH level AS (
    SELECT CASE WHEN e.has_districts THEN 'district' ELSE 'province' END AS area_level
    FROM core.dim_period AS p JOIN core.dim_admin_era AS e USING (admin_era)
    WHERE p.period = $period
)
SELECT k.area_level, k.area_name, k.kpi_code, k.value, k.value_prev_year, k.target, k.unit
FROM mart.kpi_quarterly AS k JOIN level USING (area_level)
WHERE k.period = $period AND k.kpi_code IN (SELECT unnest($kpis))
ORDER BY k.area_code, array_position($kpis, k.kpi_code)
