-- KPIs of the catalogue (core.dim_kpi) missing for an area that reported in the quarter: a
-- commune with a published submission, its district (before the 2025 reform), its province
-- and the country. The KPIs of a quarter are those without a criteria set and those of the
-- set it is scored on (core.dim_period.criteria_set). A district, province or the country
-- has every one; a commune every `sum` KPI, and the `avg` ones when it has a criteria score
-- (towns and wards have none). A `sum` KPI with no value counts as missing.
--
-- Each area's KPIs are counted first, and compared one by one only in an area short of what
-- it should hold: a clean quarter costs one pass over the table, not a join of its rows.
WITH reporting AS (
    SELECT h.period, h.commune_code, h.district_code, h.province_code, p.criteria_set,
           h.commune_code IN (SELECT c.commune_code FROM core.fact_criteria_snapshot AS c WHERE c.period = h.period)
               AS has_criteria_score
    FROM core.fact_commune_status AS h
    JOIN core.dim_period AS p ON p.period = h.period
    WHERE h.period IN (SELECT unnest($periods))
),
-- The areas that reported, each once: the communes, and the district, province and country
-- of any of them.
areas AS (
    SELECT period, 'commune' AS area_level, commune_code AS area_code, criteria_set, has_criteria_score
    FROM reporting
    UNION ALL
    SELECT DISTINCT r.period, area.area_level, area.area_code, r.criteria_set, true
    FROM reporting AS r
    CROSS JOIN LATERAL (VALUES ('district', r.district_code), ('province', r.province_code), ('national', 'VN'))
        AS area (area_level, area_code)
    WHERE area.area_code IS NOT NULL
),
-- The KPIs an area of a criteria set must hold, with or without a criteria score.
set_kpis AS (
    SELECT s.criteria_set, s.has_criteria_score, k.kpi_code, k.aggregation
    FROM (SELECT DISTINCT criteria_set, has_criteria_score FROM areas) AS s
    JOIN core.dim_kpi AS k ON (k.criteria_set IS NULL OR k.criteria_set = s.criteria_set)
    WHERE k.aggregation = 'sum' OR s.has_criteria_score
),
-- Their count, and the sum of their codes' hashes, so that equal sums mean the same KPIs (a
-- duplicate row, or a KPI of another set, cannot stand in for a missing one).
kpi_sets AS (
    SELECT criteria_set, has_criteria_score, count(*) AS kpis, sum(hash(kpi_code)::HUGEINT) AS kpi_sum
    FROM set_kpis
    GROUP BY ALL
),
-- What each area holds of its quarter's KPIs: rows with a value, or of an `avg` KPI.
held AS (
    SELECT k.period, k.area_level, k.area_code, count(*) AS kpis, sum(hash(k.kpi_code)::HUGEINT) AS kpi_sum
    FROM mart.kpi_quarterly AS k
    JOIN core.dim_period AS p ON p.period = k.period
    JOIN core.dim_kpi AS d ON d.kpi_code = k.kpi_code AND (d.criteria_set IS NULL OR d.criteria_set = p.criteria_set)
    WHERE k.period IN (SELECT unnest($periods)) AND (k.value IS NOT NULL OR d.aggregation <> 'sum')
    GROUP BY ALL
),
short AS (
    SELECT a.*
    FROM areas AS a
    JOIN kpi_sets AS s USING (criteria_set, has_criteria_score)
    LEFT JOIN held AS h USING (period, area_level, area_code)
    WHERE h.kpis IS DISTINCT FROM s.kpis OR h.kpi_sum IS DISTINCT FROM s.kpi_sum
),
expected AS (
    SELECT a.period, a.area_level, a.area_code, k.kpi_code, k.aggregation
    FROM short AS a JOIN set_kpis AS k USING (criteria_set, has_criteria_score)
)
SELECT e.period, e.area_level, e.area_code, e.kpi_code,
       CASE WHEN k.kpi_code IS NULL THEN 'no row' ELSE 'no value' END AS problem
FROM expected AS e
LEFT JOIN mart.kpi_quarterly AS k USING (period, area_level, area_code, kpi_code)
WHERE k.kpi_code IS NULL OR (k.value IS NULL AND e.aggregation = 'sum')
ORDER BY e.period, e.area_level, e.area_code, e.kpi_code
