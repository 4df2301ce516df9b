"""Sign-in, sessions, CSRF, the sign-in rate limit and the rights of an account.

- Sessions: Starlette's SessionMiddleware (a cookie signed with itsdangerous, HttpOnly,
  SameSite=Lax; Secure with NTM_INTAKE_HTTPS_ONLY=1 behind the proxy's TLS). The secret is
  NTM_INTAKE_SECRET, else a random one generated once into `intake.secret` beside the
  accounts database (mode 0600, never in git). The session holds the user name alone: the
  account is read again on every request, so a disabled account is out at once.
- CSRF: a random token per session, kept in the signed session cookie, that every form posts
  back as its field `csrftoken`; every POST route reads its form through `checked_form`, which
  refuses a missing or wrong token. (The maintained middlewares did not fit: asgi-csrf 0.11
  fails on python-multipart 0.0.3x, whose FormParser no longer takes FileClass, and
  starlette-csrf reads the token from a header only, which a plain HTML form cannot send.)
- Sign-in attempts: limited with `limits` (moving window, in the process's memory), per user
  name and address (NTM_INTAKE_LOGIN_LIMIT, default 5/minute) and per address
  (NTM_INTAKE_LOGIN_LIMIT_ADDRESS, default 20/minute).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

import limits
from fastapi import Request

from ntm_pipeline.settings import warehouse_path
from ntm_pipeline.warehouse import read_sql
from ntm_pipeline.web.accounts import User, intake_folder

log = logging.getLogger(__name__)
SQL = Path(__file__).parent / "sql"
SESSION_COOKIE = "ntm_session"
SESSION_MAX_AGE = 8 * 60 * 60  # a working day


def session_secret() -> str:
    """NTM_INTAKE_SECRET, else the secret file beside the accounts database, created once."""
    if os.environ.get("NTM_INTAKE_SECRET"):
        return os.environ["NTM_INTAKE_SECRET"]
    path = intake_folder() / "intake.secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker wrote it first
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class CsrfFailed(Exception):
    """A POST whose form has no `csrftoken`, or not the session's."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def checked_form(request: Request, max_files: int = 0, max_fields: int = 10):
    """The request's form, once its `csrftoken` is the session's; raises CsrfFailed otherwise."""
    form = await request.form(max_files=max_files, max_fields=max_fields)
    sent = form.get("csrftoken")
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed
    return form


class SignInRequired(Exception):
    """Raised by require_user: the app answers with a redirect to the sign-in page."""

    def __init__(self, next_path: str = "/"):
        self.next_path = next_path


def require_user(request: Request) -> User:
    """The signed-in account (a FastAPI dependency); redirects to /login when there is none or
    it has been disabled since."""
    username = request.session.get("user")
    user = request.app.state.store.get_user(username) if username else None
    if user is None or user.disabled:
        request.session.pop("user", None)
        raise SignInRequired(request.url.path)
    return user


def current_user(request: Request) -> User | None:
    """The signed-in account, or None (for pages that show either)."""
    try:
        return require_user(request)
    except SignInRequired:
        return None


def can_see_commune(user: User, commune_code: str, period: str) -> bool:
    """Whether the account may see and file for a commune in a quarter: a commune officer their
    own commune; a district or province officer the communes of their area in the quarter's
    era, from core.dim_commune of the published warehouse (opened read-only and closed at
    once; the checks library's reference tables, the same GSO list, when it cannot be read);
    an administrator every commune."""
    if user.disabled:
        return False
    if user.role == "admin":
        return True
    if user.role == "commune":
        return commune_code == user.area_code
    area = commune_area(commune_code, period)
    if area is None:
        return False
    district_code, province_code = area
    return (district_code if user.role == "district" else province_code) == user.area_code


def commune_area(commune_code: str, period: str) -> tuple[str | None, str | None] | None:
    """(district code, province code) of a commune in the quarter's GSO list, None if it has no
    such commune."""
    import duckdb

    path = warehouse_path()
    try:
        with duckdb.connect(str(path), read_only=True) as conn:
            return conn.execute(read_sql(SQL / "commune_area.sql"), {"code": commune_code, "period": period}).fetchone()
    except (duckdb.Error, OSError) as exc:  # no warehouse yet, or one being replaced
        log.info("commune_area: the published warehouse %s cannot be read (%s); using the reference tables",
                 path, exc)
    from ntm_pipeline.checks import default_checker

    home = default_checker().commune_home(commune_code, period)
    return (home[1], home[3]) if home else None


class LoginLimiter:
    """Sign-in attempts per user name and address, and per address, in a moving window."""

    def __init__(self):
        self.storage = limits.storage.MemoryStorage()
        self.limiter = limits.strategies.MovingWindowRateLimiter(self.storage)
        self.per_name = limits.parse(os.environ.get("NTM_INTAKE_LOGIN_LIMIT", "5/minute"))
        self.per_address = limits.parse(os.environ.get("NTM_INTAKE_LOGIN_LIMIT_ADDRESS", "20/minute"))

    def attempt(self, address: str, username: str) -> int | None:
        """Counts an attempt; None when it is allowed, else the seconds to wait."""
        checks = [(self.per_name, ("login", address, username.lower())), (self.per_address, ("login", address))]
        for item, keys in checks:
            if not self.limiter.hit(item, *keys):
                reset, _ = self.limiter.get_window_stats(item, *keys)
                return max(1, int(reset - time.time()) + 1)
        return None
