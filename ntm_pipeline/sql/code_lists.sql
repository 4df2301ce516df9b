-- Allowed codes per code list: the parameters of the suites' in-set rules.
SELECT code_list, list(code ORDER BY sort_order) AS codes FROM core.dim_code GROUP BY 1
