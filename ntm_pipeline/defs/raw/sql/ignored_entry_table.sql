-- What the raw step saw under raw/submissions/ and did not take (lock and system files,
-- files of other kinds, links to folders, folders of no quarter, files outside any quarter
-- folder): one row per entry, with the quarter folder it was found in (NULL outside any).
CREATE TABLE IF NOT EXISTS raw.ignored_entry (
    period VARCHAR, path VARCHAR, kind VARCHAR, reason_vi VARCHAR, reason_en VARCHAR,
    run_id VARCHAR, loaded_at TIMESTAMP
);
