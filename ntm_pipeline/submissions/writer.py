"""Write submission workbooks and CSV files in the documented format.

Used for the blank template in raw/templates/ and by the sample generators. Output is
byte-for-byte reproducible: zip entry times and document timestamps are fixed.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from ntm_pipeline.contract import SUBMISSION_TABLES, SubmissionTable

FIXED_TIME = (2024, 1, 1, 0, 0, 0)
CODE_LIST_SHEET = "Danh mục"
GUIDE_SHEET = "Hướng dẫn"

Row = dict[str, object]


def _code_lists(period: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """Each code list's codes and Vietnamese labels: those valid at the end of `period` (a
    code's valid_from and valid_to in reference_data/code_list.csv, blank = open), every code
    when `period` is None. A list with no code valid in the period is left out."""
    from ntm_pipeline.quarters import quarter_end
    from ntm_pipeline.reference import read_reference_csv

    day = quarter_end(period).isoformat() if period else None
    lists: dict[str, list[tuple[str, str]]] = {}
    for row in read_reference_csv("code_list"):
        if day and not ((row.get("valid_from") or "") <= day <= (row.get("valid_to") or "9999-12-31")):
            continue
        lists.setdefault(row["code_list"], []).append((row["code"], row["label_vi"]))
    return lists


def build_workbook(
    rows_by_table: dict[str, list[Row | None]],
    tables: tuple[SubmissionTable, ...] = SUBMISSION_TABLES,
    title: str | None = None,
    guide: list[str] | None = None,
    period: str | None = None,
):
    """An openpyxl workbook: one sheet per table with Vietnamese headers.

    `None` in a row list writes a blank row, as officers often leave. Code columns get a
    drop-down of the Vietnamese labels listed on the Danh mục sheet. With `period`, the
    workbook is that quarter's template: only the columns of the quarter (no Mã huyện from
    2025-Q3, Nhóm xã from 2026-Q1) and only the codes valid at its end; without, every column
    and every code.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    workbook.remove(workbook.active)
    code_lists = _code_lists(period)
    list_columns = {name: i + 1 for i, name in enumerate(sorted(code_lists))}
    if guide:
        sheet = workbook.create_sheet(GUIDE_SHEET)
        for line in guide:
            sheet.append([line])
        sheet.column_dimensions["A"].width = 110
    for table in tables:
        sheet = workbook.create_sheet(table.sheet_vi)
        if title:
            sheet.append([title])
            sheet.append([])
        columns = table.columns_in(period)
        sheet.append([c.header_vi for c in columns])
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        for row in rows_by_table.get(table.name, []):
            sheet.append([] if row is None else [row.get(c.name) for c in columns])
        for index, column in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, len(column.header_vi) + 2)
            if column.code_list and column.code_list in code_lists:
                count = len(code_lists[column.code_list])
                source = get_column_letter(list_columns[column.code_list])
                validation = DataValidation(
                    type="list",
                    formula1=f"='{CODE_LIST_SHEET}'!${source}$2:${source}${count + 1}",
                    allow_blank=True,
                    showErrorMessage=False,
                )
                validation.add(f"{letter}{header_row + 1}:{letter}{header_row + 500}")
                sheet.add_data_validation(validation)
        sheet.freeze_panes = f"A{header_row + 1}"
    lists_sheet = workbook.create_sheet(CODE_LIST_SHEET)
    for name, column in list_columns.items():
        lists_sheet.cell(row=1, column=column, value=name).font = Font(bold=True)
        for offset, (_code, label) in enumerate(code_lists[name], start=2):
            lists_sheet.cell(row=offset, column=column, value=label)
        lists_sheet.column_dimensions[get_column_letter(column)].width = 30
    workbook.properties.creator = "ntm_pipeline"
    workbook.properties.created = datetime(*FIXED_TIME)
    return workbook


def save_reproducibly(workbook, path: Path) -> None:
    """Save with fixed zip times and timestamps so the same content gives the same bytes."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def write_csv(path: Path, table: SubmissionTable, rows: list[Row], english_headers: bool = False, bom: bool = False,
              period: str | None = None) -> None:
    """One table as CSV (UTF-8), headers in Vietnamese or the English canonical names; with
    `period`, only the columns of that quarter (as `build_workbook`)."""
    columns = table.columns_in(period)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([c.name if english_headers else c.header_vi for c in columns])
        for row in rows:
            writer.writerow(["" if row.get(c.name) is None else row.get(c.name) for c in columns])
