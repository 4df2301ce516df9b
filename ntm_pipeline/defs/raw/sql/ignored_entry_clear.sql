-- Before a run lists its entries again: those of its quarters, and those outside any
-- quarter folder, which every run sees whatever its quarters.
DELETE FROM raw.ignored_entry
WHERE period IS NULL OR period IN (SELECT unnest($periods))
