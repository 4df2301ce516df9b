-- Capital mobilised from 1 January by source for the report's table and chart (from mart.capital_by_source,
-- which has every commune, district and province on the units in force at quarter end).
SELECT source, sum(capital_ytd) AS capital_ytd
FROM mart.capital_by_source
WHERE period = $period AND area_level = $area_level AND area_code = $area_code
GROUP BY source
ORDER BY capital_ytd DESC
