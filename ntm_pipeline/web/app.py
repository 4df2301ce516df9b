"""`ntm serve`: the web intake. Commune officers sign in, check a quarter's workbook with the
pipeline's own checks (in Vietnamese, English by a switch) and file it into
raw/submissions/<quarter>/; district and province offices follow their communes on the
tracker (ntm_pipeline/web/tracker.py). It reads only the published warehouse, read-only.

Settings are read from the environment when `create_app()` is called: NTM_INTAKE_DB (the
accounts), NTM_INTAKE_SECRET, NTM_RAW_DIR, NTM_WAREHOUSE, NTM_MAX_FILE_MB (the largest upload),
NTM_INTAKE_LATE_DAYS, NTM_REPORTING_DEADLINE_DAY, NTM_INTAKE_LOGIN_LIMIT[_ADDRESS],
NTM_INTAKE_HTTPS_ONLY (docs/intake.md).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import tempfile
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import fastapi
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from ntm_pipeline.quarters import QUARTERS
from ntm_pipeline.settings import reader_limit
from ntm_pipeline.web import intake
from ntm_pipeline.web.accounts import AccountStore, FilingConflict, User
from ntm_pipeline.web.auth import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    CsrfFailed,
    LoginLimiter,
    SignInRequired,
    can_see_commune,
    checked_form,
    csrf_token,
    current_user,
    require_user,
    session_secret,
)
from ntm_pipeline.web.templating import language, templates

log = logging.getLogger(__name__)
ROLE_LABELS = {
    "commune": ("Cán bộ xã, mã xã {code}", "Commune officer, commune {code}"),
    "district": ("Cán bộ huyện, mã huyện {code}", "District officer, district {code}"),
    "province": ("Cán bộ tỉnh, mã tỉnh {code}", "Province officer, province {code}"),
    "admin": ("Quản trị viên", "Administrator"),
}
# A multipart body carries the form's other fields and boundaries besides the file.
FORM_OVERHEAD_BYTES = 64 * 1024


def _page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    context.setdefault("user", current_user(request))
    return templates.TemplateResponse(request, name, {"csrftoken": csrf_token(request), **context},
                                      status_code=status_code)


def _message(request: Request, status_code: int, title: tuple[str, str], text: str, back: str = "/") -> HTMLResponse:
    lang = language(request)
    return _page(request, "message.html", status_code, title=title[0] if lang == "vi" else title[1], text=text,
                 back=back)


def _t(request: Request, vi: str, en: str) -> str:
    return en if language(request) == "en" else vi


class BodyLimit:
    """Refuses a request body over the upload limit before it is read in full: by its
    Content-Length, or by counting what arrives when it has none."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = intake.upload_limit_bytes() + FORM_OVERHEAD_BYTES
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _too_large(scope, send)
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _TooLarge
            return message

        async def tracked_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await _too_large(scope, send)


class _TooLarge(Exception):
    pass


