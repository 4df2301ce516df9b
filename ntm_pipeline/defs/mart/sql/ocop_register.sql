-- Every certified OCOP product at quarter end: its current rating, producer, certificate
-- date and expiry, and whether it is due for re-rating within the next two quarters. Names
-- are those of the commune in force at quarter end (no district after the 2025 reform).
SELECT
    o.period,
    o.commune_code,
    d.commune_name,
    o.district_code,
    d.district_name,
    o.province_code,
    d.province_name,
    o.product_code,
    o.product_name,
    o.producer,
    o.producer_type,
    o.product_group,
    o.stars,
    o.score,
    o.event_type,
    o.decision_no,
    o.decision_date AS certified_on,
    o.valid_to AS certificate_expires_on,
    o.valid_to <= p2.end_date AS due_for_rerating_within_two_quarters
FROM core.fact_ocop_rating AS o
JOIN core.dim_period AS p ON p.period = o.period
JOIN core.dim_period AS p2 ON p2.year * 4 + p2.quarter = p.year * 4 + p.quarter + 2
LEFT JOIN core.dim_commune AS d ON d.commune_code = o.commune_code AND in_force(d.valid_from, d.valid_to, p.end_date)
WHERE o.period IN (SELECT unnest($periods))
  AND o.is_current_rating AND o.is_valid_at_period_end AND o.is_certified_ocop
ORDER BY o.period, o.province_code, o.district_code, o.commune_code, o.product_code
