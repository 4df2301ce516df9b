-- Administrative eras: the span of days a list of units is in force, and the table of the
-- vietnamadminunits package it comes from. A future change of units is a new row here and
-- its list of units, not new columns.
SELECT admin_era, name_vi, name_en,
       CAST(valid_from AS DATE) AS valid_from, CAST(valid_to AS DATE) AS valid_to,
       CAST(has_districts AS BOOLEAN) AS has_districts, source_table
FROM read_csv($path, header = true, all_varchar = true)
ORDER BY coalesce(CAST(valid_from AS DATE), DATE '1900-01-01')
