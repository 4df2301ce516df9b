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
sources AS (
    SELECT p.period, i.period AS in_period, d.commune_code, d.district_code, d.province_code,
           i.category, s.source, m.weight * s.amount AS amount
    FROM report_periods AS p
    JOIN core.dim_period AS q ON q.year = p.year AND q.quarter <= p.quarter
    JOIN core.fact_investment AS i ON i.period = q.period
    JOIN unit_map AS m ON m.from_era = q.admin_era AND m.to_era = p.admin_era AND m.from_code = i.commune_code
    JOIN core.dim_commune AS d ON d.commune_code = m.to_code AND in_force(d.valid_from, d.valid_to, p.end_date),
    LATERAL (VALUES
        ('central_budget', i.capital_central_budget), ('local_budget', i.capital_local_budget),
        ('integrated', i.capital_integrated), ('credit', i.capital_credit),
        ('enterprise', i.capital_enterprise), ('people', i.capital_people)
    ) AS s(source, amount)
),
ytd AS (
    SELECT period, commune_code, district_code, province_code, category, source,
           sum(amount) FILTER (WHERE in_period = period) AS capital_qtd,
           sum(amount) AS capital_ytd
    FROM sources
    GROUP BY ALL
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
