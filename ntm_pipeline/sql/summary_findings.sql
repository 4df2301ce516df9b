-- `ntm run`'s summary: rows of one quarantine table in the run's quarters, those with a
-- critical finding (held back) and those with warnings only (published). A table not kept
-- by quarter ($all_periods) counts whole.
WITH per_row AS (
    SELECT source_file, sheet, row_number, bool_or(severity = 'critical') AS critical
    FROM query_table($table)
    WHERE $all_periods OR period IN (SELECT unnest($periods))
    GROUP BY ALL
)
SELECT count(*) FILTER (WHERE critical) AS quarantined, count(*) FILTER (WHERE NOT critical) AS warned
FROM per_row
