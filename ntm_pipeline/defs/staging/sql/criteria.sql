-- Criteria status, typed: one row per commune, criterion (or indicator of a criterion) and
-- period. Số tiêu chí is text: "7" is criterion 7 (indicator_no NULL), "2.1" indicator 2.1 of
-- criterion 2. Each text is parsed once, in `typed`, before any join: 1.2 million rows a
-- country's eight quarters, where parsing the same text three times cost seconds.
WITH typed AS (
    SELECT
        {{ provenance("r") }},
        commune_code(r.commune_code) AS commune_code,
        {{ code("criteria_set", "r.criteria_set") }} AS criteria_set,
        parse_criterion(r.criterion_no) AS criterion_no,
        parse_indicator(r.criterion_no) AS indicator_no,
        parse_met(r.met) AS met,
        vn_label(r.note) AS note,
        {{ unparsed_columns("r") }} AS unparsed_columns
    FROM raw.criteria AS r
    WHERE r.period IN (SELECT unnest($periods))
),
-- Criteria (and indicators) each commune reported met in the quarter before each of the
-- run's quarters, by set: criterion 7 of one set is not criterion 7 of the next. Only within
-- one era of units: 05014 in 2025-Q2 (Xã Đông Bắc) is not 05014 in 2025-Q3 (Xã Mường Động).
met_last_quarter AS (
    SELECT DISTINCT p.period, commune_code(prev.commune_code) AS commune_code,
           {{ code("criteria_set", "prev.criteria_set") }} AS criteria_set,
           parse_criterion(prev.criterion_no) AS criterion_no, parse_indicator(prev.criterion_no) AS indicator_no
    FROM raw.criteria AS prev
    JOIN core.dim_period AS p ON p.previous_period = prev.period
    JOIN core.dim_period AS before ON before.period = prev.period AND before.admin_era = p.admin_era
    WHERE p.period IN (SELECT unnest($periods)) AND parse_met(prev.met)
)
SELECT
    t.* EXCLUDE (unparsed_columns),
    {{ detail_status("t", "t.commune_code") }},
    coalesce(c.is_rural_commune, true) AS is_rural_commune,
    p.criteria_set AS period_criteria_set,
    -- the set named is the one in force for the quarter (core.dim_period.criteria_set)
    t.criteria_set IS NULL OR t.criteria_set = p.criteria_set AS criteria_set_of_period,
    CASE WHEN t.criteria_set <> p.criteria_set THEN
        'Bộ tiêu chí ' || t.criteria_set || ' không áp dụng cho ' || p.label_vi || ': kỳ này báo cáo theo '
        || s.name_vi || ' (' || s.criteria_set || ', ' || s.criteria_count || ' tiêu chí)' END AS criteria_set_message_vi,
    CASE WHEN t.criteria_set <> p.criteria_set THEN
        'The criteria set ' || t.criteria_set || ' is not in force for ' || p.period || ': the quarter reports on '
        || s.name_en || ' (' || s.criteria_set || ', ' || s.criteria_count || ' criteria)' END AS criteria_set_message_en,
    -- an indicator row counts when its criterion is one of the set's
    k.criterion_no IS NOT NULL AS criterion_known,
    -- once the set's indicator list is filled in (core.dim_criterion_indicator), an indicator
    -- it does not list is reported, and still kept
    t.indicator_no IS NULL OR k.criterion_no IS NULL OR NOT EXISTS (
        SELECT 1 FROM core.dim_criterion_indicator AS i
        WHERE i.criteria_set = t.criteria_set AND i.criterion_no = t.criterion_no)
    OR EXISTS (
        SELECT 1 FROM core.dim_criterion_indicator AS i
        WHERE i.criteria_set = t.criteria_set AND i.criterion_no = t.criterion_no
          AND i.indicator_no = t.indicator_no) AS indicator_listed,
    -- a criterion met last quarter and not met now needs a note saying why
    coalesce(t.met, true) OR t.note IS NOT NULL OR m.period IS NULL AS loss_explained,
    t.unparsed_columns
FROM typed AS t
JOIN core.dim_period AS p ON p.period = t.period
LEFT JOIN core.dim_criteria_set AS s ON s.criteria_set = p.criteria_set
LEFT JOIN core.dim_commune AS c
    ON c.commune_code = t.commune_code AND in_force(c.valid_from, c.valid_to, p.end_date)
LEFT JOIN core.dim_criterion AS k ON k.criteria_set = t.criteria_set AND k.criterion_no = t.criterion_no
LEFT JOIN met_last_quarter AS m
    ON m.period = t.period AND m.commune_code = t.commune_code AND m.criteria_set = t.criteria_set
   AND m.criterion_no = t.criterion_no AND m.indicator_no IS NOT DISTINCT FROM t.indicator_no
