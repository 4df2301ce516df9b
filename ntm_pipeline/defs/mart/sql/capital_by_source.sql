-- Capital mobilised by project category and source, in the quarter and year to date,
-- for each district and province (million VND).
WITH sources AS (
    SELECT i.period, i.district_code, i.province_code, i.category, s.source, s.amount
    FROM core.fact_investment AS i,
    LATERAL (VALUES
        ('central_budget', i.capital_central_budget), ('local_budget', i.capital_local_budget),
        ('integrated', i.capital_integrated), ('credit', i.capital_credit),
        ('enterprise', i.capital_enterprise), ('people', i.capital_people)
    ) AS s(source, amount)
),
ytd AS (
    SELECT p.period, s.district_code, s.province_code, s.category, s.source,
           sum(s.amount) FILTER (WHERE s.period = p.period) AS capital_qtd,
           sum(s.amount) AS capital_ytd
    FROM core.dim_period AS p
    JOIN core.dim_period AS sp ON sp.year = p.year AND sp.quarter <= p.quarter
    JOIN sources AS s ON s.period = sp.period
    WHERE p.period IN (SELECT unnest($periods))
    GROUP BY ALL
)
SELECT period, 'district' AS area_level, district_code AS area_code, category, source,
       round(coalesce(sum(capital_qtd), 0), 2) AS capital_qtd, round(sum(capital_ytd), 2) AS capital_ytd
FROM ytd GROUP BY ALL
UNION ALL
SELECT period, 'province', province_code, category, source,
       round(coalesce(sum(capital_qtd), 0), 2), round(sum(capital_ytd), 2)
FROM ytd GROUP BY ALL
ORDER BY 1, 2, 3, 4, 5
