-- Certified production areas, typed, with whether the certificate is valid at quarter end.
SELECT
    r.period, r.source_file, r.file_hash, r.batch, r.sheet, r.row_number, r.row_hidden,
    commune_code(r.commune_code) AS commune_code,
    vn_label(r.product) AS product,
    resolve_code('gap_standard', r.standard) AS standard,
    parse_decimal(r.area_ha) AS area_ha,
    clean_text(r.certificate_no) AS certificate_no,
    parse_date(r.issue_date) AS issue_date,
    parse_date(r.expiry_date) AS expiry_date,
    p.end_date AS period_end,
    parse_date(r.expiry_date) IS NULL OR parse_date(r.issue_date) IS NULL
        OR parse_date(r.expiry_date) >= parse_date(r.issue_date) AS expiry_after_issue,
    parse_date(r.issue_date) IS NULL OR parse_date(r.issue_date) <= p.end_date AS issued_by_period_end,
    parse_date(r.expiry_date) IS NULL OR parse_date(r.expiry_date) >= p.end_date AS valid_at_period_end,
    commune_known(commune_code(r.commune_code), r.period) AS commune_known,
    has_valid_header(r.period, commune_code(r.commune_code), r.batch) AS has_submission,
    detail_row_status(r.period, r.source_file, r.batch, commune_code(r.commune_code)) AS row_status,
    NOT r.row_hidden AS row_visible,
    nullif(concat_ws(', ',
        unreadable(r.area_ha, parse_decimal(r.area_ha), 'area_ha'),
        unreadable(r.issue_date, parse_date(r.issue_date), 'issue_date'),
        unreadable(r.expiry_date, parse_date(r.expiry_date), 'expiry_date')
    ), '') AS unparsed_columns
FROM raw.certified_area AS r
JOIN core.dim_period AS p ON p.period = r.period
WHERE r.period IN (SELECT unnest($periods))
