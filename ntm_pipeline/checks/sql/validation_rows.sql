-- The staged rows a suite checks: those of the quarters given ($periods) for a table kept by
-- quarter, every row for targets. Rows superseded by a correction, or in a file taken out
-- whole, are not validated row by row.
SELECT s.*
FROM query_table($staged) AS s
WHERE s.row_status = 'validate'
  AND (NOT $partitioned OR s.period IN (SELECT unnest($periods)))
