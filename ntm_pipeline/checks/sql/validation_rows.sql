-- The staged rows a suite checks: those of the quarters given ($periods) for a table kept by
-- quarter, every row for targets. Rows superseded by a correction, or in a file taken out
-- whole, are not validated row by row. Only the columns the validation reads ($columns:
-- the suite's, the index and what a finding quotes) are fetched. In the row key's order:
-- DuckDB keeps no order of its own here, and findings are listed in the rows' order, so a
-- batch of quarters lists each quarter's findings exactly as that quarter fetched alone.
SELECT COLUMNS(lambda c: list_contains($columns, c))
FROM query_table($staged) AS s
WHERE s.row_status = 'validate'
  AND (NOT $partitioned OR s.period IN (SELECT unnest($periods)))
ORDER BY s.period, s.source_file, s.sheet, s.row_number
