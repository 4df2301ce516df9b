-- The files of a quarter held in the raw layer that a run may keep: each file's hash, when
-- it was read by the reader of this version (any other, or none before versions were kept,
-- means reading it again).
SELECT source_file, file_hash FROM raw.source_file
WHERE period = $period AND reader_version IS NOT DISTINCT FROM $version AND file_hash <> '';
