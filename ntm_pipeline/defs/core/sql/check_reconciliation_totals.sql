-- The reconciliation check: totals over the quarters just written.
SELECT coalesce(sum(rows_read), 0) AS rows_read, coalesce(sum(rows_published), 0) AS rows_published,
       coalesce(sum(rows_quarantined), 0) AS rows_quarantined,
       coalesce(sum(rows_in_quarantined_file), 0) AS rows_in_quarantined_files,
       coalesce(sum(rows_superseded), 0) AS rows_superseded,
       coalesce(sum(rows_unaccounted), 0) AS rows_unaccounted, coalesce(sum(rows_counted_twice), 0) AS rows_counted_twice
FROM core.row_reconciliation
WHERE period IN (SELECT unnest($periods))
