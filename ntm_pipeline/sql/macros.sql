-- Parsing helpers for the habits of real submission files. Created as TEMP macros on
-- every warehouse connection (see ntm_pipeline/warehouse.py), all of them, always: none
-- reads a table, so none depends on what the warehouse holds yet (the lookups in reference
-- and staging tables are SQL fragments written out per query: ntm_pipeline/sql_fragments.py).

-- A comparison key for Vietnamese text: no accents, no case, no bracketed asides, no
-- punctuation ("Xã Hoà  Bình (cũ)" -> "xa_hoa_binh"). The same key as the reader's
-- contract.text_key for headers and sheet names, in SQL so that staging does not call
-- Python per row; tests/test_reference.py holds the two equal over every GSO name.
CREATE OR REPLACE TEMP MACRO text_key(x) AS trim(regexp_replace(regexp_replace(
    lower(strip_accents(replace(replace(CAST(x AS VARCHAR), 'đ', 'd'), 'Đ', 'D'))),
    '\(.*?\)', ' ', 'g'), '[^a-z0-9]+', '_', 'g'), '_');

-- Trim, fold runs of spaces (including no-break spaces) and compose to NFC. Control
-- characters (a vertical tab, an ANSI colour escape pasted from a terminal) count as space:
-- no report, workbook or page can hold them.
CREATE OR REPLACE TEMP MACRO clean_text(x) AS nullif(trim(regexp_replace(nfc_normalize(CAST(x AS VARCHAR)),
    '(\x1b\[[0-?]*[ -/]*[@-~]|[\s\x{00A0}\x00-\x1f\x7f-\x9f])+', ' ', 'g')), '');

-- A label in one spelling: NFC, and the modern tone-mark placement on open syllables
-- ("Hoà" -> "Hòa", "Thuỷ" -> "Thủy"), as the GSO list writes names.
CREATE OR REPLACE TEMP MACRO vn_label(x) AS
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        clean_text(x),
        'oà([^\p{L}]|$)', 'òa\1', 'g'), 'oá([^\p{L}]|$)', 'óa\1', 'g'),
        'oả([^\p{L}]|$)', 'ỏa\1', 'g'), 'oã([^\p{L}]|$)', 'õa\1', 'g'),
        'oạ([^\p{L}]|$)', 'ọa\1', 'g'), 'oè([^\p{L}]|$)', 'òe\1', 'g'),
        'oé([^\p{L}]|$)', 'óe\1', 'g'), 'oẻ([^\p{L}]|$)', 'ỏe\1', 'g'),
        'oẽ([^\p{L}]|$)', 'õe\1', 'g'), 'oẹ([^\p{L}]|$)', 'ọe\1', 'g'),
        '([^qQ])uỳ([^\p{L}]|$)', '\1ùy\2', 'g'), '([^qQ])uý([^\p{L}]|$)', '\1úy\2', 'g'),
        '([^qQ])uỷ([^\p{L}]|$)', '\1ủy\2', 'g'), '([^qQ])uỹ([^\p{L}]|$)', '\1ũy\2', 'g'),
        '([^qQ])uỵ([^\p{L}]|$)', '\1ụy\2', 'g');

-- A versioned row (a commune of an era, a criteria set) is in force on a day.
CREATE OR REPLACE TEMP MACRO in_force(valid_from, valid_to, day) AS
    coalesce(valid_from, DATE '1900-01-01') <= day AND coalesce(valid_to, DATE '9999-12-31') >= day;

-- A number as typed, on the Vietnamese convention (a dot groups thousands, a comma is the
-- decimal mark) and the decimal point of a number cell: "46,5" and "46.5" are 46.5;
-- "1.234,5" is 1234.5; "1.234.567" is 1234567 (two groups of three can only be thousands).
-- NULL (a finding that names the cell: never a guess) when the text is:
--   ambiguous: "1.234" and "1,234" (a thousands group or three decimals: 1234 or 1.234?);
--   against the convention: "1,234.5", "1,234,567" (English separators), "1.23.4" (groups not of three);
--   not a finite quantity: NaN, inf, -inf, or 1e12 or more in absolute value ("1e308");
--   not a number at all. Blanks are NULL.
-- Written without a subquery: staging types millions of values with it.
CREATE OR REPLACE TEMP MACRO number_text(x) AS regexp_replace(CAST(x AS VARCHAR), '[\s\x{00A0}]', '', 'g');
CREATE OR REPLACE TEMP MACRO parse_decimal(x) AS list_filter([TRY_CAST(CASE
    -- ambiguous: one separator and exactly three digits after it, the first group not 0
    WHEN regexp_full_match(number_text(x), '[+-]?[1-9]\d{0,2}[.,]\d{3}') THEN NULL
    -- thousands dots, with or without a decimal comma
    WHEN regexp_full_match(number_text(x), '[+-]?[1-9]\d{0,2}(\.\d{3})+(,\d+)?')
        THEN replace(replace(number_text(x), '.', ''), ',', '.')
    -- a decimal comma
    WHEN regexp_full_match(number_text(x), '[+-]?(\d+,\d*|,\d+)') THEN replace(number_text(x), ',', '.')
    -- a decimal point, as a number cell writes it (with an exponent for very small or large ones)
    WHEN regexp_full_match(number_text(x), '[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?') THEN number_text(x)
END AS DOUBLE)], lambda v: abs(v) < 1e12)[1];

-- A whole number, or NULL when the text is not one.
CREATE OR REPLACE TEMP MACRO parse_integer(x) AS
    CASE WHEN parse_decimal(x) = floor(parse_decimal(x)) THEN CAST(parse_decimal(x) AS BIGINT) END;

