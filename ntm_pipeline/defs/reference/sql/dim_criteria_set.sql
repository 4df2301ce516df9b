SELECT criteria_set, name_vi, name_en, legal_basis,
       CAST(valid_from AS DATE) AS valid_from, CAST(valid_to AS DATE) AS valid_to,
       CAST(criteria_count AS INTEGER) AS criteria_count
FROM read_csv($path, header = true, all_varchar = true)
