-- Criteria status, typed: one row per commune, criterion and period.
-- Each text is parsed once, in `typed`, before any join: 1.2 million rows a country's
-- eight quarters, where parsing the same text three times cost seconds.
WITH typed AS (
    SELECT
        {{ provenance("r") }},
        commune_code(r.commune_code) AS commune_code,
        {{ code("criteria_set", "r.criteria_set") }} AS criteria_set,
        parse_integer(r.criterion_no) AS criterion_no,
        parse_met(r.met) AS met,
        vn_label(r.note) AS note,
        {{ unparsed_columns("r") }} AS unparsed_columns
    FROM raw.criteria AS r
    WHERE r.period IN (SELECT unnest($periods))
),
-- Criteria each commune reported met in the quarter before each of the run's quarters.
met_last_quarter AS (
    SELECT DISTINCT p.period, commune_code(prev.commune_code) AS commune_code,
           parse_integer(prev.criterion_no) AS criterion_no
    FROM raw.criteria AS prev
    JOIN core.dim_period AS p ON p.previous_period = prev.period
    WHERE p.period IN (SELECT unnest($periods)) AND parse_met(prev.met)
)
SELECT
    t.* EXCLUDE (unparsed_columns),
    {{ detail_status("t", "t.commune_code") }},
    coalesce(c.is_rural_commune, true) AS is_rural_commune,
    k.criterion_no IS NOT NULL AS criterion_known,
    -- a criterion met last quarter and not met now needs a note saying why
    coalesce(t.met, true) OR t.note IS NOT NULL OR m.period IS NULL AS loss_explained,
    t.unparsed_columns
FROM typed AS t
JOIN core.dim_period AS p ON p.period = t.period
LEFT JOIN core.dim_commune AS c
    ON c.commune_code = t.commune_code AND in_force(c.valid_from, c.valid_to, p.end_date)
LEFT JOIN core.dim_criterion AS k ON k.criteria_set = t.criteria_set AND k.criterion_no = t.criterion_no
LEFT JOIN met_last_quarter AS m
    ON m.period = t.period AND m.commune_code = t.commune_code AND m.criterion_no = t.criterion_no
