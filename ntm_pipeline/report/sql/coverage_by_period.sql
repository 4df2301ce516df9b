-- How many of the area's commune-level units had a submission published, per quarter.
SELECT s.period, count(DISTINCT s.commune_code) AS communes_reporting
FROM core.fact_commune_status AS s
JOIN core.dim_commune AS d ON d.commune_code = s.commune_code AND d.admin_era = 'pre_2025'
WHERE CASE $area_level WHEN 'district' THEN d.district_code ELSE d.province_code END = $area_code
GROUP BY s.period
