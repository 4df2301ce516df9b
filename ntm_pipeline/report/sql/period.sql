-- The quarter's era of administrative units and criteria set, and those of the same quarter
-- last year: the report says when a comparison crosses the 2025 reform or a change of set.
SELECT p.end_date, p.admin_era, e.has_districts, e.valid_from AS era_from,
       p.criteria_set, c.name_vi AS criteria_set_name, c.criteria_count,
       l.admin_era AS prev_admin_era, l.criteria_set AS prev_criteria_set, lc.name_vi AS prev_criteria_set_name
FROM core.dim_period AS p
LEFT JOIN core.dim_admin_era AS e ON e.admin_era = p.admin_era
LEFT JOIN core.dim_criteria_set AS c ON c.criteria_set = p.criteria_set
LEFT JOIN core.dim_period AS l ON l.period = p.same_period_last_year
LEFT JOIN core.dim_criteria_set AS lc ON lc.criteria_set = l.criteria_set
WHERE p.period = $period
