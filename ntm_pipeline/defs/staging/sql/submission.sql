-- Submission headers, typed; the helper columns at the end feed the validation rules.
SELECT
    r.period, r.source_file, r.file_hash, r.sheet, r.row_number,
    commune_code(r.commune_code) AS commune_code,
    vn_label(r.commune_name) AS commune_name,
    parse_period(r.reporting_period) AS reporting_period,
    parse_date(r.date_prepared) AS date_prepared,
    vn_label(r.preparer) AS preparer,
    parse_integer(r.agri_cooperatives) AS agri_cooperatives,
    parse_integer(r.farms) AS farms,
    coalesce(resolve_code('ntm_title', r.ntm_title), 'none') AS ntm_title,
    parse_integer(r.title_year) AS title_year,
    resolve_code('ntm_title', r.proposed_title) AS proposed_title,
    c.commune_code IS NOT NULL AS commune_known,
    c.district_code,
    c.province_code,
    coalesce(c.is_rural_commune, false) AS is_rural_commune,
    r.commune_name IS NULL OR EXISTS (
        SELECT 1 FROM core.dim_commune_alias AS a
        WHERE a.commune_code = c.commune_code AND a.admin_era = c.admin_era
          AND a.alias_key = replace(text_key(r.commune_name), '_', '')
    ) AS commune_name_matches,
    nullif(concat_ws(', ',
        CASE WHEN r.reporting_period IS NOT NULL AND parse_period(r.reporting_period) IS NULL THEN 'reporting_period' END,
        CASE WHEN r.date_prepared IS NOT NULL AND parse_date(r.date_prepared) IS NULL THEN 'date_prepared' END,
        CASE WHEN r.agri_cooperatives IS NOT NULL AND parse_integer(r.agri_cooperatives) IS NULL THEN 'agri_cooperatives' END,
        CASE WHEN r.farms IS NOT NULL AND parse_integer(r.farms) IS NULL THEN 'farms' END,
        CASE WHEN r.title_year IS NOT NULL AND parse_integer(r.title_year) IS NULL THEN 'title_year' END
    ), '') AS unparsed_columns
FROM raw.submission AS r
JOIN core.dim_period AS p ON p.period = r.period
LEFT JOIN core.dim_commune AS c
    ON c.commune_code = commune_code(r.commune_code)
   AND coalesce(c.valid_from, DATE '1900-01-01') <= p.end_date
   AND coalesce(c.valid_to, DATE '9999-12-31') >= p.end_date
WHERE r.period IN (SELECT unnest($periods))
