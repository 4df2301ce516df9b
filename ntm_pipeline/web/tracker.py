"""The tracker: which communes of an officer's area have reported a quarter, and how it went.

Every commune-level unit of the area in the quarter's era (core.dim_commune, the units in
force at the quarter's end) with its status in the PUBLISHED warehouse, read-only, opened per
request and closed at once (a run publishes a new file by an atomic rename, so an open
connection would keep reading the old one, and must never hold up a run): not received;
received and waiting for its run (a file under raw/submissions/<quarter>/ whose SHA-256 is
not yet in raw.source_file); published; published with warnings; rows quarantined (how many,
with the findings); taken out whole (the reason). The SQL is web/sql/tracker_*.sql.

Rights: a commune officer sees their commune, a district or province officer the communes of
their area, an administrator every unit. From 2025-Q3 there are no districts: a district
officer sees the quarters up to 2025-Q2 only (docs/intake.md says why).
"""

from __future__ import annotations

import io
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import fastapi
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ntm_pipeline import settings
from ntm_pipeline.quarters import QUARTERS, quarters_begun
from ntm_pipeline.report.text import printable
from ntm_pipeline.sql_fragments import render_sql
from ntm_pipeline.submissions.reader import discover_submission_files, file_hash
from ntm_pipeline.warehouse import MACROS_SQL, read_sql
from ntm_pipeline.web.accounts import AccountStore, User
from ntm_pipeline.web.auth import csrf_token, require_user
from ntm_pipeline.web.intake import deadline, open_quarters, period_label
from ntm_pipeline.web.templating import excel_text, templates

router = fastapi.APIRouter()

