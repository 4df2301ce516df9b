-- One row per area and quarter, one column per KPI (dots become underscores:
-- projects_ongoing.road is projects_ongoing_road), for spreadsheets and notebooks.
-- Rebuilt whole, also by a one-quarter run: its columns are the KPIs present in any quarter of
-- mart.kpi_quarterly, so a quarter's rows alone do not say them (a quarter that brings a KPI
-- adds a column to every quarter's rows, one that was the last to hold a KPI removes one).
-- Writing only the run's quarters needs fixed columns (the KPI catalogue, NULL where a KPI is
-- absent): a change of the table's columns, left to be decided (issue 15).
PIVOT (
    SELECT period, year, quarter, area_level, area_code, area_name, communes_in_area, replace(kpi_code, '.', '_') AS kpi, value
    FROM mart.kpi_quarterly
)
ON kpi USING first(value)
GROUP BY period, year, quarter, area_level, area_code, area_name, communes_in_area
ORDER BY period, area_level, area_code
