-- Every row read from a submission, accounted for exactly once: published in a fact,
-- quarantined for a critical finding, in a file taken out whole, or superseded by a
-- correction. One row per period, file and table; unaccounted and counted_twice must be 0.
WITH read_rows AS (
    SELECT 'submission' AS table_name, period, source_file, row_number FROM raw.submission
    UNION ALL SELECT 'investment', period, source_file, row_number FROM raw.investment
    UNION ALL SELECT 'criteria', period, source_file, row_number FROM raw.criteria
    UNION ALL SELECT 'ocop_product', period, source_file, row_number FROM raw.ocop_product
    UNION ALL SELECT 'certified_area', period, source_file, row_number FROM raw.certified_area
),
published AS (
    SELECT 'submission' AS table_name, period, source_file, row_number FROM core.fact_commune_status
    UNION ALL SELECT 'investment', period, source_file, row_number FROM core.fact_investment
    UNION ALL SELECT 'criteria', period, source_file, row_number FROM core.fact_criteria_snapshot
    UNION ALL SELECT 'ocop_product', period, source_file, row_number FROM core.fact_ocop_rating
    UNION ALL SELECT 'certified_area', period, source_file, unnest(source_rows) FROM core.fact_certified_area
),
quarantined AS (
    SELECT DISTINCT 'submission' AS table_name, period, source_file, row_number FROM quarantine.submission WHERE severity = 'critical'
    UNION ALL SELECT DISTINCT 'investment', period, source_file, row_number FROM quarantine.investment WHERE severity = 'critical'
    UNION ALL SELECT DISTINCT 'criteria', period, source_file, row_number FROM quarantine.criteria WHERE severity = 'critical'
    UNION ALL SELECT DISTINCT 'ocop_product', period, source_file, row_number FROM quarantine.ocop_product WHERE severity = 'critical'
    UNION ALL SELECT DISTINCT 'certified_area', period, source_file, row_number FROM quarantine.certified_area WHERE severity = 'critical'
),
superseded AS (
    SELECT 'submission' AS table_name, period, source_file, row_number FROM staging.submission WHERE row_status = 'superseded'
    UNION ALL SELECT 'investment', period, source_file, row_number FROM staging.investment WHERE row_status = 'superseded'
    UNION ALL SELECT 'criteria', period, source_file, row_number FROM staging.criteria WHERE row_status = 'superseded'
    UNION ALL SELECT 'ocop_product', period, source_file, row_number FROM staging.ocop_product WHERE row_status = 'superseded'
    UNION ALL SELECT 'certified_area', period, source_file, row_number FROM staging.certified_area WHERE row_status = 'superseded'
),
classified AS (
    SELECT
        r.table_name, r.period, r.source_file, r.row_number,
        (SELECT count(*) FROM published AS x WHERE x.table_name = r.table_name AND x.period = r.period
            AND x.source_file = r.source_file AND x.row_number = r.row_number) AS times_published,
        EXISTS (SELECT 1 FROM quarantine.source_file AS f WHERE f.period = r.period AND f.source_file = r.source_file)
            AS in_quarantined_file,
        EXISTS (SELECT 1 FROM quarantined AS x WHERE x.table_name = r.table_name AND x.period = r.period
            AND x.source_file = r.source_file AND x.row_number = r.row_number) AS is_quarantined,
        EXISTS (SELECT 1 FROM superseded AS x WHERE x.table_name = r.table_name AND x.period = r.period
            AND x.source_file = r.source_file AND x.row_number = r.row_number) AS is_superseded
    FROM read_rows AS r
    WHERE r.period IN (SELECT unnest($periods))
)
SELECT
    period, source_file, table_name,
    count(*) AS rows_read,
    count(*) FILTER (WHERE times_published > 0 AND NOT in_quarantined_file) AS rows_published,
    count(*) FILTER (WHERE is_quarantined AND NOT in_quarantined_file) AS rows_quarantined,
    count(*) FILTER (WHERE in_quarantined_file) AS rows_in_quarantined_file,
    count(*) FILTER (WHERE is_superseded AND NOT in_quarantined_file) AS rows_superseded,
    count(*) FILTER (WHERE times_published = 0 AND NOT in_quarantined_file AND NOT is_quarantined AND NOT is_superseded)
        AS rows_unaccounted,
    count(*) FILTER (WHERE times_published > 1
        OR (times_published > 0)::INT + is_quarantined::INT + is_superseded::INT > 1 AND NOT in_quarantined_file)
        AS rows_counted_twice
FROM classified
GROUP BY ALL
ORDER BY period, source_file, table_name
