-- Every spelling that resolves to a code: the code, its labels and its aliases, by text key.
WITH spellings AS (
    SELECT code_list, code, unnest([code, label_vi, label_en]) AS spelling
    FROM read_csv($path, header = true, all_varchar = true)
    UNION ALL
    SELECT code_list, code, unnest(string_split(aliases, '|')) AS spelling
    FROM read_csv($path, header = true, all_varchar = true)
    WHERE aliases IS NOT NULL
)
SELECT DISTINCT code_list, text_key(spelling) AS key, code
FROM spellings
WHERE spelling IS NOT NULL
