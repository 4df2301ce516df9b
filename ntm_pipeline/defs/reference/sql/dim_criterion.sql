SELECT criteria_set, CAST(criterion_no AS INTEGER) AS criterion_no, name_vi, name_en, group_vi
FROM read_csv($path, header = true, all_varchar = true)
ORDER BY criteria_set, criterion_no
