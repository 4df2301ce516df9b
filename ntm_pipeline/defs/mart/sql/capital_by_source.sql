-- Capital mobilised by project category and source, in the quarter and year to date, for
-- each commune, district (before the 2025 reform), province and the country (million VND).
-- Each area is the one in force at quarter end: in 2025-Q3 and Q4 the year to date includes
-- what the old communes mobilised in Q1 and Q2, carried to the new ones through the
-- crosswalk (by weight, as in kpi_quarterly.sql).
WITH report_periods AS (
    SELECT * FROM core.dim_period WHERE period IN (SELECT unnest($periods))
),
era_steps AS (
    SELECT o.admin_era AS from_era, n.admin_era AS to_era
    FROM core.dim_admin_era AS o JOIN core.dim_admin_era AS n ON n.valid_from = o.valid_to + 1
),
unit_map AS (
    SELECT admin_era AS from_era, admin_era AS to_era, commune_code AS from_code, commune_code AS to_code,
           CAST(1 AS DOUBLE) AS weight
    FROM core.dim_commune WHERE commune_code IS NOT NULL
    UNION ALL
    SELECT s.from_era, s.to_era, x.old_commune_code, x.new_commune_code, x.weight
    FROM core.dim_commune_crosswalk AS x CROSS JOIN era_steps AS s
),
-- Each project's capital of the year to date, on this quarter's units, with the crosswalk's weight.
sources AS (
    SELECT p.period, i.period AS in_period, d.commune_code, d.district_code, d.province_code, i.category, m.weight,
           i.capital_central_budget, i.capital_local_budget, i.capital_integrated, i.capital_credit,
           i.capital_enterprise, i.capital_people
    FROM report_periods AS p
    JOIN core.dim_period AS q ON q.year = p.year AND q.quarter <= p.quarter
    JOIN core.fact_investment AS i ON i.period = q.period
    JOIN unit_map AS m ON m.from_era = q.admin_era AND m.to_era = p.admin_era AND m.from_code = i.commune_code
    JOIN core.dim_commune AS d ON d.commune_code = m.to_code AND in_force(d.valid_from, d.valid_to, p.end_date)
),
-- Summed per commune and category first, six sources side by side, then one row per source:
-- a row per project and source before summing cost six times the rows (and a spill to disk).
by_category AS (
    SELECT period, commune_code, district_code, province_code, category,
           sum(weight * capital_central_budget) FILTER (WHERE in_period = period) AS qtd_central_budget,
           sum(weight * capital_central_budget) AS ytd_central_budget,
           sum(weight * capital_local_budget) FILTER (WHERE in_period = period) AS qtd_local_budget,
           sum(weight * capital_local_budget) AS ytd_local_budget,
           sum(weight * capital_integrated) FILTER (WHERE in_period = period) AS qtd_integrated,
           sum(weight * capital_integrated) AS ytd_integrated,
           sum(weight * capital_credit) FILTER (WHERE in_period = period) AS qtd_credit,
           sum(weight * capital_credit) AS ytd_credit,
           sum(weight * capital_enterprise) FILTER (WHERE in_period = period) AS qtd_enterprise,
           sum(weight * capital_enterprise) AS ytd_enterprise,
           sum(weight * capital_people) FILTER (WHERE in_period = period) AS qtd_people,
           sum(weight * capital_people) AS ytd_people
    FROM sources
    GROUP BY ALL
),
ytd AS (
    SELECT period, commune_code, district_code, province_code, category, s.source, s.capital_qtd, s.capital_ytd
    FROM (
        SELECT *, unnest([
            {'source': 'central_budget', 'capital_qtd': qtd_central_budget, 'capital_ytd': ytd_central_budget},
            {'source': 'local_budget', 'capital_qtd': qtd_local_budget, 'capital_ytd': ytd_local_budget},
            {'source': 'integrated', 'capital_qtd': qtd_integrated, 'capital_ytd': ytd_integrated},
            {'source': 'credit', 'capital_qtd': qtd_credit, 'capital_ytd': ytd_credit},
            {'source': 'enterprise', 'capital_qtd': qtd_enterprise, 'capital_ytd': ytd_enterprise},
            {'source': 'people', 'capital_qtd': qtd_people, 'capital_ytd': ytd_people}
        ]) AS s
        FROM by_category
    )
)
SELECT period, 'commune' AS area_level, commune_code AS area_code, category, source,
       round(coalesce(sum(capital_qtd), 0), 2) AS capital_qtd, round(sum(capital_ytd), 2) AS capital_ytd
FROM ytd GROUP BY ALL
UNION ALL
SELECT period, 'district', district_code, category, source,
       round(coalesce(sum(capital_qtd), 0), 2), round(sum(capital_ytd), 2)
FROM ytd WHERE district_code IS NOT NULL GROUP BY ALL
UNION ALL
SELECT period, 'province', province_code, category, source,
       round(coalesce(sum(capital_qtd), 0), 2), round(sum(capital_ytd), 2)
FROM ytd GROUP BY ALL
UNION ALL
SELECT period, 'national', 'VN', category, source,
       round(coalesce(sum(capital_qtd), 0), 2), round(sum(capital_ytd), 2)
FROM ytd GROUP BY ALL
ORDER BY 1, 2, 3, 4, 5
