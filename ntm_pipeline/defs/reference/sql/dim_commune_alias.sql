-- Names a commune is known by (with and without prefix, spelling variants, and the names
-- of communes merged into it), as the accent-free keys of the GSO package.
WITH keys AS (
    SELECT wardCode AS commune_code, 'current_name' AS alias_kind,
           unnest(CAST(json(wardKeywords) AS VARCHAR[])) AS alias_key
    FROM admin_units
    UNION ALL
    SELECT wardCode, 'merged_or_former_name', unnest(CAST(json(wardAlias) AS VARCHAR[]))
    FROM admin_units
    WHERE wardAlias IS NOT NULL
)
SELECT commune_code, 'pre_2025' AS admin_era, alias_key, max(alias_kind) AS alias_kind
FROM keys
GROUP BY ALL
ORDER BY commune_code, alias_key
