-- The benchmark floor: the rows of mart.kpi_quarterly computed straight from the bulk CSV
-- files in one DuckDB statement, with no orchestration, no raw/staging/core tables and no
-- validation, quarantine or correction handling. It is only right for clean generated
-- data: codes, ISO dates, dot decimals, `x` for met, one submission per commune and
-- quarter, and each file with the columns of ntm_pipeline/contract.py in that order (they
-- are declared below: sniffing thousands of small files costs more than reading them). The
-- KPI semantics are those of ntm_pipeline/defs/mart/sql/kpi_quarterly.sql over the core facts.
--
-- Before running it, the caller sets the raw folder and creates the reference tables
-- (bench/floor_check.py: prepare_reference builds them with the pipeline's own SQL):
--   SET VARIABLE raw_dir = '/path/to/raw';   -- holds submissions/<period>/... and targets/
--   dim_commune(commune_code, valid_from, valid_to, commune_full_name, is_rural_commune,
--               district_code, district_full_name, province_code, province_full_name)
--   dim_period(period, year, quarter, end_date, year_start_date)
--   dim_kpi(kpi_code, unit, measure, aggregation, name_vi)     -- breakdowns expanded
--   dim_criterion(criteria_set, criterion_no)
--   dim_ocop_star_band(stars, is_certified)
-- It ends with table kpi_quarterly: the columns of mart.kpi_quarterly, one row per quarter
-- with submission files, area and KPI, in no set order.
--
-- Speed: each file is read once; criteria and investment rows are reduced per file and
-- commune before anything else; past that point commune-quarters, KPIs and quarters are
-- joined on integer keys, and names are attached only to the final rows.

CREATE OR REPLACE TABLE kpi_quarterly AS
WITH
-- Every commune, district and province of the GSO list with an integer id.
areas AS MATERIALIZED (
    SELECT CAST(row_number() OVER () AS INTEGER) AS area_no, area_level, area_code
    FROM (SELECT DISTINCT 'commune' AS area_level, commune_code AS area_code FROM dim_commune
          UNION ALL SELECT DISTINCT 'district', district_code FROM dim_commune
          UNION ALL SELECT DISTINCT 'province', province_code FROM dim_commune)
),
commune_areas AS (
    SELECT c.commune_code, c.valid_from, c.valid_to, c.is_rural_commune,
           ac.area_no AS commune_area, ad.area_no AS district_area, ap.area_no AS province_area
    FROM dim_commune AS c
    JOIN areas AS ac ON ac.area_level = 'commune' AND ac.area_code = c.commune_code
    JOIN areas AS ad ON ad.area_level = 'district' AND ad.area_code = c.district_code
    JOIN areas AS ap ON ap.area_level = 'province' AND ap.area_code = c.province_code
),
-- Submission headers, placed in district and province by the GSO list in force at quarter
-- end; a code outside it (the generator writes a few empty ones) is dropped, as the pipeline
-- quarantines it. Each commune-quarter gets an integer id for the joins below.
communes AS MATERIALIZED (
    SELECT
        CAST(row_number() OVER () AS INTEGER) AS commune_quarter,
        p.period, p.year, p.quarter, p.year * 4 + p.quarter AS quarter_no, p.end_date, p.year_start_date,
        s.commune_code, c.commune_area, c.district_area, c.province_area, c.is_rural_commune,
        coalesce(s.ntm_title, 'none') AS ntm_title, s.proposed_title, s.agri_cooperatives, s.farms
    FROM read_csv(getvariable('raw_dir') || '/submissions/*/province-*/*.submission.csv',
                  header = true, auto_detect = false, filename = true, columns = {
                      'commune_code': 'VARCHAR', 'commune_name': 'VARCHAR', 'district_code': 'VARCHAR',
                      'province_code': 'VARCHAR', 'reporting_period': 'VARCHAR', 'date_prepared': 'VARCHAR',
                      'preparer': 'VARCHAR', 'agri_cooperatives': 'BIGINT', 'farms': 'BIGINT',
                      'ntm_title': 'VARCHAR', 'title_year': 'VARCHAR', 'proposed_title': 'VARCHAR',
                      'is_correction': 'VARCHAR'}) AS s
    -- the quarter is the folder the file was dropped in
    JOIN dim_period AS p ON p.period = regexp_extract(s.filename, '(\d{4}-Q[1-4])/[^/]+/[^/]+$', 1)
    JOIN commune_areas AS c
        ON c.commune_code = s.commune_code
       AND coalesce(c.valid_from, DATE '1900-01-01') <= p.end_date
       AND coalesce(c.valid_to, DATE '9999-12-31') >= p.end_date
),
-- Criteria met per commune; only criteria of a known set and number count (core joins dim_criterion).
criteria_met_per_file AS (
    SELECT r.filename, r.commune_code, count(*) FILTER (WHERE r.met = 'x') AS met
    FROM read_csv(getvariable('raw_dir') || '/submissions/*/province-*/*.criteria.csv',
                  header = true, auto_detect = false, filename = true, columns = {
                      'commune_code': 'VARCHAR', 'criteria_set': 'VARCHAR', 'criterion_no': 'INTEGER',
                      'met': 'VARCHAR', 'note': 'VARCHAR'}) AS r
    SEMI JOIN dim_criterion AS k ON k.criteria_set = r.criteria_set AND k.criterion_no = r.criterion_no
    GROUP BY ALL
),
-- Rural communes scored on criteria (towns have no score), with their title. A detail row
-- counts only where its commune's submission of the quarter does, as in core.fact_*.
scored AS (
    SELECT c.commune_quarter, m.met, c.ntm_title IN ('ntm', 'advanced', 'model') AS is_ntm
    FROM criteria_met_per_file AS m
    JOIN communes AS c
        ON c.period = regexp_extract(m.filename, '(\d{4}-Q[1-4])/[^/]+/[^/]+$', 1)
       AND c.commune_code = m.commune_code
    WHERE c.is_rural_commune
),
-- Projects per commune, status and category; capital_total is the sum of the six sources
-- (as staging computes it), not the reported total. The codes of completed projects are
-- kept: a project counts as completed once, in the quarter first listed completed.
investment_per_file AS (
    SELECT
        i.filename, i.commune_code, i.status, i.category,
        sum(coalesce(i.capital_central_budget, 0) + coalesce(i.capital_local_budget, 0)
            + coalesce(i.capital_integrated, 0) + coalesce(i.capital_credit, 0)
            + coalesce(i.capital_enterprise, 0) + coalesce(i.capital_people, 0)) AS capital_total,
        count(*) AS projects,
        list(i.project_code) FILTER (WHERE i.status = 'completed') AS completed_projects
    FROM read_csv(getvariable('raw_dir') || '/submissions/*/province-*/*.investment.csv',
                  header = true, auto_detect = false, filename = true, columns = {
                      'commune_code': 'VARCHAR', 'project_code': 'VARCHAR', 'project_name': 'VARCHAR',
                      'category': 'VARCHAR', 'status': 'VARCHAR', 'capital_central_budget': 'DOUBLE',
                      'capital_local_budget': 'DOUBLE', 'capital_integrated': 'DOUBLE',
                      'capital_credit': 'DOUBLE', 'capital_enterprise': 'DOUBLE', 'capital_people': 'DOUBLE',
                      'capital_total': 'VARCHAR'}) AS i
    GROUP BY ALL
),
investment AS MATERIALIZED (
    SELECT c.commune_quarter, c.year, c.quarter, c.commune_code, i.status, i.category, i.capital_total, i.projects,
           i.completed_projects
    FROM investment_per_file AS i
    JOIN communes AS c
        ON c.period = regexp_extract(i.filename, '(\d{4}-Q[1-4])/[^/]+/[^/]+$', 1)
       AND c.commune_code = i.commune_code
),
investment_quarter AS (
    SELECT year, quarter, commune_code, sum(capital_total) AS capital_total
    FROM investment
    GROUP BY ALL
),
-- The quarters with submissions, and for each the communes that reported in one of its
-- year's quarters up to it, with their latest submission: a commune that did not report
-- this quarter keeps its year-to-date flows (and only those), each a unit with an id.
quarters AS (
    SELECT DISTINCT period, year, quarter, quarter_no, end_date, year_start_date FROM communes
),
units AS MATERIALIZED (
    SELECT CAST(row_number() OVER () AS INTEGER) AS unit_no, l.*,
           c.commune_area, c.district_area, c.province_area,
           CASE WHEN l.reported THEN l.latest_cq END AS commune_quarter
    FROM (
        SELECT q.quarter_no, q.year, q.quarter, q.end_date, q.year_start_date, c.commune_code,
               arg_max(c.commune_quarter, c.quarter_no) AS latest_cq, max(c.quarter_no) = q.quarter_no AS reported
        FROM quarters AS q JOIN communes AS c ON c.year = q.year AND c.quarter <= q.quarter
        GROUP BY q.quarter_no, q.year, q.quarter, q.end_date, q.year_start_date, c.commune_code
    ) AS l
    JOIN communes AS c ON c.commune_quarter = l.latest_cq
),
-- Year-to-date flows of each unit: its own quarters of the year so far.
investment_ytd AS (
    SELECT u.unit_no,
           sum(q.capital_total) AS capital_ytd,
           sum(q.capital_total) FILTER (WHERE q.quarter = u.quarter) AS capital_qtd
    FROM units AS u
    JOIN investment_quarter AS q
        ON q.commune_code = u.commune_code AND q.year = u.year AND q.quarter <= u.quarter
    GROUP BY ALL
),
first_completion AS (
    SELECT i.commune_code, p.project_code, min(i.year * 4 + i.quarter) AS completed_no
    FROM investment AS i, unnest(i.completed_projects) AS p(project_code)
    WHERE i.status = 'completed'
    GROUP BY ALL
),
projects_completed AS (
    SELECT u.unit_no, count(*) AS completed
    FROM units AS u
    JOIN first_completion AS f
        ON f.commune_code = u.commune_code AND f.completed_no BETWEEN u.year * 4 + 1 AND u.quarter_no
    GROUP BY ALL
),
-- The OCOP register of each quarter with the fact table's flags: certified star band, the
-- product's current (latest) rating, certificate valid 36 months from the decision.
ocop_events AS (
    SELECT
        c.commune_quarter, c.end_date, c.year_start_date,
        o.product_code, o.event_type, o.stars, o.decision_date,
        coalesce(b.is_certified, false) AS is_certified_ocop
    FROM read_csv(getvariable('raw_dir') || '/submissions/*/province-*/*.ocop_product.csv',
                  header = true, auto_detect = false, filename = true, columns = {
                      'commune_code': 'VARCHAR', 'product_code': 'VARCHAR', 'product_name': 'VARCHAR',
                      'producer': 'VARCHAR', 'producer_type': 'VARCHAR', 'product_group': 'VARCHAR',
                      'score': 'VARCHAR', 'stars': 'BIGINT', 'decision_no': 'VARCHAR',
                      'decision_date': 'DATE', 'certifying_level': 'VARCHAR', 'event_type': 'VARCHAR'}) AS o
    JOIN communes AS c
        ON c.period = regexp_extract(o.filename, '(\d{4}-Q[1-4])/[^/]+/[^/]+$', 1)
       AND c.commune_code = o.commune_code
    LEFT JOIN dim_ocop_star_band AS b ON b.stars = o.stars
),
ocop_rated AS (
    SELECT *,
           decision_date = max(decision_date) OVER (PARTITION BY commune_quarter, product_code) AS is_current_rating,
           CAST(decision_date + INTERVAL 36 MONTH - INTERVAL 1 DAY AS DATE) >= end_date AS is_valid_at_period_end
    FROM ocop_events
),
ocop_current AS (
    SELECT commune_quarter, product_code, stars FROM ocop_rated
    WHERE is_current_rating AND is_valid_at_period_end AND is_certified_ocop
),
-- Rating events of the year so far, from each unit's latest register of the year.
ocop_year_events AS (
    SELECT u.unit_no, o.product_code, o.decision_date, o.event_type
    FROM units AS u JOIN ocop_rated AS o ON o.commune_quarter = u.latest_cq
    WHERE o.is_certified_ocop AND o.decision_date BETWEEN u.year_start_date AND u.end_date
),
-- Hectares under a certificate valid at quarter end, per standard.
certified_area AS (
    SELECT c.commune_quarter, a.standard,
           sum(a.area_ha) FILTER (WHERE a.issue_date <= c.end_date AND a.expiry_date >= c.end_date) AS area_ha
    FROM read_csv(getvariable('raw_dir') || '/submissions/*/province-*/*.certified_area.csv',
                  header = true, auto_detect = false, filename = true, columns = {
                      'commune_code': 'VARCHAR', 'product': 'VARCHAR', 'standard': 'VARCHAR',
                      'area_ha': 'DOUBLE', 'certificate_no': 'VARCHAR', 'issue_date': 'DATE',
                      'expiry_date': 'DATE'}) AS a
    JOIN communes AS c
        ON c.period = regexp_extract(a.filename, '(\d{4}-Q[1-4])/[^/]+/[^/]+$', 1)
       AND c.commune_code = a.commune_code
    GROUP BY ALL
),
-- The header KPIs, one column each, turned into rows (NULL means no row: 0 for a sum KPI).
header_values AS (
    UNPIVOT (
        SELECT commune_quarter,
               1.0 AS communes_reporting,
               CAST(agri_cooperatives AS DOUBLE) AS agri_cooperatives,
               CAST(farms AS DOUBLE) AS farms,
               CASE WHEN ntm_title IN ('ntm', 'advanced', 'model') THEN 1.0 END AS ntm_communes,
               CASE WHEN ntm_title IN ('advanced', 'model') THEN 1.0 END AS advanced_ntm_communes,
               CASE WHEN ntm_title = 'model' THEN 1.0 END AS model_ntm_communes,
               CASE WHEN proposed_title = 'ntm' THEN 1.0 END AS communes_proposed_ntm,
               CASE WHEN proposed_title = 'advanced' THEN 1.0 END AS communes_proposed_advanced
        FROM communes
    ) ON COLUMNS(* EXCLUDE (commune_quarter)) INTO NAME kpi_code VALUE value
),
-- Quarter-end values per commune-quarter and KPI code; each branch yields distinct codes.
stock_values (commune_quarter, kpi_code, value) AS (
    SELECT commune_quarter, kpi_code, value FROM header_values
    UNION ALL SELECT commune_quarter, 'avg_criteria_met', met FROM scored
    UNION ALL
    SELECT commune_quarter,
           CASE WHEN met >= 19 THEN 'communes_19_criteria'
                WHEN met >= 15 THEN 'communes_15_18_criteria'
                WHEN met >= 10 THEN 'communes_10_14_criteria'
                ELSE 'communes_under_10_criteria' END,
           1
    FROM scored WHERE NOT is_ntm
    UNION ALL
    SELECT commune_quarter, 'projects_' || status || '.' || category, sum(projects)
    FROM investment WHERE status IN ('ongoing', 'preparing')
    GROUP BY ALL
    UNION ALL SELECT commune_quarter, standard || '_area_ha', area_ha FROM certified_area
    UNION ALL SELECT commune_quarter, 'ocop_products', count(DISTINCT product_code) FROM ocop_current GROUP BY ALL
    UNION ALL
    SELECT commune_quarter, 'ocop_products_' || stars || '_star', count(DISTINCT product_code)
    FROM ocop_current GROUP BY ALL
),
-- Every value per unit and KPI code.
commune_values (unit_no, kpi_code, value) AS (
    SELECT u.unit_no, v.kpi_code, v.value FROM stock_values AS v JOIN units AS u USING (commune_quarter)
    UNION ALL SELECT unit_no, 'capital_mobilized_ytd', capital_ytd FROM investment_ytd
    UNION ALL SELECT unit_no, 'capital_mobilized_qtd', capital_qtd FROM investment_ytd
    UNION ALL SELECT unit_no, 'projects_completed_ytd', completed FROM projects_completed
    UNION ALL
    SELECT unit_no, 'ocop_products_new_ytd', count(DISTINCT product_code)
    FROM ocop_year_events WHERE event_type = 'new' GROUP BY ALL
    UNION ALL
    SELECT unit_no, 'ocop_ratings_ytd', count(DISTINCT (product_code, decision_date))
    FROM ocop_year_events GROUP BY ALL
),
kpis AS (
    SELECT *, CAST(row_number() OVER (ORDER BY kpi_code) AS SMALLINT) AS kpi_no,
           ends_with(kpi_code, '_ytd') AS is_year_to_date
    FROM dim_kpi
),
-- Codes the catalogue does not know drop out here, as in the mart's join with dim_kpi.
commune_kpi_values AS (
    SELECT v.unit_no, k.kpi_no, v.value
    FROM commune_values AS v JOIN kpis AS k USING (kpi_code)
),
-- Every reporting commune gets every summed KPI (zero when nothing was reported); an
-- averaged KPI exists only where the commune has a value. A unit that did not report in
-- the quarter gets the year-to-date flows only.
commune_grid AS (
    SELECT u.quarter_no, u.commune_area, u.district_area, u.province_area, k.kpi_no, k.aggregation,
           CASE WHEN k.aggregation = 'sum' THEN coalesce(v.value, 0) ELSE v.value END AS value
    FROM units AS u
    JOIN kpis AS k ON u.reported OR k.is_year_to_date
    LEFT JOIN commune_kpi_values AS v ON v.unit_no = u.unit_no AND v.kpi_no = k.kpi_no
),
-- District sums and counts, from which district and province values follow (an average
-- as sum / count of the communes' values, so provinces need not rescan the communes).
district_totals AS (
    SELECT quarter_no, district_area, province_area, kpi_no, aggregation,
           sum(value) AS total, count(value) AS communes_with_value
    FROM commune_grid
    GROUP BY ALL
),
area_values AS MATERIALIZED (
    SELECT quarter_no, commune_area AS area_no, kpi_no, value
    FROM commune_grid WHERE value IS NOT NULL
    UNION ALL
    SELECT quarter_no, district_area, kpi_no,
           CASE WHEN aggregation = 'avg' THEN total / communes_with_value ELSE total END
    FROM district_totals
    UNION ALL
    SELECT quarter_no, province_area, kpi_no,
           CASE WHEN aggregation = 'avg' THEN sum(total) / sum(communes_with_value) ELSE sum(total) END
    FROM district_totals
    GROUP BY quarter_no, province_area, kpi_no, aggregation
),
-- Labels as the mart gives them, with the unit type (Huyện Kim Bôi), by level and code.
area_names AS (
    SELECT a.area_no, n.area_name
    FROM areas AS a
    JOIN (SELECT DISTINCT 'commune' AS area_level, commune_code AS area_code, commune_full_name AS area_name FROM dim_commune
          UNION ALL SELECT DISTINCT 'district', district_code, district_full_name FROM dim_commune
          UNION ALL SELECT DISTINCT 'province', province_code, province_full_name FROM dim_commune) AS n
        USING (area_level, area_code)
),
-- Coverage: units of each area that reported, out of its units in the GSO list at quarter end.
area_reporting AS (
    SELECT quarter_no, commune_area AS area_no, max(reported::INTEGER) AS communes_reporting FROM units GROUP BY ALL
    UNION ALL SELECT quarter_no, district_area, count(*) FILTER (WHERE reported) FROM units GROUP BY ALL
    UNION ALL SELECT quarter_no, province_area, count(*) FILTER (WHERE reported) FROM units GROUP BY ALL
),
area_units AS (
    SELECT q.quarter_no, a.commune_area AS area_no, 1 AS communes_in_area
    FROM quarters AS q JOIN commune_areas AS a
      ON coalesce(a.valid_from, DATE '1900-01-01') <= q.end_date AND coalesce(a.valid_to, DATE '9999-12-31') >= q.end_date
    UNION ALL
    SELECT q.quarter_no, a.district_area, count(*)
    FROM quarters AS q JOIN commune_areas AS a
      ON coalesce(a.valid_from, DATE '1900-01-01') <= q.end_date AND coalesce(a.valid_to, DATE '9999-12-31') >= q.end_date
    GROUP BY ALL
    UNION ALL
    SELECT q.quarter_no, a.province_area, count(*)
    FROM quarters AS q JOIN commune_areas AS a
      ON coalesce(a.valid_from, DATE '1900-01-01') <= q.end_date AND coalesce(a.valid_to, DATE '9999-12-31') >= q.end_date
    GROUP BY ALL
),
-- Annual targets; a 2-digit code is a province, a 3-digit one a district. No padding: the
-- pipeline quarantines a code not in the GSO list as typed ('1' for '01').
targets AS (
    SELECT t.year, a.area_no, k.kpi_no, t.value AS target_value
    FROM read_csv(getvariable('raw_dir') || '/targets/*.csv',
                  header = true, auto_detect = false, columns = {
                      'year': 'INTEGER', 'district_code': 'VARCHAR', 'target_code': 'VARCHAR',
                      'value': 'DOUBLE'}) AS t
    JOIN areas AS a
        ON a.area_level = CASE WHEN length(t.district_code) <= 2 THEN 'province' ELSE 'district' END
       AND a.area_code = t.district_code
    JOIN kpis AS k ON k.kpi_code = t.target_code
)
SELECT
    p.period,
    p.year,
    p.quarter,
    a.area_level,
    a.area_code,
    n.area_name,
    CAST(r.communes_reporting AS INTEGER) AS communes_reporting,
    CAST(c.communes_in_area AS INTEGER) AS communes_in_area,
    k.kpi_code,
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
JOIN dim_period AS p ON p.year * 4 + p.quarter = v.quarter_no
JOIN areas AS a ON a.area_no = v.area_no
JOIN kpis AS k ON k.kpi_no = v.kpi_no
LEFT JOIN area_names AS n ON n.area_no = v.area_no
LEFT JOIN area_reporting AS r ON r.quarter_no = v.quarter_no AND r.area_no = v.area_no
LEFT JOIN area_units AS c ON c.quarter_no = v.quarter_no AND c.area_no = v.area_no
-- the same quarter last year is four quarters back
LEFT JOIN area_values AS prev
    ON prev.quarter_no = v.quarter_no - 4 AND prev.area_no = v.area_no AND prev.kpi_no = v.kpi_no
LEFT JOIN targets AS t ON t.year = p.year AND t.area_no = v.area_no AND t.kpi_no = v.kpi_no;
