-- The files of raw/targets/ the targets were last loaded from (read or rejected).
SELECT DISTINCT source_file, file_hash FROM raw.target_file
