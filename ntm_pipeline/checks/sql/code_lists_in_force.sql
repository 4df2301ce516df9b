-- The codes of each code list valid at the end of a quarter ($period): the parameters of that
-- quarter's in-set rules ('advanced' is no title of 2026, 'modern' none of 2024). Every list
-- is named; one with no code valid then has an empty list.
SELECT d.code_list,
       coalesce(list(d.code ORDER BY d.sort_order) FILTER (WHERE in_force(d.valid_from, d.valid_to, p.end_date)),
                []::VARCHAR[]) AS codes
FROM core.dim_code AS d
JOIN core.dim_period AS p ON p.period = $period
GROUP BY d.code_list
