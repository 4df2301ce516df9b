-- The files of a check taken out whole, with their reason and its place.
SELECT source_file, period, sheet, row_number, column_name, value, rule, message_vi, message_en
FROM quarantine.source_file
