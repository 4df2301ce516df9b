-- What an area code named in another era, for the message when it is not an area of the
-- quarter: a pre-reform district or province asked for after 1 July 2025, or the reverse.
SELECT DISTINCT
    CASE $area_level WHEN 'commune' THEN d.commune_full_name WHEN 'district' THEN d.district_full_name
                     ELSE d.province_full_name END AS area_label,
    d.admin_era, d.valid_from, d.valid_to
FROM core.dim_commune AS d
WHERE CASE $area_level WHEN 'commune' THEN d.commune_code WHEN 'district' THEN d.district_code
                       ELSE d.province_code END = $area_code
ORDER BY d.valid_to NULLS LAST
