-- One row per year, area and KPI: the annual target.
SELECT s.year, s.area_level, s.area_code, s.kpi_code, s.value AS target_value, s.source_file, s.row_number
FROM staging.target AS s
WHERE {{ published("s") }}
