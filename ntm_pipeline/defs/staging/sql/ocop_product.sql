-- OCOP rating events, typed, with the star band their score falls in.
SELECT
    {{ provenance("r") }},
    commune_code(r.commune_code) AS commune_code,
    clean_text(r.product_code) AS product_code,
    vn_label(r.product_name) AS product_name,
    vn_label(r.producer) AS producer,
    {{ code("producer_type", "r.producer_type") }} AS producer_type,
    {{ code("product_group", "r.product_group") }} AS product_group,
    parse_decimal(r.score) AS score,
    parse_integer(r.stars) AS stars,
    clean_text(r.decision_no) AS decision_no,
    parse_date(r.decision_date) AS decision_date,
    {{ code("certifying_level", "r.certifying_level") }} AS certifying_level,
    {{ code("ocop_event", "r.event_type") }} AS event_type,
    p.end_date AS period_end,
    parse_decimal(r.score) IS NULL OR b.stars = parse_integer(r.stars) AS stars_match_score,
    parse_integer(r.stars) IS NULL OR parse_integer(r.stars) >= 3 AS stars_certified,
    -- the product's current rating (its latest decision) has a certificate valid at quarter end
    parse_date(r.decision_date) IS NULL
        OR parse_date(r.decision_date) < max(parse_date(r.decision_date)) OVER (
               PARTITION BY r.period, r.batch, commune_code(r.commune_code), clean_text(r.product_code))
        OR parse_date(r.decision_date) + INTERVAL 36 MONTH > p.end_date AS current_rating_valid,
    parse_date(r.decision_date) IS NULL OR parse_date(r.decision_date) <= p.end_date AS decided_by_period_end,
    {{ detail_status("r", "commune_code(r.commune_code)") }},
    {{ unparsed_columns("r") }} AS unparsed_columns
FROM raw.ocop_product AS r
JOIN core.dim_period AS p ON p.period = r.period
LEFT JOIN core.dim_ocop_star_band AS b
    ON parse_decimal(r.score) >= b.min_score AND parse_decimal(r.score) < b.max_score_exclusive
WHERE r.period IN (SELECT unnest($periods))
