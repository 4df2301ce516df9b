-- Before raw.target_file existed: the files of raw/targets/ that target rows came from.
SELECT DISTINCT source_file, file_hash FROM raw.target
