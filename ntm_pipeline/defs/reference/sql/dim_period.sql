-- One row per quarter of both programme periods, with the periods a KPI compares against.
WITH quarters AS (
    SELECT y AS year, q AS quarter
    FROM range($first_year, $last_year + 1) AS years(y), range(1, 5) AS qs(q)
)
SELECT
    format('{}-Q{}', year, quarter) AS period,
    CAST(year AS INTEGER) AS year,
    CAST(quarter AS INTEGER) AS quarter,
    make_date(year, quarter * 3 - 2, 1) AS start_date,
    CAST(make_date(year, quarter * 3, 1) + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS end_date,
    make_date(year, 1, 1) AS year_start_date,
    format('{}-Q{}', year - 1, quarter) AS same_period_last_year,
    CASE WHEN quarter = 1 THEN format('{}-Q4', year - 1) ELSE format('{}-Q{}', year, quarter - 1) END AS previous_period,
    format('Quý {}/{}', quarter, year) AS label_vi
FROM quarters
ORDER BY year, quarter
