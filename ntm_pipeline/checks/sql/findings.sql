-- A suite's findings (the frame `findings`) as quarantine.<table> holds them.
SELECT period, source_file, sheet, row_number, commune_code, column_name, value, rule, severity,
       message_vi, message_en
FROM findings
