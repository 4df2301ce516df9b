-- `ntm run`'s summary: files of the run's quarters taken out whole, and files of no quarter
-- (targets, period NULL), each with its reason.
SELECT source_file, message_en
FROM quarantine.source_file
WHERE period IS NULL OR period IN (SELECT unnest($periods))
ORDER BY source_file
