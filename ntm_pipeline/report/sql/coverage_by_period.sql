-- How many of the area's commune-level units had a submission published, per quarter, each
-- quarter's units being those in force at its end.
SELECT s.period, count(DISTINCT s.commune_code) AS communes_reporting
FROM core.fact_commune_status AS s
JOIN core.dim_period AS p ON p.period = s.period
JOIN core.dim_commune AS d ON d.commune_code = s.commune_code AND in_force(d.valid_from, d.valid_to, p.end_date)
WHERE CASE $area_level WHEN 'commune' THEN d.commune_code WHEN 'district' THEN d.district_code
                       ELSE d.province_code END = $area_code
GROUP BY s.period
