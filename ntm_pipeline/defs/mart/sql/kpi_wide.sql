-- One row per area and quarter, one column per KPI (dots become underscores:
-- projects_ongoing.road is projects_ongoing_road), for spreadsheets and notebooks.
PIVOT (
    SELECT period, year, quarter, area_level, area_code, area_name, communes_in_area, replace(kpi_code, '.', '_') AS kpi, value
    FROM mart.kpi_quarterly
)
ON kpi USING first(value)
GROUP BY period, year, quarter, area_level, area_code, area_name, communes_in_area
ORDER BY period, area_level, area_code
