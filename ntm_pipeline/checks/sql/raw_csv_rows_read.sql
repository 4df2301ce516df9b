-- Rows read of each CSV file of raw_csv_insert.sql, for its line in raw.source_file.
SELECT source_file, count(*) FROM raw.{table}
WHERE period = $period AND run_id = $run_id AND source_file IN (SELECT unnest($source_files))
GROUP BY source_file;
