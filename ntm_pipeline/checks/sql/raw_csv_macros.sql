-- A CSV value as `reader.cell_text` reads it: text of white space alone is blank. The class is
-- Python's str.isspace characters (NBSP and the ideographic space among them), by code point.
CREATE OR REPLACE TEMP MACRO raw_csv_text(v) AS
    CASE WHEN regexp_full_match(v, '[\t\n\x0b\f\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]*')
         THEN NULL ELSE v END;
