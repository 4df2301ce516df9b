-- The KPI catalogue; KPIs with a breakdown get one code per category: projects_ongoing.road.
WITH catalogue AS (
    SELECT * FROM read_csv($path, header = true, all_varchar = true)
)
SELECT c.kpi_code, c.kpi_code AS kpi_family, NULL::VARCHAR AS breakdown_code,
       c.unit, c.measure, c.aggregation, c.name_vi, c.description_en
FROM catalogue AS c
WHERE c.breakdown IS NULL
UNION ALL
SELECT c.kpi_code || '.' || d.code, c.kpi_code, d.code,
       c.unit, c.measure, c.aggregation, c.name_vi || ': ' || d.label_vi, c.description_en
FROM catalogue AS c
JOIN core.dim_code AS d ON d.code_list = c.breakdown
ORDER BY 1
