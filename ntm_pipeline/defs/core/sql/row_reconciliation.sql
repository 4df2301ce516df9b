-- Every row read from a submission, accounted for exactly once: published in a fact,
-- quarantined for a critical finding, in a file taken out whole, or superseded by a
-- correction. One row per period, file and table; unaccounted and counted_twice must be 0.
-- A criteria row is published in core.fact_criteria_snapshot (a criterion) or in
-- core.fact_criteria_indicator (an indicator of one).
-- A template over the contract's submission tables (ntm_pipeline/sql_fragments.py).
-- Each source is read for the run's quarters only, and the rows read and their marks (published,
-- quarantined, superseded) are counted in one aggregate by row (table, period, file, row
-- number): a row read twice (two sheets of one table in a file) counts twice, with the same marks.
WITH marks AS (
{%- for t in tables %}
    {% if not loop.first %}UNION ALL {% endif %}SELECT '{{ t.name }}' AS table_name, period, source_file, row_number, 'read' AS mark FROM raw.{{ t.name }} WHERE period IN (SELECT unnest($periods))
{%- endfor %}
{%- for t in tables %}
    UNION ALL SELECT '{{ t.name }}', period, source_file, {{ "unnest(source_rows)" if t.fact_lists_rows else "row_number" }}, 'published' FROM core.{{ t.fact }} WHERE period IN (SELECT unnest($periods))
{%- endfor %}
    UNION ALL SELECT 'criteria', period, source_file, row_number, 'published' FROM core.fact_criteria_indicator WHERE period IN (SELECT unnest($periods))
{%- for t in tables %}
    UNION ALL SELECT '{{ t.name }}', period, source_file, row_number, 'quarantined' FROM quarantine.{{ t.name }} WHERE severity = 'critical' AND period IN (SELECT unnest($periods))
{%- endfor %}
{%- for t in tables %}
    UNION ALL SELECT '{{ t.name }}', period, source_file, row_number, 'superseded' FROM staging.{{ t.name }} WHERE row_status = 'superseded' AND period IN (SELECT unnest($periods))
{%- endfor %}
),
by_row AS (
    SELECT table_name, period, source_file, row_number,
           count(*) FILTER (WHERE mark = 'read') AS times_read,
           count(*) FILTER (WHERE mark = 'published') AS times_published,
           bool_or(mark = 'quarantined') AS is_quarantined,
           bool_or(mark = 'superseded') AS is_superseded
    FROM marks
    GROUP BY ALL
),
-- A read row's marks are those of its key; a NULL in the key matches nothing (as `=` does).
classified AS (
    SELECT
        r.table_name, r.period, r.source_file, r.times_read,
        CASE WHEN r.row_number IS NOT NULL AND r.source_file IS NOT NULL THEN r.times_published ELSE 0 END
            AS times_published,
        f.source_file IS NOT NULL AS in_quarantined_file,
        r.row_number IS NOT NULL AND r.source_file IS NOT NULL AND coalesce(r.is_quarantined, false) AS is_quarantined,
        r.row_number IS NOT NULL AND r.source_file IS NOT NULL AND coalesce(r.is_superseded, false) AS is_superseded
    FROM by_row AS r
    LEFT JOIN (SELECT DISTINCT period, source_file FROM quarantine.source_file WHERE period IN (SELECT unnest($periods))) AS f
        ON f.period = r.period AND f.source_file = r.source_file
    WHERE r.times_read > 0
)
SELECT
    period, source_file, table_name,
    -- counts, as BIGINT as count(*) gives them
    CAST(sum(times_read) AS BIGINT) AS rows_read,
    CAST(coalesce(sum(times_read) FILTER (WHERE times_published > 0 AND NOT in_quarantined_file), 0) AS BIGINT)
        AS rows_published,
    CAST(coalesce(sum(times_read) FILTER (WHERE is_quarantined AND NOT in_quarantined_file), 0) AS BIGINT)
        AS rows_quarantined,
    CAST(coalesce(sum(times_read) FILTER (WHERE in_quarantined_file), 0) AS BIGINT) AS rows_in_quarantined_file,
    CAST(coalesce(sum(times_read) FILTER (WHERE is_superseded AND NOT in_quarantined_file), 0) AS BIGINT)
        AS rows_superseded,
    CAST(coalesce(sum(times_read) FILTER (WHERE times_published = 0 AND NOT in_quarantined_file AND NOT is_quarantined
        AND NOT is_superseded), 0) AS BIGINT) AS rows_unaccounted,
    CAST(coalesce(sum(times_read) FILTER (WHERE times_published > 1
        OR (times_published > 0)::INT + is_quarantined::INT + is_superseded::INT > 1 AND NOT in_quarantined_file), 0)
        AS BIGINT) AS rows_counted_twice
FROM classified
GROUP BY ALL
ORDER BY period, source_file, table_name
