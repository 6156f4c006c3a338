"""Browser-native charts: SVG strings that scale with the page (a projector, a laptop, browser zoom).

Plain functions from arrays to SVG text, with no drawing library on the server: building one costs
well under a millisecond, so 30 browsers can follow a room without queueing behind a renderer.
Every text is escaped; sizes are in viewBox units, so type grows with the chart.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from simulation.core.calendar import month_label
from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL

#: One colour per rung, from estranged (grey-blue) to formal alliance (deep red); readable in a lit room.
LEVEL_COLOURS = ("#6b7b8c", "#9aa5b1", "#e0b04a", "#e07b39", "#c8442c", "#8e1b1b")
PAIR_COLOURS = (
    "#c8442c",
    "#1f6fb2",
    "#2a9d4b",
    "#8e44ad",
    "#e0a800",
    "#16a2b8",
    "#7f5539",
    "#d63384",
    "#495057",
    "#6f42c1",
    "#20c997",
    "#fd7e14",
)


def _positions(n: int, cx: float, cy: float, rx: float, ry: float) -> list[tuple[float, float]]:
    return [(cx + rx * math.sin(2 * math.pi * k / n), cy - ry * math.cos(2 * math.pi * k / n)) for k in range(n)]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def network_svg(
    level: np.ndarray, actors: tuple[str, ...] | list[str], highlight: tuple[str, str] | None = None
) -> str:
    """The alignment network: one line per pair, thicker and redder the closer the pair; names in large type."""
    n = len(actors)
    w, h = 900, 560
    pos = _positions(n, w / 2, h / 2 + 8, 330, 220)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" '
        f'aria-label="Alignment network" style="font-family: sans-serif; max-height:52vh">'
    ]
    labels = []
    boxes = [
        (x - max(90, 17 * len(a) + 30) / 2, y - 28, max(90, 17 * len(a) + 30), 56)
        for a, (x, y) in zip(actors, pos, strict=True)
    ]
    for i in range(n):
        for j in range(i + 1, n):
            lvl = int(level[i, j])
            (x1, y1), (x2, y2) = pos[i], pos[j]
            focal = highlight is not None and {actors[i], actors[j]} == set(highlight)
            dash = ' stroke-dasharray="10 8"' if lvl == 0 else ""
            parts.append(
                f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="{LEVEL_COLOURS[lvl]}" '
                f'stroke-width="{3 + 3 * lvl + (3 if focal else 0)}" stroke-linecap="round"{dash}>'
                f"<title>{escape(actors[i])} - {escape(actors[j])}: {LEVEL_LABELS[lvl]}</title></line>"
            )
            text = LEVEL_LABELS[lvl]
            tw, th = 11.5 * len(text) + 8, 26
            # the first spot along the line where the label hides no other label and no name
            for f in (0.5, 0.36, 0.64, 0.26, 0.74, 0.45, 0.55):
                mx, my = x1 + f * (x2 - x1), y1 + f * (y2 - y1)
                box = (mx - tw / 2, my - th / 2, tw, th)
                if not any(_overlap(box, other) for other in boxes):
                    break
            boxes.append(box)
            labels.append(
                f'<text x="{mx:.0f}" y="{my + 7:.0f}" text-anchor="middle" font-size="21" '
                f'font-weight="{"bold" if focal else "normal"}" paint-order="stroke" stroke="white" '
                f'stroke-width="6" fill="#222">{text}</text>'
            )
    parts += labels
    for k, (x, y) in enumerate(pos):
        name = escape(actors[k])
        rw = max(90, 17 * len(actors[k]) + 30)
        parts.append(f'<rect x="{x - rw / 2:.0f}" y="{y - 28:.0f}" width="{rw}" height="56" rx="28" fill="#1d3557"/>')
        parts.append(
            f'<text x="{x:.0f}" y="{y + 10:.0f}" text-anchor="middle" font-size="28" font-weight="bold" '
            f'fill="white">{name}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def legend_html() -> str:
    """The ladder's colours, as a one-line HTML legend."""
    items = "".join(
        f'<span style="white-space:nowrap;margin-right:1em"><span style="display:inline-block;width:1.6em;'
        f'height:0.6em;background:{c};vertical-align:middle;margin-right:0.3em"></span>{LEVEL_LABELS[k]}'
        f"</span>"
        for k, c in enumerate(LEVEL_COLOURS)
    )
    return f'<div style="font-size:1.1em">{items}</div>'


