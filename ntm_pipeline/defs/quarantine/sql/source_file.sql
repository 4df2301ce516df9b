-- Files taken out whole, with one reason each: files that could not be read (submissions
-- and targets alike), and the files of a one-commune submission whose header broke a
-- critical rule (an unknown commune or one of another era's units, the wrong period, district
-- or criteria set, a duplicate) or that
-- has no header row at all. Where the problem has a place, its sheet, row and column.
-- Rebuilt whole: one row per bad file, a small table however many quarters are held.
WITH header_findings AS (
    SELECT
        s.period, s.batch, q.sheet, q.row_number, q.column_name, q.value, q.rule,
        -- the column and value after the message, unless the message already quotes the value in brackets
        -- (a row's own message: 'Xã Vĩnh Đồng (05026) đã sáp nhập vào Xã Kim Bôi (04978) từ 01/07/2025')
        q.message_vi
            || CASE WHEN q.value IS NOT NULL AND contains(q.message_vi, '(' || q.value || ')') THEN ''
                    ELSE ' (' || coalesce(l.header_vi, q.column_name) || ': ' || coalesce(q.value, 'trống') || ')' END
            || CASE WHEN q.rule IN ('district_matches', 'province_matches') AND d.commune_code IS NOT NULL
                    THEN '; xã ' || d.commune_name || ' thuộc '
                         || concat_ws(', ', d.district_full_name, d.province_full_name)
                    ELSE '' END AS message_vi,
        q.message_en
            || CASE WHEN q.value IS NOT NULL AND contains(q.message_en, '(' || q.value || ')') THEN ''
                    ELSE ' (' || q.column_name || ': ' || coalesce(q.value, 'blank') || ')' END
            || CASE WHEN q.rule IN ('district_matches', 'province_matches') AND d.commune_code IS NOT NULL
                    THEN '; the commune ' || d.commune_name || ' is in '
                         || CASE WHEN d.district_code IS NOT NULL
                                 THEN 'district ' || d.district_code || ' (' || d.district_full_name || '), ' ELSE '' END
                         || 'province ' || d.province_code || ' (' || d.province_full_name || ')'
                    ELSE '' END AS message_en
    FROM staging.submission AS s
    JOIN quarantine.submission AS q
      ON q.period = s.period AND q.source_file = s.source_file AND q.sheet = s.sheet AND q.row_number = s.row_number
    JOIN core.dim_period AS p ON p.period = s.period
    LEFT JOIN column_labels AS l ON l.column_name = q.column_name
    -- The unit the code is at the quarter's end, to say where a commune of another district belongs.
    LEFT JOIN core.dim_commune AS d
      ON d.commune_code = s.commune_code
     AND in_force(d.valid_from, d.valid_to, p.end_date)
    WHERE q.severity = 'critical' AND s.row_status = 'validate'
      AND (s.period, s.batch) IN (
          SELECT (period, batch) FROM staging.submission GROUP BY period, batch HAVING count(DISTINCT commune_code) <= 1)
),
header_failures AS (
    SELECT
        period, batch,
        min(rule) AS rule,
        arg_min(sheet, rule) AS sheet, arg_min(row_number, rule) AS row_number,
        arg_min(column_name, rule) AS column_name, arg_min(value, rule) AS value,
        string_agg(DISTINCT message_vi, '; ') AS message_vi,
        string_agg(DISTINCT message_en, '; ') AS message_en
    FROM header_findings
    GROUP BY period, batch
),
workbooks_without_header AS (
    SELECT f.period, f.batch, 'no_header_row' AS rule, 'Thông tin chung' AS sheet, NULL::INTEGER AS row_number,
           NULL AS column_name, NULL AS value,
           'Trang Thông tin chung không có dòng dữ liệu của xã' AS message_vi,
           'The Thông tin chung sheet has no data row for the commune' AS message_en
    FROM raw.source_file AS f
    WHERE f.status = 'parsed' AND f.file_format = 'xlsx'
      AND NOT EXISTS (SELECT 1 FROM raw.submission AS r WHERE r.period = f.period AND r.batch = f.batch)
),
batch_failures AS (
    SELECT * FROM header_failures
    UNION ALL BY NAME
    SELECT * FROM workbooks_without_header
),
unreadable_files AS (
    SELECT period, source_file, batch, file_hash, error_sheet AS sheet, NULL::INTEGER AS row_number,
           error_column AS column_name, NULL AS value, error_code AS rule, error_vi AS message_vi, error AS message_en
    FROM raw.source_file WHERE status = 'rejected'
    UNION ALL
    SELECT NULL AS period, source_file, batch, file_hash, error_sheet, NULL, error_column, NULL,
           error_code, error_vi, error
    FROM raw.target_file WHERE status = 'rejected'
)
SELECT * FROM unreadable_files
UNION ALL
SELECT f.period, f.source_file, f.batch, f.file_hash, b.sheet, b.row_number, b.column_name, b.value,
       b.rule, b.message_vi, b.message_en
FROM raw.source_file AS f
JOIN batch_failures AS b ON b.period = f.period AND b.batch = f.batch
WHERE f.status = 'parsed'
ORDER BY period NULLS FIRST, source_file
