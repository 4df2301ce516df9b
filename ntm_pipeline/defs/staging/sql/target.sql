-- Annual targets, typed. The area is a district (3 digits) or a province (2 digits).
SELECT
    clean_text(r.year) AS period,  -- targets are by year; the key of their findings
    r.source_file, r.file_hash, r.sheet, r.row_number,
    parse_integer(r.year) AS year,
    area_code(r.district_code) AS area_code,
    CASE WHEN length(clean_text(r.district_code)) <= 2 THEN 'province' ELSE 'district' END AS area_level,
    clean_text(r.target_code) AS kpi_code,
    parse_decimal(r.value) AS value,
    EXISTS (SELECT 1 FROM core.dim_kpi AS k WHERE k.kpi_code = clean_text(r.target_code)) AS kpi_known,
    EXISTS (SELECT 1 FROM core.dim_commune AS c
            WHERE CASE WHEN length(clean_text(r.district_code)) <= 2 THEN c.province_code ELSE c.district_code END
                = area_code(r.district_code)) AS area_known,
    'validate' AS row_status,
    {{ unparsed_columns("r") }} AS unparsed_columns
FROM raw.target AS r
