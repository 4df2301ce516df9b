-- One row per commune, product, standard and period: hectares whose certificate is valid at
-- quarter end, beside what was reported (expired certificates still listed are not counted).
SELECT
    s.period, s.commune_code, h.district_code, h.province_code, s.product, s.standard,
    coalesce(sum(s.area_ha) FILTER (WHERE s.issue_date <= s.period_end AND s.expiry_date >= s.period_end), 0)
        AS certified_area_ha,
    sum(s.area_ha) AS reported_area_ha,
    count(*) FILTER (WHERE s.issue_date <= s.period_end AND s.expiry_date >= s.period_end) AS valid_certificates,
    count(*) AS reported_certificates,
    s.source_file,
    list(s.row_number ORDER BY s.row_number) AS source_rows
FROM staging.certified_area AS s
{{ with_header("s") }}
WHERE {{ published("s") }}
GROUP BY s.period, s.commune_code, h.district_code, h.province_code, s.product, s.standard, s.source_file
