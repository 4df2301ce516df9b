-- One row per area and quarter, one column per KPI of the catalogue (dots become underscores:
-- projects_ongoing.road is projects_ongoing_road), for spreadsheets and notebooks. The
-- columns are the catalogue's (reference_data/kpi.csv, kpi_columns), the same in every
-- quarter and NULL where the quarter has no such KPI (the criteria bands of the other
-- criteria set), so a run writes only its own quarters and a workbook's columns never move.
PIVOT (
    SELECT period, year, quarter, area_level, area_code, area_name, communes_in_area,
           replace(kpi_code, '.', '_') AS kpi, value
    FROM mart.kpi_quarterly
    WHERE period IN (SELECT unnest($periods))
)
ON kpi IN ({% for column in kpi_columns %}'{{ column }}'{{ ", " if not loop.last }}{% endfor %})
USING first(value)
GROUP BY period, year, quarter, area_level, area_code, area_name, communes_in_area
ORDER BY period, area_level, area_code
