-- A dry read of CSV files with the options of raw_csv_read.sql, on a cursor of its own (an
-- error inside the step's transaction would abort it): it fails where the real read would, and
-- gives each file's longest field, against NTM_MAX_FIELD_KB (`{lengths}`: every field, mapped or not).
SELECT filename, max(greatest(0, {lengths})) AS longest
FROM read_csv(
    $files, header = false, auto_detect = false, columns = $columns, delim = ',', quote = '"',
    escape = '"', null_padding = true, strict_mode = true, parallel = false, filename = true,
    encoding = 'utf-8'
)
GROUP BY filename;
