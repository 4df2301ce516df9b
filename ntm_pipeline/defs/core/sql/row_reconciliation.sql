-- Every row read from a submission, accounted for exactly once: published in a fact,
-- quarantined for a critical finding, in a file taken out whole, or superseded by a
-- correction. One row per period, file and table; unaccounted and counted_twice must be 0.
-- A criteria row is published in core.fact_criteria_snapshot (a criterion) or in
-- core.fact_criteria_indicator (an indicator of one).
-- A template over the contract's submission tables (ntm_pipeline/sql_fragments.py).
WITH read_rows AS (
{%- for t in tables %}
    {% if not loop.first %}UNION ALL {% endif %}SELECT '{{ t.name }}' AS table_name, period, source_file, row_number FROM raw.{{ t.name }}
{%- endfor %}
),
published AS (
{%- for t in tables %}
    {% if not loop.first %}UNION ALL {% endif %}SELECT '{{ t.name }}' AS table_name, period, source_file, {{ "unnest(source_rows)" if t.fact_lists_rows else "row_number" }} AS row_number FROM core.{{ t.fact }}
{%- endfor %}
    UNION ALL SELECT 'criteria' AS table_name, period, source_file, row_number FROM core.fact_criteria_indicator
),
quarantined AS (
{%- for t in tables %}
    {% if not loop.first %}UNION ALL {% endif %}SELECT DISTINCT '{{ t.name }}' AS table_name, period, source_file, row_number FROM quarantine.{{ t.name }} WHERE severity = 'critical'
{%- endfor %}
),
superseded AS (
{%- for t in tables %}
    {% if not loop.first %}UNION ALL {% endif %}SELECT '{{ t.name }}' AS table_name, period, source_file, row_number FROM staging.{{ t.name }} WHERE row_status = 'superseded'
{%- endfor %}
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
