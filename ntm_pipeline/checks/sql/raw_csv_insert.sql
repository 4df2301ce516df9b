-- raw_csv_record into raw.<table>: a record's row number is its place in the file (the
-- header is record 1, as the Python reader counts: the files taken have no blank line, the
-- only record DuckDB skips); a row is kept when a template column holds text, and a value of
-- white space alone is blank, as `reader.cell_text` reads it (Python's str.isspace class).
-- `{values}` are the template's columns, each `raw_csv_text(c<position>) AS <name>`.
INSERT INTO raw.{table} BY NAME
SELECT period, source_file, file_hash, batch, sheet, row_number::INTEGER AS row_number, false AS row_hidden,
       $run_id AS run_id, $loaded_at::TIMESTAMP AS loaded_at, * EXCLUDE (period, source_file, file_hash, batch, sheet, row_number)
FROM (
    SELECT f.period, f.source_file, f.file_hash, f.batch, f.sheet,
           r.ordinality - min(r.ordinality) OVER (PARTITION BY r.filename) + 1 AS row_number,
           {values}
    FROM raw_csv_record AS r
    JOIN raw_csv_file AS f USING (filename)
    QUALIFY row_number > 1
)
WHERE {any_value}
ORDER BY source_file, row_number;
