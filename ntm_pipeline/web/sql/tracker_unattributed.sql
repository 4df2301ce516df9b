-- Files of the quarter the tracker cannot place at a commune: waiting for a run, or taken out
-- whole, with no header row naming a commune and no commune known to the intake. Counted for
-- an administrator, who can see every unit. Same $paths/$hashes/$communes as tracker_status.sql.
WITH on_disk AS (
    SELECT unnest($paths::VARCHAR[]) AS source_file, unnest($hashes::VARCHAR[]) AS file_hash,
           unnest($communes::VARCHAR[]) AS commune_code
)
SELECT
    (SELECT count(*) FROM on_disk AS o
     WHERE o.commune_code IS NULL
       AND NOT EXISTS (SELECT 1 FROM raw.source_file AS l WHERE l.period = $period AND l.file_hash = o.file_hash))
        AS files_waiting,
    (SELECT count(*) FROM quarantine.source_file AS f
     WHERE f.period = $period
       AND NOT EXISTS (SELECT 1 FROM staging.submission AS s
                       WHERE s.period = $period AND s.batch = f.batch AND s.commune_code IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM on_disk AS o WHERE o.file_hash = f.file_hash AND o.commune_code IS NOT NULL))
        AS files_taken_out
