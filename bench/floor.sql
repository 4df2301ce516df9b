-- The benchmark floor: the rows of mart.kpi_quarterly computed straight from the bulk CSV
-- files in one DuckDB statement, with no orchestration, no raw/staging/core tables and no
-- validation, quarantine or correction handling. It is only right for clean generated
-- data: codes, ISO dates, dot decimals, `x` for met, one submission per commune and
-- quarter, each file with English headers (the header files with the columns of their
-- quarter's template, read by name; the others in the order of ntm_pipeline/contract.py,
-- declared below: sniffing thousands of small files costs more than reading them), and each
-- commune's criteria of the set its quarter is scored on. The KPI semantics are those of
-- ntm_pipeline/defs/mart/sql/kpi_quarterly.sql over the core facts, across the 2025 reform:
-- districts before it only, the country always, year-to-date flows and the same quarter last
-- year carried to the new units through the crosswalk, and yoy_basis.
--
-- Before running it, the caller sets the raw folder and creates the reference tables in the
-- core schema with the pipeline's own SQL (bench/floor_check.py: prepare_reference):
--   SET VARIABLE raw_dir = '/path/to/raw';   -- holds submissions/<period>/... and targets/
--   core.dim_commune, core.dim_admin_era, core.dim_commune_crosswalk, core.dim_period,
--   core.dim_kpi (breakdowns expanded), core.dim_criterion, core.dim_ocop_star_band
-- It ends with table kpi_quarterly: the columns of mart.kpi_quarterly, one row per quarter
-- with submission files, area and KPI, in no set order.
--
-- Speed: each file is read once; criteria and investment rows are reduced per file and
-- commune before anything else; past that point commune-quarters, KPIs and quarters are
-- joined on integer keys, and names are attached only to the final rows.

