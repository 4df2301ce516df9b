-- Before raw_submissions lists its entries again: those of its quarters, and those outside
-- any quarter folder (which every run sees whatever its quarters) but raw/targets/'s, which
-- raw_target lists, and the sheets not read of the files the run keeps unchanged ($kept).
DELETE FROM raw.ignored_entry
WHERE (period IN (SELECT unnest($periods)) OR (period IS NULL AND NOT starts_with(path, $targets)))
  AND NOT (kind = 'sheet_not_read' AND path IN (SELECT unnest($kept::VARCHAR[])));
