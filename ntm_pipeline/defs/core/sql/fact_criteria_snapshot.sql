-- One row per commune, criterion and period: met or not at quarter end.
SELECT
    s.period, s.commune_code, h.district_code, h.province_code,
    s.criteria_set, s.criterion_no, k.name_vi AS criterion_name_vi, k.name_en AS criterion_name_en,
    s.met AS is_met, s.note,
    s.source_file, s.sheet, s.row_number
FROM staging.criteria AS s
JOIN core.fact_commune_status AS h ON h.period = s.period AND h.commune_code = s.commune_code
JOIN core.dim_criterion AS k ON k.criteria_set = s.criteria_set AND k.criterion_no = s.criterion_no
WHERE s.period IN (SELECT unnest($periods)) AND s.row_status = 'validate'
  AND NOT EXISTS (
      SELECT 1 FROM quarantine.criteria AS q
      WHERE q.severity = 'critical' AND q.period = s.period AND q.source_file = s.source_file
        AND q.sheet = s.sheet AND q.row_number = s.row_number)
