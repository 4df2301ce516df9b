-- District, province and national rows that do not add up from their communes' rows: for a
-- `sum` KPI the value must be the sum of the commune rows, for an `avg` KPI their mean. A
-- commune row belongs to the district (before the 2025 reform) and province of its unit in
-- the GSO list in force at quarter end (a commune that did not report in the quarter keeps
-- its year-to-date flows there). Values are rounded to 4 decimals, so each row may differ by
-- half a unit of the fourth decimal per commune summed.
WITH checked_periods AS (
    SELECT * FROM core.dim_period WHERE period IN (SELECT unnest($periods))
),
commune_rows AS (
    SELECT k.period, k.area_code AS commune_code, k.kpi_code, k.value, d.district_code, d.province_code
    FROM mart.kpi_quarterly AS k
    JOIN checked_periods AS p USING (period)
    LEFT JOIN core.dim_commune AS d ON d.commune_code = k.area_code AND in_force(d.valid_from, d.valid_to, p.end_date)
    WHERE k.area_level = 'commune'
),
from_communes AS (
    SELECT c.period, area.area_level, area.area_code, c.kpi_code,
           sum(c.value) AS total, avg(c.value) AS mean, count(c.value) AS communes
    FROM commune_rows AS c
    CROSS JOIN LATERAL (VALUES ('district', c.district_code), ('province', c.province_code), ('national', 'VN'))
        AS area (area_level, area_code)
    WHERE area.area_code IS NOT NULL
    GROUP BY ALL
),
area_rows AS (
    SELECT k.period, k.area_level, k.area_code, k.kpi_code, k.value
    FROM mart.kpi_quarterly AS k JOIN checked_periods USING (period)
    WHERE k.area_level IN ('district', 'province', 'national')
),
compared AS (
    SELECT coalesce(r.period, f.period) AS period, coalesce(r.area_level, f.area_level) AS area_level,
           coalesce(r.area_code, f.area_code) AS area_code, coalesce(r.kpi_code, f.kpi_code) AS kpi_code,
           d.aggregation, r.value,
           CASE WHEN d.aggregation = 'avg' THEN f.mean ELSE f.total END AS from_communes,
           coalesce(f.communes, 0) AS communes
    FROM area_rows AS r
    FULL JOIN from_communes AS f USING (period, area_level, area_code, kpi_code)
    JOIN core.dim_kpi AS d ON d.kpi_code = coalesce(r.kpi_code, f.kpi_code)
    WHERE d.aggregation IN ('sum', 'avg')
)
SELECT period, area_level, area_code, kpi_code, aggregation, value, round(from_communes, 4) AS from_communes, communes
FROM compared
WHERE value IS DISTINCT FROM from_communes
  AND (value IS NULL OR from_communes IS NULL OR abs(value - from_communes) > 0.00005 * (communes + 1))
ORDER BY period, area_level, area_code, kpi_code
