"""Checking and filing one uploaded file, without HTTP: what the upload routes call.

An upload is first saved to a temporary folder outside raw/ under the name it would be filed
as. The pipeline's reader runs on it there (size, zip bombs, sheet extent, encrypted or
macro files: the checks before parsing); then the rights (the commune the workbook's `Mã xã`
names must be the officer's, or of their area); then the checks library, exactly as
`ntm validate` runs it, with the commune's earlier filings of the quarter in the same drop, so
a second file that is no correction shows the pipeline's own "two submissions" error. Only a
file without errors is filed: linked into raw/submissions/<quarter>/ under its generated name
(atomic, never over another file) and recorded with who, when, its SHA-256 and size.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from ntm_pipeline.contract import table_for_name
from ntm_pipeline.quarters import parse_period, quarter_end, quarters_begun
from ntm_pipeline.settings import raw_dir, reader_limit
from ntm_pipeline.submissions.reader import file_hash
from ntm_pipeline.warehouse import read_sql
from ntm_pipeline.web.accounts import AccountStore, Filing, User

SQL = Path(__file__).parent / "sql"
TAKEN_SUFFIXES = (".xlsx", ".csv")
DEFAULT_DEADLINE_DAY = 20  # as the schedule that closes a quarter (defs/automation/schedules.py)
DEFAULT_LATE_DAYS = 45  # a quarter stays open this long after its deadline, for late files and corrections
# Only one check at a time reads the checker's drop (the checks library checks one set at a time).
_check_lock = threading.Lock()


# The quarters an officer may file for
def deadline(period: str) -> date:
    """The reporting deadline of a quarter: the NTM_REPORTING_DEADLINE_DAY (default 20th) of
    the month after it ends, the day the schedule closes it."""
    day = int(os.environ.get("NTM_REPORTING_DEADLINE_DAY", DEFAULT_DEADLINE_DAY))
    end = quarter_end(period)
    return (end + timedelta(days=1)).replace(day=day)


def late_days() -> int:
    """NTM_INTAKE_LATE_DAYS: how many days after its deadline a quarter still takes files."""
    return int(os.environ.get("NTM_INTAKE_LATE_DAYS", DEFAULT_LATE_DAYS))


def open_quarters(today: date | None = None) -> list[str]:
    """The quarters that have begun and whose deadline passed less than late_days() ago,
    newest first."""
    today = today or date.today()
    return [p for p in reversed(quarters_begun(today)) if today <= deadline(p) + timedelta(days=late_days())]


# Messages of the intake itself (the checks' own come from ntm_pipeline.presubmit)
TEXT = {
    "vi": {
        "suffix": "Chỉ nhận tệp .xlsx (Excel Workbook) hoặc .csv; tệp {suffix} không được nhận",
        "macro": "Tệp .xlsm chứa macro nên không được nhận: hãy lưu lại dưới dạng .xlsx (Excel Workbook)",
        "too_large": "Tệp vượt quá dung lượng cho phép ({limit} MB); tệp không được đọc",
        "empty": "Chưa chọn tệp, hoặc tệp rỗng",
        "not_open": "Quý {period} không mở để nhận báo cáo",
        "no_commune": "Không xác định được mã xã của tệp (cột 'Mã xã' của trang 'Thông tin chung')",
        "other_commune": "Tệp báo cáo cho xã có mã {code}, không phải xã của tài khoản này ({own}): "
        "tệp không được nhận",
        "not_your_area": "Xã có mã {code} không thuộc địa bàn của tài khoản này ({own}) trong quý {period}: "
        "tệp không được nhận",
        "need_correction": "Xã {code} đã gửi báo cáo quý {period} ({when}). Tệp mới chỉ được nhận như một "
        "báo cáo điều chỉnh: đánh dấu 'Báo cáo điều chỉnh' và ghi x ở cột 'Báo cáo điều chỉnh' "
        "của trang 'Thông tin chung'",
        "correction_unmarked": "Đã đánh dấu 'Báo cáo điều chỉnh' nhưng trong tệp, cột 'Báo cáo điều chỉnh' "
        "của trang 'Thông tin chung' chưa ghi x: hãy ghi x rồi gửi lại",
        "superseded": "Tệp này sẽ không được dùng: một báo cáo điều chỉnh đã gửi trước có 'Ngày lập' muộn "
        "hơn. Hãy sửa 'Ngày lập' thành ngày lập tệp này",
        "same_file": "Tệp này đã được nhận ({when}); không cần gửi lại",
        "expired": "Phiên kiểm tra đã hết hạn; hãy tải tệp lên lại",
        "conflict": "Trong lúc kiểm tra, một tệp khác của xã cho quý này vừa được nhận; hãy tải tệp lên lại "
        "để kiểm tra cùng tệp đó",
    },
    "en": {
        "suffix": "Only .xlsx (Excel Workbook) or .csv files are taken; a {suffix} file is not",
        "macro": "An .xlsm file holds macros and is not taken: save it as .xlsx (Excel Workbook)",
        "too_large": "The file is over the size limit ({limit} MB); it was not read",
        "empty": "No file chosen, or the file is empty",
        "not_open": "Quarter {period} is not open for filing",
        "no_commune": "Cannot tell the file's commune code (column 'Mã xã' of sheet 'Thông tin chung')",
        "other_commune": "The file reports for commune {code}, not this account's commune ({own}): not taken",
        "not_your_area": "Commune {code} is not in this account's area ({own}) in {period}: not taken",
        "need_correction": "Commune {code} has filed for {period} already ({when}). A new file is taken only "
        "as a correction: tick 'Báo cáo điều chỉnh' and write x in the 'Báo cáo điều chỉnh' column of the "
        "'Thông tin chung' sheet",
        "correction_unmarked": "'Báo cáo điều chỉnh' is ticked but the file's 'Báo cáo điều chỉnh' column "
        "(sheet 'Thông tin chung') has no x: write x and upload it again",
        "superseded": "This file would not be used: a correction filed earlier has a later 'Ngày lập'. "
        "Set 'Ngày lập' to the day this file was made",
        "same_file": "This file was filed already ({when}); there is no need to send it again",
        "expired": "The check has expired; upload the file again",
        "conflict": "Another file of the commune for this quarter was filed while this one was checked; upload "
        "it again to check it with that file",
    },
}


def upload_limit_bytes() -> int:
    """The largest upload taken: the reader's own limit on a file (NTM_MAX_FILE_MB, settings.READER_LIMITS)."""
    return int(reader_limit("max_file_mb") * 1024 * 1024)


