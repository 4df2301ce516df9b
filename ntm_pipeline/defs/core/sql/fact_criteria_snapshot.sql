-- One row per commune, criterion and period: met or not at quarter end. Indicator rows
-- (2.1, 2.2, ...) are in core.fact_criteria_indicator, so this table counts criteria.
SELECT
    s.period, s.commune_code, h.district_code, h.province_code,
    s.criteria_set, s.criterion_no, k.name_vi AS criterion_name_vi, k.name_en AS criterion_name_en,
    s.met AS is_met, s.note,
    s.source_file, s.sheet, s.row_number
FROM staging.criteria AS s
{{ with_header("s") }}
JOIN core.dim_criterion AS k ON k.criteria_set = s.criteria_set AND k.criterion_no = s.criterion_no
WHERE {{ published("s") }} AND s.indicator_no IS NULL