def timeline_svg(
    levels: np.ndarray,
    actors: tuple[str, ...] | list[str],
    start: str,
    horizon: int,
    pairs: list[tuple[int, int]] | None = None,
    focal: tuple[int, int] | None = None,
) -> str:
    """Alignment of each pair month by month (steps), the whole horizon on the x axis, rungs named on y."""
    n = len(actors)
    if pairs is None:  # the pairs that moved, the focal pair always
        pairs = [
            (i, j)
            for i in range(n)
            for j in range(i + 1, n)
            if (focal is not None and {i, j} == set(focal)) or levels[:, i, j].min() != levels[:, i, j].max()
        ]
    w, h = 1000, 470
    left, right, top, bottom = 230, 230, 20, 60
    pw, ph = w - left - right, h - top - bottom
    span = max(horizon, 1)

    def x(t: float) -> float:
        return left + pw * t / span

    def y(lv: float, k: int = 0) -> float:
        return top + ph * (1 - lv / MAX_LEVEL) + (k % 5 - 2) * 2.5  # a small offset keeps equal lines apart

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" '
        f'aria-label="Alignment over time" style="font-family: sans-serif; max-height:45vh">'
    ]
    for lv in range(MAX_LEVEL + 1):
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(lv):.0f}" y2="{y(lv):.0f}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{left - 10}" y="{y(lv) + 7:.0f}" text-anchor="end" font-size="20" '
            f'fill="#333">{LEVEL_LABELS[lv]}</text>'
        )
    ticks = sorted({0, span, *range(0, span + 1, 12)})
    for t in ticks:
        parts.append(
            f'<text x="{x(t):.0f}" y="{top + ph + 30}" text-anchor="middle" font-size="19" '
            f'fill="#333">{month_label(start, t)}</text>'
        )
    now = len(levels) - 1
    parts.append(
        f'<line x1="{x(now):.0f}" x2="{x(now):.0f}" y1="{top}" y2="{top + ph}" stroke="#999" stroke-dasharray="4 4"/>'
    )
    label_y: list[float] = []
    for k, (i, j) in enumerate(pairs):
        series = levels[:, i, j]
        colour = PAIR_COLOURS[k % len(PAIR_COLOURS)]
        pts = [f"{x(0):.1f},{y(series[0], k):.1f}"]
        for t in range(1, len(series)):
            pts.append(f"{x(t):.1f},{y(series[t - 1], k):.1f}")
            pts.append(f"{x(t):.1f},{y(series[t], k):.1f}")
        is_focal = focal is not None and {i, j} == set(focal)
        parts.append(
            f'<polyline points="{" ".join(pts)}" fill="none" stroke="{colour}" stroke-width="{7 if is_focal else 4}"/>'
        )
        ly = y(series[-1], k) + 7
        while any(abs(ly - other) < 22 for other in label_y):
            ly += 22
        label_y.append(ly)
        parts.append(
            f'<text x="{x(now) + 10:.0f}" y="{ly:.0f}" font-size="20" font-weight="{"bold" if is_focal else "normal"}"'
            f' fill="{colour}">{escape(actors[i])}-{escape(actors[j])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def shares_svg(shares: dict[str, float], marked: str | None = None, title: str = "") -> str:
    """Horizontal bars of shares (0-1) by label; ``marked`` is outlined (the class's own result)."""
    rows = list(shares.items())
    w, row_h = 800, 44
    h = 40 + row_h * len(rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" '
        f'aria-label="{escape(title)}" style="font-family: sans-serif">'
    ]
    if title:
        parts.append(f'<text x="0" y="24" font-size="22" font-weight="bold">{escape(title)}</text>')
    for k, (label, share) in enumerate(rows):
        yy = 40 + k * row_h
        bw = 420 * max(0.0, min(1.0, share))
        outline = ' stroke="#000" stroke-width="4"' if label == marked else ""
        parts.append(f'<text x="220" y="{yy + 28}" text-anchor="end" font-size="21">{escape(label)}</text>')
        parts.append(f'<rect x="230" y="{yy + 6}" width="{bw:.0f}" height="30" fill="#1f6fb2"{outline}/>')
        parts.append(
            f'<text x="{240 + bw:.0f}" y="{yy + 29}" font-size="21">{share:.0%}'
            f"{' (the class)' if label == marked else ''}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
