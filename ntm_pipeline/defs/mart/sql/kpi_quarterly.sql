-- Quarterly KPIs for every commune, district (up to 2025-Q2: there are none after the 2025
-- reform), province and the country that reported: the value, the same quarter last year,
-- how that comparison was made (yoy_basis), the change, and that year's target. Stocks are
-- quarter-end values; flows (…_ytd) are sums from 1 January to quarter end. Every row says
-- how many of the area's communes reported (communes_reporting) out of those in the GSO list
-- (communes_in_area), so a partial area is seen for what it is.
--
-- A code names a unit only with a day: every unit is the one in force at the quarter's end,
-- and a figure of another era's units reaches this quarter's units through the crosswalk.
WITH report_periods AS (
    SELECT * FROM core.dim_period WHERE period IN (SELECT unnest($periods))
),
-- Each period asked for, and the same quarter last year that it is compared with.
periods AS (
    SELECT * FROM core.dim_period
    WHERE period IN (SELECT period FROM report_periods UNION SELECT same_period_last_year FROM report_periods)
),
-- For each period, the quarters of its year up to it, with their eras.
year_quarters AS (
    SELECT p.period, p.admin_era, q.period AS in_period, q.admin_era AS in_era
    FROM periods AS p JOIN core.dim_period AS q ON q.year = p.year AND q.quarter <= p.quarter
),
-- core.dim_commune_crosswalk leads from the units of an era to those of the next one, which
-- begins the day after it ends (core.dim_admin_era).
era_steps AS (
    SELECT o.admin_era AS from_era, n.admin_era AS to_era
    FROM core.dim_admin_era AS o JOIN core.dim_admin_era AS n ON n.valid_from = o.valid_to + 1
),
-- What a unit's figures count for in an era: the unit itself in its own era (weight 1); in the
-- next era the unit(s) it became, by the crosswalk's weight (a divided unit's share by area
-- is an estimate).
unit_map AS (
    SELECT admin_era AS from_era, admin_era AS to_era, commune_code AS from_code, commune_code AS to_code,
           CAST(1 AS DOUBLE) AS weight, false AS estimated
    FROM core.dim_commune WHERE commune_code IS NOT NULL
    UNION ALL
    SELECT s.from_era, s.to_era, x.old_commune_code, x.new_commune_code, x.weight, x.split_estimated
    FROM core.dim_commune_crosswalk AS x CROSS JOIN era_steps AS s
),
-- Each submission of the year up to each period, as the period's unit(s) it counts for: the
-- commune itself, or in 2025-Q3 and Q4 the new communes an old one of Q1 and Q2 became.
year_sources AS (
    SELECT y.period, y.in_period, h.commune_code AS source_code, m.to_code AS commune_code, m.weight
    FROM year_quarters AS y
    JOIN core.fact_commune_status AS h ON h.period = y.in_period
    JOIN unit_map AS m ON m.from_era = y.in_era AND m.to_era = y.admin_era AND m.from_code = h.commune_code
),
-- Units of the KPI table, placed in their district and province by the GSO list in force at
-- quarter end: those that reported in the period (every KPI), and those with submissions
-- earlier in the year only (year-to-date flows only, so what was mobilised earlier stays in
-- the area's year-to-date figures).
units AS (
    SELECT s.period, s.commune_code, max(s.in_period) AS latest_period, bool_or(s.in_period = s.period) AS reported,
           any_value(d.district_code) AS district_code, any_value(d.province_code) AS province_code
    FROM year_sources AS s
    JOIN periods AS p ON p.period = s.period
    JOIN core.dim_commune AS d ON d.commune_code = s.commune_code AND in_force(d.valid_from, d.valid_to, p.end_date)
    GROUP BY s.period, s.commune_code
),
communes AS (
    SELECT h.* FROM core.fact_commune_status AS h JOIN periods USING (period)
),
-- Criteria met per commune, of the criteria set of the quarter.
criteria_met AS (
    SELECT f.period, f.commune_code, count(*) FILTER (WHERE f.is_met) AS met
    FROM core.fact_criteria_snapshot AS f
    JOIN periods AS p ON p.period = f.period AND p.criteria_set = f.criteria_set
    GROUP BY ALL
),
-- Rural communes scored on criteria, with their count of criteria met, their set and title.
scored AS (
    SELECT c.period, c.commune_code, c.criteria_set, m.met,
           c.ntm_title IN ('ntm', 'advanced', 'model', 'modern') AS is_ntm
    FROM communes AS c JOIN criteria_met AS m USING (period, commune_code)
    WHERE c.is_rural_commune
),
-- Investment facts of every quarter of the year up to each period, for year-to-date flows.
investment_ytd AS (
    SELECT s.period, s.commune_code, s.weight * i.capital_total AS capital_total, s.in_period = s.period AS in_quarter
    FROM year_sources AS s
    JOIN core.fact_investment AS i ON i.period = s.in_period AND i.commune_code = s.source_code
),
-- A submission lists each project with its status at quarter end, so a completed project
-- stays listed as completed quarter after quarter: it counts once, in the quarter it was
-- first reported completed (a project completed in December is not completed again in
-- January, nor one completed before the reform again under the commune it became). A
-- project is its commune's: two old communes merged into one may both have a project 'DA01'.
first_completion AS (
    SELECT m.to_era AS admin_era, m.to_code AS commune_code, m.from_code, i.project_code,
           min(i.period) AS completed_in, arg_min(m.weight, i.period) AS weight
    FROM core.fact_investment AS i
    JOIN core.dim_period AS d ON d.period = i.period
    JOIN unit_map AS m ON m.from_era = d.admin_era AND m.from_code = i.commune_code
    WHERE i.status = 'completed'
    GROUP BY ALL
),
projects_completed AS (
    SELECT y.period, f.commune_code, sum(f.weight) AS completed
    FROM year_quarters AS y
    JOIN first_completion AS f ON f.completed_in = y.in_period AND f.admin_era = y.admin_era
    GROUP BY ALL
),
ocop_current AS (
    SELECT o.* FROM core.fact_ocop_rating AS o JOIN periods USING (period)
    WHERE o.is_current_rating AND o.is_valid_at_period_end AND o.is_certified_ocop
),
-- Rating events dated in the year up to each period, from each unit's latest register of
-- the year (every register lists the product's whole history, so one register is read): its
-- own, or those of the old communes it was made of when it has none yet.
ocop_year_events AS (
    SELECT DISTINCT s.period, s.commune_code, s.source_code, s.weight, o.product_code, o.decision_date, o.event_type
    FROM units AS u
    JOIN periods AS p ON p.period = u.period
    JOIN year_sources AS s ON s.period = u.period AND s.commune_code = u.commune_code AND s.in_period = u.latest_period
    JOIN core.fact_ocop_rating AS o ON o.period = s.in_period AND o.commune_code = s.source_code
    WHERE o.is_certified_ocop AND o.decision_date BETWEEN p.year_start_date AND p.end_date
),
commune_values (period, commune_code, kpi_code, value) AS (
    SELECT period, commune_code, 'communes_reporting', 1 FROM communes
    UNION ALL SELECT period, commune_code, 'agri_cooperatives', agri_cooperatives FROM communes
    UNION ALL SELECT period, commune_code, 'farms', farms FROM communes
    UNION ALL SELECT period, commune_code, 'ntm_communes', 1 FROM communes WHERE ntm_title IN ('ntm', 'advanced', 'model', 'modern')
    UNION ALL SELECT period, commune_code, 'advanced_ntm_communes', 1 FROM communes WHERE ntm_title IN ('advanced', 'model')
    UNION ALL SELECT period, commune_code, 'model_ntm_communes', 1 FROM communes WHERE ntm_title = 'model'
    UNION ALL SELECT period, commune_code, 'modern_ntm_communes', 1 FROM communes WHERE ntm_title = 'modern'
    UNION ALL SELECT period, commune_code, 'communes_proposed_ntm', 1 FROM communes WHERE proposed_title = 'ntm'
    UNION ALL SELECT period, commune_code, 'communes_proposed_advanced', 1 FROM communes WHERE proposed_title = 'advanced'
    UNION ALL SELECT period, commune_code, 'avg_criteria_met', met FROM scored
    -- criteria bands are data (core.dim_kpi): communes not yet NTM by criteria met of their set
    UNION ALL
    SELECT s.period, s.commune_code, k.kpi_code, 1
    FROM scored AS s
    JOIN core.dim_kpi AS k ON k.criteria_set = s.criteria_set AND s.met BETWEEN k.criteria_min AND k.criteria_max
    WHERE NOT s.is_ntm
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
    SELECT period, commune_code, 'ocop_products_new_ytd', sum(weight)
    FROM (SELECT DISTINCT period, commune_code, source_code, weight, product_code FROM ocop_year_events WHERE event_type = 'new')
    GROUP BY ALL
    UNION ALL
    SELECT period, commune_code, 'ocop_ratings_ytd', sum(weight)
    FROM (SELECT DISTINCT period, commune_code, source_code, weight, product_code, decision_date FROM ocop_year_events)
    GROUP BY ALL
),
-- Every reporting commune gets every summed KPI of its quarter (zero when nothing was
-- reported; a KPI of a criteria set only in quarters scored on it); an averaged KPI exists
-- only where the commune has a value (towns and wards have no criteria score). A commune that
-- did not report in the period keeps only its year-to-date flows.
commune_grid AS (
    SELECT u.period, u.commune_code, u.district_code, u.province_code, u.reported, k.kpi_code, k.aggregation,
           CASE WHEN k.aggregation = 'sum' THEN coalesce(v.value, 0) ELSE v.value END AS value
    FROM units AS u
    JOIN periods AS p ON p.period = u.period
    JOIN core.dim_kpi AS k
      ON (u.reported OR ends_with(k.kpi_code, '_ytd')) AND (k.criteria_set IS NULL OR k.criteria_set = p.criteria_set)
    LEFT JOIN (SELECT period, commune_code, kpi_code, sum(value) AS value FROM commune_values GROUP BY ALL) AS v
        ON v.period = u.period AND v.commune_code = u.commune_code AND v.kpi_code = k.kpi_code
),
area_values AS (
    SELECT period, 'commune' AS area_level, commune_code AS area_code, kpi_code, value
    FROM commune_grid WHERE value IS NOT NULL
    UNION ALL
    SELECT period, 'district', district_code, kpi_code,
           CASE WHEN aggregation = 'avg' THEN avg(value) ELSE sum(value) END
    FROM commune_grid WHERE district_code IS NOT NULL GROUP BY period, district_code, kpi_code, aggregation
    UNION ALL
    SELECT period, 'province', province_code, kpi_code,
           CASE WHEN aggregation = 'avg' THEN avg(value) ELSE sum(value) END
    FROM commune_grid GROUP BY period, province_code, kpi_code, aggregation
    UNION ALL
    SELECT period, 'national', 'VN', kpi_code,
           CASE WHEN aggregation = 'avg' THEN avg(value) ELSE sum(value) END
    FROM commune_grid GROUP BY period, kpi_code, aggregation
),
-- Communes of each area that reported in the period.
area_reporting AS (
    SELECT period, 'commune' AS area_level, commune_code AS area_code, bool_or(reported)::INTEGER AS communes_reporting
    FROM units GROUP BY ALL
    UNION ALL
    SELECT period, 'district', district_code, count(*) FILTER (WHERE reported) FROM units
    WHERE district_code IS NOT NULL GROUP BY ALL
    UNION ALL SELECT period, 'province', province_code, count(*) FILTER (WHERE reported) FROM units GROUP BY ALL
    UNION ALL SELECT period, 'national', 'VN', count(*) FILTER (WHERE reported) FROM units GROUP BY ALL
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
    SELECT period, 'district', district_code, any_value(district_full_name), count(*)
    FROM gso_units WHERE district_code IS NOT NULL GROUP BY period, district_code
    UNION ALL
    SELECT period, 'province', province_code, any_value(province_full_name), count(*) FROM gso_units GROUP BY period, province_code
    UNION ALL
    SELECT period, 'national', 'VN', 'Toàn quốc', count(*) FROM gso_units GROUP BY period
),
-- The same quarter last year on this quarter's units. Within an era, and for the country,
-- the area's own value then. Across a change of units, last year's commune values carried
-- through the crosswalk to this quarter's communes and provinces, each old commune by its
-- share in the area (weight); estimated when a divided commune gives the area part of itself.
old_unit_shares AS (
    SELECT p.period, l.period AS last_year, m.from_code, area.area_level, area.area_code,
           sum(m.weight) AS share, bool_or(m.estimated) AS divided
    FROM report_periods AS p
    JOIN core.dim_period AS l ON l.period = p.same_period_last_year AND l.admin_era <> p.admin_era
    JOIN unit_map AS m ON m.from_era = l.admin_era AND m.to_era = p.admin_era
    JOIN core.dim_commune AS d ON d.commune_code = m.to_code AND in_force(d.valid_from, d.valid_to, p.end_date)
    CROSS JOIN LATERAL (VALUES ('commune', d.commune_code), ('province', d.province_code)) AS area (area_level, area_code)
    GROUP BY ALL
),
crosswalked AS (
    SELECT s.period, s.area_level, s.area_code, v.kpi_code, sum(s.share * v.value) AS value,
           bool_or(s.divided AND s.share < 1 - 1e-9) AS estimated
    FROM old_unit_shares AS s
    JOIN area_values AS v ON v.period = s.last_year AND v.area_level = 'commune' AND v.area_code = s.from_code
    GROUP BY ALL
),
compared AS (
    SELECT
        v.*,
        coalesce(same.value, x.value) AS prev_value,
        CASE WHEN same.value IS NOT NULL THEN 'same_units'
             WHEN x.estimated THEN 'crosswalk_estimated'
             WHEN x.value IS NOT NULL THEN 'crosswalk' END AS basis,
        -- counts of communes and criteria scores do not carry across a change of units, nor
        -- criteria KPIs across two criteria sets (core.dim_kpi.across_reform, across_criteria_sets)
        coalesce((l.admin_era <> p.admin_era AND k.across_reform = 'not_comparable')
            OR (l.criteria_set <> p.criteria_set AND k.across_criteria_sets = 'not_comparable'), false) AS not_comparable
    FROM area_values AS v
    JOIN report_periods AS p ON p.period = v.period
    LEFT JOIN core.dim_period AS l ON l.period = p.same_period_last_year
    JOIN core.dim_kpi AS k ON k.kpi_code = v.kpi_code
    LEFT JOIN area_values AS same
        ON same.period = l.period AND same.area_level = v.area_level AND same.area_code = v.area_code
       AND same.kpi_code = v.kpi_code AND (l.admin_era = p.admin_era OR v.area_level = 'national')
    LEFT JOIN crosswalked AS x
        ON x.period = v.period AND x.area_level = v.area_level AND x.area_code = v.area_code AND x.kpi_code = v.kpi_code
),
yoy AS (
    SELECT * EXCLUDE (prev_value, basis, not_comparable),
           CASE WHEN NOT not_comparable THEN prev_value END AS prev_value,
           CASE WHEN prev_value IS NOT NULL AND not_comparable THEN 'not_comparable' ELSE basis END AS yoy_basis
    FROM compared
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
    round(v.prev_value, 4) AS value_prev_year,
    round(v.value - v.prev_value, 4) AS yoy_delta,
    CASE WHEN v.prev_value <> 0 THEN round(100 * (v.value - v.prev_value) / v.prev_value, 2) END AS yoy_pct,
    v.yoy_basis,
    t.target_value AS target,
    CASE WHEN t.target_value <> 0 THEN round(100 * v.value / t.target_value, 2) END AS target_progress_pct
FROM yoy AS v
JOIN report_periods AS p ON p.period = v.period
JOIN core.dim_kpi AS k ON k.kpi_code = v.kpi_code
LEFT JOIN area_labels AS n ON n.period = v.period AND n.area_level = v.area_level AND n.area_code = v.area_code
LEFT JOIN area_reporting AS r ON r.period = v.period AND r.area_level = v.area_level AND r.area_code = v.area_code
-- a year's targets are for the units in force on its 1 January (core.fact_target.admin_era)
LEFT JOIN core.fact_target AS t
    ON t.year = p.year AND t.admin_era = p.admin_era AND t.area_level = v.area_level
   AND t.area_code = v.area_code AND t.kpi_code = v.kpi_code
ORDER BY v.period, v.area_level, v.area_code, v.kpi_code
