-- The date each area of $areas dates its report: the latest date on which one of the area's
-- submissions for the quarter was prepared, else the quarter's last day. A date taken from the
-- data, not the clock, so a report whose content is unchanged keeps its files from run to run.
WITH areas AS (SELECT unnest($areas, recursive := true)),
prepared AS (
    SELECT x.area_level, x.area_code, max(s.date_prepared) AS dated
    FROM core.fact_commune_status AS s
    CROSS JOIN LATERAL (VALUES ('commune', s.commune_code), ('district', s.district_code), ('province', s.province_code))
        AS x (area_level, area_code)
    WHERE s.period = $period
    GROUP BY ALL
)
SELECT a.area_level, a.area_code, coalesce(s.dated, p.end_date) AS dated
FROM areas AS a
JOIN core.dim_period AS p ON p.period = $period
LEFT JOIN prepared AS s ON s.area_level = a.area_level AND s.area_code = a.area_code
