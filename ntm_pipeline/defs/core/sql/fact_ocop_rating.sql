-- One row per OCOP rating event as listed in the period's register, with its certificate
-- validity (36 months from the decision) and whether it is the product's current rating.
WITH events AS (
    SELECT
        s.period, s.commune_code, h.district_code, h.province_code,
        s.product_code, s.product_name, s.producer, s.producer_type, s.product_group,
        s.score, s.stars, s.decision_no, s.decision_date, s.certifying_level, s.event_type,
        s.decision_date AS valid_from,
        CAST(s.decision_date + INTERVAL 36 MONTH - INTERVAL 1 DAY AS DATE) AS valid_to,
        s.period_end,
        s.source_file, s.sheet, s.row_number
    FROM staging.ocop_product AS s
    {{ with_header("s") }}
    WHERE {{ published("s") }}
)
SELECT
    e.* EXCLUDE (period_end, source_file, sheet, row_number),
    coalesce(b.is_certified, false) AS is_certified_ocop,
    e.decision_date = max(e.decision_date) OVER (PARTITION BY e.period, e.commune_code, e.product_code)
        AS is_current_rating,
    e.valid_to >= e.period_end AS is_valid_at_period_end,
    e.source_file, e.sheet, e.row_number
FROM events AS e
LEFT JOIN core.dim_ocop_star_band AS b ON b.stars = e.stars
