-- `ntm run`'s summary: what the run saw under raw/ and did not take, in its quarters'
-- folders and outside any quarter folder (period NULL: raw/targets/ and directly under raw/
-- included), a workbook's sheets after the file's own entry, each with its reason.
SELECT path, reason_en
FROM raw.ignored_entry
WHERE period IS NULL OR period IN (SELECT unnest($periods))
ORDER BY path, sheet NULLS FIRST
