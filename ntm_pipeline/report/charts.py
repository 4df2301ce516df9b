"""The report's charts as SVG, drawn directly.

Two kinds are needed: bars (criteria per commune, capital by source) with an optional
target line, and lines over quarters (certified areas). Written as text they cost
microseconds, where a plotting library cost a third of a second per chart and made the
reports of a whole country take minutes. The SVG is embedded in the HTML page and saved
beside the Markdown; it prints and scales in any browser.
"""

from __future__ import annotations

from html import escape as _escape

from ntm_pipeline.report.numbers import vi_number
from ntm_pipeline.report.text import inline


def escape(text) -> str:
    """Text for SVG (XML): one line, no character XML cannot hold."""
    return _escape(inline(text))


WIDTH, HEIGHT = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 40, 110  # room for the title, the axis and slanted labels
COLOURS = ["#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a"]
TARGET_COLOUR = "#c62828"


def _scale(values: list[float]) -> tuple[float, list[float]]:
    """A round top for the axis and its gridline values."""
    top = max([v for v in values if v is not None] + [0]) or 1
    step = 10 ** len(str(int(top / 4))) / 10 if top >= 4 else 0.5
    for factor in (1, 2, 2.5, 5, 10):
        if top / (step * factor) <= 5:
            step *= factor
            break
    ticks = [i * step for i in range(int(top / step) + 2)]
    return ticks[-1], ticks


def _frame(title: str, ticks: list[float], top: float) -> list[str]:
    plot_height = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        'font-family="sans-serif" font-size="12" role="img">',
        f"<title>{escape(title)}</title>",
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]
    for tick in ticks:
        y = TOP + plot_height * (1 - tick / top)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(vi_number(tick))}</text>')
    return parts


def _x_labels(labels: list[str], centres: list[float]) -> list[str]:
    y = HEIGHT - BOTTOM + 14
    return [
        f'<text x="{x:.1f}" y="{y}" text-anchor="end" transform="rotate(-40 {x:.1f} {y})">{escape(str(label))}</text>'
        for label, x in zip(labels, centres)
    ]


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value or 0) / top)


def bar_chart(labels: list[str], values: list[float], title: str, line: float | None = None,
              line_label: str | None = None) -> str:
    """Bars per label; `line` draws a dashed target across them."""
    top, ticks = _scale([*values, line or 0])
    parts = _frame(title, ticks, top)
    slot = (WIDTH - LEFT - RIGHT) / max(len(values), 1)
    centres = [LEFT + slot * (i + 0.5) for i in range(len(values))]
    for x, label, value in zip(centres, labels, values):
        y = _y(value, top)
        parts.append(
            f'<rect x="{x - slot * 0.35:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{HEIGHT - BOTTOM - y:.1f}" fill="{COLOURS[0]}"><title>{escape(str(label))}: '
            f"{escape(vi_number(value or 0))}</title></rect>"
        )
    parts += _x_labels(labels, centres)
    if line is not None:
        y = _y(line, top)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{TARGET_COLOUR}" stroke-dasharray="6 4" stroke-width="2"/>')
        parts.append(f'<text x="{WIDTH - RIGHT}" y="{y - 6:.1f}" text-anchor="end" fill="{TARGET_COLOUR}">'
                     f"{escape(line_label or '')}: {escape(vi_number(line))}</text>")
    parts.append("</svg>")
    return "\n".join(parts)


def line_chart(periods: list[str], series: dict[str, list[float]], title: str) -> str:
    """One line per series over the quarters, with a legend."""
    top, ticks = _scale([v for values in series.values() for v in values])
    parts = _frame(title, ticks, top)
    slot = (WIDTH - LEFT - RIGHT) / max(len(periods), 1)
    centres = [LEFT + slot * (i + 0.5) for i in range(len(periods))]
    for n, (name, values) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x:.1f},{_y(v, top):.1f}" for x, v in zip(centres, values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{_y(v, top):.1f}" r="3" fill="{colour}"/>' for x, v in zip(centres, values)]
        parts.append(f'<rect x="{LEFT + 10 + 110 * n}" y="{TOP - 4}" width="12" height="4" fill="{colour}"/>'
                     f'<text x="{LEFT + 26 + 110 * n}" y="{TOP}">{escape(name)}</text>')
    parts += _x_labels(periods, centres)
    parts.append("</svg>")
    return "\n".join(parts)
