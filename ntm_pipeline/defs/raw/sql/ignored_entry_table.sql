-- What the raw steps saw under raw/ and did not take (lock and system files, files of other
-- kinds, links to folders, folders of no quarter, files outside any quarter folder or
-- directly under raw/, a workbook's sheets not read): one row per entry, with the quarter
-- folder it was found in (NULL outside any) and, for a sheet, its name beside the file's path.
CREATE TABLE IF NOT EXISTS raw.ignored_entry (
    period VARCHAR, path VARCHAR, sheet VARCHAR, kind VARCHAR, reason_vi VARCHAR, reason_en VARCHAR,
    run_id VARCHAR, loaded_at TIMESTAMP
);
-- A warehouse built before sheets were listed gains the column.
ALTER TABLE raw.ignored_entry ADD COLUMN IF NOT EXISTS sheet VARCHAR;
