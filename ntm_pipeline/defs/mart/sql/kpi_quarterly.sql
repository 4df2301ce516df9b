-- Quarterly KPIs for every commune, district and province that reported: the value, the
-- same quarter last year, the change, and that year's target. Stocks are quarter-end
-- values; flows (…_ytd) are sums from 1 January to quarter end. Every row says how many
-- of the area's communes reported (communes_reporting) out of those in the GSO list
-- (communes_in_area), so a partial district or province is seen for what it is.
WITH report_periods AS (
    SELECT * FROM core.dim_period WHERE period IN (SELECT unnest($periods))
),
-- Each period asked for, and the same quarter last year that it is compared with.
periods AS (
    SELECT * FROM core.dim_period
    WHERE period IN (SELECT period FROM report_periods UNION SELECT same_period_last_year FROM report_periods)
),
-- For each period, the quarters of its year up to it.
year_quarters AS (
    SELECT p.period, q.period AS in_period
    FROM periods AS p JOIN core.dim_period AS q ON q.year = p.year AND q.quarter <= p.quarter
),
communes AS (
    SELECT h.* FROM core.fact_commune_status AS h JOIN periods USING (period)
),
-- Each commune's latest published submission of the year up to each period: the period
-- itself for a commune that reported in it.
latest_submission AS (
    SELECT y.period, h.commune_code, max(h.period) AS latest_period,
           arg_max(h.district_code, h.period) AS district_code, arg_max(h.province_code, h.period) AS province_code
    FROM year_quarters AS y JOIN core.fact_commune_status AS h ON h.period = y.in_period
    GROUP BY ALL
),
-- Communes of the KPI table: those that reported in the period (every KPI), and those that
-- reported earlier in the year but not in it (year-to-date flows only, so what they
-- mobilised earlier stays in their district's and province's year-to-date figures).
units AS (
    SELECT period, commune_code, district_code, province_code, latest_period = period AS reported
    FROM latest_submission
),
criteria_met AS (
    SELECT f.period, f.commune_code, count(*) FILTER (WHERE f.is_met) AS met
    FROM core.fact_criteria_snapshot AS f JOIN periods USING (period)
    GROUP BY ALL
),
-- Rural communes scored on criteria, with their count of criteria met and their title.
scored AS (
    SELECT c.period, c.commune_code, m.met,
           c.ntm_title IN ('ntm', 'advanced', 'model') AS is_ntm
    FROM communes AS c JOIN criteria_met AS m USING (period, commune_code)
    WHERE c.is_rural_commune
),
-- Investment facts of every quarter of the year up to each period, for year-to-date flows.
investment_ytd AS (
    SELECT y.period, i.commune_code, i.capital_total, i.period = y.period AS in_quarter
    FROM year_quarters AS y JOIN core.fact_investment AS i ON i.period = y.in_period
),
-- A submission lists each project with its status at quarter end, so a completed project
-- stays listed as completed quarter after quarter: it counts once, in the quarter it was
-- first reported completed (a project completed in December is not completed again in January).
first_completion AS (
    SELECT commune_code, project_code, min(period) AS completed_in
    FROM core.fact_investment WHERE status = 'completed'
    GROUP BY ALL
),
projects_completed AS (
    SELECT y.period, f.commune_code, count(*) AS completed
    FROM year_quarters AS y JOIN first_completion AS f ON f.completed_in = y.in_period
    GROUP BY ALL
),
ocop_current AS (
    SELECT o.* FROM core.fact_ocop_rating AS o JOIN periods USING (period)
    WHERE o.is_current_rating AND o.is_valid_at_period_end AND o.is_certified_ocop
),
-- Rating events dated in the year up to each period, from each commune's latest register
-- of the year: every register lists the product's whole history, so one register is read.
ocop_year_events AS (
    SELECT l.period, o.commune_code, o.product_code, o.decision_date, o.event_type
    FROM latest_submission AS l
    JOIN periods AS p ON p.period = l.period
    JOIN core.fact_ocop_rating AS o ON o.period = l.latest_period AND o.commune_code = l.commune_code
    WHERE o.is_certified_ocop AND o.decision_date BETWEEN p.year_start_date AND p.end_date
),
commune_values (period, commune_code, kpi_code, value) AS (
    SELECT period, commune_code, 'communes_reporting', 1 FROM communes
    UNION ALL SELECT period, commune_code, 'agri_cooperatives', agri_cooperatives FROM communes
    UNION ALL SELECT period, commune_code, 'farms', farms FROM communes
    UNION ALL SELECT period, commune_code, 'ntm_communes', 1 FROM communes WHERE ntm_title IN ('ntm', 'advanced', 'model')
    UNION ALL SELECT period, commune_code, 'advanced_ntm_communes', 1 FROM communes WHERE ntm_title IN ('advanced', 'model')
    UNION ALL SELECT period, commune_code, 'model_ntm_communes', 1 FROM communes WHERE ntm_title = 'model'
    UNION ALL SELECT period, commune_code, 'communes_proposed_ntm', 1 FROM communes WHERE proposed_title = 'ntm'
    UNION ALL SELECT period, commune_code, 'communes_proposed_advanced', 1 FROM communes WHERE proposed_title = 'advanced'
    UNION ALL SELECT period, commune_code, 'avg_criteria_met', met FROM scored
    UNION ALL SELECT period, commune_code, 'communes_19_criteria', 1 FROM scored WHERE NOT is_ntm AND met >= 19
    UNION ALL SELECT period, commune_code, 'communes_15_18_criteria', 1 FROM scored WHERE NOT is_ntm AND met BETWEEN 15 AND 18
    UNION ALL SELECT period, commune_code, 'communes_10_14_criteria', 1 FROM scored WHERE NOT is_ntm AND met BETWEEN 10 AND 14
    UNION ALL SELECT period, commune_code, 'communes_under_10_criteria', 1 FROM scored WHERE NOT is_ntm AND met < 10
    UNION ALL SELECT period, commune_code, 'capital_mobilized_ytd', sum(capital_total) FROM investment_ytd GROUP BY ALL
    UNION ALL SELECT period, commune_code, 'capital_mobilized_qtd', sum(capital_total) FILTER (WHERE in_quarter) FROM investment_ytd GROUP BY ALL
    UNION ALL SELECT period, commune_code, 'projects_completed_ytd', completed FROM projects_completed
    UNION ALL
    SELECT i.period, i.commune_code, 'projects_' || i.status || '.' || i.category, count(*)
    FROM core.fact_investment AS i JOIN periods USING (period)
    WHERE i.status IN ('ongoing', 'preparing')
    GROUP BY ALL
    UNION ALL
    SELECT a.period, a.commune_code, a.standard || '_area_ha', sum(a.certified_area_ha)
    FROM core.fact_certified_area AS a JOIN periods USING (period)
    GROUP BY ALL
    UNION ALL SELECT period, commune_code, 'ocop_products', count(DISTINCT product_code) FROM ocop_current GROUP BY ALL
    UNION ALL
    SELECT period, commune_code, 'ocop_products_' || stars || '_star', count(DISTINCT product_code)
    FROM ocop_current GROUP BY ALL
    UNION ALL
    SELECT period, commune_code, 'ocop_products_new_ytd', count(DISTINCT product_code)
    FROM ocop_year_events WHERE event_type = 'new' GROUP BY ALL
    UNION ALL
    SELECT period, commune_code, 'ocop_ratings_ytd', count(DISTINCT (product_code, decision_date))
    FROM ocop_year_events GROUP BY ALL
),
-- Every reporting commune gets every summed KPI (zero when nothing was reported); an
-- averaged KPI exists only where the commune has a value (towns have no criteria score).
-- A commune that did not report in the period keeps only its year-to-date flows.
commune_grid AS (
    SELECT u.period, u.commune_code, u.district_code, u.province_code, u.reported, k.kpi_code, k.aggregation,
           CASE WHEN k.aggregation = 'sum' THEN coalesce(v.value, 0) ELSE v.value END AS value
    FROM units AS u
    JOIN core.dim_kpi AS k ON u.reported OR ends_with(k.kpi_code, '_ytd')
    LEFT JOIN (SELECT period, commune_code, kpi_code, sum(value) AS value FROM commune_values GROUP BY ALL) AS v
        ON v.period = u.period AND v.commune_code = u.commune_code AND v.kpi_code = k.kpi_code
),
area_values AS (
    SELECT period, 'commune' AS area_level, commune_code AS area_code, kpi_code, value
    FROM commune_grid WHERE value IS NOT NULL
    UNION ALL
    SELECT period, 'district', district_code, kpi_code,
           CASE WHEN aggregation = 'avg' THEN avg(value) ELSE sum(value) END
    FROM commune_grid GROUP BY period, district_code, kpi_code, aggregation
    UNION ALL
    SELECT period, 'province', province_code, kpi_code,
           CASE WHEN aggregation = 'avg' THEN avg(value) ELSE sum(value) END
    FROM commune_grid GROUP BY period, province_code, kpi_code, aggregation
),
-- Communes of each area that reported in the period.
area_reporting AS (
    SELECT period, 'commune' AS area_level, commune_code AS area_code, bool_or(reported)::INTEGER AS communes_reporting
    FROM units GROUP BY ALL
    UNION ALL SELECT period, 'district', district_code, count(*) FILTER (WHERE reported) FROM units GROUP BY ALL
    UNION ALL SELECT period, 'province', province_code, count(*) FILTER (WHERE reported) FROM units GROUP BY ALL
),
-- Each area's label as the GSO list gives it, with its unit type ("Huyện Kim Bôi"), and its
-- commune-level units, both from the list valid at quarter end (five island districts have
-- no commune-level unit: their row has no commune code and counts for none).
gso_units AS (
    SELECT p.period, d.*
    FROM report_periods AS p
    JOIN core.dim_commune AS d
      ON in_force(d.valid_from, d.valid_to, p.end_date)
    WHERE d.commune_code IS NOT NULL
),
area_labels AS (
    SELECT period, 'commune' AS area_level, commune_code AS area_code, commune_full_name AS area_name, 1 AS communes_in_area
    FROM gso_units
    UNION ALL
    SELECT period, 'district', district_code, any_value(district_full_name), count(*) FROM gso_units GROUP BY period, district_code
    UNION ALL
    SELECT period, 'province', province_code, any_value(province_full_name), count(*) FROM gso_units GROUP BY period, province_code
)
SELECT
    v.period,
    p.year,
    p.quarter,
    v.area_level,
    v.area_code,
    n.area_name,
    CAST(r.communes_reporting AS INTEGER) AS communes_reporting,
    CAST(n.communes_in_area AS INTEGER) AS communes_in_area,
    v.kpi_code,
    k.name_vi AS kpi_name_vi,
    k.unit,
    k.measure,
    round(v.value, 4) AS value,
    round(prev.value, 4) AS value_prev_year,
    round(v.value - prev.value, 4) AS yoy_delta,
    CASE WHEN prev.value <> 0 THEN round(100 * (v.value - prev.value) / prev.value, 2) END AS yoy_pct,
    t.target_value AS target,
    CASE WHEN t.target_value <> 0 THEN round(100 * v.value / t.target_value, 2) END AS target_progress_pct
FROM area_values AS v
JOIN report_periods AS p ON p.period = v.period
JOIN core.dim_kpi AS k ON k.kpi_code = v.kpi_code
LEFT JOIN area_labels AS n ON n.period = v.period AND n.area_level = v.area_level AND n.area_code = v.area_code
LEFT JOIN area_reporting AS r ON r.period = v.period AND r.area_level = v.area_level AND r.area_code = v.area_code
LEFT JOIN area_values AS prev
    ON prev.period = p.same_period_last_year AND prev.area_level = v.area_level
   AND prev.area_code = v.area_code AND prev.kpi_code = v.kpi_code
LEFT JOIN core.fact_target AS t
    ON t.year = p.year AND t.area_level = v.area_level AND t.area_code = v.area_code AND t.kpi_code = v.kpi_code
ORDER BY v.period, v.area_level, v.area_code, v.kpi_code
