"""`ntm validate FILE...`: check submission files before they are sent.

The files go through the pipeline's own raw, staging and quarantine steps, in a
throw-away warehouse, so an officer sees exactly what the district's pipeline would say:
each problem with its sheet, row and column, in Vietnamese (or English with --lang en).
The exit status is 1 when anything is critical, so a script can refuse to send the file.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ntm_pipeline.contract import ALL_TABLES, SUBMISSION, SUBMISSION_TABLES

TEXT = {
    "vi": {
        "file": "Tệp {name} (kỳ {period})",
        "no_period": "Tệp {name}: không xác định được kỳ báo cáo (cột Kỳ báo cáo); dùng --period 2024-Q1",
        "critical": "LỖI",
        "warning": "CẢNH BÁO",
        "whole_file": "Cả tệp",
        "place": "trang '{sheet}', dòng {row}, cột '{column}'",
        "value": "giá trị: {value}",
        "ok": "  Không có lỗi.",
        "summary": "Kết quả: {critical} lỗi, {warning} cảnh báo. {verdict}",
        "send": "Có thể gửi tệp.",
        "fix": "Cần sửa các lỗi trước khi gửi.",
    },
    "en": {
        "file": "File {name} (period {period})",
        "no_period": "File {name}: cannot tell the reporting period (column Kỳ báo cáo); use --period 2024-Q1",
        "critical": "ERROR",
        "warning": "WARNING",
        "whole_file": "Whole file",
        "place": "sheet '{sheet}', row {row}, column '{column}'",
        "value": "value: {value}",
        "ok": "  No problems.",
        "summary": "Result: {critical} errors, {warning} warnings. {verdict}",
        "send": "The file can be sent.",
        "fix": "Fix the errors before sending.",
    },
}


def _period_of(path: Path) -> str | None:
    """The quarter a file reports on, read by the same rule the pipeline uses."""
    import duckdb

    from ntm_pipeline.submissions.reader import read_submission_file
    from ntm_pipeline.warehouse import prepare_connection

    parsed = read_submission_file(path)
    header = parsed.tables.get(SUBMISSION.name)
    texts = [values["reporting_period"] for _, values in header.rows] if header else []
    with duckdb.connect() as conn:
        prepare_connection(conn)
        periods = {conn.execute("SELECT parse_period(?)", [t]).fetchall()[0][0] for t in texts if t}
    periods.discard(None)
    return periods.pop() if len(periods) == 1 else None


def _column_label(name: str, lang: str) -> str:
    """The column as the officer sees it in the template; in English with its canonical name."""
    headers = {c.name: c.header_vi for t in ALL_TABLES for c in t.columns}
    parts = [part.strip() for part in name.split(",")]
    if lang == "en":
        return ", ".join(f"{headers[p]} ({p})" if p in headers else p for p in parts)
    return ", ".join(headers.get(p, p) for p in parts)


def validate_files(paths: list[Path], lang: str = "vi", period: str | None = None, out=print) -> int:
    """Validate files and print their problems; returns 1 when any is critical, else 0."""
    import dagster as dg
    import duckdb
    from dagster_duckdb import DuckDBResource

    from ntm_pipeline.resources import SubmissionStore
    from ntm_pipeline.run import materialize_periods

    text = TEXT[lang]
    critical = warning = 0
    with tempfile.TemporaryDirectory(prefix="ntm-validate-") as tmp:
        raw = Path(tmp) / "raw"
        placed: dict[str, tuple[Path, str]] = {}
        for path in paths:
            file_period = period or _period_of(path)
            if file_period is None:
                out(text["no_period"].format(name=path.name))
                critical += 1
                continue
            target = raw / "submissions" / file_period / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
            placed[f"submissions/{file_period}/{path.name}"] = (path, file_period)
        if placed:
            database = Path(tmp) / "check.duckdb"
            selection = dg.AssetSelection.groups("quarantine").upstream()
            result = materialize_periods(
                sorted({p for _, p in placed.values()}),
                dg.DagsterInstance.ephemeral(),
                resources={
                    "duckdb": DuckDBResource(database=str(database)),
                    "submissions": SubmissionStore(raw_dir=str(raw)),
                },
                selection=selection,
                log_level="ERROR",
            )
            if not result.success:  # a fault of the checker itself, not of the files
                failed = [e.step_key for e in result.all_events if e.is_step_failure]
                raise RuntimeError(f"the validation run failed in {', '.join(failed) or 'setup'}")
            with duckdb.connect(str(database), read_only=True) as conn:
                for source_file, (path, file_period) in placed.items():
                    out(text["file"].format(name=path.name, period=file_period))
                    problems = _problems(conn, source_file, lang)
                    for severity, line in problems:
                        out(f"  {text[severity]:<9} {line}")
                    if not problems:
                        out(text["ok"])
                    critical += sum(1 for s, _ in problems if s == "critical")
                    warning += sum(1 for s, _ in problems if s == "warning")
    verdict = text["fix"] if critical else text["send"]
    out(text["summary"].format(critical=critical, warning=warning, verdict=verdict))
    return 1 if critical else 0


def _problems(conn, source_file: str, lang: str) -> list[tuple[str, str]]:
    text = TEXT[lang]
    message = "message_vi" if lang == "vi" else "message_en"
    whole = conn.execute(
        f"SELECT {message} FROM quarantine.source_file WHERE source_file = ?", [source_file]
    ).fetchall()
    if whole:
        return [("critical", f"{text['whole_file']}: {m}") for (m,) in whole]
    problems = []
    rows = conn.execute(
        "SELECT sheet, row_number, column_name, value, severity, message FROM ("
        + " UNION ALL ".join(
            f"SELECT source_file, sheet, row_number, column_name, value, severity, {message} AS message "
            f"FROM quarantine.{t.name}"
            for t in SUBMISSION_TABLES
        )
        + ") WHERE source_file = ? ORDER BY severity, sheet, row_number, column_name",
        [source_file],
    ).fetchall()
    for sheet, row, column, value, severity, msg in rows:
        place = text["place"].format(sheet=sheet, row=row, column=_column_label(column, lang))
        shown = f" ({text['value'].format(value=value)})" if value not in (None, "") else ""
        problems.append((severity, f"{place}: {msg}{shown}"))
    return problems
