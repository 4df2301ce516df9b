-- The staged rows validation_rows.sql gives, counted per quarter of $periods: how many
-- quarters one Great Expectations batch can take (quality/validate.py, ROW_CAP).
SELECT s.period, count(*) AS row_count
FROM query_table($staged) AS s
WHERE s.row_status = 'validate' AND s.period IN (SELECT unnest($periods))
GROUP BY s.period
