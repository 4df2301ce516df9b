-- The logs of the files read: one row per file, parsed or rejected with its reason and,
-- when the problem has a place, its sheet and column. raw.source_file holds the
-- submissions by period; raw.target_file the files of raw/targets/, which have no quarter.
CREATE TABLE IF NOT EXISTS raw.source_file (
    period VARCHAR, source_file VARCHAR, file_hash VARCHAR, batch VARCHAR, file_format VARCHAR,
    size_bytes BIGINT, status VARCHAR, error_code VARCHAR, error VARCHAR, error_vi VARCHAR,
    error_sheet VARCHAR, error_column VARCHAR, sheets VARCHAR[], rows_read INTEGER, run_id VARCHAR,
    loaded_at TIMESTAMP
);
-- A warehouse built before files' problems had a place lacks these two columns.
ALTER TABLE raw.source_file ADD COLUMN IF NOT EXISTS error_sheet VARCHAR;
ALTER TABLE raw.source_file ADD COLUMN IF NOT EXISTS error_column VARCHAR;
CREATE TABLE IF NOT EXISTS raw.target_file (
    source_file VARCHAR, file_hash VARCHAR, batch VARCHAR, file_format VARCHAR,
    size_bytes BIGINT, status VARCHAR, error_code VARCHAR, error VARCHAR, error_vi VARCHAR,
    error_sheet VARCHAR, error_column VARCHAR, sheets VARCHAR[], rows_read INTEGER, run_id VARCHAR,
    loaded_at TIMESTAMP
);
-- The reader that read each file (`checks.raw.reader_version`): a run keeps the rows of a file
-- only when both its hash and this are unchanged. Rows of a warehouse without it are read again.
ALTER TABLE raw.source_file ADD COLUMN IF NOT EXISTS reader_version VARCHAR;
ALTER TABLE raw.target_file ADD COLUMN IF NOT EXISTS reader_version VARCHAR;
