-- One row per commune and period: title, proposal, cooperatives and farms at quarter end,
-- with the administrative era and criteria set of the quarter (core.dim_period) and the
-- commune's group (from 2026). The district is NULL after the 2025 reform.
SELECT
    s.period, s.commune_code, p.admin_era, s.district_code, s.province_code, s.is_rural_commune,
    s.commune_group, p.criteria_set,
    s.ntm_title, s.title_year, s.proposed_title, s.agri_cooperatives, s.farms,
    s.commune_name AS commune_name_reported, s.date_prepared, s.preparer,
    s.source_file, s.file_hash, s.batch, s.sheet, s.row_number
FROM staging.submission AS s
JOIN core.dim_period AS p ON p.period = s.period
WHERE {{ published("s") }}
