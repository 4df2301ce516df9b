"""Text as a report can hold it: officers' text (a product or project name pasted from a
terminal or an old database) may carry control characters that XML (Excel's cells, SVG) and
Markdown tables cannot hold; openpyxl refuses them outright (IllegalCharacterError)."""

from __future__ import annotations

import re

# An ANSI escape sequence (a terminal's colour codes), or a run of control characters (C0
# but tab and newlines, DEL, C1) and of Unicode non-characters, which no XML 1.0 text holds.
_UNPRINTABLE = re.compile(r"(?:\x1b\[[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff])+")
_BREAKS = re.compile(r"\s*[\t\r\n]+\s*")


def printable(text: object) -> str:
    """`text` with each run of unprintable characters replaced by one space."""
    cleaned = _UNPRINTABLE.sub(" ", str(text))
    return cleaned if cleaned == str(text) else re.sub(" {2,}", " ", cleaned).strip()


def inline(text: object) -> str:
    """printable text on one line: a table cell of Markdown ends at a line break."""
    return _BREAKS.sub(" ", printable(text))
