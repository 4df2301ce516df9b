-- Files taken out whole, with one reason each: files that could not be read, and the
-- files of a one-commune submission whose header broke a critical rule (an unknown
-- commune, the wrong period or district, a duplicate) or that has no header row at all.
WITH header_failures AS (
    SELECT
        s.period, s.batch,
        min(q.rule) AS rule,
        string_agg(DISTINCT q.message_vi || ' (' || q.column_name || ': ' || coalesce(q.value, 'trống') || ')', '; ') AS message_vi,
        string_agg(DISTINCT q.message_en || ' (' || q.column_name || ': ' || coalesce(q.value, 'blank') || ')', '; ') AS message_en
    FROM staging.submission AS s
    JOIN quarantine.submission AS q
      ON q.period = s.period AND q.source_file = s.source_file AND q.sheet = s.sheet AND q.row_number = s.row_number
    WHERE s.period IN (SELECT unnest($periods)) AND q.severity = 'critical' AND s.row_status = 'validate'
      AND (s.period, s.batch) IN (
          SELECT (period, batch) FROM staging.submission
          WHERE period IN (SELECT unnest($periods))
          GROUP BY period, batch HAVING count(DISTINCT commune_code) <= 1)
    GROUP BY s.period, s.batch
),
workbooks_without_header AS (
    SELECT f.period, f.batch, 'no_header_row' AS rule,
           'Trang Thông tin chung không có dòng dữ liệu của xã' AS message_vi,
           'The Thông tin chung sheet has no data row for the commune' AS message_en
    FROM raw.source_file AS f
    WHERE f.period IN (SELECT unnest($periods)) AND f.status = 'parsed' AND f.file_format = 'xlsx'
      AND NOT EXISTS (SELECT 1 FROM raw.submission AS r WHERE r.period = f.period AND r.batch = f.batch)
),
batch_failures AS (
    SELECT * FROM header_failures
    UNION ALL
    SELECT * FROM workbooks_without_header
)
SELECT period, source_file, batch, file_hash, error_code AS rule, error_vi AS message_vi, error AS message_en
FROM raw.source_file
WHERE period IN (SELECT unnest($periods)) AND status = 'rejected'
UNION ALL
SELECT f.period, f.source_file, f.batch, f.file_hash, b.rule, b.message_vi, b.message_en
FROM raw.source_file AS f
JOIN batch_failures AS b ON b.period = f.period AND b.batch = f.batch
WHERE f.status = 'parsed'
