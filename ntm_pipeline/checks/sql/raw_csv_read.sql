-- The CSV files of one table and one layout (the same header line), read by DuckDB's own
-- reader in one call: every record as text, in the order of the files and of their records.
-- The reader is told everything (no sniffing): comma, double quote, "" inside quotes; a row
-- shorter than the header is padded, a longer one or a quote left open is an error (the files
-- then go to the Python reader, which says what is wrong). Single-threaded, so that
-- `ordinality` counts each file's records in order: raw_csv_insert.sql numbers them from it.
CREATE OR REPLACE TEMP TABLE raw_csv_record AS
SELECT *
FROM read_csv(
    $files, header = false, auto_detect = false, columns = $columns, delim = ',', quote = '"',
    escape = '"', null_padding = true, strict_mode = true, parallel = false, filename = true,
    encoding = 'utf-8'
) WITH ORDINALITY;
