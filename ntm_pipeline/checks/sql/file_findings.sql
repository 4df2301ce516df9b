-- The findings a check produced in one quarantine table ($table), every file's.
SELECT source_file, period, sheet, row_number, commune_code, column_name, value, rule, severity,
       message_vi, message_en
FROM query_table($table)
