SELECT code_list, code, label_vi, label_en, CAST(sort_order AS INTEGER) AS sort_order
FROM read_csv($path, header = true, all_varchar = true)
ORDER BY code_list, sort_order
