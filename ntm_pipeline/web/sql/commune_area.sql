-- The web intake's rights: the district and province of a commune in the GSO list in force at
-- the end of a quarter (the unit a code names depends on the quarter's era), from the published
-- warehouse.
SELECT c.district_code, c.province_code
FROM core.dim_commune AS c
JOIN core.dim_period AS p ON p.period = $period
WHERE c.commune_code = $code
  AND (c.valid_from IS NULL OR c.valid_from <= p.end_date)
  AND (c.valid_to IS NULL OR c.valid_to >= p.end_date)
