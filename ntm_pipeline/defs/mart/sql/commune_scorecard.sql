-- The office's to-do list: every rural commune short of its next title, with the criteria
-- it still misses and what changed since the previous quarter.
WITH status AS (
    SELECT s.*, p.previous_period
    FROM core.fact_commune_status AS s
    JOIN core.dim_period AS p USING (period)
    WHERE s.period IN (SELECT unnest($periods)) AND s.is_rural_commune AND s.ntm_title IN ('none', 'ntm')
),
criteria AS (
    SELECT c.period, c.commune_code, c.criterion_no, c.criterion_name_vi, c.is_met
    FROM core.fact_criteria_snapshot AS c
)
SELECT
    s.period,
    s.commune_code,
    d.commune_name,
    s.district_code,
    d.district_name,
    s.ntm_title,
    CASE s.ntm_title WHEN 'none' THEN 'ntm' ELSE 'advanced' END AS next_title,
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
JOIN criteria AS now ON now.period = s.period AND now.commune_code = s.commune_code
LEFT JOIN criteria AS before
    ON before.period = s.previous_period AND before.commune_code = s.commune_code AND before.criterion_no = now.criterion_no
LEFT JOIN core.dim_commune AS d ON d.commune_code = s.commune_code AND d.admin_era = 'pre_2025'
GROUP BY ALL
ORDER BY s.period, s.district_code, s.ntm_title, criteria_met DESC, s.commune_code  -- 'none' before 'ntm'
