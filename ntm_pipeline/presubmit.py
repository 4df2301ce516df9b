"""`ntm validate FILE...`: check submission and targets files before they are sent.

Each file is read first by the pipeline's own reader: a file it cannot take (damaged, a
sheet or a column missing) is refused with that reason, whatever else is in it. The
others go through the pipeline's raw, staging and quarantine steps, run by the checks
library (ntm_pipeline/checks) on an in-memory DuckDB without Dagster, so an officer sees
exactly what the district's pipeline would say: each problem with its sheet, row and
column as the template names them, in Vietnamese (or English with --lang en). The exit
status is 1 when anything is critical, so a script can refuse to send.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from ntm_pipeline.contract import (
    ALL_TABLES,
    PROVENANCE_COLUMNS,
    SUBMISSION,
    TARGET,
    SubmissionTable,
    table_for_name,
    text_key,
)

TEXT = {
    "vi": {
        "file": "Tệp {name} (kỳ {period})",
        "file_unplaced": "Tệp {name}",
        "targets_file": "Tệp chỉ tiêu {name}",
        "outside": "kỳ báo cáo {period} nằm ngoài các quý của chương trình đã bắt đầu ({first} đến {last})",
        "no_period": "không xác định được kỳ báo cáo (cột 'Kỳ báo cáo' của trang 'Thông tin chung'); "
        "dùng --period, ví dụ --period 2024-Q1",
        "critical": "LỖI",
        "warning": "CẢNH BÁO",
        "whole_file": "Cả tệp",
        "sheet": "trang '{sheet}'",
        "row": "dòng {row}",
        "column": "cột '{column}'",
        "value": "giá trị: {value}",
        "home": "xã {code} là {commune}, thuộc {district} (mã {district_code}), {province} (mã {province_code})",
        "home_no_district": "xã {code} là {commune}, thuộc {province} (mã {province_code})",
        "ok": "  Không có lỗi.",
        "summary": "Kết quả: {critical} lỗi, {warning} cảnh báo. {verdict}",
        "send": "Có thể gửi tệp.",
        "fix": "Cần sửa các lỗi trước khi gửi.",
    },
    "en": {
        "file": "File {name} (period {period})",
        "file_unplaced": "File {name}",
        "targets_file": "Targets file {name}",
        "outside": "period {period} is outside the programme's quarters begun so far ({first} to {last})",
        "no_period": "cannot tell the reporting period (column 'Kỳ báo cáo' of sheet 'Thông tin chung'); "
        "use --period, e.g. --period 2024-Q1",
        "critical": "ERROR",
        "warning": "WARNING",
        "whole_file": "Whole file",
        "sheet": "sheet '{sheet}'",
        "row": "row {row}",
        "column": "column '{column}'",
        "value": "value: {value}",
        "home": "commune {code} is {commune}, in {district} (code {district_code}), {province} (code {province_code})",
        "home_no_district": "commune {code} is {commune}, in {province} (code {province_code})",
        "ok": "  No problems.",
        "summary": "Result: {critical} error{cs}, {warning} warning{ws}. {verdict}",
        "send": "The file can be sent.",
        "fix": "Fix the errors before sending.",
    },
}
# Rules on the header that say the commune is not the district's or province's the file names.
NOT_HERE = ("district_matches", "province_matches")
# Staging's names for the columns of a targets file, and columns staging derives from another.
STAGED_AS = {"area_code": "district_code", "kpi_code": "target_code"}
DERIVED_AS = {"criteria_set_reported": "criteria_set"}


@dataclass(frozen=True)
class Problem:
    """One problem of a file, in its parts (what the web intake shows as a table) and as the
    line `ntm validate` prints: 'sheet, row, column: message (value)'."""

    severity: str  # 'critical' or 'warning'
    message: str  # in the language asked, with where the commune belongs when that is the problem
    whole_file: bool = False
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # as the template names it (in English with its canonical name)
    value: str | None = None  # as typed, when the message does not quote it already
    lang: str = "vi"

    @property
    def line(self) -> str:
        text = TEXT[self.lang]
        place = []
        if self.sheet:
            place.append(text["sheet"].format(sheet=self.sheet))
        if self.row is not None:
            place.append(text["row"].format(row=self.row))
        if self.column:
            place.append(text["column"].format(column=self.column))
        line = ", ".join(place) + ": " if place else ""
        line += self.message
        if self.value not in (None, ""):
            line += f" ({text['value'].format(value=self.value)})"
        return f"{text['whole_file']}: {line}" if self.whole_file else line


@dataclass
class Checked:
    """One file's heading and its problems, as (severity, line)."""

    heading: str
    path: Path
    problems: list[Problem] = field(default_factory=list)
    to_check: bool = False  # the reader took it and its quarter is known: the checks run on it
    table: SubmissionTable = SUBMISSION
    period: str | None = None