@dataclass
class UploadCheck:
    """What an upload's check found: the problems (presubmit.Problem) and whether it may be
    filed, at once (no problem), after a confirmation (warnings only), or not at all."""

    token: str  # names the checked file in the pending folder until it is filed or expires
    period: str
    original_name: str
    stored_name: str
    sha256: str
    size_bytes: int
    commune_code: str | None = None
    is_correction: bool = False
    problems: list = field(default_factory=list)
    earlier: int = 0  # the commune's filings of the quarter when it was checked: this one is the next

    @property
    def errors(self) -> list:
        return [p for p in self.problems if p.severity == "critical"]

    @property
    def warnings(self) -> list:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def fileable(self) -> bool:
        return not self.errors

    def by_sheet(self, severity: str) -> list[tuple[str | None, list]]:
        """The problems of a severity grouped by sheet, in the order the check gives them (the
        whole file's first)."""
        groups: dict[str | None, list] = {}
        for problem in self.problems:
            if problem.severity == severity:
                groups.setdefault(problem.sheet, []).append(problem)
        return list(groups.items())


class Refused(Exception):
    """An upload refused before any check, with the reason in the officer's language."""


def message(lang: str, key: str, **values) -> str:
    return TEXT[lang][key].format(**values)


def safe_suffix(original_name: str, lang: str) -> tuple[str, str | None]:
    """The suffix a file is stored with and the table a CSV holds (from `<name>.<table>.csv`);
    the uploaded name is never used otherwise. Refuses anything but .xlsx and .csv."""
    name = original_name.replace("\\", "/").rsplit("/", 1)[-1]
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsm":
        raise Refused(message(lang, "macro"))
    if suffix not in TAKEN_SUFFIXES:
        shown = suffix or ("không có phần mở rộng" if lang == "vi" else "without an extension")
        raise Refused(message(lang, "suffix", suffix=shown))
    table = None
    if suffix == ".csv":
        stem = Path(name).stem
        found = table_for_name(stem.rsplit(".", 1)[-1]) or table_for_name(stem)
        table = found.name if found else None
    return suffix, table


def stored_name(commune_code: str, period: str, sha256: str, suffix: str, table: str | None,
                when: datetime) -> str:
    """`<commune>_<quarter>_<UTC time>_<8 hex of the SHA-256>.xlsx` (a CSV keeps its table:
    `....investment.csv`): sorts by time, as the pipeline's tie-break between corrections of one
    day (the later file) wants."""
    code = commune_code if re.fullmatch(r"\d{5}", commune_code or "") else "nhieu-xa"
    stamp = when.strftime("%Y%m%dT%H%M%S") + f"{when.microsecond:06d}Z"
    return f"{code}_{period}_{stamp}_{sha256[:8]}" + (f".{table}" if table else "") + suffix


