-- The sheets not read of the files a run keeps unchanged ($kept) stay listed, as seen by this
-- run: the entries of the run's quarters are all the run's, whether it read the file or kept it.
UPDATE raw.ignored_entry SET run_id = $run_id, loaded_at = $loaded_at
WHERE kind = 'sheet_not_read' AND path IN (SELECT unnest($kept::VARCHAR[]));
