-- One row per year, area and KPI: the annual target, for the units in force on 1 January of
-- its year (admin_era): 2025 targets are for the pre-reform units, 2026 ones for the new.
SELECT s.year, s.admin_era, s.area_level, s.area_code, s.kpi_code, s.value AS target_value, s.source_file, s.row_number
FROM staging.target AS s
WHERE {{ published("s") }}