PENDING_SECONDS = 3600  # a check with warnings waits this long for its confirmation


def pending_dir() -> Path:
    """Checked files waiting for a confirmation: in the system's temporary folder, outside raw/."""
    folder = Path(os.environ.get("NTM_INTAKE_PENDING_DIR") or Path(os.environ.get("TMPDIR", "/tmp")) / "ntm-intake")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def sweep_pending(now: float | None = None) -> None:
    """Removes the checks that waited longer than PENDING_SECONDS for a confirmation."""
    import time

    now = now or time.time()
    for entry in pending_dir().iterdir():
        try:
            if now - entry.stat().st_mtime > PENDING_SECONDS:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        except OSError:  # removed by another request meanwhile
            pass


def _communes_of(parsed) -> set[str]:
    codes: set[str] = set()
    for table in parsed.tables.values():
        if "commune_code" in table.table.column_names:
            codes |= {_commune_code(v["commune_code"]) for _, v in table.rows if (v.get("commune_code") or "").strip()}
    return codes


def _commune_code(text: str) -> str:
    """A commune code as the SQL macro commune_code reads it: 1 to 5 digits padded to 5."""
    text = text.strip()
    return text.zfill(5) if re.fullmatch(r"\d{1,5}", text) else text


def check_upload(upload: Path, original_name: str, period: str, user: User, store: AccountStore, checker,
                 lang: str, is_correction: bool, can_see, today: date | None = None) -> UploadCheck:
    """Check an upload saved at `upload` (a temporary file outside raw/, removed here) for
    `period`. Raises Refused for what no check needs to read (suffix, size, quarter, rights);
    else returns the check, its file kept in the pending folder under its token."""
    from ntm_pipeline.presubmit import checked_files
    from ntm_pipeline.submissions.reader import read_submission_file

    sweep_pending()
    try:
        suffix, table = safe_suffix(original_name, lang)
        if period not in open_quarters(today):
            raise Refused(message(lang, "not_open", period=period))
        size = upload.stat().st_size
        if size == 0:
            raise Refused(message(lang, "empty"))
        if size > upload_limit_bytes():
            raise Refused(message(lang, "too_large", limit=f"{reader_limit('max_file_mb'):g}"))
        sha256 = file_hash(upload)
        now = datetime.now(timezone.utc)
        token = secrets.token_hex(16)
        folder = pending_dir() / token
        folder.mkdir(mode=0o700)
        # A provisional name: the commune is known only once the file is read.
        path = folder / stored_name("", period, sha256, suffix, table, now)
        shutil.move(upload, path)
    finally:
        upload.unlink(missing_ok=True)
    try:
        parsed = read_submission_file(path)  # the reader's checks before parsing run here, outside raw/
        codes = _communes_of(parsed) if parsed.error is None else set()
        commune = next(iter(codes)) if len(codes) == 1 else None
        if parsed.error is None:
            _check_rights(user, codes, period, lang, can_see)
        earlier = store.filings_of(period, commune) if commune else []
        same = [f for f in earlier if f.sha256 == sha256]
        if same:
            raise Refused(message(lang, "same_file", when=_local(same[-1].filed_at)))
        final = path.with_name(stored_name(commune or "", period, sha256, suffix, table, now))
        path.rename(final)
        path = final
        result = UploadCheck(token, period, original_name, final.name, sha256, size, commune, is_correction,
                             earlier=len(earlier))
        earlier_paths = [(raw_dir() / "submissions" / period / f.stored_name, period) for f in earlier]
        earlier_paths = [(p, q) for p, q in earlier_paths if p.is_file()]
        with _check_lock:
            (checked,) = checked_files([path], lang, period, checker, also=earlier_paths)
            marked = _drop_marks(checker, final.name) if checked.to_check else None
        result.problems = list(checked.problems)
        if parsed.error is None and earlier and not is_correction:
            result.problems.insert(0, _intake_problem(lang, message(
                lang, "need_correction", code=commune, period=period, when=_local(earlier[-1].filed_at))))
        elif marked is not None:
            correction_marked, superseded = marked
            if is_correction and not correction_marked:
                result.problems.insert(0, _intake_problem(lang, message(lang, "correction_unmarked")))
            elif superseded:
                result.problems.insert(0, _intake_problem(lang, message(lang, "superseded")))
        return result
    except BaseException:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise


