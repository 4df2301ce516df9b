"""Keep the reference sections of docs/ in step with the code.

The Markdown files are written by hand, except between `<!-- generated:NAME -->` and
`<!-- /generated:NAME -->` markers, which `ntm docs` fills from the submission contract and
the reference lists. A test fails when a file is out of date.
"""

from __future__ import annotations

import re
from pathlib import Path

from ntm_pipeline.contract import ALL_TABLES
from ntm_pipeline.reference import read_reference_csv
from ntm_pipeline.settings import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"


def _tables_section() -> str:
    parts = []
    for table in ALL_TABLES:
        parts.append(f"### {table.sheet_vi} (`{table.name}`)\n\n{table.description}\n")
        parts.append("| Vietnamese header | English name | kind | required | meaning |")
        parts.append("|---|---|---|---|---|")
        for c in table.columns:
            kind = f"code: {c.code_list}" if c.code_list else c.kind
            parts.append(f"| {c.header_vi} | `{c.name}` | {kind} | {'yes' if c.required else ''} | {c.description} |")
        parts.append("")
    return "\n".join(parts).rstrip()


def _code_lists_section() -> str:
    rows = read_reference_csv("code_list")
    parts = []
    for name in dict.fromkeys(r["code_list"] for r in rows):
        parts.append(f"**{name}**\n\n| code | Vietnamese label | English label | also accepted |\n|---|---|---|---|")
        for r in (r for r in rows if r["code_list"] == name):
            aliases = ", ".join(a for a in (r["aliases"] or "").split("|") if a)
            parts.append(f"| `{r['code']}` | {r['label_vi']} | {r['label_en']} | {aliases} |")
        parts.append("")
    return "\n".join(parts).rstrip()


def _kpis_section() -> str:
    parts = ["| code | unit | stock or flow | from communes | name (vi) | definition |", "|---|---|---|---|---|---|"]
    for r in read_reference_csv("kpi"):
        code = f"`{r['kpi_code']}.<category>`" if r["breakdown"] else f"`{r['kpi_code']}`"
        parts.append(
            f"| {code} | {r['unit']} | {r['measure']} | {r['aggregation']} | {r['name_vi']} | {r['description_en']} |"
        )
    return "\n".join(parts)


def _score(value: str) -> str:
    number = float(value)
    return f"{number:g}"


def _star_bands_section() -> str:
    """Every band of reference_data/ocop_star_band.csv with its score range, 1 star to 5."""
    parts = ["| stars | score (of 100) | khung điểm | certified OCOP | legal basis |", "|---|---|---|---|---|"]
    for r in sorted(read_reference_csv("ocop_star_band"), key=lambda r: int(r["stars"])):
        low, high = _score(r["min_score"]), float(r["max_score_exclusive"])
        if float(r["min_score"]) == 0:
            en, vi = f"under {_score(r['max_score_exclusive'])}", f"dưới {_score(r['max_score_exclusive'])} điểm"
        elif high > 100:  # the top band includes 100
            en, vi = f"{low} to 100", f"từ {low} đến 100 điểm"
        else:
            en, vi = f"{low} to under {_score(r['max_score_exclusive'])}", f"từ {low} đến dưới {_score(r['max_score_exclusive'])} điểm"
        certified = "yes" if r["is_certified"] == "true" else "no"
        parts.append(f"| {r['stars']} | {en} | {vi} | {certified} | {r['legal_basis']} |")
    return "\n".join(parts)


def _rules_section() -> str:
    from ntm_pipeline.quality.suites import read_rules, suite_path

    parts = []
    for name in SUITES:
        table = f"staging.{name}" if not name.startswith("fact_") else f"core.{name}"
        parts.append(f"### `{name}` ({table}, [expectations/{suite_path(name).name}](../expectations/{suite_path(name).name}))\n")
        parts.append("| rule | columns | severity | message (vi) | message (en) |")
        parts.append("|---|---|---|---|---|")
        for rule in read_rules(name):
            parts.append(
                f"| `{rule.name}` | {', '.join(rule.columns)} | {rule.severity} | {rule.message_vi} | {rule.message_en} |"
            )
        parts.append("")
    return "\n".join(parts).rstrip()


SUITES = [
    "submission", "investment", "criteria", "ocop_product", "certified_area", "target",
    "fact_commune_status", "fact_investment", "fact_criteria_snapshot", "fact_criteria_indicator",
    "fact_ocop_rating", "fact_certified_area", "fact_target",
]

SECTIONS = {
    "submission-format.md": {"tables": _tables_section, "code-lists": _code_lists_section},
    "kpis.md": {"kpis": _kpis_section},
    "data-quality.md": {"star-bands": _star_bands_section, "rules": _rules_section},
}


def render(text: str, sections: dict) -> str:
    for name, build in sections.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"missing <!-- generated:{name} --> markers")
        text = pattern.sub(lambda m: m.group(1) + build() + "\n" + m.group(2), text)
    return text


def stale_docs() -> list[Path]:
    return [DOCS / f for f, s in SECTIONS.items() if (DOCS / f).read_text(encoding="utf-8") != render((DOCS / f).read_text(encoding="utf-8"), s)]


def write_docs() -> list[Path]:
    written = []
    for file, sections in SECTIONS.items():
        path = DOCS / file
        path.write_text(render(path.read_text(encoding="utf-8"), sections), encoding="utf-8")
        written.append(path)
    return written


DICTIONARY = DOCS / "data-dictionary.md"
SCHEMA_ORDER = ("mart", "core", "quarantine", "staging", "raw")


def render_dictionary(conn) -> str:
    """docs/data-dictionary.md, from the comments the pipeline puts on every table and column."""
    from ntm_pipeline.reference import table_docs

    schemas = table_docs()
    lines = [
        "# Data dictionary",
        "",
        "Generated from the warehouse by `ntm dictionary` (`make docs`): every table and column of",
        "`warehouse/ntm.duckdb` with its comment, in Vietnamese and English. The same comments are",
        "in the database, so any client shows them (`SELECT comment FROM duckdb_columns()`).",
        "DuckDB has no comments on schemas; their descriptions are here.",
        "",
    ]
    for schema in SCHEMA_ORDER:
        english, vietnamese = schemas[schema]
        lines += [f"## `{schema}`", "", f"{vietnamese}  ", f"*{english}*", ""]
        tables = conn.execute(
            "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = ? ORDER BY table_name", [schema]
        ).fetchall()
        for table, comment in tables:
            vi, _, en = (comment or "").partition(" | ")
            lines += [f"### `{schema}.{table}`", "", f"{vi}  ", f"*{en}*", ""]
            lines += ["| column | type | mô tả | description |", "|---|---|---|---|"]
            for column, data_type, column_comment in conn.execute(
                "SELECT column_name, data_type, comment FROM duckdb_columns() "
                "WHERE schema_name = ? AND table_name = ? ORDER BY column_index", [schema, table]
            ).fetchall():
                cvi, _, cen = (column_comment or "").partition(" | ")
                lines.append(f"| `{column}` | {data_type} | {cvi} | {cen} |")
            lines.append("")
    return "\n".join(lines)


def write_dictionary(database) -> Path:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as conn:
        DICTIONARY.write_text(render_dictionary(conn), encoding="utf-8")
    return DICTIONARY
