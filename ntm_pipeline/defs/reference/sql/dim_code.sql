-- The code lists, each code with the days it is valid (blank: open): a code is valid for a
-- quarter when in_force(valid_from, valid_to, the quarter's end_date), so 'advanced' is a
-- title up to 2025 and 'modern' from 2026.
SELECT code_list, code, label_vi, label_en, CAST(sort_order AS INTEGER) AS sort_order,
       CAST(valid_from AS DATE) AS valid_from, CAST(valid_to AS DATE) AS valid_to
FROM read_csv($path, header = true, all_varchar = true)
ORDER BY code_list, sort_order
