-- Criteria sets: [valid_from, valid_to] are the quarters a set scores (a quarter belongs to
-- the set in force on its last day); in_force_from is the legal date of effect.
SELECT criteria_set, name_vi, name_en, legal_basis,
       CAST(valid_from AS DATE) AS valid_from, CAST(valid_to AS DATE) AS valid_to,
       CAST(in_force_from AS DATE) AS in_force_from,
       CAST(criteria_count AS INTEGER) AS criteria_count,
       CAST(indicator_count AS INTEGER) AS indicator_count
FROM read_csv($path, header = true, all_varchar = true)
ORDER BY valid_from
