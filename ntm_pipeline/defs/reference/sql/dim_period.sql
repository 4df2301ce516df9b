-- One row per quarter of both programme periods, with the periods a KPI compares against,
-- the administrative era and the criteria set in force on the quarter's last day.
WITH quarters AS (
    SELECT y AS year, q AS quarter,
           CAST(make_date(y, q * 3, 1) + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS end_date
    FROM range($first_year, $last_year + 1) AS years(y), range(1, 5) AS qs(q)
)
SELECT
    format('{}-Q{}', q.year, q.quarter) AS period,
    CAST(q.year AS INTEGER) AS year,
    CAST(q.quarter AS INTEGER) AS quarter,
    make_date(q.year, q.quarter * 3 - 2, 1) AS start_date,
    q.end_date,
    make_date(q.year, 1, 1) AS year_start_date,
    format('{}-Q{}', q.year - 1, q.quarter) AS same_period_last_year,
    CASE WHEN q.quarter = 1 THEN format('{}-Q4', q.year - 1) ELSE format('{}-Q{}', q.year, q.quarter - 1) END AS previous_period,
    format('Quý {}/{}', q.quarter, q.year) AS label_vi,
    e.admin_era,
    s.criteria_set
FROM quarters AS q
LEFT JOIN core.dim_admin_era AS e ON in_force(e.valid_from, e.valid_to, q.end_date)
LEFT JOIN core.dim_criteria_set AS s ON in_force(s.valid_from, s.valid_to, q.end_date)
ORDER BY q.year, q.quarter
