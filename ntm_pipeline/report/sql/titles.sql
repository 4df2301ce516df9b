-- The NTM titles (code list ntm_title) valid for the quarter, with their labels: advanced and
-- model NTM end with 2025, the modern NTM commune begins with 2026.
SELECT c.code, c.label_vi
FROM core.dim_code AS c
JOIN core.dim_period AS p ON p.period = $period AND in_force(c.valid_from, c.valid_to, p.end_date)
WHERE c.code_list = 'ntm_title'
ORDER BY c.sort_order
