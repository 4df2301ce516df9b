"""The intake's accounts and its record of filings, in a small database beside the Dagster
instance: a SQLite file by default, PostgreSQL by URL (NTM_INTAKE_DB), through SQLAlchemy Core.

An account is a commune officer (one commune), a district or province officer (their area)
or an administrator; its area is the GSO code of the commune, district or province. Passwords
are hashed with argon2 (argon2-cffi) and never stored or logged in clear. A filing is one file
taken into raw/submissions/<quarter>/: who sent it, when, for which quarter and commune, the
name it was stored under, its SHA-256 and size, whether it is a correction, and the name it
had on the officer's computer (a label only, never a path).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ntm_pipeline.settings import PROJECT_ROOT

ROLES = ("commune", "district", "province", "admin")
# GSO code lengths: a commune 5 digits, a district 3, a province 2.
AREA_CODE_LENGTH = {"commune": 5, "district": 3, "province": 2}

metadata = sa.MetaData()
users = sa.Table(
    "intake_user", metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("area_code", sa.String(8)),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
filings = sa.Table(
    "intake_filing", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("filed_at", sa.DateTime, nullable=False),  # UTC
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("commune_code", sa.String(8), nullable=False),
    sa.Column("stored_name", sa.String(255), nullable=False, unique=True),  # under raw/submissions/<period>/
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("is_correction", sa.Boolean, nullable=False),
    sa.Column("original_name", sa.String(255), nullable=False),  # a label: never used as a path
    # The commune's n-th filing of the quarter (0 the first): unique, so two files checked at the
    # same time as the same next filing cannot both be taken, whatever process serves them.
    sa.Column("sequence", sa.Integer),
    sa.Index("ix_intake_filing_period_commune", "period", "commune_code"),
    sa.Index("ux_intake_filing_sequence", "period", "commune_code", "sequence", unique=True),
)


@dataclass(frozen=True)
class User:
    username: str
    role: str  # 'commune' | 'district' | 'province' | 'admin'
    area_code: str | None  # the GSO code of the commune, district or province; None for an admin
    display_name: str
    disabled: bool


@dataclass(frozen=True)
class Filing:
    id: int
    username: str
    filed_at: datetime
    period: str
    commune_code: str
    stored_name: str
    sha256: str
    size_bytes: int
    is_correction: bool
    original_name: str
    sequence: int | None = None


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / "dagster_home")


def intake_db_url() -> str:
    """NTM_INTAKE_DB: a SQLAlchemy URL (postgresql+psycopg2://...) or a path to a SQLite file;
    by default intake.sqlite in DAGSTER_HOME (dagster_home/ of the repo, ignored by git)."""
    value = os.environ.get("NTM_INTAKE_DB") or str(dagster_home() / "intake.sqlite")
    return value if "://" in value else f"sqlite:///{Path(value).resolve()}"


def intake_folder() -> Path:
    """The folder beside the accounts database: its SQLite file's folder, else DAGSTER_HOME."""
    url = sa.engine.make_url(intake_db_url())
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).parent
    return dagster_home()


class FilingConflict(Exception):
    """Another file of the commune and quarter was filed between a check and its filing."""


class AccountError(ValueError):
    """An account that cannot be added or changed, with the reason."""


_hasher = PasswordHasher()
# Verified when the user does not exist, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountStore:
    """The accounts and filings, in the database at `url` (intake_db_url() by default)."""

    def __init__(self, url: str | None = None):
        url = url or intake_db_url()
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(url, future=True)
        if parsed.get_backend_name() == "sqlite":
            @sa.event.listens_for(self.engine, "connect")
            def _sqlite_pragmas(dbapi_connection, _record):  # several workers write one file
                dbapi_connection.execute("PRAGMA busy_timeout = 10000")
        metadata.create_all(self.engine)

    # Accounts
    def add_user(self, username: str, password: str, role: str, area_code: str | None,
                 display_name: str | None = None) -> User:
        username = username.strip()
        if not username or len(username) > 64 or any(c.isspace() for c in username):
            raise AccountError("a user name is 1 to 64 characters without spaces")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        if role == "admin":
            area_code = None
        else:
            area_code = (area_code or "").strip()
            length = AREA_CODE_LENGTH[role]
            if not (area_code.isdigit() and len(area_code) == length):
                raise AccountError(f"a {role} account needs --area, the GSO {role} code of {length} digits")
        if len(password) < 8:
            raise AccountError("a password has at least 8 characters")
        row = {"username": username, "password_hash": _hasher.hash(password), "role": role,
               "area_code": area_code, "display_name": (display_name or username).strip(), "disabled": False,
               "created_at": datetime.now(timezone.utc).replace(tzinfo=None)}
        try:
            with self.engine.begin() as conn:
                conn.execute(users.insert().values(**row))
        except sa.exc.IntegrityError as exc:
            raise AccountError(f"user {username} exists already") from exc
        return self.get_user(username)

    def get_user(self, username: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
        return _user(row) if row else None

    def list_users(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(users).order_by(users.c.username)).mappings().all()
        return [_user(r) for r in rows]

    def count_users(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()

    def set_disabled(self, username: str, disabled: bool = True) -> User:
        with self.engine.begin() as conn:
            changed = conn.execute(users.update().where(users.c.username == username).values(disabled=disabled))
        if not changed.rowcount:
            raise AccountError(f"no user {username}")
        return self.get_user(username)

    def authenticate(self, username: str, password: str) -> User | None:
        """The account when the password is its own and it is not disabled, else None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
        try:
            _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or row["disabled"]:
            return None
        if _hasher.check_needs_rehash(row["password_hash"]):
            with self.engine.begin() as conn:
                conn.execute(users.update().where(users.c.username == username)
                             .values(password_hash=_hasher.hash(password)))
        return _user(row)

    # Filings
    def record_filing(self, *, username: str, period: str, commune_code: str, stored_name: str, sha256: str,
                      size_bytes: int, is_correction: bool, original_name: str, filed_at: datetime,
                      sequence: int | None = None) -> Filing:
        """Records a filing; raises FilingConflict when the commune's filing `sequence` of the
        quarter is taken already (another file was filed since this one was checked)."""
        try:
            with self.engine.begin() as conn:
                result = conn.execute(filings.insert().values(
                    username=username, filed_at=filed_at, period=period, commune_code=commune_code,
                    stored_name=stored_name, sha256=sha256, size_bytes=size_bytes, is_correction=is_correction,
                    original_name=original_name[:255], sequence=sequence))
                key = result.inserted_primary_key[0]
                row = conn.execute(sa.select(filings).where(filings.c.id == key)).mappings().one()
        except sa.exc.IntegrityError as exc:
            raise FilingConflict(f"{period} {commune_code}: filing {sequence} is taken") from exc
        return Filing(**row)

    def delete_filing(self, filing_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(filings.delete().where(filings.c.id == filing_id))


    def filings_of(self, period: str | None = None, commune_code: str | None = None) -> list[Filing]:
        """Filings, oldest first: of a quarter, of a commune, or both."""
        query = sa.select(filings).order_by(filings.c.filed_at, filings.c.id)
        if period is not None:
            query = query.where(filings.c.period == period)
        if commune_code is not None:
            query = query.where(filings.c.commune_code == commune_code)
        with self.engine.connect() as conn:
            return [Filing(**r) for r in conn.execute(query).mappings().all()]

    def close(self) -> None:
        self.engine.dispose()


def _user(row) -> User:
    return User(row["username"], row["role"], row["area_code"], row["display_name"], bool(row["disabled"]))
