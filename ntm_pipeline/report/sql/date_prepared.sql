-- The date the report is dated: the latest date on which one of the area's submissions for the
-- quarter was prepared, else the quarter's last day. A date taken from the data, not the
-- clock, so a report whose content is unchanged keeps its files from run to run.
SELECT coalesce(max(s.date_prepared), any_value(p.end_date)) AS dated
FROM core.dim_period AS p
LEFT JOIN core.fact_commune_status AS s
    ON s.period = p.period
   AND CASE $area_level WHEN 'commune' THEN s.commune_code WHEN 'district' THEN s.district_code
                        ELSE s.province_code END = $area_code
WHERE p.period = $period
