-- The tracker of one quarter: every commune-level unit of an area in the quarter's era (the
-- units in force at its end, as the report's coverage counts them) and where its submission
-- stands in the published warehouse. Status, first that applies:
--   waiting      a file for the commune under raw/submissions/<quarter>/ whose SHA-256 is not
--                yet in raw.source_file (received, waiting for its run)
--   quarantined  published, and rows held back by a critical finding (quarantine.<table>)
--   warnings     published, with warnings only
--   published    in core.fact_commune_status (what the KPI communes_reporting counts)
--   taken_out    not published, a file of the commune in quarantine.source_file
--   quarantined  not published, its rows held back (a header row of a many-commune CSV)
--   not_received none of the above
-- status_loaded is the status without the waiting files: what the warehouse says today.
-- $level/$area_code: 'commune', 'district' or 'province' and a GSO code, or 'all' and ''.
-- $paths/$hashes/$communes: the files now under raw/submissions/<quarter>/ (as the pipeline
-- discovers them), each with its SHA-256 and the commune it is for when known (NULL otherwise).
-- A template over the contract's submission tables (ntm_pipeline/sql_fragments.py).
WITH period AS (
    SELECT period, admin_era, end_date FROM core.dim_period WHERE period = $period
),
units AS (
    SELECT d.commune_code, d.commune_full_name, d.unit_type, d.district_code, d.district_full_name,
           d.province_code, d.province_full_name
    FROM core.dim_commune AS d JOIN period AS p
      ON d.admin_era = p.admin_era AND in_force(d.valid_from, d.valid_to, p.end_date)
    WHERE CASE $level WHEN 'commune' THEN d.commune_code WHEN 'district' THEN d.district_code
                      WHEN 'province' THEN d.province_code ELSE '' END = $area_code
),
on_disk AS (
    SELECT unnest($paths::VARCHAR[]) AS source_file, unnest($hashes::VARCHAR[]) AS file_hash,
           unnest($communes::VARCHAR[]) AS commune_code
),
loaded AS (
    SELECT source_file, file_hash, batch FROM raw.source_file WHERE period = $period
),
waiting AS (
    SELECT commune_code, count(*) AS files
    FROM on_disk AS o
    WHERE NOT EXISTS (SELECT 1 FROM loaded AS l WHERE l.file_hash = o.file_hash)
    GROUP BY commune_code
),
-- The commune of each file taken out whole: the header rows of its batch, or what the intake
-- knows of the file (an unreadable file has no rows).
taken_out AS (
    SELECT coalesce(s.commune_code, o.commune_code) AS commune_code,
           list({'source_file': f.source_file, 'rule': f.rule, 'sheet': f.sheet, 'row_number': f.row_number,
                 'column_name': f.column_name, 'message_vi': f.message_vi, 'message_en': f.message_en}
                ORDER BY f.source_file) AS files
    FROM quarantine.source_file AS f
    LEFT JOIN (SELECT DISTINCT batch, commune_code FROM staging.submission
               WHERE period = $period AND commune_code IS NOT NULL) AS s ON s.batch = f.batch
    LEFT JOIN (SELECT DISTINCT file_hash, commune_code FROM on_disk WHERE commune_code IS NOT NULL) AS o
      ON o.file_hash = f.file_hash
    WHERE f.period = $period
    GROUP BY ALL
),
-- Every finding on a row the pipeline validated, but those of files taken out whole (their
-- reason is the file's), as core.row_reconciliation counts them.
findings AS (
{%- for t in tables %}
    {% if not loop.first %}UNION ALL {% endif %}SELECT '{{ t.name }}' AS table_name, source_file, sheet, row_number, commune_code,
           column_name, value, rule, severity, message_vi, message_en
    FROM quarantine.{{ t.name }} WHERE period = $period
{%- endfor %}
),
kept_findings AS (
    SELECT * FROM findings AS q
    WHERE NOT EXISTS (SELECT 1 FROM quarantine.source_file AS f WHERE f.period = $period AND f.source_file = q.source_file)
),
by_commune AS (
    SELECT commune_code,
           count(DISTINCT (table_name, source_file, sheet, row_number)) FILTER (WHERE severity = 'critical')
               AS rows_quarantined,
           count(*) FILTER (WHERE severity = 'warning') AS warnings,
           list({'table_name': table_name, 'source_file': source_file, 'sheet': sheet, 'row_number': row_number,
                 'column_name': column_name, 'value': value, 'severity': severity,
                 'message_vi': message_vi, 'message_en': message_en}
                ORDER BY severity, source_file, sheet, row_number, column_name) AS findings
    FROM kept_findings
    GROUP BY commune_code
),
published AS (
    SELECT DISTINCT commune_code FROM core.fact_commune_status WHERE period = $period
),
states AS (
    SELECT u.*,
           p.commune_code IS NOT NULL AS published,
           coalesce(b.rows_quarantined, 0) AS rows_quarantined,
           coalesce(b.warnings, 0) AS warnings,
           coalesce(b.findings, []) AS findings,
           coalesce(t.files, []) AS taken_out,
           coalesce(w.files, 0) AS files_waiting
    FROM units AS u
    LEFT JOIN published AS p USING (commune_code)
    LEFT JOIN by_commune AS b USING (commune_code)
    LEFT JOIN taken_out AS t USING (commune_code)
    LEFT JOIN waiting AS w USING (commune_code)
)
SELECT *,
       CASE WHEN files_waiting > 0 THEN 'waiting' ELSE status_loaded END AS status
FROM (
    SELECT *,
           CASE WHEN published AND rows_quarantined > 0 THEN 'quarantined'
                WHEN published AND warnings > 0 THEN 'warnings'
                WHEN published THEN 'published'
                WHEN len(taken_out) > 0 THEN 'taken_out'
                WHEN rows_quarantined > 0 THEN 'quarantined'
                ELSE 'not_received' END AS status_loaded
    FROM states
)
ORDER BY province_code, district_code NULLS FIRST, commune_code
