-- `ntm validate`: the findings of one quarantine table ($table) on the rows of one file.
SELECT sheet, row_number, column_name, value, severity, rule, commune_code, period, message_vi, message_en
FROM query_table($table)
WHERE source_file = $file