def is_targets_file(path: Path) -> bool:
    """A targets file: named `*.target.csv`, `target.csv` or `chi-tieu*`, or a workbook with
    a 'Chỉ tiêu' sheet and no 'Thông tin chung' sheet."""
    from ntm_pipeline.submissions.reader import csv_table

    if text_key(path.stem).startswith("chi_tieu"):
        return True
    if path.suffix.lower() == ".csv":
        return csv_table(path) is TARGET
    try:
        from ntm_pipeline.submissions.reader import workbook_sheet_names

        sheets = {table_for_name(name) for name in workbook_sheet_names(path)}  # not parsed: the reader checks first
    except Exception:  # a damaged workbook: the reader says why, as a submission
        return False
    return TARGET in sheets and SUBMISSION not in sheets


def _period_of(parsed) -> str | None:
    """The quarter a parsed submission reports on, read by the pipeline's own rule."""
    from ntm_pipeline.quarters import period_from_text

    header = parsed.tables.get(SUBMISSION.name)
    texts = {values["reporting_period"] for _, values in header.rows if values["reporting_period"]} if header else set()
    periods = {period_from_text(t) for t in texts}
    periods.discard(None)
    return periods.pop() if len(periods) == 1 else None


def _column_label(name: str, lang: str, table: SubmissionTable = SUBMISSION) -> str:
    """The column as the officer sees it in the template; in English with its canonical name."""
    headers = {c.name: c.header_vi for t in ALL_TABLES for c in t.columns}
    headers |= {c.name: c.header_vi for c in table.columns}
    headers |= {derived: headers[name] for derived, name in DERIVED_AS.items()}
    if table is TARGET:
        headers |= {staged: headers[name] for staged, name in STAGED_AS.items()}
    parts = [part.strip() for part in name.split(",")]
    if lang == "en":
        return ", ".join(f"{headers[p]} ({p})" if p in headers else p for p in parts)
    return ", ".join(headers.get(p, p) for p in parts)


def validate_files(paths: list[Path], lang: str = "vi", period: str | None = None, out=print, checker=None) -> int:
    """Validate files and print their problems; returns 1 when any is critical, else 0.
    `checker` is a checks.Checker to reuse (the process's own by default)."""
    text = TEXT[lang]
    checked = checked_files(paths, lang, period, checker)
    critical = warning = 0
    for item in checked:
        out(item.heading)
        for problem in item.problems:
            out(f"  {text[problem.severity]:<9} {problem.line}")
        if not item.problems:
            out(text["ok"])
        critical += sum(1 for p in item.problems if p.severity == "critical")
        warning += sum(1 for p in item.problems if p.severity == "warning")
    verdict = text["fix"] if critical else text["send"]
    out(text["summary"].format(critical=critical, warning=warning, verdict=verdict,
                               cs="s" if critical != 1 else "", ws="s" if warning != 1 else ""))
    return 1 if critical else 0


def checked_files(paths: list[Path], lang: str = "vi", period: str | None = None, checker=None,
                  also: list[tuple[Path, str]] = ()) -> list[Checked]:
    """Each file's heading and problems, as `ntm validate` prints them. `also` are files of the
    same drop, checked with them (a commune's earlier submissions of the quarter, which a
    correction replaces) and not reported."""
    from ntm_pipeline.quarters import period_from_text, quarters_begun
    from ntm_pipeline.submissions.reader import read_submission_file

    text = TEXT[lang]
    if period is not None:
        quarter = period_from_text(period)
        if quarter is None:
            raise ValueError(f"not a quarter: {period!r}")
        period = quarter
    checked: list[Checked] = []
    unread: list[tuple[Checked, list[Problem]]] = []  # sheets not read: warned, as raw.ignored_entry lists them
    for path in paths:
        targets = is_targets_file(path)
        parsed = read_submission_file(path, default_table=TARGET if targets else None)
        file_period = None if targets else period or _period_of(parsed)
        if targets:
            heading = text["targets_file"].format(name=path.name)
        elif file_period:
            heading = text["file"].format(name=path.name, period=file_period)
        else:
            heading = text["file_unplaced"].format(name=path.name)
        item = Checked(heading, path, table=TARGET if targets else SUBMISSION, period=file_period)
        checked.append(item)
        if parsed.error:  # the reader's reason comes first: nothing else can be said of the file
            message = parsed.error.message_vi if lang == "vi" else parsed.error.message_en
            item.problems.append(Problem("critical", message, whole_file=True, lang=lang))
            continue
        unread.append((item, [Problem("warning", vi if lang == "vi" else en, lang=lang) for _, en, vi in parsed.sheets_not_read]))
        if not targets and file_period is None:
            item.problems.append(Problem("critical", text["no_period"], whole_file=True, lang=lang))
            continue
        keys = quarters_begun()
        if file_period and file_period not in keys:
            item.problems.append(Problem("critical", text["outside"].format(
                period=file_period, first=keys[0], last=keys[-1]), whole_file=True, lang=lang))
            continue
        item.to_check = True
    to_check = [c for c in checked if c.to_check]
    if to_check:  # checked together, as one drop of files: a correction replaces, two first submissions clash
        if checker is None:  # built only now: a file the reader refuses is answered without loading GX
            from ntm_pipeline.checks import default_checker

            checker = default_checker()
        results = checker.check([(c.path, c.period) for c in to_check] + list(also))
        for item, result in zip(to_check, results):
            item.problems = _problems(checker, item, result, lang)
    for item, sheets in unread:
        item.problems.extend(sheets)
    return checked


