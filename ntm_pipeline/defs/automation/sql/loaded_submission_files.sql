-- The submission files each quarter was last loaded from (read or rejected), by path under raw/.
SELECT DISTINCT source_file, file_hash FROM raw.source_file
