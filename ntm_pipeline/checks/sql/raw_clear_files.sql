-- A quarter's rows of raw.{table} but those of the files kept (unchanged since they were
-- read): the rows of changed and removed files go before the new files are read.
DELETE FROM raw.{table}
WHERE period = $period AND source_file NOT IN (SELECT unnest($kept::VARCHAR[]));
