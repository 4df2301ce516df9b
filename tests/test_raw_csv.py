"""DuckDB reads the CSV files: the raw rows are those of the Python reader, row for row.

Every habit of a CSV that the reader accepts is written into a real raw/ folder (with a
workbook beside them); the quarter is loaded twice into real DuckDB files, once by
`load_raw` (DuckDB's reader for the CSV files it takes, the Python reader for the rest) and
once by the Python reader alone, and every raw table is compared both ways with EXCEPT ALL.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ntm_pipeline.checks import raw_csv
from ntm_pipeline.checks.raw import create_raw_tables, load_raw
from ntm_pipeline.contract import SUBMISSION_TABLES
from ntm_pipeline.submissions.reader import discover_submission_files

PERIOD = "2024-Q1"
HEADER = "commune_code,project_code,project_name,category,status\n"

# name -> (bytes, whether DuckDB takes it). Each file holds rows of the investment table.
FILES = {
    # Plain bulk exports of one layout: one read_csv over all four.
    "a/plain.investment.csv": ((HEADER + "05068,P1,Đường trục xã,road,ongoing\n05080,P2,Cầu,bridge,completed\n").encode(), True),
    "b/bom.investment.csv": (b"\xef\xbb\xbf" + (HEADER + "05071,P3,Trường học,school,ongoing\n").encode(), True),
    "c/crlf.investment.csv": ((HEADER + "05072,P4,Chợ,market,ongoing\n").replace("\n", "\r\n").encode(), True),
    "d/quoted.investment.csv": ((HEADER + '05073,P5,"Nhà văn hóa, thôn Mường","cultural",ongoing\n'
                                 '05074,P6,"Kênh ""N1""\ntưới tiêu",irrigation,ongoing\n05075,P7,Đê,dike,ongoing\n'
                                 '05070,P0,Cầu "Mới" 2,bridge,ongoing').encode(), True),
    # White space alone is blank (NBSP, ideographic space, tab); text keeps its spaces;
    # a row of blanks is no row but keeps its number; a short row is padded.
    "e/spaces.investment.csv": ((HEADER + "05076, P8 ,\u00a0,\t,ongoing\n,,\u3000,,\n05077,P9\n").encode(), True),
    # Vietnamese headers, a column not of the template, the columns in another order.
    "f/vietnamese.investment.csv": (("Ghi chú," + "Tình trạng,Mã dự án,Mã xã,Tên dự án,Loại công trình\n"
                                     "x,ongoing,P10,05078,Đường nội đồng,road\n").encode(), True),
    # Habits DuckDB would read otherwise than Python: left to the Python reader.
    "g/blank-lines.investment.csv": ((HEADER + "\n05079,P11,Cầu,bridge,ongoing\n\n05081,P12,Cầu,bridge,ongoing\n").encode(), False),
    "h/title.investment.csv": (("Báo cáo dự án quý 1\n" + HEADER + "05082,P13,Cầu,bridge,ongoing\n").encode(), False),
    "i/space-by-quote.investment.csv": ((HEADER + '05083,P14,"Cầu" ,bridge,ongoing\n05084,P15, "Đê",dike,ongoing\n').encode(), False),
    "j/stray-quote.investment.csv": ((HEADER + '05085,P16,Cầu 5" ,bridge,ongoing\n').encode(), False),
    "k/lone-cr.investment.csv": ((HEADER + "05086,P17,Cầu\rmới,bridge,ongoing\n").encode(), False),
    "l/twice.investment.csv": (("commune_code,project_code,project_code,project_name,category,status\n"
                                "05087,P18,P19,Cầu,bridge,ongoing\n").encode(), False),
    # Taken by plan, refused by DuckDB's dry read (a row longer than the header): Python reads it.
    "m/wide-row.investment.csv": ((HEADER + "05088,P20,Cầu,bridge,ongoing,extra\n").encode(), True),
    # A quote left open at the end: Python reads the rest as the value, DuckDB would drop it.
    "n/open-quote.investment.csv": ((HEADER + '05089,P21,"Cầu,bridge,ongoing\n').encode(), False),
    # Faults the Python reader explains: the same codes as ever.
    "o/big-field.investment.csv": ((HEADER + "05090,P22," + "x" * 40_000 + ",bridge,ongoing\n").encode(), True),
    "p/latin1.investment.csv": ((HEADER + "05091,P23,Cầu,bridge,ongoing\n").encode("utf-16"), False),
    "q/missing.investment.csv": (b"commune_code,project_name\n05092,C\xe1\xba\xa7u\n", False),
    "r/no-header.investment.csv": (b"a,b\n1,2\n", False),
}


def _raw(tmp_path: Path) -> Path:
    from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

    root = tmp_path / "raw"
    folder = root / "submissions" / PERIOD
    for name, (content, _) in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    workbook = build_workbook({
        "submission": [{"commune_code": "05068", "period": PERIOD}],
        "investment": [{"commune_code": "05068", "project_code": "W1", "project_name": "Đường liên thôn",
                        "category": "road", "status": "ongoing"}],
    }, period=PERIOD)
    save_reproducibly(workbook, folder / "05068.xlsx")
    return root


def _load(root: Path, db: Path, use_duckdb: bool, monkeypatch) -> duckdb.DuckDBPyConnection:
    if not use_duckdb:
        monkeypatch.setattr(raw_csv, "plan", lambda *args: None)
    conn = duckdb.connect(str(db))
    conn.execute("CREATE SCHEMA raw")
    create_raw_tables(conn, SUBMISSION_TABLES)
    paths = [path for _, path in discover_submission_files(root, [PERIOD])]
    conn.execute("BEGIN")
    load_raw(conn, PERIOD, paths, root, "run", datetime(2026, 1, 1), check_links=True)
    conn.execute("COMMIT")
    monkeypatch.undo()
    return conn


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("raw_csv")
    root = _raw(tmp_path)
    with pytest.MonkeyPatch.context() as monkeypatch:
        reads = []
        original = raw_csv._read_group
        monkeypatch.setattr(raw_csv, "_read_group", lambda conn, period, group, *a: (
            reads.append(sorted(f.path.name for f in group)), original(conn, period, group, *a))[1])
        by_duckdb = _load(root, tmp_path / "duckdb.duckdb", True, monkeypatch)
    with pytest.MonkeyPatch.context() as monkeypatch:
        by_python = _load(root, tmp_path / "python.duckdb", False, monkeypatch)
    by_duckdb.close(), by_python.close()
    conn = duckdb.connect()
    conn.execute(f"ATTACH '{tmp_path / 'duckdb.duckdb'}' AS d (READ_ONLY)")
    conn.execute(f"ATTACH '{tmp_path / 'python.duckdb'}' AS p (READ_ONLY)")
    return conn, root, reads


@pytest.mark.parametrize("table", ["source_file", *(t.name for t in SUBMISSION_TABLES)])
def test_raw_rows_equal_the_python_readers(loaded, table):
    conn, _, _ = loaded
    counts = [conn.execute(f"SELECT count(*) FROM {db}.raw.{table}").fetchone()[0] for db in "dp"]
    assert counts[0] == counts[1]
    for a, b in (("d", "p"), ("p", "d")):
        extra = conn.execute(f"SELECT * FROM {a}.raw.{table} EXCEPT ALL SELECT * FROM {b}.raw.{table}").fetchall()
        assert extra == [], (a, extra)


def test_duckdb_reads_a_layout_in_one_call(loaded):
    """The plain files of one header line are one read; the others are Python's."""
    _, root, reads = loaded
    plain = ["bom.investment.csv", "crlf.investment.csv", "plain.investment.csv", "quoted.investment.csv",
             "spaces.investment.csv"]
    assert plain in reads and ["vietnamese.investment.csv"] in reads
    taken = {name for name, (_, takes) in FILES.items()
             if raw_csv.plan(root / "submissions" / PERIOD / name, root, True) is not None}
    assert taken == {name for name, (_, takes) in FILES.items() if takes}
    assert sorted(name for group in reads for name in group) == sorted(
        Path(n).name for n in taken if not n.startswith(("m/", "o/")))


