-- Submission headers, typed. The helper columns at the end feed the validation rules;
-- is_superseded and is_duplicate decide which submission of a commune and period counts.
WITH typed AS (
    SELECT
        {{ provenance("r") }},
        commune_code(r.commune_code) AS commune_code,
        vn_label(r.commune_name) AS commune_name,
        clean_text(r.district_code) AS district_code_claimed,
        clean_text(r.province_code) AS province_code_claimed,
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
        c.commune_code IS NOT NULL AS commune_known,
        c.district_code,
        c.province_code,
        coalesce(c.is_rural_commune, false) AS is_rural_commune,
        r.commune_name IS NULL OR EXISTS (
            SELECT 1 FROM core.dim_commune_alias AS a
            WHERE a.commune_code = c.commune_code AND a.admin_era = c.admin_era
              AND a.alias_key = replace(text_key(r.commune_name), '_', '')
        ) AS commune_name_matches,
        -- criteria met in the same submission, for "an NTM commune meets every criterion"
        (SELECT count(*) FILTER (WHERE parse_met(k.met)) FROM raw.criteria AS k
         WHERE k.period = r.period AND k.batch = r.batch
           AND commune_code(k.commune_code) = commune_code(r.commune_code)) AS criteria_met_reported,
        {{ unparsed_columns("r") }} AS unparsed_columns
    FROM raw.submission AS r
    JOIN core.dim_period AS p ON p.period = r.period
    LEFT JOIN core.dim_commune AS c
        ON c.commune_code = commune_code(r.commune_code) AND in_force(c.valid_from, c.valid_to, p.end_date)
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
    r.* EXCLUDE (corrections, submissions, precedence, unparsed_columns, criteria_met_reported),
    -- A correction replaces every other submission of the commune for the period.
    r.corrections > 0 AND r.precedence > 1 AS is_superseded,
    -- Two first submissions and no correction: which one counts cannot be told.
    r.corrections = 0 AND r.submissions > 1 AS is_duplicate,
    r.district_code_claimed IS NULL OR lpad(r.district_code_claimed, 3, '0') = r.district_code
        OR r.district_code IS NULL AS district_matches,
    r.province_code_claimed IS NULL OR lpad(r.province_code_claimed, 2, '0') = r.province_code
        OR r.province_code IS NULL AS province_matches,
    r.date_prepared IS NULL OR r.date_prepared <= current_date AS date_prepared_not_future,
    r.date_prepared IS NULL OR r.date_prepared >= r.period_start AS date_prepared_in_or_after_period,
    r.proposed_title IS NULL OR coalesce(
        (SELECT pr.sort_order FROM core.dim_code AS pr WHERE pr.code_list = 'ntm_title' AND pr.code = r.proposed_title)
        = (SELECT ti.sort_order FROM core.dim_code AS ti WHERE ti.code_list = 'ntm_title' AND ti.code = r.ntm_title) + 1,
        true) AS proposal_follows_title,
    r.ntm_title = 'none' OR r.title_year IS NOT NULL AS title_has_year,
    r.ntm_title = 'none' OR NOT r.is_rural_commune OR r.criteria_met_reported >= coalesce(
        (SELECT max(s.criteria_count) FROM core.dim_criteria_set AS s
         WHERE in_force(s.valid_from, s.valid_to, r.period_start)), 0) AS ntm_meets_all_criteria,
    NOT r.row_hidden AS row_visible,
    CASE WHEN r.corrections > 0 AND r.precedence > 1 THEN 'superseded' ELSE 'validate' END AS row_status,
    r.unparsed_columns
FROM ranked AS r
