-- One row per commune and period: title, proposal, cooperatives and farms at quarter end.
SELECT
    s.period, s.commune_code, s.district_code, s.province_code, s.is_rural_commune,
    s.ntm_title, s.title_year, s.proposed_title, s.agri_cooperatives, s.farms,
    s.commune_name AS commune_name_reported, s.date_prepared, s.preparer,
    s.source_file, s.file_hash, s.batch, s.sheet, s.row_number
FROM staging.submission AS s
WHERE {{ published("s") }}
