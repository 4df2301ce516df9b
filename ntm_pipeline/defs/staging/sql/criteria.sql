-- Criteria status, typed: one row per commune, criterion and period.
SELECT
    r.period, r.source_file, r.file_hash, r.batch, r.sheet, r.row_number, r.row_hidden,
    commune_code(r.commune_code) AS commune_code,
    resolve_code('criteria_set', r.criteria_set) AS criteria_set,
    parse_integer(r.criterion_no) AS criterion_no,
    parse_met(r.met) AS met,
    vn_label(r.note) AS note,
    c.commune_code IS NOT NULL AS commune_known,
    coalesce(c.is_rural_commune, true) AS is_rural_commune,
    EXISTS (SELECT 1 FROM core.dim_criterion AS k
            WHERE k.criteria_set = resolve_code('criteria_set', r.criteria_set)
              AND k.criterion_no = parse_integer(r.criterion_no)) AS criterion_known,
    has_valid_header(r.period, commune_code(r.commune_code), r.batch) AS has_submission,
    detail_row_status(r.period, r.source_file, r.batch, commune_code(r.commune_code)) AS row_status,
    NOT r.row_hidden AS row_visible,
    -- a criterion met last quarter and not met now needs a note saying why
    coalesce(parse_met(r.met), true) OR clean_text(r.note) IS NOT NULL OR NOT EXISTS (
        SELECT 1 FROM raw.criteria AS prev
        WHERE prev.period = p.previous_period
          AND commune_code(prev.commune_code) = commune_code(r.commune_code)
          AND parse_integer(prev.criterion_no) = parse_integer(r.criterion_no)
          AND parse_met(prev.met)) AS loss_explained,
    nullif(concat_ws(', ',
        unreadable(r.criterion_no, parse_integer(r.criterion_no), 'criterion_no'),
        unreadable(r.met, parse_met(r.met), 'met')
    ), '') AS unparsed_columns
FROM raw.criteria AS r
JOIN core.dim_period AS p ON p.period = r.period
LEFT JOIN core.dim_commune AS c
    ON c.commune_code = commune_code(r.commune_code) AND in_force(c.valid_from, c.valid_to, p.end_date)
WHERE r.period IN (SELECT unnest($periods))
