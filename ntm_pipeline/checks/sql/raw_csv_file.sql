-- The provenance of the CSV files read by raw_csv_read.sql: one row per file, joined on the
-- path DuckDB reports as `filename`.
CREATE OR REPLACE TEMP TABLE raw_csv_file AS
SELECT * FROM (
    SELECT unnest($paths) AS filename, unnest($periods) AS period, unnest($source_files) AS source_file,
           unnest($hashes) AS file_hash, unnest($batches) AS batch, unnest($sheets) AS sheet
);