def test_provenance_and_values_of_duckdb_rows(loaded):
    """Row numbers count records as Python does (a quoted line break is one record); blank
    text is NULL, text keeps its spaces; a row of blanks is no row."""
    conn, _, _ = loaded
    rows = conn.execute(
        "SELECT source_file, sheet, row_number, project_code, project_name, category FROM d.raw.investment "
        "WHERE source_file LIKE '%/quoted.%' OR source_file LIKE '%/spaces.%' ORDER BY source_file, row_number").fetchall()
    assert rows == [
        (f"submissions/{PERIOD}/d/quoted.investment.csv", "quoted.investment.csv", 2, "P5", "Nhà văn hóa, thôn Mường", "cultural"),
        (f"submissions/{PERIOD}/d/quoted.investment.csv", "quoted.investment.csv", 3, "P6", 'Kênh "N1"\ntưới tiêu', "irrigation"),
        (f"submissions/{PERIOD}/d/quoted.investment.csv", "quoted.investment.csv", 4, "P7", "Đê", "dike"),
        (f"submissions/{PERIOD}/d/quoted.investment.csv", "quoted.investment.csv", 5, "P0", 'Cầu "Mới" 2', "bridge"),
        (f"submissions/{PERIOD}/e/spaces.investment.csv", "spaces.investment.csv", 2, " P8 ", None, None),
        (f"submissions/{PERIOD}/e/spaces.investment.csv", "spaces.investment.csv", 4, "P9", None, None),
    ]


def test_faults_are_explained_by_the_python_reader(loaded):
    conn, _, _ = loaded
    errors = dict(conn.execute(
        "SELECT regexp_extract(source_file, '[^/]+$'), error_code FROM d.raw.source_file WHERE status = 'rejected'").fetchall())
    assert errors == {
        "lone-cr.investment.csv": "malformed_csv",  # a line break inside an unquoted value
        "big-field.investment.csv": "field_too_large",
        "latin1.investment.csv": "not_utf8",
        "missing.investment.csv": "missing_column",
        "no-header.investment.csv": "no_header",
    }
