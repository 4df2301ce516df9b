-- Before raw_target lists raw/targets/'s entries again (its files and its workbooks' sheets
-- not read): those alone.
DELETE FROM raw.ignored_entry
WHERE period IS NULL AND starts_with(path, $targets)
