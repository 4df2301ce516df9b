-- KPIs of the catalogue (core.dim_kpi) missing for an area that reported in the quarter: a
-- commune with a published submission, its district and its province. A district or
-- province has every KPI; a commune every `sum` KPI, and the `avg` ones when it has a
-- criteria score (towns have none). A `sum` KPI with no value counts as missing.
WITH reporting AS (
    SELECT h.period, h.commune_code, h.district_code, h.province_code,
           EXISTS (SELECT 1 FROM core.fact_criteria_snapshot AS c
                   WHERE c.period = h.period AND c.commune_code = h.commune_code) AS has_criteria_score
    FROM core.fact_commune_status AS h
    WHERE h.period IN (SELECT unnest($periods))
),
expected AS (
    SELECT r.period, 'commune' AS area_level, r.commune_code AS area_code, k.kpi_code, k.aggregation
    FROM reporting AS r JOIN core.dim_kpi AS k ON k.aggregation = 'sum' OR r.has_criteria_score
    UNION
    SELECT r.period, area.area_level, area.area_code, k.kpi_code, k.aggregation
    FROM reporting AS r
    CROSS JOIN LATERAL (VALUES ('district', r.district_code), ('province', r.province_code)) AS area (area_level, area_code)
    CROSS JOIN core.dim_kpi AS k
)
SELECT e.period, e.area_level, e.area_code, e.kpi_code,
       CASE WHEN k.kpi_code IS NULL THEN 'no row' ELSE 'no value' END AS problem
FROM expected AS e
LEFT JOIN mart.kpi_quarterly AS k USING (period, area_level, area_code, kpi_code)
WHERE k.kpi_code IS NULL OR (k.value IS NULL AND e.aggregation = 'sum')
ORDER BY e.period, e.area_level, e.area_code, e.kpi_code
