-- Capital mobilised from 1 January by source, for each area of $areas, for the report's table
-- and chart (from mart.capital_by_source, which has every commune, district and province on
-- the units in force at quarter end).
WITH areas AS (SELECT unnest($areas, recursive := true))
-- Rounded as mart.kpi_quarterly's values are: a sum of doubles depends on the order of its terms.
SELECT c.area_level, c.area_code, c.source, round(sum(c.capital_ytd), 4) AS capital_ytd
FROM mart.capital_by_source AS c
JOIN areas AS a ON a.area_level = c.area_level AND a.area_code = c.area_code
WHERE c.period = $period
GROUP BY c.area_level, c.area_code, c.source
ORDER BY c.area_level, c.area_code, capital_ytd DESC, c.source
