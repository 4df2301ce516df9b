-- Names a commune is known by (with and without prefix, spelling variants, and the names
-- of communes merged into it in 2019-2020), as the accent-free keys of the GSO package, for
-- the units of both eras: a key resolves to a code of the era the quarter is in.
WITH keys AS (
    SELECT 'admin_units_legacy' AS source_table, wardCode AS commune_code, 'current_name' AS alias_kind,
           unnest(CAST(json(wardKeywords) AS VARCHAR[])) AS alias_key
    FROM admin_units_legacy
    UNION ALL
    SELECT 'admin_units_legacy', wardCode, 'merged_or_former_name', unnest(CAST(json(wardAlias) AS VARCHAR[]))
    FROM admin_units_legacy
    WHERE wardAlias IS NOT NULL
    UNION ALL
    SELECT 'admin_units', wardCode, 'current_name', unnest(CAST(json(wardKeywords) AS VARCHAR[]))
    FROM admin_units
    UNION ALL
    SELECT 'admin_units', wardCode, 'merged_or_former_name', unnest(CAST(json(wardAlias) AS VARCHAR[]))
    FROM admin_units
    WHERE wardAlias IS NOT NULL
)
SELECT k.commune_code, e.admin_era, k.alias_key, max(k.alias_kind) AS alias_kind
FROM keys AS k
JOIN core.dim_admin_era AS e ON e.source_table = k.source_table
GROUP BY ALL
ORDER BY k.commune_code, e.admin_era, k.alias_key
