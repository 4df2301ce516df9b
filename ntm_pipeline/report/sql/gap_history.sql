-- VietGAP and GlobalGAP areas of each area of $areas in the quarters with data among the eight
-- up to the report's, with each quarter's label (Quý 1/2024). Only quarters of the report's
-- era of administrative units: before 1 July 2025 a code named another unit (04978 was Thị
-- trấn Bo) and a province other communes, so their figures are not the area's.
WITH areas AS (SELECT unnest($areas, recursive := true))
SELECT k.area_level, k.area_code, k.period, p.label_vi, k.kpi_code, k.value
FROM mart.kpi_quarterly AS k
JOIN areas AS a ON a.area_level = k.area_level AND a.area_code = k.area_code
JOIN core.dim_period AS p ON p.period = k.period
JOIN core.dim_period AS r ON r.period = $period
WHERE k.kpi_code IN ('vietgap_area_ha', 'globalgap_area_ha')
  AND p.admin_era IS NOT DISTINCT FROM r.admin_era
  AND p.year * 4 + p.quarter BETWEEN r.year * 4 + r.quarter - 7 AND r.year * 4 + r.quarter
ORDER BY k.area_level, k.area_code, k.period, k.kpi_code
