"""The intake's pages: Jinja2 templates (autoescaped) in Vietnamese first, English by a switch.

`tr(vi, en)` (a template global) is the text in the request's language: Vietnamese unless the
session says English (`/lang/en`, `/lang/vi`). The `cell` filter shows text an officer typed
exactly as typed: autoescaped in a page, and never a formula in a workbook the app writes
(`excel_text` for openpyxl cells: text starting with = + - @ is stored as text).
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi.templating import Jinja2Templates
from starlette.requests import Request

LANGUAGES = ("vi", "en")
FORMULA_STARTS = ("=", "+", "-", "@")

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.autoescape = True


def language(request: Request) -> str:
    """The request's language: the session's choice, else Vietnamese."""
    lang = request.session.get("lang") if "session" in request.scope else None
    return lang if lang in LANGUAGES else "vi"


@jinja2.pass_context
def tr(context, vi: str, en: str) -> str:
    request = context.get("request")
    return en if request is not None and language(request) == "en" else vi


def cell(value: object) -> str:
    """A cell's text as typed, for a page: None is blank; the autoescape makes it safe."""
    return "" if value is None else str(value)


def excel_text(target_cell, value: object) -> None:
    """Put a value in an openpyxl cell so that text is never read as a formula: text starting
    with = + - @ is stored as a string with Excel's quote prefix (shown as typed)."""
    target_cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        target_cell.data_type = "s"
        target_cell.quotePrefix = True


templates.env.globals["tr"] = tr
templates.env.filters["cell"] = cell
