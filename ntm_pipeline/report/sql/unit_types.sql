-- The kinds of commune-level unit other than xã in the list in force at the quarter's end, the
-- most numerous first (phường, thị trấn before the 2025 reform; phường, đặc khu after), for
-- the coverage note's "tính cả ...".
SELECT d.unit_type
FROM core.dim_commune AS d
JOIN core.dim_period AS p ON p.period = $period AND in_force(d.valid_from, d.valid_to, p.end_date)
WHERE d.unit_type IS NOT NULL AND d.unit_type <> 'Xã'
GROUP BY d.unit_type
ORDER BY count(*) DESC, d.unit_type COLLATE vi
