"""Browser-native charts: SVG strings that scale with the page (a projector, a laptop, browser zoom).

Plain functions from arrays to SVG text, with no drawing library on the server: a timeline or bars cost
well under a millisecond, the network (whose labels are placed clear of every other line) 5-20 ms of CPU
for five or six countries (``experiments/network_labels.py``); the projector builds it once per room
version for every page that follows the room.
Every text is escaped; sizes are in viewBox units, so type grows with the chart.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from simulation.core.calendar import run_month_label
from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL
from simulation.dashboard.netlabels import Placement, Shape, place_labels

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
    key_names: bool = True,
) -> str:
    """The alignment network: one line per pair, thicker and redder the closer the pair; names in large type.

    ``label_size`` and ``name_size`` are in viewBox units (the projector asks for larger ones). Every pair
    has a label that touches no other line, label or name (so never a crossing): across its own line,
    else written along it, else a number on it with the words in a key under the picture
    (``netlabels.place_labels``). ``short_labels``: the rungs in a word each ("strategic"). ``key_names``:
    the key names each pair ("3 China-EU: normal"); without, a pair with a badge on the picture reads
    "3 normal" (the projector's key, shorter, keeps its type large); a pair without one is always named.
    """
    n = len(actors)
    w, h = 900, 560
    pos = _positions(n, w / 2, h / 2 + 8, 330, 220)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    words = SHORT_RUNGS if short_labels else LEVEL_LABELS
    text = {p: words[int(level[p])] for p in pairs}
    focal = {p for p in pairs if highlight is not None and {actors[p[0]], actors[p[1]]} == set(highlight)}
    names = [Shape(x, y, _name_width(a, name_size) / 2, name_size) for a, (x, y) in zip(actors, pos, strict=True)]
    placements = place_labels(
        {(i, j): (*pos[i], *pos[j]) for i, j in pairs},
        {p: _stroke(int(level[p]), p in focal) for p in pairs},
        {p: (0.55 * label_size * len(text[p]) + 8, 1.25 * label_size) for p in pairs},
        names,
        (w, h),
        badge=1.4 * label_size + 4,
    )
    key = sorted((pl for pl in placements if pl.kind in ("badge", "key")), key=lambda pl: pl.number or 99)
    words_in_key = {
        pl.pair: text[pl.pair]
        if pl.number and not key_names
        else f"{actors[pl.pair[0]]}-{actors[pl.pair[1]]}: {text[pl.pair]}"
        for pl in key
    }
    key_rows, key_h = _key_rows(key, words_in_key, label_size, w)
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h + key_h:.0f}" width="100%" role="img" '
            f'aria-label="Alignment network" style="font-family: sans-serif; max-height:{max_height}">',
            *(_edge_svg(pos, p, int(level[p]), actors, p in focal) for p in pairs),
            *(
                _label_svg(pl, actors, text[pl.pair], label_size, pl.pair in focal, int(level[pl.pair]))
                for pl in placements
            ),
            *(_name_svg(actors[k], x, y, name_size) for k, (x, y) in enumerate(pos)),
            *(_key_svg(row, y, actors, words_in_key, label_size, level) for row, y in key_rows(h)),
            "</svg>",
        ]
    )


def _name_width(name: str, size: float) -> float:
    return max(90, 0.61 * size * len(name) + 30)


def _stroke(level: int, focal: bool) -> float:
    return 3 + 3 * level + (3 if focal else 0)


def _edge_svg(pos, pair: tuple[int, int], lvl: int, actors, focal: bool) -> str:
    (x1, y1), (x2, y2) = pos[pair[0]], pos[pair[1]]
    dash = ' stroke-dasharray="10 8"' if lvl == 0 else ""
    return (
        f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="{LEVEL_COLOURS[lvl]}" '
        f'stroke-width="{_stroke(lvl, focal)}" stroke-linecap="round"{dash}>'
        f"<title>{escape(actors[pair[0]])} - {escape(actors[pair[1]])}: {LEVEL_LABELS[lvl]}</title></line>"
    )


def _badge_svg(number: int, x: float, y: float, size: float, lvl: int) -> str:
    return (
        f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{0.7 * size:.0f}" fill="white" stroke="{LEVEL_COLOURS[lvl]}" '
        f'stroke-width="4"/><text x="{x:.0f}" y="{y + size / 3:.0f}" text-anchor="middle" font-size="{size}" '
        f'font-weight="bold" fill="#222">{number}</text>'
    )


def _label_svg(pl: Placement, actors, text: str, size: float, focal: bool, lvl: int) -> str:
    if pl.shape is None:
        return ""
    s, pair = pl.shape, f"{escape(actors[pl.pair[0]])}-{escape(actors[pl.pair[1]])}"
    if pl.kind == "badge":
        return f'<g data-badge-pair="{pair}">{_badge_svg(pl.number, s.x, s.y, size, lvl)}</g>'
    turn = f' transform="rotate({math.degrees(s.angle):.1f} {s.x:.1f} {s.y:.1f})"' if s.angle else ""
    return (
        f'<text x="{s.x:.1f}" y="{s.y + size / 3:.1f}" text-anchor="middle" font-size="{size}" '
        f'font-weight="{"bold" if focal else "normal"}" paint-order="stroke" stroke="white" '
        f'stroke-width="6" fill="#222"{turn} data-pair="{pair}">{text}</text>'
    )


def _name_svg(name: str, x: float, y: float, size: float) -> str:
    rw, nh = _name_width(name, size), 2 * size
    return (
        f'<rect x="{x - rw / 2:.0f}" y="{y - nh / 2:.0f}" width="{rw:.0f}" height="{nh:.0f}" rx="{nh / 2:.0f}" '
        f'fill="#1d3557"/><text x="{x:.0f}" y="{y + size / 3:.0f}" text-anchor="middle" font-size="{size}" '
        f'font-weight="bold" fill="white">{escape(name)}</text>'
    )


def _key_entry_width(words: str, size: float) -> float:
    return 1.5 * size + 10 + 0.55 * size * len(words) + 1.2 * size


def _key_rows(key: list[Placement], words: dict, size: float, width: float):
    """The key's entries in rows that fit ``width``, and the height they add under the picture."""
    rows: list[list[Placement]] = []
    used = width
    for pl in key:
        entry = _key_entry_width(words[pl.pair], size)
        if used + entry > width:
            rows.append([])
            used = 0.0
        rows[-1].append(pl)
        used += entry
    row_h = 1.5 * size

    def at(top: float):
        return [(row, top + (k + 0.5) * row_h) for k, row in enumerate(rows)]

    return at, row_h * len(rows) + (0.3 * size if rows else 0)


def _key_mark(pl: Placement, x: float, y: float, size: float, lvl: int) -> str:
    """The badge's number, or for a pair with no badge on the picture a stroke of its line's colour."""
    if pl.number:
        return _badge_svg(pl.number, x + 0.7 * size + 2, y, size, lvl)
    thick = _stroke(lvl, False)
    return (
        f'<rect x="{x + 2:.0f}" y="{y - thick / 2:.1f}" width="{1.4 * size:.0f}" height="{thick}" '
        f'fill="{LEVEL_COLOURS[lvl]}"/>'
    )


def _key_svg(row: list[Placement], y: float, actors, words: dict, size: float, level: np.ndarray) -> str:
    parts, x = [], 0.0
    for pl in row:
        a, b = escape(actors[pl.pair[0]]), escape(actors[pl.pair[1]])
        parts.append(
            f'<g data-key-pair="{a}-{b}">{_key_mark(pl, x, y, size, int(level[pl.pair]))}'
            f'<text x="{x + 1.5 * size + 10:.0f}" y="{y + size / 3:.0f}" font-size="{size}" fill="#222">'
            f"{escape(words[pl.pair])}</text></g>"
        )
        x += _key_entry_width(words[pl.pair], size)
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
    """Alignment of each pair month by month, rungs named on y; row ``t`` of ``levels`` is the state at the end of
    run month ``t`` and its tick carries that month (``run_month_label``: row 0, before the first move, is the month
    before the start).

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
    for t in time_ticks(span, pw, font):
        parts.append(
            f'<text x="{x(t):.0f}" y="{top + ph + 1.5 * font:.0f}" text-anchor="middle" font-size="{font}" '
            f'fill="#333">{run_month_label(start, t)}</text>'
        )
    parts.append(
        f'<line x1="{x(played):.0f}" x2="{x(played):.0f}" y1="{top}" y2="{top + ph}" stroke="#999" '
        'stroke-dasharray="4 4"/>'
    )
    label_y: list[float] = []
    focal_set = set(focal) if focal is not None else None
    for k, (i, j) in enumerate(pairs):
        parts += _series_svg(levels[:, i, j], k, x, y, f"{actors[i]}-{actors[j]}", {i, j} == focal_set, font, label_y)
    parts.append("</svg>")
    return "".join(parts)


def _series_svg(series: np.ndarray, k: int, x, y, name: str, is_focal: bool, font: float, label_y: list[float]):
    """One pair's steps and its name at the right end, moved down past the names already there (``label_y``)."""
    colour = PAIR_COLOURS[k % len(PAIR_COLOURS)]
    pts = [f"{x(0):.1f},{y(series[0], k):.1f}"]
    for t in range(1, len(series)):
        pts.append(f"{x(t):.1f},{y(series[t - 1], k):.1f}")
        pts.append(f"{x(t):.1f},{y(series[t], k):.1f}")
    ly = y(series[-1], k) + font / 3
    while any(abs(ly - other) < 1.1 * font for other in label_y):
        ly += 1.1 * font
    label_y.append(ly)
    return [
        f'<polyline points="{" ".join(pts)}" fill="none" stroke="{colour}" stroke-width="{7 if is_focal else 4}"/>',
        f'<text x="{x(len(series) - 1) + 10:.0f}" y="{ly:.0f}" font-size="{font}" '
        f'font-weight="{"bold" if is_focal else "normal"}" fill="{colour}">{escape(name)}</text>',
    ]


def share_words(p: float) -> str:
    """A share as the debrief's sentences write it: whole percent, one decimal near 0 and 100% so that a share
    that is neither reads as neither (99.6%, not 100%), and 0% or 100% only when it is exactly that."""
    if p <= 0:
        return "0%"
    if p >= 1:
        return "100%"
    return f"{p:.0%}" if 0.005 <= p <= 0.995 else f"{p:.1%}"


def shares_svg(shares: dict[str, float], marked: str | None = None, title: str = "", font: float = 21) -> str:
    """Horizontal bars of shares (0-1) by label; ``marked`` is outlined (the class's own result).

    ``font`` is in viewBox units of a chart 900 wide: at 900 CSS pixels, the text's size in pixels. When the
    labels beside the bars would leave a bar less than 40% of the width (large type on a projector), each label
    goes above its bar instead, so that a share's bar keeps its length and the type its size.
    """
    k = font / 21
    w = 900
    label_w = max(220 * k, 0.56 * font * max((len(lb) for lb in shares), default=8) + 10)
    text_w = 0.56 * font * len("99.6% (the class)")
    stacked = w - label_w - 10 - text_w - 20 < 0.4 * w
    bar_x = 0 if stacked else label_w + 10
    bar_w = w - bar_x - text_w - 20
    row_h = 44 * k + (1.2 * font if stacked else 0)
    top = 40 * k if title else 6
    h = top + row_h * len(shares)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h:.0f}" width="100%" role="img" '
        f'aria-label="{escape(title)}" style="font-family: sans-serif">'
    ]
    if title:
        parts.append(
            f'<text x="0" y="{24 * k:.0f}" font-size="{font * 22 / 21:.0f}" font-weight="bold">{escape(title)}</text>'
        )
    for n, (label, share) in enumerate(shares.items()):
        yy = top + n * row_h
        bar_y = yy + (1.2 * font if stacked else 0)  # the bar's row: below its label when stacked
        bw = bar_w * max(0.0, min(1.0, share))
        outline = ' stroke="#000" stroke-width="4"' if label == marked else ""
        parts.append(
            f'<text x="0" y="{yy + font:.0f}" font-size="{font}">{escape(label)}</text>'
            if stacked
            else f'<text x="{label_w:.0f}" y="{yy + 0.64 * row_h:.0f}" text-anchor="end" font-size="{font}">'
            f"{escape(label)}</text>"
        )
        parts.append(
            f'<rect x="{bar_x:.0f}" y="{bar_y + 0.14 * 44 * k:.0f}" width="{bw:.0f}" height="{0.68 * 44 * k:.0f}" '
            f'fill="#1f6fb2"{outline}/>'
        )
        parts.append(
            f'<text x="{bar_x + 10 + bw:.0f}" y="{bar_y + 0.66 * 44 * k:.0f}" font-size="{font}">{share_words(share)}'
            f"{' (the class)' if label == marked else ''}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
