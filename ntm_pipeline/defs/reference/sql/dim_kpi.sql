-- The KPI catalogue; KPIs with a breakdown get one code per category: projects_ongoing.road.
-- across_reform says how a KPI compares across the 2025 reform (additive: carried through the
-- crosswalk; not_comparable), across_criteria_sets how it compares between quarters scored on
-- two criteria sets. A KPI with a criteria_set exists only in quarters scored on that set; a
-- band KPI counts the rural communes not yet NTM meeting criteria_min to criteria_max criteria.
WITH catalogue AS (
    SELECT * FROM read_csv($path, header = true, all_varchar = true)
),
expanded AS (
    SELECT c.*, c.kpi_code AS kpi_family, NULL::VARCHAR AS breakdown_code, c.name_vi AS full_name_vi
    FROM catalogue AS c
    WHERE c.breakdown IS NULL
    UNION ALL
    SELECT c.* REPLACE (c.kpi_code || '.' || d.code AS kpi_code), c.kpi_code, d.code, c.name_vi || ': ' || d.label_vi
    FROM catalogue AS c
    JOIN core.dim_code AS d ON d.code_list = c.breakdown
)
SELECT kpi_code, kpi_family, breakdown_code, unit, measure, aggregation, full_name_vi AS name_vi, description_en,
       across_reform, across_criteria_sets, criteria_set,
       CAST(criteria_min AS INTEGER) AS criteria_min, CAST(criteria_max AS INTEGER) AS criteria_max
FROM expanded
ORDER BY 1