def _intake_problem(lang: str, text: str):
    from ntm_pipeline.presubmit import Problem

    return Problem("critical", text, whole_file=True, lang=lang)


def _check_rights(user: User, codes: set[str], period: str, lang: str, can_see) -> None:
    if user.role == "admin":
        return
    if not codes:
        raise Refused(message(lang, "no_commune"))
    for code in sorted(codes):
        if user.role == "commune" and code != user.area_code:
            raise Refused(message(lang, "other_commune", code=code, own=user.area_code))
        if user.role != "commune" and not can_see(user, code, period):
            raise Refused(message(lang, "not_your_area", code=code, own=user.area_code, period=period))


def _drop_marks(checker, name: str) -> tuple[bool, bool] | None:
    """Whether the checked file's header says `Báo cáo điều chỉnh` = x, and whether a file of the
    same drop takes precedence over it, by the staging SQL's own ranking (staging.submission of
    the check)."""
    row = checker.conn.execute(read_sql(SQL / "drop_marks.sql"), {"name": name}).fetchone()
    return (bool(row[0]), bool(row[1])) if row else None


def pending(token: str) -> Path | None:
    """The checked file of a token, while it waits for the officer's confirmation."""
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        return None
    files = list((pending_dir() / token).glob("*")) if (pending_dir() / token).is_dir() else []
    return files[0] if len(files) == 1 else None


def discard(token: str) -> None:
    if re.fullmatch(r"[0-9a-f]{32}", token or ""):
        shutil.rmtree(pending_dir() / token, ignore_errors=True)
        (pending_dir() / f"{token}.json").unlink(missing_ok=True)


def file_checked(check: UploadCheck, user: User, store: AccountStore) -> Filing:
    """File a checked upload: link it into raw/submissions/<quarter>/ under its generated name
    (atomic, and never over an existing file: a link fails when the name is taken), then record
    it. The pending copy goes once filed."""
    source = pending(check.token)
    if source is None or source.name != check.stored_name or file_hash(source) != check.sha256:
        raise Refused("expired")
    folder = raw_dir() / "submissions" / check.period
    folder.mkdir(parents=True, exist_ok=True)
    staging = raw_dir() / ".intake"  # same file system as the quarter folder; the pipeline reads only submissions/
    staging.mkdir(exist_ok=True)
    temporary = staging / f"{check.token}.part"
    shutil.copyfile(source, temporary)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    target = folder / check.stored_name
    try:
        # Recorded first: the commune's next filing is taken once, by this file or by none.
        filing = store.record_filing(
            username=user.username, period=check.period, commune_code=check.commune_code or "",
            stored_name=check.stored_name, sha256=check.sha256, size_bytes=check.size_bytes,
            is_correction=check.is_correction, original_name=check.original_name,
            filed_at=datetime.now(timezone.utc).replace(tzinfo=None),
            sequence=check.earlier if check.commune_code else None)
        try:
            os.link(temporary, target)  # fails if the name exists: nothing is overwritten
        except BaseException:
            store.delete_filing(filing.id)  # not on disk: not filed
            raise
    finally:
        temporary.unlink(missing_ok=True)
    discard(check.token)
    return filing


def _local(when: datetime) -> str:
    """A UTC time of the record as Vietnam's time (UTC+7), dd/mm/yyyy hh:mm."""
    return (when.replace(tzinfo=timezone.utc) + timedelta(hours=7)).strftime("%d/%m/%Y %H:%M")


def period_label(period: str, lang: str) -> str:
    year, quarter = parse_period(period)
    return f"Quý {['I', 'II', 'III', 'IV'][quarter - 1]}/{year}" if lang == "vi" else period



def display_label(original_name: str) -> str:
    """The uploaded name as a label only: its last part, without control characters, at most
    200 characters. It never names a path."""
    name = original_name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "tệp"


def save_pending_meta(check: UploadCheck, user: User) -> None:
    """What the confirmation needs of a checked file with warnings, beside it (outside raw/)."""
    import json

    meta = {"username": user.username, "period": check.period, "original_name": check.original_name,
            "is_correction": check.is_correction, "stored_name": check.stored_name, "sha256": check.sha256}
    (pending_dir() / f"{check.token}.json").write_text(json.dumps(meta), encoding="utf-8")


def load_pending_meta(token: str, user: User) -> dict | None:
    """A pending check's record, when it is this user's and its file is still there."""
    import json

    if pending(token) is None:
        return None
    try:
        meta = json.loads((pending_dir() / f"{token}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if meta.get("username") == user.username else None
