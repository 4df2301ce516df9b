-- The reconciliation check: the first files whose rows are lost or counted twice.
SELECT period, source_file, table_name, rows_read, rows_unaccounted, rows_counted_twice
FROM core.row_reconciliation
WHERE period IN (SELECT unnest($periods)) AND (rows_unaccounted > 0 OR rows_counted_twice > 0)
ORDER BY 1, 2, 3
LIMIT 20
