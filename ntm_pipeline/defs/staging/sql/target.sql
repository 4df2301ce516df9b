-- Annual targets, typed. The area is a province (2 digits), a district (3 digits, while
-- there were districts) or a commune (5 digits). A target of year Y is for the units in
-- force on 1 January of Y (annual targets are adopted at the start of the year): 2025
-- targets are for the units before the reform, 2026 ones for the units after it.
WITH typed AS (
    SELECT
        clean_text(r.year) AS period,  -- targets are by year; the key of their findings
        r.source_file, r.file_hash, r.sheet, r.row_number,
        parse_integer(r.year) AS year,
        area_code(r.district_code) AS area_code,
        CASE length(area_code(r.district_code)) WHEN 2 THEN 'province' WHEN 5 THEN 'commune' ELSE 'district' END
            AS area_level,
        clean_text(r.target_code) AS kpi_code,
        parse_decimal(r.value) AS value,
        {{ unparsed_columns("r") }} AS unparsed_columns
    FROM raw.target AS r
)
SELECT
    t.* EXCLUDE (unparsed_columns),
    e.admin_era,
    EXISTS (SELECT 1 FROM core.dim_kpi AS k WHERE k.kpi_code = t.kpi_code) AS kpi_known,
    EXISTS (SELECT 1 FROM core.dim_commune AS c
            WHERE CASE t.area_level WHEN 'province' THEN c.province_code WHEN 'commune' THEN c.commune_code
                                    ELSE c.district_code END = t.area_code
              AND (t.year IS NULL OR in_force(c.valid_from, c.valid_to, make_date(t.year, 1, 1)))) AS area_known,
    -- an area of another era than the year's: say which units the year's targets are for
    CASE
        WHEN t.year IS NULL OR t.area_code IS NULL THEN NULL
        WHEN t.area_level = 'district' AND NOT e.has_districts THEN
            'Năm ' || t.year || ' không còn cấp huyện (' || e.name_vi || '): chỉ tiêu năm đặt cho tỉnh (mã 2 chữ số) '
            || 'hoặc xã (mã 5 chữ số)'
        WHEN EXISTS (SELECT 1 FROM core.dim_commune AS c
                     WHERE CASE t.area_level WHEN 'province' THEN c.province_code WHEN 'commune' THEN c.commune_code
                                             ELSE c.district_code END = t.area_code) THEN
            'Mã ' || t.area_code || ' không phải đơn vị hành chính tại ngày 01/01/' || t.year
            || ': chỉ tiêu năm ' || t.year || ' đặt cho các đơn vị hành chính đầu năm đó (' || e.name_vi || ')'
    END AS area_message_vi,
    CASE
        WHEN t.year IS NULL OR t.area_code IS NULL THEN NULL
        WHEN t.area_level = 'district' AND NOT e.has_districts THEN
            'There are no districts in ' || t.year || ' (' || e.name_en || '): set the year''s targets for a province '
            || '(2-digit code) or a commune (5-digit code)'
        WHEN EXISTS (SELECT 1 FROM core.dim_commune AS c
                     WHERE CASE t.area_level WHEN 'province' THEN c.province_code WHEN 'commune' THEN c.commune_code
                                             ELSE c.district_code END = t.area_code) THEN
            'Code ' || t.area_code || ' is no administrative unit on 01/01/' || t.year
            || ': the ' || t.year || ' targets are for the units at the start of that year (' || e.name_en || ')'
    END AS area_message_en,
    'validate' AS row_status,
    t.unparsed_columns
FROM typed AS t
LEFT JOIN core.dim_admin_era AS e ON t.year IS NOT NULL AND in_force(e.valid_from, e.valid_to, make_date(t.year, 1, 1))
