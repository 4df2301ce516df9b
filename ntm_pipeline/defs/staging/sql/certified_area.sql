-- Certified production areas, typed, with whether the certificate is valid at quarter end.
SELECT
    {{ provenance("r") }},
    commune_code(r.commune_code) AS commune_code,
    vn_label(r.product) AS product,
    {{ code("gap_standard", "r.standard") }} AS standard,
    parse_decimal(r.area_ha) AS area_ha,
    clean_text(r.certificate_no) AS certificate_no,
    parse_date(r.issue_date) AS issue_date,
    parse_date(r.expiry_date) AS expiry_date,
    p.end_date AS period_end,
    parse_date(r.expiry_date) IS NULL OR parse_date(r.issue_date) IS NULL
        OR parse_date(r.expiry_date) >= parse_date(r.issue_date) AS expiry_after_issue,
    parse_date(r.issue_date) IS NULL OR parse_date(r.issue_date) <= p.end_date AS issued_by_period_end,
    parse_date(r.expiry_date) IS NULL OR parse_date(r.expiry_date) >= p.end_date AS valid_at_period_end,
    {{ detail_status("r", "commune_code(r.commune_code)") }},
    {{ unparsed_columns("r") }} AS unparsed_columns
FROM raw.certified_area AS r
JOIN core.dim_period AS p ON p.period = r.period
WHERE r.period IN (SELECT unnest($periods))
