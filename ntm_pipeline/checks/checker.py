"""`Checker`: the pipeline's raw, staging and quarantine steps on a few files, without Dagster.

A checker holds an in-memory DuckDB with the reference tables (built once, by the reference
layer's SQL, or copied from a warehouse) and the Great Expectations suites loaded. Each
`check` empties the raw, staging and quarantine schemas, loads the files given, and runs the
same functions the assets run, in the order of the asset graph: the header table is staged,
validated and the whole-file verdict written before the detail tables are staged.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ntm_pipeline.checks.raw import create_raw_tables, load_raw, load_targets
from ntm_pipeline.checks.reference import build_reference, copy_reference
from ntm_pipeline.checks.staging import stage
from ntm_pipeline.checks.validation import validate, write_findings
from ntm_pipeline.checks.verdict import quarantined_files
from ntm_pipeline.contract import ALL_TABLES, SUBMISSION, SUBMISSION_TABLES, TARGET
from ntm_pipeline.warehouse import prepare_connection, read_sql, transaction

SQL = Path(__file__).parent / "sql"
DETAIL_TABLES = tuple(t for t in SUBMISSION_TABLES if t is not SUBMISSION)


@dataclass(frozen=True)
class Finding:
    """A rule a file broke, where: its sheet, row and column, the value as typed, the rule,
    its severity and the message in Vietnamese and English. `table` is the submission table
    whose rows broke it, or "source_file" for a reason the whole file is taken out."""

    table: str
    source_file: str
    period: str | None
    sheet: str | None
    row_number: int | None
    column_name: str | None
    value: str | None
    rule: str
    severity: str
    message_vi: str
    message_en: str
    commune_code: str | None = None


@dataclass
class FileFindings:
    """One file's verdict: the reasons it is taken out whole (none if it is not), and its
    findings row by row, as quarantine.source_file and quarantine.<table> would hold them."""

    path: Path
    period: str | None  # the quarter it was checked for; None for a targets file
    source_file: str  # its name in the check, as the pipeline names a file under raw/
    whole_file: list[Finding] = field(default_factory=list)
    rows: list[Finding] = field(default_factory=list)

    @property
    def taken_out_whole(self) -> bool:
        return bool(self.whole_file)

    @property
    def critical(self) -> bool:
        return self.taken_out_whole or any(f.severity == "critical" for f in self.rows)


class Checker:
    """The checks, ready to run: `Checker().check([(path, "2024-Q1"), (targets, None)])`.

    Building one loads the reference tables and the suites (seconds); each check after that
    costs a fraction of a second. `warehouse` copies the reference tables from a built
    warehouse file instead of building them. A checker checks one set of files at a time."""

    def __init__(self, warehouse: Path | None = None):
        import duckdb

        from ntm_pipeline.quality.validate import prepare

        self.conn = duckdb.connect()
        self._lock = threading.Lock()
        prepare_connection(self.conn)  # the parsing macros: none reads a table
        if warehouse is not None:
            copy_reference(self.conn, Path(warehouse))
        else:
            build_reference(self.conn)
        prepare([t.name for t in ALL_TABLES])
        # What was loaded lives as long as the process (GX's registry, the suites): keep the
        # garbage collector from walking it on every collection, a tenth of a check's time.
        gc.freeze()

    def close(self) -> None:
        self.conn.close()

    def check(self, files: Iterable[tuple[Path, str | None]]) -> list[FileFindings]:
        """The findings of each file, checked together as one quarter's drop (a correction
        replaces an earlier file of the same commune; two first submissions are duplicates).
        Each file comes with the quarter it is for, or None for a targets file."""
        files = [(Path(path), period) for path, period in files]
        with self._lock, tempfile.TemporaryDirectory(prefix="ntm-check-") as tmp:
            root = Path(tmp)
            placed = [_place(root, path, period) for path, period in files]
            submissions: dict[str, list[Path]] = {}
            for (_, period), where in zip(files, placed):
                if period is not None:
                    submissions.setdefault(period, []).append(where)
            self._run(submissions, [w for (_, p), w in zip(files, placed) if p is None], root)
            names = [where.relative_to(root).as_posix() for where in placed]
            results = {
                name: FileFindings(path, period, name) for (path, period), name in zip(files, names)
            }
            for row in self._rows("whole_file_reasons.sql"):
                results[row["source_file"]].whole_file.append(
                    Finding("source_file", severity="critical", **row))
            for table in ALL_TABLES:
                for row in self._rows("file_findings.sql", {"table": f"quarantine.{table.name}"}):
                    results[row["source_file"]].rows.append(Finding(table.name, **row))
            return [results[name] for name in names]

    def commune_home(self, code: str, period: str) -> tuple | None:
        """The commune as the GSO list in force at the quarter's end has it: its full name,
        district code and name, province code and name; None if the list has no such commune."""
        with self._lock:
            return self.conn.execute(read_sql(SQL / "commune_home.sql"), {"code": code, "period": period}).fetchone()

    def _rows(self, sql_file: str, params: dict | None = None) -> list[dict]:
        cursor = self.conn.execute(read_sql(SQL / sql_file), params or {})
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def _run(self, submissions: dict[str, list[Path]], targets: list[Path], root: Path) -> None:
        """The pipeline's steps on these files alone, in the asset graph's order."""
        conn = self.conn
        conn.execute(read_sql(SQL / "reset.sql"))
        create_raw_tables(conn)
        periods = sorted(submissions)
        run_id, loaded_at = f"check-{uuid.uuid4()}", datetime.now(timezone.utc).replace(tzinfo=None)
        with transaction(conn):
            for period in periods:
                load_raw(conn, period, submissions[period], root, run_id, loaded_at)
            load_targets(conn, targets, root, run_id, loaded_at)
        stage(conn, SUBMISSION, periods, whole=True)
        write_findings(conn, SUBMISSION, periods, validate(conn, SUBMISSION, periods), whole=True)
        quarantined_files(conn, whole=True)
        for table in DETAIL_TABLES:
            stage(conn, table, periods, whole=True)
            write_findings(conn, table, periods, validate(conn, table, periods), whole=True)
        stage(conn, TARGET, None, whole=True)
        write_findings(conn, TARGET, None, validate(conn, TARGET, None), whole=True)


def _place(root: Path, path: Path, period: str | None) -> Path:
    """Where the file sits in the check's raw/ folder, as the pipeline would name it:
    submissions/<quarter>/<name>, or targets/<name>. A second file of the same name goes
    into a numbered folder of its own. The file is linked, or copied where links are not allowed."""
    folder = root / ("targets" if period is None else f"submissions/{period}")
    where, n = folder / path.name, 1
    while where.exists():
        where, n = folder / str(n) / path.name, n + 1
    where.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.symlink(path.resolve(), where)
    except OSError:
        shutil.copy(path, where)
    return where


_checker: Checker | None = None
_checker_lock = threading.Lock()


def default_checker() -> Checker:
    """The process's checker, built on first use (the reference tables and suites load once)."""
    global _checker
    with _checker_lock:
        if _checker is None:
            _checker = Checker()
        return _checker
