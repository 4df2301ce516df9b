SELECT CAST(stars AS INTEGER) AS stars,
       CAST(min_score AS DOUBLE) AS min_score,
       CAST(max_score_exclusive AS DOUBLE) AS max_score_exclusive,
       CAST(is_certified AS BOOLEAN) AS is_certified,
       legal_basis
FROM read_csv($path, header = true, all_varchar = true)
ORDER BY stars
