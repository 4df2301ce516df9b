-- The same rows as read, keyed like the staged ones, so a finding can quote the value the
-- officer typed; of the raw columns only those a finding can quote ($columns). The period
-- in the join keeps DuckDB to the quarters' raw rows, not every quarter's. (Targets have no
-- period as read: validation_raw_targets.sql.)
SELECT s.period AS validated_period, r.*
FROM query_table($staged) AS s
JOIN (SELECT COLUMNS(lambda c: list_contains($columns, c)) FROM query_table($raw)) AS r
  ON r.period = s.period AND r.source_file = s.source_file AND r.sheet = s.sheet AND r.row_number = s.row_number
WHERE s.row_status = 'validate' AND s.period IN (SELECT unnest($periods))