SQL = Path(__file__).parent / "sql"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST_POST_REFORM = "2025-Q3"  # the first quarter of the units of 1 July 2025: no districts
STATUSES = ("not_received", "waiting", "published", "warnings", "quarantined", "taken_out")
LEADING_CODE = re.compile(r"^(\d{5})(?!\d)")  # a file dropped by hand named as the sample's: 05068-nam-thuong.xlsx
STATUS_LABELS = {  # (Vietnamese, English); docs/intake.md says what each means and where it is read
    "not_received": ("Chưa nhận báo cáo", "Not received"),
    "waiting": ("Đã nhận, chờ xử lý", "Received, waiting for its run"),
    "published": ("Đã tổng hợp", "Published"),
    "warnings": ("Đã tổng hợp, có cảnh báo", "Published with warnings"),
    "quarantined": ("Có dòng bị cách ly", "Rows quarantined"),
    "taken_out": ("Tệp bị cách ly toàn bộ", "Taken out whole"),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def today() -> date:
    """Today in Vietnam, where the deadline falls (a test replaces it)."""
    return datetime.now(VIETNAM).date()


@dataclass(frozen=True)
class Area:
    """An area of a quarter's era: level 'commune', 'district', 'province' or 'all'."""

    level: str
    code: str
    name: str
    district_code: str | None = None
    province_code: str | None = None


EVERYWHERE = Area("all", "", "Toàn quốc")


class WarehouseUnavailable(Exception):
    """The published warehouse is missing or cannot be opened read-only just now."""


@contextmanager
def open_warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    """The published warehouse, read-only, with the project's macros, closed when the block
    ends. WarehouseUnavailable when it cannot be opened: the app answers it with a 503 page
    (`unavailable`)."""
    path = settings.warehouse_path()
    if not path.is_file():
        raise WarehouseUnavailable(str(path))
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:  # a writer of the old kind holds the file
        raise WarehouseUnavailable(str(exc)) from exc
    try:
        conn.execute(read_sql(MACROS_SQL))
        yield conn
    finally:
        conn.close()


def _records(conn: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def resolve_area(conn: duckdb.DuckDBPyConnection, period: str, code: str) -> Area | None:
    """The unit `code` names in `period`'s era, or None (tracker_area.sql)."""
    rows = _records(conn, read_sql(SQL / "tracker_area.sql"), {"period": period, "code": code})
    return Area(**{k: rows[0][k] for k in ("level", "code", "name", "district_code", "province_code")}) if rows else None


def own_area(conn: duckdb.DuckDBPyConnection, user: User, period: str) -> Area | None:
    """The user's area in `period`'s era; None when their unit is no unit of that era (a
    district after the reform, a commune merged away)."""
    if user.role == "admin":
        return EVERYWHERE
    area = resolve_area(conn, period, user.area_code or "")
    return area if area is not None and area.level == user.role else None


def may_see(user: User, area: Area) -> bool:
    """An area the user's rights cover: their own, or one inside it."""
    if user.role == "admin":
        return True
    if user.role == "commune":
        return area.level == "commune" and area.code == user.area_code
    if user.role == "district":
        return area.level in ("commune", "district") and area.district_code == user.area_code
    return user.role == "province" and area.province_code == user.area_code


def user_quarters(user: User, when: date) -> list[str]:
    """The quarters the tracker offers the user, newest first: every quarter begun, but a
    district officer's stop at 2025-Q2."""
    begun = quarters_begun(when)
    if user.role == "district":
        begun = [p for p in begun if p < FIRST_POST_REFORM]
    return list(reversed(begun))


# Files on disk -------------------------------------------------------------------------------
_hashes: dict[tuple[str, int, int], str] = {}
_hashes_lock = threading.Lock()


def _cached_hash(path: Path) -> str:
    """SHA-256 of a file, remembered by path, size and modification time: a page hashes only
    the files that are new or changed since the last page."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _hashes_lock:
        if key in _hashes:
            return _hashes[key]
    digest = file_hash(path)
    with _hashes_lock:
        if len(_hashes) > 100_000:
            _hashes.clear()
        _hashes[key] = digest
    return digest


def files_on_disk(period: str, filed: dict[str, str]) -> list[tuple[str, str, str | None]]:
    """The quarter's files as the pipeline discovers them: (path under raw/, SHA-256, commune).
    The commune is the one the intake filed the file for (`filed`: SHA-256 -> commune), else
    the five-digit code a file dropped by hand starts its name with, else None."""
    raw = settings.raw_dir()
    found = []
    for _, path in discover_submission_files(raw, [period]):
        try:
            digest = _cached_hash(path)
        except OSError:  # a dangling link, a file removed meanwhile: the pipeline rejects or skips it
            continue
        match = LEADING_CODE.match(path.name)
        found.append((path.relative_to(raw).as_posix(), digest, filed.get(digest) or (match and match.group(1))))
    return found


def _file_params(files: list[tuple[str, str, str | None]]) -> dict:
    return {"paths": [f[0] for f in files], "hashes": [f[1] for f in files], "communes": [f[2] for f in files]}


# The tracker ---------------------------------------------------------------------------------
@dataclass
class Tracker:
    period: str
    area: Area
    rows: list[dict]
    counts: dict[str, int]
    deadline: date
    days_left: int
    unattributed: dict[str, int] | None  # files placed at no commune: for an administrator only

    @property
    def received(self) -> int:
        return len(self.rows) - self.counts["not_received"]

    @property
    def published(self) -> int:
        return sum(1 for r in self.rows if r["published"])


def tracker(conn: duckdb.DuckDBPyConnection, period: str, area: Area, store: AccountStore | None,
            when: date | None = None) -> Tracker:
    """Every unit of `area` in `period` with its status, the counts and the deadline."""
    filings = store.filings_of(period) if store is not None else []
    files = files_on_disk(period, {f.sha256: f.commune_code for f in filings})
    params = {"period": period, "level": area.level, "area_code": area.code, **_file_params(files)}
    rows = _records(conn, render_sql(SQL / "tracker_status.sql"), params)
    latest = {f.commune_code: f for f in filings}  # oldest first: the last one stays
    for row in rows:
        row["last_filing"] = latest.get(row["commune_code"])
    unattributed = None
    if area.level == "all":
        unattributed = _records(conn, read_sql(SQL / "tracker_unattributed.sql"),
                                {"period": period, **_file_params(files)})[0]
    counts = Counter(r["status"] for r in rows)
    due = deadline(period)
    return Tracker(period, area, rows, {s: counts.get(s, 0) for s in STATUSES}, due,
                   (due - (when or today())).days, unattributed)


def kpi_rows(conn: duckdb.DuckDBPyConnection, period: str, area: Area) -> tuple[list[str], list[str], list[tuple]]:
    """mart.kpi_wide's rows of `area` in `period`: column names, their Vietnamese labels (the
    columns' comments up to ' | '), rows."""
    cursor = conn.execute(read_sql(SQL / "tracker_kpi_wide.sql"),
                          {"period": period, "level": area.level, "area_code": area.code})
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    comments = dict(conn.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'mart' AND table_name = 'kpi_wide'"
    ).fetchall())
    labels = [(comments.get(n) or n).split(" | ")[0] for n in names]
    return names, labels, rows


def kpi_workbook(period: str, names: list[str], labels: list[str], rows: list[tuple]) -> bytes:
    """The rows as a workbook: a row of Vietnamese labels, a row of column names, the rows.
    Text is cleaned as the report's workbook cleans it (printable) and written by the app's
    one rule (templating.excel_text): a name that starts with '=' is never a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"KPI {period}"
    for r, values in enumerate([labels, names, *rows], start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c)
            excel_text(cell, printable(value) if isinstance(value, str) else value)
            if r <= 2:
                cell.font = Font(bold=True)
    sheet.freeze_panes = "G3"  # the period and the area stay in view
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# Routes --------------------------------------------------------------------------------------
def _store(request: Request) -> AccountStore | None:
    return getattr(request.app.state, "store", None)


def _page(request: Request, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
    helpers = {"labels": STATUS_LABELS, "date_vi": date_vi, "days_left_text": days_left_text,
               "filed_at_local": filed_at_local, "header_vi": header_vi, "period_label": period_label}
    return templates.TemplateResponse(request, name, {"csrftoken": csrf_token(request), **helpers, **context},
                                      status_code=status_code)


def unavailable(request: Request, user: User | None) -> HTMLResponse:
    """The page for a request that needed the published warehouse when it could not be opened."""
    return _page(request, "tracker_unavailable.html", {"user": user}, status_code=503)


def _check_period(period: str) -> None:
    if period not in QUARTERS or period not in quarters_begun(today()):
        raise fastapi.HTTPException(status_code=404, detail="no such quarter")


def _area_for(conn, user: User, period: str, requested: str | None) -> Area | None:
    """The area a page shows: the one asked for (`?area=`, within the user's rights: 403
    otherwise, 404 when it is no unit of the quarter's era), else the user's own (None when
    their unit is none of that era's)."""
    if requested:
        area = resolve_area(conn, period, requested.strip())
        if area is None:
            raise fastapi.HTTPException(status_code=404, detail="no such area in this quarter")
        if not may_see(user, area):
            raise fastapi.HTTPException(status_code=403, detail="not your area")
        return area
    return own_area(conn, user, period)


@router.get("/tracker", response_class=HTMLResponse)
def tracker_index(request: Request, period: str | None = None, user: User = Depends(require_user)):
    """The user's area and the open quarters, with their counts; links to every earlier quarter.
    `?period=` goes to that quarter's page (the intake's pages link so)."""
    if period in QUARTERS:
        return RedirectResponse(f"/tracker/{period}", status_code=303)
    when = today()
    quarters = user_quarters(user, when)
    open_now = [p for p in open_quarters(when) if p in quarters]
    with open_warehouse() as conn:
        summaries = []
        for quarter in open_now:
            area = own_area(conn, user, quarter)
            summaries.append((quarter, area, tracker(conn, quarter, area, _store(request), when) if area else None))
    return _page(request, "tracker_index.html", {
        "user": user, "summaries": summaries, "quarters": quarters, "open_now": open_now,
        "first_post_reform": FIRST_POST_REFORM,
    })


@router.get("/tracker/{period}", response_class=HTMLResponse)
def tracker_page(request: Request, period: str, area: str | None = None, status: str | None = None,
                 user: User = Depends(require_user)):
    """Every commune of the area in the quarter with its status; `?status=` keeps one status
    (or `received`: all but those not received)."""
    _check_period(period)
    with open_warehouse() as conn:
        shown = _area_for(conn, user, period, area)
        if shown is None:
            return _page(request, "tracker_no_area.html", {
                "user": user, "period": period, "first_post_reform": FIRST_POST_REFORM,
                "quarters": user_quarters(user, today()),
            }, status_code=404)
        board = tracker(conn, period, shown, _store(request))
    status = status if status in (*STATUSES, "received") else None
    rows = [r for r in board.rows if status is None or r["status"] == status
            or (status == "received" and r["status"] != "not_received")]
    provinces = _by_province(board.rows) if shown.level == "all" else None
    return _page(request, "tracker.html", {
        "user": user, "board": board, "rows": rows, "status": status,
        "statuses": STATUSES, "provinces": provinces, "has_districts": period < FIRST_POST_REFORM,
        "area_param": area or "",
    })


def _by_province(rows: list[dict]) -> list[dict]:
    """An administrator's country view: per province, its units and their statuses."""
    provinces: dict[str, dict] = {}
    for row in rows:
        entry = provinces.setdefault(row["province_code"], {
            "code": row["province_code"], "name": row["province_full_name"], "units": 0,
            **{s: 0 for s in STATUSES}})
        entry["units"] += 1
        entry[row["status"]] += 1
    return list(provinces.values())


@router.get("/tracker/{period}/kpi.xlsx")
def tracker_kpi(request: Request, period: str, area: str | None = None, user: User = Depends(require_user)):
    """The quarter's mart.kpi_wide rows of the area, as a workbook."""
    _check_period(period)
    with open_warehouse() as conn:
        shown = _area_for(conn, user, period, area)
        if shown is None:
            raise fastapi.HTTPException(status_code=404, detail="your unit is no unit of this quarter")
        names, labels, rows = kpi_rows(conn, period, shown)
    name = f"kpi-{period}-{shown.code or 'toan-quoc'}.xlsx"
    return Response(kpi_workbook(period, names, labels, rows), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def filed_at_local(when: datetime) -> str:
    """A UTC time of the filings' record in Vietnam's time, dd/mm/yyyy hh:mm."""
    return when.replace(tzinfo=timezone.utc).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def header_vi(column_name: str | None) -> str:
    """A finding's column(s) as officers see them in the template (Mã xã, not commune_code)."""
    from ntm_pipeline.checks import column_labels

    headers = dict(column_labels().itertuples(index=False))
    return ", ".join(headers.get(c, c) for c in (column_name or "").split(", ") if c)


def date_vi(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def days_left_text(days: int) -> tuple[str, str]:
    """The days to the deadline, in Vietnamese and English."""
    if days > 0:
        return f"còn {days} ngày", f"{days} day{'s' if days != 1 else ''} left"
    if days == 0:
        return "hôm nay là hạn cuối", "due today"
    return f"đã quá hạn {-days} ngày", f"{-days} day{'s' if days != -1 else ''} overdue"

