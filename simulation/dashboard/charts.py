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
#: The rungs in a word each, for a timeline that must keep large type in a narrow column.
SHORT_RUNGS = ("estranged", "normal", "partners", "strategic", "entente", "alliance")
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


def segment_hits_box(seg: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> bool:
    """Whether the segment (x1, y1, x2, y2) passes through the box (x, y, w, h) (Liang-Barsky clipping)."""
    x1, y1, x2, y2 = seg
    bx, by, bw, bh = box
    dx, dy = x2 - x1, y2 - y1
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x1 - bx), (dx, bx + bw - x1), (-dy, y1 - by), (dy, by + bh - y1)):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        if p < 0:
            lo = max(lo, r)
        else:
            hi = min(hi, r)
        if lo > hi:
            return False
    return True


def network_svg(
    level: np.ndarray,
    actors: tuple[str, ...] | list[str],
    highlight: tuple[str, str] | None = None,
    label_size: float = 21,
    name_size: float = 28,
    max_height: str = "52vh",
    short_labels: bool = False,
    keep_crowded_labels: bool = False,
) -> str:
    """The alignment network: one line per pair, thicker and redder the closer the pair; names in large type.

    ``label_size`` and ``name_size`` are in viewBox units (the projector asks for larger ones). Each pair's
    label sits on or beside its own line where it touches no other line, label or name; a pair with no
    such spot goes unlabelled (its colour, in the legend, says its level) unless ``keep_crowded_labels``.
    ``short_labels``: the rungs in a word each ("strategic" for strategic partnership).
    """
    n = len(actors)
    w, h = 900, 560
    pos = _positions(n, w / 2, h / 2 + 8, 330, 220)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" '
        f'aria-label="Alignment network" style="font-family: sans-serif; max-height:{max_height}">'
    ]
    labels = []
    nh = 2 * name_size
    words = SHORT_RUNGS if short_labels else LEVEL_LABELS

    def name_width(a: str) -> float:
        return max(90, 0.61 * name_size * len(a) + 30)

    boxes = [(x - name_width(a) / 2, y - nh / 2, name_width(a), nh) for a, (x, y) in zip(actors, pos, strict=True)]
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    segments = {(i, j): (*pos[i], *pos[j]) for i, j in pairs}
    for i, j in pairs:
        lvl = int(level[i, j])
        (x1, y1), (x2, y2) = pos[i], pos[j]
        focal = highlight is not None and {actors[i], actors[j]} == set(highlight)
        dash = ' stroke-dasharray="10 8"' if lvl == 0 else ""
        parts.append(
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="{LEVEL_COLOURS[lvl]}" '
            f'stroke-width="{3 + 3 * lvl + (3 if focal else 0)}" stroke-linecap="round"{dash}>'
            f"<title>{escape(actors[i])} - {escape(actors[j])}: {LEVEL_LABELS[lvl]}</title></line>"
        )
    for i, j in pairs:
        lvl = int(level[i, j])
        (x1, y1), (x2, y2) = pos[i], pos[j]
        focal = highlight is not None and {actors[i], actors[j]} == set(highlight)
        text = words[lvl]
        tw, th = 0.55 * label_size * len(text) + 8, 1.25 * label_size
        # the spot on or beside its own line that touches no other line (so never a crossing), no other
        # label and no name; among the clean spots, the one nearest the line's middle
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        nx, ny = -(y2 - y1) / length, (x2 - x1) / length  # the line's normal: a label may sit beside it
        others = [seg for pair, seg in segments.items() if pair != (i, j)]
        best = None
        for k in (0.0, 0.7, -0.7, 1.2, -1.2):
            for f in (0.5, 0.45, 0.55, 0.4, 0.6, 0.35, 0.65, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8):
                cx, cy = x1 + f * (x2 - x1) + k * th * nx, y1 + f * (y2 - y1) + k * th * ny
                cand = (cx - tw / 2, cy - th / 2, tw, th)
                if cand[0] < 0 or cand[1] < 0 or cand[0] + tw > w or cand[1] + th > h:
                    continue
                hits = 10 * sum(_overlap(cand, other) for other in boxes) + sum(
                    segment_hits_box(seg, cand) for seg in others
                )
                score = (hits, abs(k), abs(f - 0.5))
                if best is None or score < best[0]:
                    best = (score, cx, cy, cand)
            if best is not None and best[0][0] == 0:
                break
        if best is None:
            continue
        (hits, _, _), mx, my, box = best
        if hits and not keep_crowded_labels:
            continue  # no clean spot: the line's colour (see the legend) says it; a label would mislead
        boxes.append(box)
        labels.append(
            f'<text x="{mx:.0f}" y="{my + label_size / 3:.0f}" text-anchor="middle" font-size="{label_size}" '
            f'font-weight="{"bold" if focal else "normal"}" paint-order="stroke" stroke="white" '
            f'stroke-width="6" fill="#222" data-pair="{escape(actors[i])}-{escape(actors[j])}">{text}</text>'
        )
    parts += labels
    for k, (x, y) in enumerate(pos):
        name = escape(actors[k])
        rw = name_width(actors[k])
        parts.append(
            f'<rect x="{x - rw / 2:.0f}" y="{y - nh / 2:.0f}" width="{rw:.0f}" height="{nh:.0f}" rx="{nh / 2:.0f}" '
            'fill="#1d3557"/>'
        )
        parts.append(
            f'<text x="{x:.0f}" y="{y + name_size / 3:.0f}" text-anchor="middle" font-size="{name_size}" '
            f'font-weight="bold" '
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


def time_ticks(span: int, width: float, font: float, label_chars: int = 7) -> list[int]:
    """Months to label on a time axis ``width`` units wide: the smallest step of 1, 2, 3, 6, 12 or 24 months
    whose labels ("2018-04", ``label_chars`` wide at ``font``) leave a gap of at least one character, and the
    last month only if it keeps that gap too. Labels never touch."""
    need = 0.6 * font * (label_chars + 1)
    step = next((s for s in (1, 2, 3, 6, 12, 24, 48) if width * s / max(span, 1) >= need), 96)
    ticks = list(range(0, span + 1, step))
    if span - ticks[-1] > 0 and width * (span - ticks[-1]) / max(span, 1) >= need:
        ticks.append(span)
    return ticks


def timeline_svg(
    levels: np.ndarray,
    actors: tuple[str, ...] | list[str],
    start: str,
    horizon: int,
    pairs: list[tuple[int, int]] | None = None,
    focal: tuple[int, int] | None = None,
    font: float = 20,
    zoom: bool = False,
    short_rungs: bool = False,
    max_height: str = "45vh",
) -> str:
    """Alignment of each pair month by month (steps), rungs named on y.

    The x axis spans the whole horizon, or with ``zoom`` the months played so far (at least six,
    a few months ahead), so a class's first months are not squeezed into the axis's left corner.
    """
    n = len(actors)
    if pairs is None:  # the pairs that moved, the focal pair always
        pairs = [
            (i, j)
            for i in range(n)
            for j in range(i + 1, n)
            if (focal is not None and {i, j} == set(focal)) or levels[:, i, j].min() != levels[:, i, j].max()
        ]
    played = len(levels) - 1
    names = [f"{actors[i]}-{actors[j]}" for i, j in pairs]
    rungs = SHORT_RUNGS if short_rungs else LEVEL_LABELS
    left = max(150 if short_rungs else 230, 0.56 * font * max(len(t) for t in rungs) + 14)
    right = max(230, 0.6 * font * max((len(t) for t in names), default=0) + 24)
    w = max(900, left + right + (400 if short_rungs else 500))
    top, bottom = 20, 2 * font + 20
    h = top + bottom + max(390, 6 * 1.6 * font)
    pw, ph = w - left - right, h - top - bottom
    span = max(horizon, 1) if not zoom else min(max(horizon, 1), max(6, played + 3))

    def x(t: float) -> float:
        return left + pw * t / span

    def y(lv: float, k: int = 0) -> float:
        return top + ph * (1 - lv / MAX_LEVEL) + (k % 5 - 2) * 2.5  # a small offset keeps equal lines apart

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" '
        f'aria-label="Alignment over time" style="font-family: sans-serif; max-height:{max_height}">'
    ]
    for lv in range(MAX_LEVEL + 1):
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(lv):.0f}" y2="{y(lv):.0f}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{left - 10:.0f}" y="{y(lv) + font / 3:.0f}" text-anchor="end" font-size="{font}" '
            f'fill="#333">{rungs[lv]}</text>'
        )
    ticks = time_ticks(span, pw, font)
    for t in ticks:
        parts.append(
            f'<text x="{x(t):.0f}" y="{top + ph + 1.5 * font:.0f}" text-anchor="middle" font-size="{font}" '
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
        ly = y(series[-1], k) + font / 3
        while any(abs(ly - other) < 1.1 * font for other in label_y):
            ly += 1.1 * font
        label_y.append(ly)
        parts.append(
            f'<text x="{x(now) + 10:.0f}" y="{ly:.0f}" font-size="{font}" font-weight="{"bold" if is_focal else "normal"}"'
            f' fill="{colour}">{escape(actors[i])}-{escape(actors[j])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def shares_svg(shares: dict[str, float], marked: str | None = None, title: str = "", font: float = 21) -> str:
    """Horizontal bars of shares (0-1) by label; ``marked`` is outlined (the class's own result).

    ``font`` is in viewBox units of a chart 900 wide: at 900 CSS pixels, the text's size in pixels.
    """
    rows = list(shares.items())
    k = font / 21
    w, row_h = 900, 44 * k
    label_w = max(220 * k, 0.56 * font * max((len(lb) for lb in shares), default=8) + 10)
    bar_w = w - label_w - 10 - 0.56 * font * len("100% (the class)") - 20
    top = 40 * k if title else 6
    h = top + row_h * len(rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h:.0f}" width="100%" role="img" '
        f'aria-label="{escape(title)}" style="font-family: sans-serif">'
    ]
    if title:
        parts.append(
            f'<text x="0" y="{24 * k:.0f}" font-size="{font * 22 / 21:.0f}" font-weight="bold">{escape(title)}</text>'
        )
    for n, (label, share) in enumerate(rows):
        yy = top + n * row_h
        bw = bar_w * max(0.0, min(1.0, share))
        outline = ' stroke="#000" stroke-width="4"' if label == marked else ""
        parts.append(
            f'<text x="{label_w:.0f}" y="{yy + 0.64 * row_h:.0f}" text-anchor="end" font-size="{font}">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_w + 10:.0f}" y="{yy + 0.14 * row_h:.0f}" width="{bw:.0f}" height="{0.68 * row_h:.0f}" '
            f'fill="#1f6fb2"{outline}/>'
        )
        parts.append(
            f'<text x="{label_w + 20 + bw:.0f}" y="{yy + 0.66 * row_h:.0f}" font-size="{font}">{share:.0%}'
            f"{' (the class)' if label == marked else ''}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
