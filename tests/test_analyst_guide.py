"""Every query of docs/analyst-guide.md runs against the sample warehouse and answers."""

import re

import pytest

from ntm_pipeline.settings import PROJECT_ROOT

GUIDE = (PROJECT_ROOT / "docs" / "analyst-guide.md").read_text(encoding="utf-8")
QUERIES = re.findall(r"### (\d+)\. ([^\n]+)\n\n```sql\n(.*?)```", GUIDE, re.S)


def test_the_guide_answers_at_least_twelve_questions():
    assert len(QUERIES) >= 12


@pytest.mark.parametrize("number, question, sql", QUERIES, ids=[q[0] for q in QUERIES])
def test_query_answers(sample_db, number, question, sql):
    rows = sample_db.execute(sql).fetchall()
    assert rows, f"question {number} ({question}) returned no rows"


def test_answers_agree_with_the_report(sample_db):
    by_number = {n: sql for n, _, sql in QUERIES}
    headline = dict((k, v) for k, v, *_ in sample_db.execute(by_number["1"]).fetchall())
    assert headline["ntm_communes"] == 6 and headline["ocop_products"] == 12
    ntm = sample_db.execute(by_number["3"]).fetchall()
    assert len(ntm) == 6
    todo = sample_db.execute(by_number["4"]).fetchall()
    assert len(todo) == 10 and todo[0][1] == 17  # Hợp Tiến, the one commune at 15-18 criteria
    projects = {(c, s): n for c, s, n in sample_db.execute(by_number["8"]).fetchall()}
    assert projects[("road", "ongoing")] == 31 and projects[("village_cultural_house", "preparing")] == 19
    sources = sample_db.execute(by_number["7"]).fetchall()
    assert 267.0 < sum(v for _, v in sources) < 268.0


def test_data_dictionary_is_in_sync_and_complete(sample_db):
    from ntm_pipeline.docs import DICTIONARY, render_dictionary

    assert DICTIONARY.read_text(encoding="utf-8") == render_dictionary(sample_db), (
        "docs/data-dictionary.md is out of date: make run && make docs"
    )
    undocumented = sample_db.execute(
        "SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns() "
        "WHERE schema_name IN ('raw', 'staging', 'quarantine', 'core', 'mart') "
        "AND (comment IS NULL OR comment NOT LIKE '% | %')"
    ).fetchall()
    assert undocumented == []
    assert sample_db.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE comment IS NULL OR comment NOT LIKE '% | %'"
    ).fetchone()[0] == 0
