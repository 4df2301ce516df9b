-- The office's to-do list: every rural commune short of its next title, with the criteria of
-- its set it still misses and what changed since the previous quarter. The commune is the
-- unit in force at quarter end; the next title is the lowest title above its own that is
-- valid at quarter end (core.dim_code: advanced NTM up to 2025, modern NTM from 2026).
-- Criteria compare within one set: criterion 7 of NTM_2026_2030 is not criterion 7 of
-- NTM_2021_2025, so the first quarter of a new set gains and loses nothing.
WITH status AS (
    -- last quarter compares only on the same units: 05014 in 2025-Q2 was another commune
    SELECT s.*, p.previous_period, p.end_date, before.admin_era = p.admin_era AS same_units_as_previous
    FROM core.fact_commune_status AS s
    JOIN core.dim_period AS p USING (period)
    JOIN core.dim_period AS before ON before.period = p.previous_period
    WHERE s.period IN (SELECT unnest($periods)) AND s.is_rural_commune AND s.ntm_title IN ('none', 'ntm')
),
next_titles AS (
    SELECT s.period, s.commune_code, arg_min(n.code, n.sort_order) AS next_title
    FROM status AS s
    JOIN core.dim_code AS t ON t.code_list = 'ntm_title' AND t.code = s.ntm_title
    JOIN core.dim_code AS n
      ON n.code_list = 'ntm_title' AND n.sort_order > t.sort_order AND in_force(n.valid_from, n.valid_to, s.end_date)
    GROUP BY ALL
),
criteria AS (
    SELECT c.period, c.commune_code, c.criteria_set, c.criterion_no, c.criterion_name_vi, c.is_met
    FROM core.fact_criteria_snapshot AS c
)
SELECT
    s.period,
    s.commune_code,
    d.commune_name,
    s.district_code,
    d.district_name,
    s.province_code,
    d.province_name,
    s.criteria_set,
    s.ntm_title,
    n.next_title,
    s.proposed_title,
    count(*) FILTER (WHERE now.is_met) AS criteria_met,
    count(*) FILTER (WHERE NOT now.is_met) AS criteria_missing_count,
    list(now.criterion_no || '. ' || now.criterion_name_vi ORDER BY now.criterion_no) FILTER (WHERE NOT now.is_met)
        AS criteria_missing,
    list(now.criterion_no || '. ' || now.criterion_name_vi ORDER BY now.criterion_no)
        FILTER (WHERE now.is_met AND NOT coalesce(before.is_met, true)) AS gained_since_last_quarter,
    list(now.criterion_no || '. ' || now.criterion_name_vi ORDER BY now.criterion_no)
        FILTER (WHERE NOT now.is_met AND coalesce(before.is_met, false)) AS lost_since_last_quarter
FROM status AS s
JOIN criteria AS now ON now.period = s.period AND now.commune_code = s.commune_code AND now.criteria_set = s.criteria_set
LEFT JOIN criteria AS before
    ON s.same_units_as_previous AND before.period = s.previous_period AND before.commune_code = s.commune_code
   AND before.criteria_set = now.criteria_set AND before.criterion_no = now.criterion_no
LEFT JOIN next_titles AS n ON n.period = s.period AND n.commune_code = s.commune_code
LEFT JOIN core.dim_commune AS d ON d.commune_code = s.commune_code AND in_force(d.valid_from, d.valid_to, s.end_date)
GROUP BY ALL
ORDER BY s.period, s.province_code, s.district_code, s.ntm_title, criteria_met DESC, s.commune_code  -- 'none' before 'ntm'
