-- Indicators (chỉ tiêu) of each criterion, numbered as in the decision ('2.1' is the first
-- indicator of criterion 2), with whether the row has been checked against the decision's text
-- and where it comes from. Filled in and corrected as data in reference_data/criterion_indicator.csv.
SELECT criteria_set, CAST(criterion_no AS INTEGER) AS criterion_no, indicator_no, name_vi, name_en,
       coalesce(CAST(verified AS BOOLEAN), false) AS verified, source
FROM read_csv($path, header = true, all_varchar = true,
              columns = {'criteria_set': 'VARCHAR', 'criterion_no': 'VARCHAR', 'indicator_no': 'VARCHAR',
                         'name_vi': 'VARCHAR', 'name_en': 'VARCHAR', 'verified': 'VARCHAR', 'source': 'VARCHAR'})
ORDER BY criteria_set, criterion_no, string_split(indicator_no, '.')[2]::INTEGER
