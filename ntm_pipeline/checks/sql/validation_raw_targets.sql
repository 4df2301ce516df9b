-- The target rows as read, keyed like the staged ones: their period is the staged year's
-- text. Of the raw columns only those a finding can quote ($columns).
SELECT s.period AS validated_period, r.*
FROM staging.target AS s
JOIN (SELECT COLUMNS(lambda c: list_contains($columns, c)) FROM raw.target) AS r
  ON r.source_file = s.source_file AND r.sheet = s.sheet AND r.row_number = s.row_number
WHERE s.row_status = 'validate'
