-- `ntm validate`: a commune as the GSO list in force at the end of a quarter has it, to tell
-- an officer which district and province a commune of another district belongs to.
SELECT c.commune_full_name, c.district_code, c.district_full_name, c.province_code, c.province_full_name
FROM core.dim_commune AS c
JOIN core.dim_period AS p ON p.period = $period
WHERE c.commune_code = $code
  AND in_force(c.valid_from, c.valid_to, p.end_date)
