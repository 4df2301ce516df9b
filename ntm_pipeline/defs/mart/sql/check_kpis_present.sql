-- KPIs of the catalogue (core.dim_kpi) missing for an area that reported in the quarter: a
-- commune with a published submission, its district (before the 2025 reform), its province
-- and the country. The KPIs of a quarter are those without a criteria set and those of the
-- set it is scored on (core.dim_period.criteria_set). A district, province or the country
-- has every one; a commune every `sum` KPI, and the `avg` ones when it has a criteria score
-- (towns and wards have none). A `sum` KPI with no value counts as missing.
WITH reporting AS (
    SELECT h.period, h.commune_code, h.district_code, h.province_code, p.criteria_set,
           EXISTS (SELECT 1 FROM core.fact_criteria_snapshot AS c
                   WHERE c.period = h.period AND c.commune_code = h.commune_code) AS has_criteria_score
    FROM core.fact_commune_status AS h
    JOIN core.dim_period AS p ON p.period = h.period
    WHERE h.period IN (SELECT unnest($periods))
),
quarter_kpis AS (
    SELECT r.*, k.kpi_code, k.aggregation
    FROM reporting AS r
    JOIN core.dim_kpi AS k ON k.criteria_set IS NULL OR k.criteria_set = r.criteria_set
),
expected AS (
    SELECT period, 'commune' AS area_level, commune_code AS area_code, kpi_code, aggregation
    FROM quarter_kpis WHERE aggregation = 'sum' OR has_criteria_score
    UNION
    SELECT q.period, area.area_level, area.area_code, q.kpi_code, q.aggregation
    FROM quarter_kpis AS q
    CROSS JOIN LATERAL (VALUES ('district', q.district_code), ('province', q.province_code), ('national', 'VN'))
        AS area (area_level, area_code)
    WHERE area.area_code IS NOT NULL
)
SELECT e.period, e.area_level, e.area_code, e.kpi_code,
       CASE WHEN k.kpi_code IS NULL THEN 'no row' ELSE 'no value' END AS problem
FROM expected AS e
LEFT JOIN mart.kpi_quarterly AS k USING (period, area_level, area_code, kpi_code)
WHERE k.kpi_code IS NULL OR (k.value IS NULL AND e.aggregation = 'sum')
ORDER BY e.period, e.area_level, e.area_code, e.kpi_code
