-- One row per commune, indicator and period: an indicator of a criterion (2.1: indicator 1
-- of criterion 2), met or not at quarter end. Indicator rows are optional; they are kept
-- when their criterion is one of the set's, and named once the set's indicator list
-- (core.dim_criterion_indicator, reference data) lists them.
SELECT
    s.period, s.commune_code, h.district_code, h.province_code,
    s.criteria_set, s.criterion_no, s.indicator_no,
    k.name_vi AS criterion_name_vi, i.name_vi AS indicator_name_vi, i.name_en AS indicator_name_en,
    s.met AS is_met, s.note,
    s.source_file, s.sheet, s.row_number
FROM staging.criteria AS s
{{ with_header("s") }}
JOIN core.dim_criterion AS k ON k.criteria_set = s.criteria_set AND k.criterion_no = s.criterion_no
LEFT JOIN core.dim_criterion_indicator AS i
    ON i.criteria_set = s.criteria_set AND i.criterion_no = s.criterion_no AND i.indicator_no = s.indicator_no
WHERE {{ published("s") }} AND s.indicator_no IS NOT NULL