async def _too_large(scope, send):
    limit = f"{reader_limit('max_file_mb'):g}"
    body = ("<!doctype html><meta charset='utf-8'><title>Tệp quá lớn</title>"
            f"<p role='alert'>{intake.message('vi', 'too_large', limit=limit)}</p>"
            f"<p>{intake.message('en', 'too_large', limit=limit)}</p><p><a href='/upload'>Quay lại</a></p>").encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def create_app(checker=None, store: AccountStore | None = None) -> fastapi.FastAPI:
    """The intake app, its settings read from the environment now. `checker` (a
    checks.Checker) and `store` may be given, else the process's checker (built on first use)
    and the accounts database of NTM_INTAKE_DB."""
    from ntm_pipeline.web.tracker import WarehouseUnavailable, unavailable
    from ntm_pipeline.web.tracker import router as tracker_router

    app = fastapi.FastAPI(title="NTM intake", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store or AccountStore()
    app.state.limiter = LoginLimiter()
    app.state.checker = checker
    checker_lock = threading.Lock()

    def get_checker():
        with checker_lock:
            if app.state.checker is None:
                from ntm_pipeline.checks import default_checker

                app.state.checker = default_checker()
            return app.state.checker

    app.state.get_checker = get_checker
    if checker is None and os.environ.get("NTM_INTAKE_WARM_UP") == "1":  # set by `ntm serve`
        # The checks library loads its reference tables and suites in seconds: at start, not on
        # the first officer's upload.
        threading.Thread(target=get_checker, name="ntm-intake-warm-up", daemon=True).start()
    secret = session_secret()
    https_only = os.environ.get("NTM_INTAKE_HTTPS_ONLY", "") in ("1", "true", "yes")
    # Added innermost first: the body limit sees a request before the session does.
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE, same_site="lax", https_only=https_only)
    app.add_middleware(BodyLimit)

    @app.exception_handler(WarehouseUnavailable)
    async def _warehouse_unavailable(request: Request, exc: WarehouseUnavailable):
        log.warning("intake: %s: the published warehouse cannot be opened (%s)", request.url.path, exc)
        return unavailable(request, current_user(request))

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired):
        target = "/login" + (f"?next={exc.next_path}" if exc.next_path not in ("/", "") else "")
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf_failed(request: Request, exc: CsrfFailed):
        log.warning("intake: %s %s refused: CSRF token missing or wrong", request.method, request.url.path)
        return _message(request, 403, ("Biểu mẫu không hợp lệ", "Form not valid"), _t(
            request, "Biểu mẫu đã hết hạn hoặc không hợp lệ (mã chống giả mạo CSRF không khớp). "
            "Hãy tải lại trang rồi thử lại.",
            "The form has expired or is not valid (the CSRF token does not match). Reload the page and try again."))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return _message(request, 404, ("Không tìm thấy trang", "Page not found"),
                            _t(request, "Trang này không tồn tại.", "There is no such page."))
        if exc.status_code == 405:
            return _message(request, 405, ("Không hợp lệ", "Not allowed"),
                            _t(request, "Yêu cầu không hợp lệ cho trang này.", "This request is not allowed here."))
        return _message(request, exc.status_code, ("Yêu cầu không hợp lệ", "Bad request"),
                        _t(request, "Yêu cầu không đọc được; hãy thử lại từ trang gửi báo cáo.",
                           "The request could not be read; try again from the upload page."), back="/upload")

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception):
        log.exception("intake: %s %s failed", request.method, request.url.path)
        return HTMLResponse(
            "<!doctype html><meta charset='utf-8'><title>Lỗi</title><p role='alert'>Đã có lỗi xảy ra; tệp chưa được "
            "nhận. Hãy thử lại sau hoặc báo cho quản trị viên.</p><p>Something went wrong; the file was not filed. "
            "Try again later or tell the administrator.</p><p><a href='/'>Trang chủ</a></p>", status_code=500)

    @app.get("/healthz")
    def healthz():
        return JSONResponse({"status": "ok"})

    @app.get("/lang/{lang}")
    def switch_language(request: Request, lang: str):
        if lang not in ("vi", "en"):
            raise StarletteHTTPException(404)
        request.session["lang"] = lang
        referer = urlsplit(request.headers.get("referer", ""))
        back = referer.path if referer.netloc == request.url.netloc and referer.path.startswith("/") else "/"
        return RedirectResponse(back + (f"?{referer.query}" if back != "/" and referer.query else ""), status_code=303)

    @app.get("/login")
    def login_page(request: Request, next: str = "/"):
        if current_user(request):
            return RedirectResponse(_safe_next(next), status_code=303)
        return _page(request, "login.html", next=_safe_next(next), username="", error=None)

    @app.post("/login")
    async def login(request: Request):
        form = await checked_form(request, max_files=0)
        username = str(form.get("username") or "").strip()[:64]
        password = str(form.get("password") or "")
        target = _safe_next(str(form.get("next") or "/"))
        address = request.client.host if request.client else "unknown"
        wait = app.state.limiter.attempt(address, username)
        if wait is not None:
            log.warning("intake: sign-in rate limit for %r from %s", username, address)
            return _page(request, "login.html", 429, next=target, username=username, error=_t(
                request, f"Đăng nhập sai quá nhiều lần. Hãy thử lại sau {wait} giây.",
                f"Too many sign-in attempts. Try again in {wait} seconds."))
        user = await run_in_threadpool(app.state.store.authenticate, username, password)
        if user is None:
            log.info("intake: failed sign-in for %r from %s", username, address)
            return _page(request, "login.html", 401, next=target, username=username, error=_t(
                request, "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa.",
                "Wrong user name or password, or the account is disabled."))
        lang = request.session.get("lang")
        request.session.clear()
        request.session.update({"user": user.username, **({"lang": lang} if lang else {})})
        log.info("intake: %s signed in from %s", user.username, address)
        return RedirectResponse(target, status_code=303)

    @app.post("/logout")
    async def logout(request: Request):
        await checked_form(request, max_files=0)
        lang = request.session.get("lang")
        request.session.clear()
        if lang:
            request.session["lang"] = lang
        return RedirectResponse("/login", status_code=303)

    @app.get("/")
    def home(request: Request, user: User = Depends(require_user)):
        lang = language(request)
        today = _today()
        quarters = []
        filings = app.state.store.filings_of()
        seen = {(f.commune_code, f.period): _may_see(user, f.commune_code, f.period)
                for f in {(f.commune_code, f.period): f for f in filings}.values()}
        visible = [f for f in filings if seen[f.commune_code, f.period]]
        for period in intake.open_quarters(today):
            due = intake.deadline(period)
            quarters.append({"period": period, "label": intake.period_label(period, lang),
                             "deadline": due.strftime("%d/%m/%Y"), "days_left": (due - today).days,
                             "filed": len({f.commune_code for f in visible if f.period == period})})
        filings = [{**f.__dict__, "when": intake._local(f.filed_at)} for f in reversed(visible[-50:])]
        vi, en = ROLE_LABELS[user.role]
        return _page(request, "home.html", user=user, quarters=quarters, filings=filings,
                     role_label=(vi if lang == "vi" else en).format(code=user.area_code))

    def _may_see(user: User, code: str, period: str) -> bool:
        return can_see_commune(user, code, period) if user.role in ("district", "province") else (
            user.role == "admin" or code == user.area_code)

    def _upload_page(request: Request, user: User, period: str | None = None, error: str | None = None,
                     status_code: int = 200):
        lang = language(request)
        quarters = [{"period": p, "label": intake.period_label(p, lang)} for p in intake.open_quarters(_today())]
        return _page(request, "upload.html", status_code, user=user, quarters=quarters,
                     period=period or (quarters[0]["period"] if quarters else None), error=error,
                     limit_mb=f"{reader_limit('max_file_mb'):g}")

    @app.get("/upload")
    def upload_form(request: Request, period: str | None = None, user: User = Depends(require_user)):
        return _upload_page(request, user, period)

    @app.post("/upload")
    async def upload(request: Request, user: User = Depends(require_user)):
        lang = language(request)
        form = await checked_form(request, max_files=1)
        period = str(form.get("period") or "")
        is_correction = form.get("is_correction") in ("1", "on", "x")
        upload_file = form.get("file")
        if upload_file is None or isinstance(upload_file, str) or not upload_file.filename:
            return _upload_page(request, user, period, intake.message(lang, "empty"), 400)
        original = intake.display_label(upload_file.filename)
        handle, temporary = tempfile.mkstemp(prefix="ntm-upload-")  # outside raw/
        with os.fdopen(handle, "wb") as out:
            await run_in_threadpool(shutil.copyfileobj, upload_file.file, out, 1 << 20)
        await upload_file.close()
        return await _check_and_answer(request, user, Path(temporary), original, period, is_correction)

    async def _check_and_answer(request: Request, user: User, temporary: Path, original: str, period: str,
                                is_correction: bool, confirmed: bool = False):
        lang = language(request)
        if period not in QUARTERS:
            temporary.unlink(missing_ok=True)
            return _upload_page(request, user, None, intake.message(lang, "not_open", period=period[:10]), 400)
        try:
            check = await run_in_threadpool(
                intake.check_upload, temporary, original, period, user, app.state.store, get_checker(), lang,
                is_correction, can_see_commune, _today())
        except intake.Refused as exc:
            log.info("intake: %s's upload of %r for %s refused: %s", user.username, original, period, exc)
            return _upload_page(request, user, period, str(exc), 400)
        log.info("intake: %s checked %r for %s: %d errors, %d warnings", user.username, original, period,
                 len(check.errors), len(check.warnings))
        if check.errors:
            intake.discard(check.token)
            return _result_page(request, check, 422)
        if check.warnings and not confirmed:
            intake.save_pending_meta(check, user)
            return _result_page(request, check, 200)
        return await _file(request, user, check)

    def _result_page(request: Request, check: intake.UploadCheck, status_code: int):
        return _page(request, "result.html", status_code, check=check,
                     period_label=intake.period_label(check.period, language(request)))

    async def _file(request: Request, user: User, check: intake.UploadCheck):
        try:
            filing = await run_in_threadpool(intake.file_checked, check, user, app.state.store)
        except FilingConflict:
            return _upload_page(request, user, check.period, intake.message(language(request), "conflict"), 409)
        except (intake.Refused, FileExistsError):
            return _upload_page(request, user, check.period, intake.message(language(request), "expired"), 409)
        log.info("intake: %s filed %s (%s, sha256 %s)", user.username, filing.stored_name, check.period, filing.sha256)
        return _page(request, "filed.html", user=user, filing=filing, warnings=len(check.warnings),
                     when=intake._local(filing.filed_at), period_label=intake.period_label(filing.period,
                                                                                             language(request)))

    @app.post("/upload/confirm")
    async def confirm(request: Request, user: User = Depends(require_user)):
        lang = language(request)
        form = await checked_form(request, max_files=0)
        token = str(form.get("token") or "")
        meta = intake.load_pending_meta(token, user)
        if meta is None:
            return _upload_page(request, user, None, intake.message(lang, "expired"), 409)
        # Checked again: another file of the commune may have been filed since the officer looked.
        source = intake.pending(token)
        handle, temporary = tempfile.mkstemp(prefix="ntm-upload-")
        os.close(handle)
        shutil.copyfile(source, temporary)
        intake.discard(token)
        return await _check_and_answer(request, user, Path(temporary), meta["original_name"], meta["period"],
                                       meta["is_correction"], confirmed=True)

    @app.get("/template/{period}")
    def template(request: Request, period: str, user: User = Depends(require_user)):
        if period not in QUARTERS:
            raise StarletteHTTPException(404)
        from ntm_pipeline.samples.kim_boi import GUIDE
        from ntm_pipeline.submissions.writer import build_workbook

        buffer = io.BytesIO()
        build_workbook({}, guide=GUIDE, period=period).save(buffer)
        name = f"bao-cao-quy-xa-{period}.xlsx"
        return Response(buffer.getvalue(), headers={"content-disposition": f'attachment; filename="{name}"'},
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    app.include_router(tracker_router)
    return app


def _safe_next(target: str) -> str:
    """A redirect target after sign-in: a path of this site only."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _today() -> date:
    """Today in Vietnam (UTC+7), where the deadlines fall."""
    return (datetime.now(timezone.utc) + timedelta(hours=7)).date()
