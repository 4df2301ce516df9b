-- Quarterly KPIs for every commune, district and province that reported: the value, the
-- same quarter last year, the change, and that year's target. Stocks are quarter-end
-- values; flows (…_ytd) are sums from 1 January to quarter end.
WITH report_periods AS (
    SELECT * FROM core.dim_period WHERE period IN (SELECT unnest($periods))
),
-- Each period asked for, and the same quarter last year that it is compared with.
periods AS (
    SELECT * FROM core.dim_period
    WHERE period IN (SELECT period FROM report_periods UNION SELECT same_period_last_year FROM report_periods)
),
communes AS (
    SELECT h.* FROM core.fact_commune_status AS h JOIN periods USING (period)
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
    SELECT p.period, i.commune_code, i.status, i.capital_total, i.period = p.period AS in_quarter
    FROM periods AS p
    JOIN core.dim_period AS ip ON ip.year = p.year AND ip.quarter <= p.quarter
    JOIN core.fact_investment AS i ON i.period = ip.period
),
ocop_current AS (
    SELECT o.* FROM core.fact_ocop_rating AS o JOIN periods USING (period)
    WHERE o.is_current_rating AND o.is_valid_at_period_end AND o.is_certified_ocop
),
ocop_year_events AS (
    SELECT o.* FROM core.fact_ocop_rating AS o JOIN periods AS p USING (period)
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
    UNION ALL SELECT period, commune_code, 'projects_completed_ytd', count(*) FROM investment_ytd WHERE status = 'completed' GROUP BY ALL
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
    UNION ALL SELECT period, commune_code, 'ocop_ratings_ytd', count(*) FROM ocop_year_events GROUP BY ALL
),
-- Every reporting commune gets every summed KPI (zero when nothing was reported); an
-- averaged KPI exists only where the commune has a value (towns have no criteria score).
commune_grid AS (
    SELECT c.period, c.commune_code, c.district_code, c.province_code, k.kpi_code, k.aggregation,
           CASE WHEN k.aggregation = 'sum' THEN coalesce(v.value, 0) ELSE v.value END AS value
    FROM communes AS c
    CROSS JOIN core.dim_kpi AS k
    LEFT JOIN (SELECT period, commune_code, kpi_code, sum(value) AS value FROM commune_values GROUP BY ALL) AS v
        ON v.period = c.period AND v.commune_code = c.commune_code AND v.kpi_code = k.kpi_code
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
area_names AS (
    SELECT DISTINCT 'commune' AS area_level, commune_code AS area_code, commune_name AS area_name FROM core.dim_commune
    UNION ALL SELECT DISTINCT 'district', district_code, district_name FROM core.dim_commune
    UNION ALL SELECT DISTINCT 'province', province_code, province_name FROM core.dim_commune
)
SELECT
    v.period,
    p.year,
    p.quarter,
    v.area_level,
    v.area_code,
    n.area_name,
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
LEFT JOIN area_names AS n ON n.area_level = v.area_level AND n.area_code = v.area_code
LEFT JOIN area_values AS prev
    ON prev.period = p.same_period_last_year AND prev.area_level = v.area_level
   AND prev.area_code = v.area_code AND prev.kpi_code = v.kpi_code
LEFT JOIN core.fact_target AS t
    ON t.year = p.year AND t.area_level = v.area_level AND t.area_code = v.area_code AND t.kpi_code = v.kpi_code
ORDER BY v.period, v.area_level, v.area_code, v.kpi_code
