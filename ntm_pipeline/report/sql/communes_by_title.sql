-- Communes holding a title or proposed for one, in the order they were recognised, then by
-- name in Vietnamese collation (Đ right after D, tones after the base letter). Names are
-- those of the units in force at the quarter's end.
SELECT d.commune_name, s.ntm_title, s.title_year, s.proposed_title
FROM core.fact_commune_status AS s
JOIN core.dim_period AS p ON p.period = s.period
JOIN core.dim_commune AS d ON d.commune_code = s.commune_code AND in_force(d.valid_from, d.valid_to, p.end_date)
WHERE s.period = $period
  AND CASE $area_level WHEN 'commune' THEN s.commune_code WHEN 'district' THEN s.district_code
                       ELSE s.province_code END = $area_code
ORDER BY s.title_year NULLS LAST, d.commune_name COLLATE vi
