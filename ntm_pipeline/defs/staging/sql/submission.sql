-- Submission headers, typed. The helper columns at the end feed the validation rules;
-- is_superseded and is_duplicate decide which submission of a commune and period counts.
-- A code is looked up as the unit in force at the quarter's end (codes were reused by the
-- 2025 reform: 04978 is Thị trấn Bo up to 2025-Q2 and Xã Kim Bôi from 2025-Q3).
WITH criteria_rows AS (
    SELECT k.period, k.batch, commune_code(k.commune_code) AS commune_code,
           {{ code("criteria_set", "k.criteria_set") }} AS criteria_set,
           parse_indicator(k.criterion_no) IS NULL AS is_criterion, parse_met(k.met) AS met
    FROM raw.criteria AS k
    WHERE k.period IN (SELECT unnest($periods))
),
-- What each commune's criteria sheet holds: criteria met on the quarter's set (indicator
-- rows apart), and the sets it names that are not the quarter's.
reported_criteria AS (
    SELECT k.period, k.batch, k.commune_code,
           count(*) FILTER (WHERE k.met AND k.is_criterion AND k.criteria_set = p.criteria_set) AS criteria_met_reported,
           string_agg(DISTINCT k.criteria_set, ', ' ORDER BY k.criteria_set)
               FILTER (WHERE k.criteria_set <> p.criteria_set) AS criteria_sets_not_of_period
    FROM criteria_rows AS k
    JOIN core.dim_period AS p ON p.period = k.period
    GROUP BY ALL
),
-- A code that is no unit at the quarter's end but one of another era: what the unit became
-- (from the crosswalk, every new unit of a divided one), or from when it exists.
became AS (
    SELECT o.commune_code, o.valid_to, max(x.old_commune_full_name) AS old_name,
           count(*) AS successors,
           string_agg(x.new_commune_full_name || ' (' || x.new_commune_code || ')', ', '
                      ORDER BY x.is_main_successor DESC, x.weight DESC, x.new_commune_code) AS new_units
    FROM core.dim_commune AS o
    JOIN core.dim_commune_crosswalk AS x ON x.old_commune_code = o.commune_code
    WHERE o.valid_to IS NOT NULL
    GROUP BY ALL
),
typed AS (
    SELECT
        {{ provenance("r") }},
        commune_code(r.commune_code) AS commune_code,
        vn_label(r.commune_name) AS commune_name,
        clean_text(r.district_code) AS district_code_claimed,
        clean_text(r.province_code) AS province_code_claimed,
        {{ code("commune_group", "r.commune_group") }} AS commune_group,
        parse_period(r.reporting_period) AS reporting_period,
        parse_date(r.date_prepared) AS date_prepared,
        vn_label(r.preparer) AS preparer,
        parse_integer(r.agri_cooperatives) AS agri_cooperatives,
        parse_integer(r.farms) AS farms,
        coalesce({{ code("ntm_title", "r.ntm_title") }}, 'none') AS ntm_title,
        parse_integer(r.title_year) AS title_year,
        {{ code("ntm_title", "r.proposed_title") }} AS proposed_title,
        coalesce(parse_met(r.is_correction), false) AS is_correction,
        p.start_date AS period_start,
        p.end_date AS period_end,
        p.label_vi AS period_label,
        p.admin_era,
        p.criteria_set AS period_criteria_set,
        c.commune_code IS NOT NULL AS commune_known,
        c.commune_full_name,
        c.district_code,
        c.province_code,
        coalesce(c.is_rural_commune, false) AS is_rural_commune,
        r.commune_name IS NULL OR EXISTS (
            SELECT 1 FROM core.dim_commune_alias AS a
            WHERE a.commune_code = c.commune_code AND a.admin_era = c.admin_era
              AND a.alias_key = replace(text_key(r.commune_name), '_', '')
        ) AS commune_name_matches,
        coalesce(k.criteria_met_reported, 0) AS criteria_met_reported,
        k.criteria_sets_not_of_period AS criteria_set_reported,
        -- the code is a unit of an era that ended before the quarter, or begins after it
        (SELECT b FROM became AS b
         WHERE b.commune_code = commune_code(r.commune_code) AND b.valid_to < p.end_date
         ORDER BY b.valid_to DESC LIMIT 1) AS became,
        (SELECT n FROM core.dim_commune AS n
         WHERE n.commune_code = commune_code(r.commune_code) AND n.valid_from > p.end_date
         ORDER BY n.valid_from LIMIT 1) AS later_unit,
        {{ unparsed_columns("r") }} AS unparsed_columns
    FROM raw.submission AS r
    JOIN core.dim_period AS p ON p.period = r.period
    LEFT JOIN core.dim_commune AS c
        ON c.commune_code = commune_code(r.commune_code) AND in_force(c.valid_from, c.valid_to, p.end_date)
    LEFT JOIN reported_criteria AS k
        ON k.period = r.period AND k.batch = r.batch AND k.commune_code = commune_code(r.commune_code)
    WHERE r.period IN (SELECT unnest($periods))
),
ranked AS (
    SELECT
        t.*,
        count(*) FILTER (WHERE t.is_correction) OVER commune_period AS corrections,
        count(*) OVER commune_period AS submissions,
        row_number() OVER (
            PARTITION BY t.period, t.commune_code
            ORDER BY t.is_correction DESC, t.date_prepared DESC NULLS LAST, t.batch DESC
        ) AS precedence
    FROM typed AS t
    WINDOW commune_period AS (PARTITION BY t.period, t.commune_code)
)
SELECT
    r.* EXCLUDE (corrections, submissions, precedence, unparsed_columns, criteria_met_reported, became,
                 later_unit, period_end, period_label),
    -- why a code is no unit of the quarter, when it is one of another era
    CASE
        WHEN r.commune_known THEN NULL
        WHEN r.became IS NOT NULL THEN
            r.became.old_name || ' (' || r.commune_code || ') '
            || CASE WHEN r.became.successors > 1 THEN 'đã được chia, sáp nhập vào ' ELSE 'đã sáp nhập vào ' END
            || r.became.new_units || ' từ ' || strftime(r.became.valid_to + 1, '%d/%m/%Y')
        WHEN r.later_unit IS NOT NULL THEN
            r.later_unit.commune_full_name || ' (' || r.commune_code || ') chỉ có từ '
            || strftime(r.later_unit.valid_from, '%d/%m/%Y') || ', sau sắp xếp đơn vị hành chính: '
            || r.period_label || ' báo cáo theo đơn vị hành chính trước ngày đó'
    END AS commune_known_message_vi,
    CASE
        WHEN r.commune_known THEN NULL
        WHEN r.became IS NOT NULL THEN
            r.became.old_name || ' (' || r.commune_code || ') '
            || CASE WHEN r.became.successors > 1 THEN 'was divided among ' ELSE 'was merged into ' END
            || r.became.new_units || ' on ' || strftime(r.became.valid_to + 1, '%d/%m/%Y')
        WHEN r.later_unit IS NOT NULL THEN
            r.later_unit.commune_full_name || ' (' || r.commune_code || ') exists only from '
            || strftime(r.later_unit.valid_from, '%d/%m/%Y') || ', after the reorganisation of units: '
            || r.period || ' reports on the units before that day'
    END AS commune_known_message_en,
    CASE WHEN NOT r.commune_name_matches THEN
        'Tên xã không khớp với mã xã: trong ' || r.period_label || ' mã ' || r.commune_code || ' là '
        || r.commune_full_name END AS commune_name_message_vi,
    CASE WHEN NOT r.commune_name_matches THEN
        'Commune name does not match the commune code: in ' || r.period || ' code ' || r.commune_code || ' is '
        || r.commune_full_name END AS commune_name_message_en,
    -- A correction replaces every other submission of the commune for the period.
    r.corrections > 0 AND r.precedence > 1 AS is_superseded,
    -- Two first submissions and no correction: which one counts cannot be told.
    r.corrections = 0 AND r.submissions > 1 AS is_duplicate,
    r.district_code_claimed IS NULL OR lpad(r.district_code_claimed, 3, '0') = r.district_code
        OR r.district_code IS NULL AS district_matches,
    -- the unit of the quarter has no district (from 2025-Q3): a district code given is ignored
    r.district_code_claimed IS NULL OR NOT r.commune_known OR r.district_code IS NOT NULL AS district_expected,
    r.province_code_claimed IS NULL OR lpad(r.province_code_claimed, 2, '0') = r.province_code
        OR r.province_code IS NULL AS province_matches,
    -- a rural commune names its group when the quarter has commune groups (code list commune_group)
    r.commune_group IS NOT NULL OR NOT r.is_rural_commune OR NOT EXISTS (
        SELECT 1 FROM core.dim_code AS g
        WHERE g.code_list = 'commune_group' AND in_force(g.valid_from, g.valid_to, r.period_end)) AS commune_group_given,
    -- the criteria sheet reports on the quarter's set (core.dim_period.criteria_set)
    r.criteria_set_reported IS NULL AS criteria_set_of_period,
    CASE WHEN r.criteria_set_reported IS NOT NULL THEN
        'Trang Tiêu chí kê khai theo bộ tiêu chí không áp dụng cho ' || r.period_label
        || ' (' || r.criteria_set_reported || '): kỳ này báo cáo theo '
        || s.name_vi || ' (' || s.criteria_set || ', ' || s.criteria_count || ' tiêu chí)' END AS criteria_set_message_vi,
    CASE WHEN r.criteria_set_reported IS NOT NULL THEN
        'The Tiêu chí sheet reports on a criteria set not in force for ' || r.period
        || ' (' || r.criteria_set_reported || '): the quarter reports on ' || s.name_en || ' (' || s.criteria_set || ', ' || s.criteria_count
        || ' criteria)' END AS criteria_set_message_en,
    r.date_prepared IS NULL OR r.date_prepared <= current_date AS date_prepared_not_future,
    r.date_prepared IS NULL OR r.date_prepared >= r.period_start AS date_prepared_in_or_after_period,
    -- the proposed title is the next one above the title held, among the titles of the quarter
    r.proposed_title IS NULL OR coalesce(
        (SELECT pr.sort_order FROM core.dim_code AS pr WHERE pr.code_list = 'ntm_title' AND pr.code = r.proposed_title)
        = (SELECT min(nx.sort_order) FROM core.dim_code AS nx
           WHERE nx.code_list = 'ntm_title' AND in_force(nx.valid_from, nx.valid_to, r.period_end)
             AND nx.sort_order > (SELECT ti.sort_order FROM core.dim_code AS ti
                                  WHERE ti.code_list = 'ntm_title' AND ti.code = r.ntm_title)),
        true) AS proposal_follows_title,
    r.ntm_title = 'none' OR r.title_year IS NOT NULL AS title_has_year,
    r.ntm_title = 'none' OR NOT r.is_rural_commune OR r.criteria_met_reported >= coalesce(s.criteria_count, 0)
        AS ntm_meets_all_criteria,
    NOT r.row_hidden AS row_visible,
    CASE WHEN r.corrections > 0 AND r.precedence > 1 THEN 'superseded' ELSE 'validate' END AS row_status,
    r.unparsed_columns
FROM ranked AS r
LEFT JOIN core.dim_criteria_set AS s ON s.criteria_set = r.period_criteria_set
