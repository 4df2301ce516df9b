-- A suite's findings (the frame `findings`) as quarantine.<table> holds them: those of the
-- quarters written ($periods, a batch of them at a time), every one for a table not kept by
-- quarter ($periods NULL).
SELECT period, source_file, sheet, row_number, commune_code, column_name, value, rule, severity,
       message_vi, message_en
FROM findings
WHERE $periods IS NULL OR period IN (SELECT unnest($periods))
