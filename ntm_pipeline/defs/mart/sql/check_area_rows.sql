-- How many district, province and national rows the area-totals check compares: a check
-- that passes on no rows says so.
SELECT count(*)
FROM mart.kpi_quarterly AS k JOIN core.dim_kpi AS d USING (kpi_code)
WHERE k.period IN (SELECT unnest($periods)) AND k.area_level IN ('district', 'province', 'national')
  AND d.aggregation IN ('sum', 'avg')
