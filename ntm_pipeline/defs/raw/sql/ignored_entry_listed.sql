-- The entries raw_submissions lists as ignored for the run's quarters (and outside any quarter
-- but raw/targets/'), kept or listed now: its metadata.
SELECT period, path, reason_en FROM raw.ignored_entry
WHERE period IN (SELECT unnest($periods)) OR (period IS NULL AND NOT starts_with(path, $targets))
ORDER BY period NULLS FIRST, path, sheet NULLS FIRST;