-- A criterion number as typed in Số tiêu chí: "7" is criterion 7; "2.1" (or "2,1", as a
-- Vietnamese keyboard types it) is indicator 1 of criterion 2, so its criterion is 2. "7.0"
-- (a number formatted by a spreadsheet) is criterion 7. NULL when the text is neither.
CREATE OR REPLACE TEMP MACRO parse_criterion(x) AS CASE
    WHEN regexp_full_match(clean_text(x), '\d{1,2}([.,]\d{1,2})?')
        THEN CAST(regexp_extract(clean_text(x), '^(\d{1,2})', 1) AS INTEGER)
END;

-- The indicator a criterion number names, as "criterion.indicator" without leading zeros
-- ("2,1" and "02.01" are "2.1"); NULL for a criterion row ("7", "7.0").
CREATE OR REPLACE TEMP MACRO parse_indicator(x) AS CASE
    WHEN regexp_full_match(clean_text(x), '\d{1,2}[.,]\d{1,2}')
     AND CAST(regexp_extract(clean_text(x), '[.,](\d{1,2})$', 1) AS INTEGER) > 0
        THEN CAST(CAST(regexp_extract(clean_text(x), '^(\d{1,2})', 1) AS INTEGER) AS VARCHAR) || '.'
             || CAST(CAST(regexp_extract(clean_text(x), '[.,](\d{1,2})$', 1) AS INTEGER) AS VARCHAR)
END;

-- A date as dd/mm/yyyy (also with - or .) or ISO yyyy-mm-dd, a real day of a four-digit
-- year from 1900 to 2099. NULL (a finding) otherwise: "15/03/22" (which century?), "31/02/2024",
-- "15/03/0022"; never a year 0022 nor DuckDB's 'infinity'.
CREATE OR REPLACE TEMP MACRO parse_date(x) AS CASE
    WHEN regexp_full_match(clean_text(x),
        '\d{1,2}[/.-]\d{1,2}[/.-](19|20)\d{2}|(19|20)\d{2}-\d{1,2}-\d{1,2}(T\d{2}:\d{2}:\d{2})?')
    THEN CAST(coalesce(
        try_strptime(clean_text(x), '%d/%m/%Y'),
        try_strptime(clean_text(x), '%Y-%m-%d'),
        try_strptime(clean_text(x), '%d-%m-%Y'),
        try_strptime(clean_text(x), '%d.%m.%Y'),
        try_strptime(clean_text(x), '%Y-%m-%dT%H:%M:%S')
    ) AS DATE)
END;

-- Met / not met: x, đạt, 1, có, true mean met; blank, 0, không, chưa đạt, false mean not.
CREATE OR REPLACE TEMP MACRO parse_met(x) AS CASE
    WHEN clean_text(x) IS NULL THEN false
    WHEN text_key(x) IN ('x', 'dat', '1', 'co', 'true', 'yes', 'v', 'met') THEN true
    WHEN text_key(x) IN ('0', 'khong', 'chua_dat', 'khong_dat', 'false', 'no', 'not_met') THEN false
END;

-- The column's name when its text was given but could not be read: the pieces of a
-- staging table's unparsed_columns, which the validation quotes back to the officer.
CREATE OR REPLACE TEMP MACRO unreadable(text, parsed, column_name) AS
    CASE WHEN text IS NOT NULL AND parsed IS NULL THEN column_name END;

-- A reporting period: 2024-Q1, Q1/2024, Quý 1/2024 or Quý I/2024 -> '2024-Q1'.
CREATE OR REPLACE TEMP MACRO parse_period(x) AS (
    WITH t(v) AS (SELECT upper(strip_accents(clean_text(x))))
    SELECT CASE
        WHEN regexp_full_match(v, '(\d{4})\s*-?\s*Q([1-4])')
            THEN regexp_extract(v, '(\d{4})', 1) || '-Q' || regexp_extract(v, 'Q([1-4])', 1)
        WHEN regexp_full_match(v, '(QUY|Q)\s*(IV|I{1,3}|[1-4])\s*[/-]\s*(\d{4})')
            THEN regexp_extract(v, '(\d{4})', 1) || '-Q' || CASE regexp_extract(v, '(QUY|Q)\s*(IV|I{1,3}|[1-4])', 2)
                WHEN 'I' THEN '1' WHEN 'II' THEN '2' WHEN 'III' THEN '3' WHEN 'IV' THEN '4'
                ELSE regexp_extract(v, '(QUY|Q)\s*(IV|I{1,3}|[1-4])', 2) END
    END FROM t
);

-- A GSO commune code: digits padded to 5 ("5068" typed as a number is "05068").
CREATE OR REPLACE TEMP MACRO commune_code(x) AS CASE
    WHEN regexp_full_match(clean_text(x), '\d{1,5}') THEN lpad(clean_text(x), 5, '0')
    ELSE clean_text(x)
END;

-- A GSO district (3 digits), province (2 digits) or commune (5 digits) code, padded: "1" is
-- province 01, "5068" commune 05068.
CREATE OR REPLACE TEMP MACRO area_code(x) AS CASE
    WHEN regexp_full_match(clean_text(x), '\d{1,3}')
        THEN lpad(clean_text(x), CASE WHEN length(clean_text(x)) <= 2 THEN 2 ELSE 3 END, '0')
    WHEN regexp_full_match(clean_text(x), '\d{4,5}') THEN lpad(clean_text(x), 5, '0')
    ELSE clean_text(x)
END;