CREATE OR REPLACE TABLE kpi_quarterly AS
WITH
-- Every commune, district and province code of the GSO lists, and the country, with an
-- integer id (a code reused after the reform keeps its id: which unit it names is the
-- quarter's business).
areas AS MATERIALIZED (
    SELECT CAST(row_number() OVER () AS INTEGER) AS area_no, area_level, area_code
    FROM (SELECT DISTINCT 'commune' AS area_level, commune_code AS area_code FROM core.dim_commune WHERE commune_code IS NOT NULL
          UNION ALL SELECT DISTINCT 'district', district_code FROM core.dim_commune WHERE district_code IS NOT NULL
          UNION ALL SELECT DISTINCT 'province', province_code FROM core.dim_commune
          UNION ALL SELECT 'national', 'VN')
),
-- Each unit of each era with its areas (no district after the reform).
commune_areas AS MATERIALIZED (
    SELECT c.commune_code, c.admin_era, c.valid_from, c.valid_to, c.is_rural_commune,
           c.commune_full_name, c.district_full_name, c.province_full_name,
           ac.area_no AS commune_area, ad.area_no AS district_area, ap.area_no AS province_area
    FROM core.dim_commune AS c
    JOIN areas AS ac ON ac.area_level = 'commune' AND ac.area_code = c.commune_code
    LEFT JOIN areas AS ad ON ad.area_level = 'district' AND ad.area_code = c.district_code
    JOIN areas AS ap ON ap.area_level = 'province' AND ap.area_code = c.province_code
),
national AS (
    SELECT area_no FROM areas WHERE area_level = 'national'
),
-- What a unit's figures count for in an era: itself in its own era; in the next era (which
-- begins the day after) the unit(s) it became, by the crosswalk's weight.
unit_map AS MATERIALIZED (
    SELECT admin_era AS from_era, admin_era AS to_era, commune_code AS from_code, commune_code AS to_code,
           CAST(1 AS DOUBLE) AS weight, false AS estimated
    FROM core.dim_commune WHERE commune_code IS NOT NULL
    UNION ALL
    SELECT o.admin_era, n.admin_era, x.old_commune_code, x.new_commune_code, x.weight, x.split_estimated
    FROM core.dim_commune_crosswalk AS x
    CROSS JOIN core.dim_admin_era AS o JOIN core.dim_admin_era AS n ON n.valid_from = o.valid_to + 1
),
-- Submission headers, placed by the GSO list in force at quarter end; a code outside it
-- (the generator writes a few empty ones) is dropped, as the pipeline quarantines it. The
-- files have their quarter's columns (no district from 2025-Q3, a group from 2026-Q1), so
-- they are read by name. Each commune-quarter gets an integer id for the joins below.
communes AS MATERIALIZED (
    SELECT
        CAST(row_number() OVER () AS INTEGER) AS commune_quarter,
        p.period, p.year, p.quarter, p.year * 4 + p.quarter AS quarter_no, p.end_date, p.year_start_date,
        p.admin_era, p.criteria_set,
        s.commune_code, c.commune_area, c.district_area, c.province_area, c.is_rural_commune,
        coalesce(s.ntm_title, 'none') AS ntm_title, s.proposed_title,
        CAST(s.agri_cooperatives AS BIGINT) AS agri_cooperatives, CAST(s.farms AS BIGINT) AS farms
    FROM read_csv(getvariable('raw_dir') || '/submissions/*/province-*/*.submission.csv',
                  header = true, all_varchar = true, union_by_name = true, filename = true) AS s
    -- the quarter is the folder the file was dropped in
    JOIN core.dim_period AS p ON p.period = regexp_extract(s.filename, '(\d{4}-Q[1-4])/[^/]+/[^/]+$', 1)
    JOIN commune_areas AS c
        ON c.commune_code = s.commune_code
       AND coalesce(c.valid_from, DATE '1900-01-01') <= p.end_date
       AND coalesce(c.valid_to, DATE '9999-12-31') >= p.end_date
),
-- Criteria met per commune; only criterion rows (no indicator: 2.1) of a known set and
-- number count (core joins dim_criterion), and of the set the quarter is scored on.
criteria_met_per_file AS (
    SELECT r.filename, r.commune_code, r.criteria_set, count(*) FILTER (WHERE r.met = 'x') AS met
    FROM read_csv(getvariable('raw_dir') || '/submissions/*/province-*/*.criteria.csv',
                  header = true, auto_detect = false, filename = true, columns = {
                      'commune_code': 'VARCHAR', 'criteria_set': 'VARCHAR', 'criterion_no': 'VARCHAR',
                      'met': 'VARCHAR', 'note': 'VARCHAR'}) AS r
    SEMI JOIN core.dim_criterion AS k
        ON k.criteria_set = r.criteria_set AND NOT contains(r.criterion_no, '.')
       AND k.criterion_no = TRY_CAST(r.criterion_no AS INTEGER)
    GROUP BY ALL
),
-- Rural communes scored on criteria (towns and wards have no score), with their title. A
-- detail row counts only where its commune's submission of the quarter does, as in core.fact_*.
scored AS (
    SELECT c.commune_quarter, c.criteria_set, m.met, c.ntm_title IN ('ntm', 'advanced', 'model', 'modern') AS is_ntm
    FROM criteria_met_per_file AS m
    JOIN communes AS c
        ON c.period = regexp_extract(m.filename, '(\d{4}-Q[1-4])/[^/]+/[^/]+$', 1)
       AND c.commune_code = m.commune_code AND c.criteria_set = m.criteria_set
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
    SELECT c.commune_quarter, i.status, i.category, i.capital_total, i.projects, i.completed_projects
    FROM investment_per_file AS i
    JOIN communes AS c
        ON c.period = regexp_extract(i.filename, '(\d{4}-Q[1-4])/[^/]+/[^/]+$', 1)
       AND c.commune_code = i.commune_code
),
investment_quarter AS (
    SELECT commune_quarter, sum(capital_total) AS capital_total FROM investment GROUP BY ALL
),
-- The quarters with submissions.
quarters AS (
    SELECT DISTINCT period, year, quarter, quarter_no, end_date, year_start_date, admin_era, criteria_set FROM communes
),
-- Each commune-quarter of the year up to each quarter, as the quarter's unit(s) it counts
-- for: the commune itself, or (2025-Q3 and Q4) the new communes an old one became.
sources AS MATERIALIZED (
    SELECT q.quarter_no, c.commune_quarter, c.quarter_no AS source_quarter_no, m.to_code, m.weight
    FROM quarters AS q
    JOIN communes AS c ON c.year = q.year AND c.quarter <= q.quarter
    JOIN unit_map AS m ON m.from_era = c.admin_era AND m.to_era = q.admin_era AND m.from_code = c.commune_code
),
-- The units of each quarter: those that reported in it, and those with submissions earlier
-- in the year only (their year-to-date flows, and only those), placed by the GSO list in
-- force at quarter end, each with an id.
units AS MATERIALIZED (
    SELECT CAST(row_number() OVER () AS INTEGER) AS unit_no, l.*,
           a.commune_area, a.district_area, a.province_area
    FROM (
        SELECT s.quarter_no, s.to_code, max(s.source_quarter_no) AS latest_quarter_no,
               max(s.source_quarter_no) = s.quarter_no AS reported,
               max(s.commune_quarter) FILTER (WHERE s.source_quarter_no = s.quarter_no) AS commune_quarter
        FROM sources AS s
        GROUP BY s.quarter_no, s.to_code
    ) AS l
    JOIN quarters AS q USING (quarter_no)
    JOIN commune_areas AS a
      ON a.commune_code = l.to_code
     AND coalesce(a.valid_from, DATE '1900-01-01') <= q.end_date AND coalesce(a.valid_to, DATE '9999-12-31') >= q.end_date
),
unit_sources AS (
    SELECT u.unit_no, u.quarter_no, s.commune_quarter, s.source_quarter_no, s.weight
    FROM units AS u JOIN sources AS s ON s.quarter_no = u.quarter_no AND s.to_code = u.to_code
),
-- Year-to-date flows of each unit: its sources' quarters of the year so far, by weight.
investment_ytd AS (
    SELECT s.unit_no,
           sum(s.weight * i.capital_total) AS capital_ytd,
           sum(s.weight * i.capital_total) FILTER (WHERE s.source_quarter_no = s.quarter_no) AS capital_qtd
    FROM unit_sources AS s
    JOIN investment_quarter AS i USING (commune_quarter)
    GROUP BY ALL
),
-- A completed project at the first quarter it was listed completed, as the units of each
-- era it counts for (completed before the reform, it is not completed again after). A
-- project is its commune's: two old communes merged into one may both have a project 'DA01'.
first_completion AS (
    SELECT m.to_era, m.to_code, m.from_code, p.project_code, min(c.quarter_no) AS completed_no,
           arg_min(m.weight, c.quarter_no) AS weight
    FROM investment AS i
    JOIN communes AS c USING (commune_quarter)
    CROSS JOIN unnest(i.completed_projects) AS p(project_code)
    JOIN unit_map AS m ON m.from_era = c.admin_era AND m.from_code = c.commune_code
    WHERE i.status = 'completed'
    GROUP BY ALL
),
projects_completed AS (
    SELECT u.unit_no, sum(f.weight) AS completed
    FROM units AS u
    JOIN quarters AS q USING (quarter_no)
    JOIN first_completion AS f
        ON f.to_era = q.admin_era AND f.to_code = u.to_code
       AND f.completed_no BETWEEN q.year * 4 + 1 AND u.quarter_no
    GROUP BY ALL
),
-- The OCOP register of each quarter with the fact table's flags: certified star band, the
-- product's current (latest) rating, certificate valid 36 months from the decision.
ocop_events AS (
    SELECT
        c.commune_quarter, c.end_date,
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
    LEFT JOIN core.dim_ocop_star_band AS b ON b.stars = o.stars
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
-- Rating events of the year so far, from each unit's latest registers of the year: its own,
-- or those of the old communes it was made of, by weight.
ocop_year_events AS (
    SELECT DISTINCT u.unit_no, s.commune_quarter, s.weight, o.product_code, o.decision_date, o.event_type
    FROM units AS u
    JOIN quarters AS q USING (quarter_no)
    JOIN unit_sources AS s ON s.unit_no = u.unit_no AND s.source_quarter_no = u.latest_quarter_no
    JOIN ocop_rated AS o ON o.commune_quarter = s.commune_quarter
    WHERE o.is_certified_ocop AND o.decision_date BETWEEN q.year_start_date AND q.end_date
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
               CASE WHEN ntm_title IN ('ntm', 'advanced', 'model', 'modern') THEN 1.0 END AS ntm_communes,
               CASE WHEN ntm_title IN ('advanced', 'model') THEN 1.0 END AS advanced_ntm_communes,
               CASE WHEN ntm_title = 'model' THEN 1.0 END AS model_ntm_communes,
               CASE WHEN ntm_title = 'modern' THEN 1.0 END AS modern_ntm_communes,
               CASE WHEN proposed_title = 'ntm' THEN 1.0 END AS communes_proposed_ntm,
               CASE WHEN proposed_title = 'advanced' THEN 1.0 END AS communes_proposed_advanced
        FROM communes
    ) ON COLUMNS(* EXCLUDE (commune_quarter)) INTO NAME kpi_code VALUE value
),
-- Quarter-end values per commune-quarter and KPI code; each branch yields distinct codes.
stock_values (commune_quarter, kpi_code, value) AS (
    SELECT commune_quarter, kpi_code, value FROM header_values
    UNION ALL SELECT commune_quarter, 'avg_criteria_met', met FROM scored
    -- criteria bands are data: core.dim_kpi's criteria_set, criteria_min and criteria_max
    UNION ALL
    SELECT s.commune_quarter, k.kpi_code, 1
    FROM scored AS s
    JOIN core.dim_kpi AS k ON k.criteria_set = s.criteria_set AND s.met BETWEEN k.criteria_min AND k.criteria_max
    WHERE NOT s.is_ntm
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
-- Every value per unit and KPI code (stocks only for a unit that reported in the quarter).
commune_values (unit_no, kpi_code, value) AS (
    SELECT u.unit_no, v.kpi_code, v.value FROM stock_values AS v JOIN units AS u USING (commune_quarter)
    UNION ALL SELECT unit_no, 'capital_mobilized_ytd', capital_ytd FROM investment_ytd
    UNION ALL SELECT unit_no, 'capital_mobilized_qtd', capital_qtd FROM investment_ytd
    UNION ALL SELECT unit_no, 'projects_completed_ytd', completed FROM projects_completed
    UNION ALL
    SELECT unit_no, 'ocop_products_new_ytd', sum(weight)
    FROM (SELECT DISTINCT unit_no, commune_quarter, weight, product_code FROM ocop_year_events WHERE event_type = 'new')
    GROUP BY ALL
    UNION ALL
    SELECT unit_no, 'ocop_ratings_ytd', sum(weight)
    FROM (SELECT DISTINCT unit_no, commune_quarter, weight, product_code, decision_date FROM ocop_year_events)
    GROUP BY ALL
),
kpis AS (
    SELECT *, CAST(row_number() OVER (ORDER BY kpi_code) AS SMALLINT) AS kpi_no,
           ends_with(kpi_code, '_ytd') AS is_year_to_date
    FROM core.dim_kpi
),
-- Codes the catalogue does not know drop out here, as in the mart's join with dim_kpi.
commune_kpi_values AS (
    SELECT v.unit_no, k.kpi_no, v.value
    FROM commune_values AS v JOIN kpis AS k USING (kpi_code)
),
-- Every reporting commune gets every summed KPI of its quarter (zero when nothing was
-- reported; a KPI of a criteria set only in quarters scored on it); an averaged KPI exists
-- only where the commune has a value. A unit that did not report in the quarter gets the
-- year-to-date flows only.
commune_grid AS MATERIALIZED (
    SELECT u.quarter_no, u.commune_area, u.district_area, u.province_area, k.kpi_no, k.aggregation,
           CASE WHEN k.aggregation = 'sum' THEN coalesce(v.value, 0) ELSE v.value END AS value
    FROM units AS u
    JOIN quarters AS q USING (quarter_no)
    JOIN kpis AS k
      ON (u.reported OR k.is_year_to_date) AND (k.criteria_set IS NULL OR k.criteria_set = q.criteria_set)
    LEFT JOIN commune_kpi_values AS v ON v.unit_no = u.unit_no AND v.kpi_no = k.kpi_no
),
-- Province sums and counts per district (none after the reform), from which district,
-- province and national values follow (an average as sum / count of the communes' values,
-- so the larger areas need not rescan the communes).
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
    FROM district_totals WHERE district_area IS NOT NULL
    UNION ALL
    SELECT quarter_no, province_area, kpi_no,
           CASE WHEN aggregation = 'avg' THEN sum(total) / sum(communes_with_value) ELSE sum(total) END
    FROM district_totals
    GROUP BY quarter_no, province_area, kpi_no, aggregation
    UNION ALL
    SELECT quarter_no, (SELECT area_no FROM national), kpi_no,
           CASE WHEN aggregation = 'avg' THEN sum(total) / sum(communes_with_value) ELSE sum(total) END
    FROM district_totals
    GROUP BY quarter_no, kpi_no, aggregation
),
-- The same quarter last year across a change of units: last year's commune values, each
-- old commune by its share in this quarter's commune or province (estimated when a divided
-- commune gives the area part of itself).
old_unit_shares AS (
    SELECT q.quarter_no, m.from_code, area.area_no, sum(m.weight) AS share, bool_or(m.estimated) AS divided
    FROM quarters AS q
    JOIN core.dim_period AS l ON l.year * 4 + l.quarter = q.quarter_no - 4 AND l.admin_era <> q.admin_era
    JOIN unit_map AS m ON m.from_era = l.admin_era AND m.to_era = q.admin_era
    JOIN commune_areas AS a ON a.commune_code = m.to_code AND a.admin_era = m.to_era
    CROSS JOIN LATERAL (VALUES (a.commune_area), (a.province_area)) AS area (area_no)
    GROUP BY ALL
),
crosswalked AS (
    SELECT s.quarter_no, s.area_no, v.kpi_no, sum(s.share * v.value) AS value,
           bool_or(s.divided AND s.share < 1 - 1e-9) AS estimated
    FROM old_unit_shares AS s
    JOIN areas AS o ON o.area_level = 'commune' AND o.area_code = s.from_code
    JOIN area_values AS v ON v.quarter_no = s.quarter_no - 4 AND v.area_no = o.area_no
    GROUP BY ALL
),
compared AS (
    SELECT v.*, q.admin_era,
           coalesce(same.value, x.value) AS prev_value,
           CASE WHEN same.value IS NOT NULL THEN 'same_units'
                WHEN x.estimated THEN 'crosswalk_estimated'
                WHEN x.value IS NOT NULL THEN 'crosswalk' END AS basis,
           coalesce((l.admin_era <> q.admin_era AND k.across_reform = 'not_comparable')
               OR (l.criteria_set <> q.criteria_set AND k.across_criteria_sets = 'not_comparable'), false)
               AS not_comparable
    FROM area_values AS v
    JOIN quarters AS q USING (quarter_no)
    JOIN kpis AS k USING (kpi_no)
    LEFT JOIN core.dim_period AS l ON l.year * 4 + l.quarter = v.quarter_no - 4
    -- the same area four quarters back, within an era or for the country
    LEFT JOIN area_values AS same
        ON same.quarter_no = v.quarter_no - 4 AND same.area_no = v.area_no AND same.kpi_no = v.kpi_no
       AND (l.admin_era = q.admin_era OR v.area_no = (SELECT area_no FROM national))
    LEFT JOIN crosswalked AS x ON x.quarter_no = v.quarter_no AND x.area_no = v.area_no AND x.kpi_no = v.kpi_no
),
-- Labels as the mart gives them, with the unit type (Huyện Kim Bôi), by era, level and code.
area_names AS (
    SELECT DISTINCT admin_era, commune_area AS area_no, commune_full_name AS area_name FROM commune_areas
    UNION ALL SELECT DISTINCT admin_era, district_area, district_full_name FROM commune_areas WHERE district_area IS NOT NULL
    UNION ALL SELECT DISTINCT admin_era, province_area, province_full_name FROM commune_areas
    UNION ALL SELECT DISTINCT admin_era, (SELECT area_no FROM national), 'Toàn quốc' FROM commune_areas
),
-- Coverage: units of each area that reported, out of its units in the GSO list at quarter end.
area_reporting AS (
    SELECT quarter_no, commune_area AS area_no, max(reported::INTEGER) AS communes_reporting FROM units GROUP BY ALL
    UNION ALL
    SELECT quarter_no, district_area, count(*) FILTER (WHERE reported) FROM units
    WHERE district_area IS NOT NULL GROUP BY ALL
    UNION ALL SELECT quarter_no, province_area, count(*) FILTER (WHERE reported) FROM units GROUP BY ALL
    UNION ALL SELECT quarter_no, (SELECT area_no FROM national), count(*) FILTER (WHERE reported) FROM units GROUP BY ALL
),
area_units AS (
    SELECT q.quarter_no, a.commune_area AS area_no, 1 AS communes_in_area
    FROM quarters AS q JOIN commune_areas AS a
      ON coalesce(a.valid_from, DATE '1900-01-01') <= q.end_date AND coalesce(a.valid_to, DATE '9999-12-31') >= q.end_date
    UNION ALL
    SELECT q.quarter_no, a.district_area, count(*)
    FROM quarters AS q JOIN commune_areas AS a
      ON coalesce(a.valid_from, DATE '1900-01-01') <= q.end_date AND coalesce(a.valid_to, DATE '9999-12-31') >= q.end_date
    WHERE a.district_area IS NOT NULL
    GROUP BY ALL
    UNION ALL
    SELECT q.quarter_no, a.province_area, count(*)
    FROM quarters AS q JOIN commune_areas AS a
      ON coalesce(a.valid_from, DATE '1900-01-01') <= q.end_date AND coalesce(a.valid_to, DATE '9999-12-31') >= q.end_date
    GROUP BY ALL
    UNION ALL
    SELECT q.quarter_no, (SELECT area_no FROM national), count(*)
    FROM quarters AS q JOIN commune_areas AS a
      ON coalesce(a.valid_from, DATE '1900-01-01') <= q.end_date AND coalesce(a.valid_to, DATE '9999-12-31') >= q.end_date
    GROUP BY ALL
),
-- Annual targets, for the units in force on 1 January of their year: a 2-digit code is a
-- province, a 5-digit one a commune, a 3-digit one a district. No padding: the pipeline
-- quarantines a code not in the GSO list as typed ('1' for '01').
targets AS (
    SELECT t.year, e.admin_era, a.area_no, k.kpi_no, t.value AS target_value
    FROM read_csv(getvariable('raw_dir') || '/targets/*.csv',
                  header = true, auto_detect = false, columns = {
                      'year': 'INTEGER', 'district_code': 'VARCHAR', 'target_code': 'VARCHAR',
                      'value': 'DOUBLE'}) AS t
    JOIN core.dim_admin_era AS e
      ON coalesce(e.valid_from, DATE '1900-01-01') <= make_date(t.year, 1, 1)
     AND coalesce(e.valid_to, DATE '9999-12-31') >= make_date(t.year, 1, 1)
    JOIN areas AS a
        ON a.area_level = CASE length(t.district_code) WHEN 2 THEN 'province' WHEN 5 THEN 'commune' ELSE 'district' END
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
    round(CASE WHEN NOT v.not_comparable THEN v.prev_value END, 4) AS value_prev_year,
    round(v.value - CASE WHEN NOT v.not_comparable THEN v.prev_value END, 4) AS yoy_delta,
    CASE WHEN NOT v.not_comparable AND v.prev_value <> 0
         THEN round(100 * (v.value - v.prev_value) / v.prev_value, 2) END AS yoy_pct,
    CASE WHEN v.prev_value IS NOT NULL AND v.not_comparable THEN 'not_comparable' ELSE v.basis END AS yoy_basis,
    t.target_value AS target,
    CASE WHEN t.target_value <> 0 THEN round(100 * v.value / t.target_value, 2) END AS target_progress_pct
FROM compared AS v
JOIN core.dim_period AS p ON p.year * 4 + p.quarter = v.quarter_no
JOIN areas AS a ON a.area_no = v.area_no
JOIN kpis AS k ON k.kpi_no = v.kpi_no
LEFT JOIN area_names AS n ON n.admin_era = v.admin_era AND n.area_no = v.area_no
LEFT JOIN area_reporting AS r ON r.quarter_no = v.quarter_no AND r.area_no = v.area_no
LEFT JOIN area_units AS c ON c.quarter_no = v.quarter_no AND c.area_no = v.area_no
LEFT JOIN targets AS t ON t.year = p.year AND t.admin_era = v.admin_era AND t.area_no = v.area_no AND t.kpi_no = v.kpi_no;