def _problems(checker, item: Checked, result, lang: str) -> list[Problem]:
    """The findings of one checked file: taken out whole (with the header's own findings when
    that is why), or row by row."""
    by_name = {t.name: t for t in ALL_TABLES}
    names = [TARGET.name] if item.table is TARGET else [t.name for t in ALL_TABLES if t is not TARGET]
    findings = [(by_name[f.table], asdict(f)) for f in result.rows if f.table in names]

    # Critical first, then as the workbook reads: sheet by sheet, row by row, left to right.
    def order(finding):
        table, f = finding
        columns = [c.name for c in table.columns]
        first = (f["column_name"] or "").split(",")[0].strip()
        column = columns.index(first) if first in columns else len(columns)
        return f["severity"], names.index(table.name), f["row_number"] or 0, column, f["rule"]

    findings.sort(key=order)
    whole = [asdict(f) for f in result.whole_file]
    csv_name = item.path.name if item.path.suffix.lower() == ".csv" else None
    said: set[str] = set()  # communes whose district and province a line has given
    if whole:
        header = [f for t, f in findings if t is SUBMISSION and f["severity"] == "critical"]
        # The header broke a rule: say which, where; else the file's own reason.
        return [_problem(checker, f, item.table, lang, csv_name, said, whole_file=True) for f in header or whole]
    return [_problem(checker, f, table, lang, csv_name, said) for table, f in findings]


def _in_the_file(columns: str | None, value: str | None) -> tuple[str | None, str | None]:
    """A rule's columns and values as the file has them: a provenance column (the period
    folder a rule compares with) is no cell of the file and is left out."""
    if not columns or "," not in columns:
        return columns, value
    names = [c.strip() for c in columns.split(",")]
    values = (value or "").split(" | ") if value is not None else [None] * len(names)
    if len(values) != len(names):
        return columns, value
    kept = [(n, v) for n, v in zip(names, values) if n not in PROVENANCE_COLUMNS]
    return ", ".join(n for n, _ in kept), " | ".join(v or "" for _, v in kept).strip(" |") or None


def _problem(checker, finding: dict, table: SubmissionTable, lang: str, csv_name: str | None, said: set[str],
             whole_file: bool = False) -> Problem:
    """A finding as a problem: its sheet, row and column, the message and the value typed. A CSV
    file's only 'sheet' is the file itself, and is left out. A commune not of the district or
    province the file names is placed once, on its first such line."""
    text = TEXT[lang]
    sheet = finding.get("sheet") if finding.get("sheet") != csv_name else None
    columns, value = _in_the_file(finding.get("column_name"), finding.get("value"))
    message = finding["message_vi" if lang == "vi" else "message_en"]
    if value is not None and f"({value})" in message:  # a message of its own may quote it already
        value = None
    code = finding.get("commune_code")
    if finding.get("rule") in NOT_HERE and code and code not in said and finding.get("period"):
        said.add(code)
        home = checker.commune_home(finding["commune_code"], finding["period"])
        if home:
            commune, district_code, district, province_code, province = home
            suffix = "; " + text["home" if district_code else "home_no_district"].format(
                code=finding["commune_code"], commune=commune, district=district, district_code=district_code,
                province=province, province_code=province_code,
            )
            if value not in (None, ""):  # the line reads 'message (value); home', as it always has
                message += f" ({text['value'].format(value=value)})"
                value = None
            message += suffix
    return Problem(finding["severity"], message, whole_file=whole_file, sheet=sheet or None,
                   row=finding.get("row_number"), column=_column_label(columns, lang, table) if columns else None,
                   value=value, lang=lang)
