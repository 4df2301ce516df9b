-- The areas whose report is written for $period, from its KPI table: the districts and
-- provinces; in an era without districts (from 1 July 2025) the provinces and every commune
-- that reported in the quarter, the commune being the local level that reports.
--
-- Each with `inputs`, a digest of every warehouse row its report may read, so that a report
-- whose inputs are unchanged is not even built. It must over-include, never miss: a row counts
-- for every area its commune belongs to in any validity period (dim_commune) and for the areas
-- its own codes name; the KPI and commune-status rows of every quarter count (the report shows
-- history and coverage); the reference dimensions count for every area. A row's digest is
-- DuckDB's hash of all its columns (no table here holds a run id or load time), summed: the
-- order rows come in is no change.
WITH areas AS (
    SELECT DISTINCT k.area_level, k.area_code
    FROM mart.kpi_quarterly AS k
    JOIN core.dim_period AS p ON p.period = k.period
    LEFT JOIN core.dim_admin_era AS e ON e.admin_era = p.admin_era
    WHERE k.period = $period
      AND (k.area_level IN ('district', 'province')
           OR (k.area_level = 'commune' AND e.has_districts = false AND k.communes_reporting > 0))
),
member AS (
    SELECT DISTINCT 'commune' AS area_level, commune_code AS area_code, commune_code FROM core.dim_commune
    WHERE commune_code IS NOT NULL
    UNION
    SELECT DISTINCT 'district', district_code, commune_code FROM core.dim_commune
    WHERE commune_code IS NOT NULL AND district_code IS NOT NULL
    UNION
    SELECT DISTINCT 'province', province_code, commune_code FROM core.dim_commune
    WHERE commune_code IS NOT NULL AND province_code IS NOT NULL
),
commune_rows AS (
    SELECT commune_code, district_code, province_code, hash('status', *COLUMNS(*)) AS h
    FROM core.fact_commune_status
    UNION ALL
    SELECT commune_code, district_code, province_code, hash('criteria', *COLUMNS(*))
    FROM core.fact_criteria_snapshot WHERE period = $period
    UNION ALL
    SELECT commune_code, district_code, province_code, hash('ocop', *COLUMNS(*))
    FROM core.fact_ocop_rating WHERE period = $period
    UNION ALL
    SELECT commune_code, district_code, province_code, hash('certified', *COLUMNS(*))
    FROM core.fact_certified_area WHERE period = $period
    UNION ALL
    SELECT commune_code, district_code, province_code, hash('register', *COLUMNS(*))
    FROM mart.ocop_register WHERE period = $period
),
area_rows AS (
    SELECT m.area_level, m.area_code, r.h FROM commune_rows AS r JOIN member AS m USING (commune_code)
    UNION ALL
    SELECT 'district', district_code, h FROM commune_rows WHERE district_code IS NOT NULL
    UNION ALL
    SELECT 'province', province_code, h FROM commune_rows WHERE province_code IS NOT NULL
    UNION ALL
    SELECT area_level, area_code, hash('kpi', *COLUMNS(*)) FROM mart.kpi_quarterly
    UNION ALL
    SELECT area_level, area_code, hash('capital', *COLUMNS(*)) FROM mart.capital_by_source WHERE period = $period
),
reference AS (
    SELECT sum(h)::VARCHAR AS digest FROM (
        SELECT hash('commune', *COLUMNS(*))::HUGEINT AS h FROM core.dim_commune
        UNION ALL SELECT hash('period', *COLUMNS(*))::HUGEINT FROM core.dim_period
        UNION ALL SELECT hash('kpi', *COLUMNS(*))::HUGEINT FROM core.dim_kpi
        UNION ALL SELECT hash('era', *COLUMNS(*))::HUGEINT FROM core.dim_admin_era
        UNION ALL SELECT hash('set', *COLUMNS(*))::HUGEINT FROM core.dim_criteria_set
        UNION ALL SELECT hash('code', *COLUMNS(*))::HUGEINT FROM core.dim_code
        UNION ALL SELECT hash('province', *COLUMNS(*))::HUGEINT FROM core.dim_province_crosswalk
    )
)
SELECT a.area_level, a.area_code,
       concat_ws(':', (SELECT digest FROM reference), count(r.h), coalesce(sum(r.h::HUGEINT), 0)) AS inputs
FROM areas AS a
LEFT JOIN area_rows AS r USING (area_level, area_code)
GROUP BY ALL
ORDER BY 1, 2
