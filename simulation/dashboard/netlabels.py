"""Where the network picture's labels go: every pair's label sits on no other line, no crossing, no other
label and no name.

Each pair's spots, most readable first: its level written across its own line, on it or beside it;
then written along its line, at many positions between the crossings. The pair with the fewest clean
spots left takes its most readable one first, until no pair has a clean spot. Each pair left gets a
numbered badge on its own line, with the words in a key under the picture; a pair whose badge finds
no clean spot either is still in the key, named in words. Shapes are rectangles turned by an angle;
the tests are vectorised over every spot of every pair at once (5-20 ms of CPU for a picture of five
or six countries, ``experiments/network_labels.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Room kept between a label and another label or a name.
GAP = 3.0
#: Room kept between a label's box (which has room of its own above and below the letters) and another
#: line's edge (its half width from its centre).
LINE_GAP = 1.0
#: Positions along a line (share of the way from its first end) for a label across it, nearest the middle first.
ACROSS_AT = (0.5, 0.45, 0.55, 0.4, 0.6, 0.35, 0.65, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8)
#: Offsets beside the line, in label heights: on it first, then either side, then farther.
ACROSS_BESIDE = (0.0, 0.7, -0.7, 1.2, -1.2)
#: Positions for a label written along its line: every 2.5% from the middle out to 12% from the ends.
ALONG_AT = tuple(sorted((round(0.12 + 0.025 * k, 3) for k in range(31)), key=lambda f: (abs(f - 0.5), f)))
ALONG_BESIDE = (0.0, 0.62, -0.62)


@dataclass(frozen=True)
class Shape:
    """A rectangle centred at (x, y), ``half_w`` by ``half_h`` before turning by ``angle`` radians."""

    x: float
    y: float
    half_w: float
    half_h: float
    angle: float = 0.0


@dataclass(frozen=True)
class Placement:
    """A pair's label: ``kind`` "across" (level text), "along" (turned with its line), "badge" (a number on
    the line, words in the key) or "key" (words in the key only); ``number``: the badge's number, else 0."""

    pair: tuple[int, int]
    kind: str
    shape: Shape | None
    number: int = 0


def _array(shapes: list[Shape]) -> np.ndarray:
    return np.array([(s.x, s.y, s.half_w, s.half_h, s.angle) for s in shapes], dtype=float).reshape(-1, 5)


def _parts(arr: np.ndarray) -> dict[str, np.ndarray]:
    return {"x": arr[:, 0], "y": arr[:, 1], "hw": arr[:, 2], "hh": arr[:, 3], "c": np.cos(arr[:, 4]),
            "s": np.sin(arr[:, 4])}  # fmt: skip


def segments_hit(cands: np.ndarray, segments: np.ndarray, margins: np.ndarray) -> np.ndarray:
    """For each candidate (rows of x, y, half_w, half_h, angle), whether any segment (x1, y1, x2, y2) comes
    within its margin of it (Liang-Barsky clipping in the candidate's own frame)."""
    if not len(segments) or not len(cands):
        return np.zeros(len(cands), dtype=bool)
    col = {name: v[:, None] for name, v in _parts(cands).items()}

    def local(px, py):
        dx, dy = px[None, :] - col["x"], py[None, :] - col["y"]
        return dx * col["c"] + dy * col["s"], -dx * col["s"] + dy * col["c"]

    (ax, ay), (bx, by) = local(segments[:, 0], segments[:, 1]), local(segments[:, 2], segments[:, 3])
    ex, ey = col["hw"] + margins[None, :], col["hh"] + margins[None, :]
    dx, dy = bx - ax, by - ay
    lo, hi = np.zeros_like(ax), np.ones_like(ax)
    outside = np.zeros(ax.shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, ax + ex), (dx, ex - ax), (-dy, ay + ey), (dy, ey - ay)):
            flat = p == 0
            outside |= flat & (q < 0)
            r = q / np.where(flat, 1.0, p)
            lo = np.where(~flat & (p < 0), np.maximum(lo, r), lo)
            hi = np.where(~flat & (p > 0), np.minimum(hi, r), hi)
    return (~outside & (lo <= hi)).any(axis=1)


def shapes_overlap(cands: np.ndarray, others: np.ndarray, gap: float = GAP) -> np.ndarray:
    """For each candidate, whether it comes within ``gap`` of any of ``others`` (separating axes)."""
    if not len(others) or not len(cands):
        return np.zeros(len(cands), dtype=bool)
    a = {n: v[:, None] for n, v in _parts(cands).items()}
    b = {n: v[None, :] for n, v in _parts(others).items()}
    cx, cy = b["x"] - a["x"], b["y"] - a["y"]
    separated = np.zeros((len(cands), len(others)), dtype=bool)
    for ux, uy in ((a["c"], a["s"]), (-a["s"], a["c"]), (b["c"], b["s"]), (-b["s"], b["c"])):
        reach_a = a["hw"] * np.abs(a["c"] * ux + a["s"] * uy) + a["hh"] * np.abs(-a["s"] * ux + a["c"] * uy)
        reach_b = b["hw"] * np.abs(b["c"] * ux + b["s"] * uy) + b["hh"] * np.abs(-b["s"] * ux + b["c"] * uy)
        separated |= np.abs(cx * ux + cy * uy) > reach_a + reach_b + gap
    return (~separated).any(axis=1)


def inside(cands: np.ndarray, width: float, height: float) -> np.ndarray:
    """For each candidate, whether its four corners lie in the picture."""
    k = _parts(cands)
    reach_x = k["hw"] * np.abs(k["c"]) + k["hh"] * np.abs(k["s"])
    reach_y = k["hw"] * np.abs(k["s"]) + k["hh"] * np.abs(k["c"])
    return (k["x"] >= reach_x) & (k["x"] <= width - reach_x) & (k["y"] >= reach_y) & (k["y"] <= height - reach_y)


def _spots(seg, half_w: float, half_h: float, turned: bool, at, beside, step: float) -> np.ndarray:
    x1, y1, x2, y2 = seg
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    nx, ny = -(y2 - y1) / length, (x2 - x1) / length
    angle = 0.0
    if turned:  # along the line, never upside down
        angle = math.atan2(y2 - y1, x2 - x1)
        angle = angle - math.pi if angle > math.pi / 2 else angle + math.pi if angle <= -math.pi / 2 else angle
    k, f = (np.repeat(beside, len(at)), np.tile(at, len(beside)))
    out = np.empty((len(k), 5))
    out[:, 0], out[:, 1] = x1 + f * (x2 - x1) + k * step * nx, y1 + f * (y2 - y1) + k * step * ny
    out[:, 2], out[:, 3], out[:, 4] = half_w, half_h, angle
    return out


def _shape(row: np.ndarray) -> Shape:
    return Shape(*(float(v) for v in row))


def place_labels(
    segments: dict[tuple[int, int], tuple[float, float, float, float]],
    widths: dict[tuple[int, int], float],
    sizes: dict[tuple[int, int], tuple[float, float]],
    names: list[Shape],
    canvas: tuple[float, float],
    badge: float,
) -> list[Placement]:
    """A placement for every pair in ``segments`` (in that order).

    ``widths``: each line's stroke width; ``sizes``: each pair's label (width, height); ``names``: the
    countries' boxes; ``canvas``: (width, height); ``badge``: the side of a numbered badge. The pair with
    the fewest clean spots left is placed first, at its most readable one; then badges for the rest.
    """
    pairs = list(segments)
    seg = np.array([segments[p] for p in pairs], dtype=float)
    margin = np.array([widths[p] / 2 + LINE_GAP for p in pairs])
    name_arr = _array(names)

    def clean(p: tuple[int, int], cands: np.ndarray) -> np.ndarray:
        others = np.array([q != p for q in pairs])
        return (
            inside(cands, *canvas)
            & ~segments_hit(cands, seg[others], margin[others])
            & ~shapes_overlap(cands, name_arr)
        )

    rows, owner, along = [], [], []
    for n, p in enumerate(pairs):
        w, h = sizes[p]
        across = _spots(segments[p], w / 2, h / 2, False, ACROSS_AT, ACROSS_BESIDE, h)
        turned = _spots(segments[p], w / 2, h / 2, True, ALONG_AT, ALONG_BESIDE, h)
        rows += [across, turned]
        owner += [n] * (len(across) + len(turned))
        along += [False] * len(across) + [True] * len(turned)
    cands, owner, along = np.vstack(rows), np.array(owner), np.array(along)
    ok = np.concatenate([clean(p, cands[owner == n]) for n, p in enumerate(pairs)])
    chosen: dict[tuple[int, int], Placement] = {}
    while ok.any():
        counts = np.bincount(owner[ok], minlength=len(pairs)).astype(float)
        counts[counts == 0] = np.inf
        n = int(np.argmin(counts))  # the pair with the fewest clean spots left, at its most readable one
        k = int(np.flatnonzero(ok & (owner == n))[0])
        chosen[pairs[n]] = Placement(pairs[n], "along" if along[k] else "across", _shape(cands[k]))
        ok[owner == n] = False
        ok[ok] = ~shapes_overlap(cands[ok], cands[k : k + 1])
    taken = np.vstack([name_arr, *(_array([pl.shape]) for pl in chosen.values())])
    for p in pairs:
        if p in chosen:
            continue
        badges = _spots(segments[p], badge / 2, badge / 2, False, ALONG_AT, (0.0,), badge)
        good = clean(p, badges) & ~shapes_overlap(badges, taken)
        if good.any():
            k = int(np.argmax(good))
            chosen[p] = Placement(p, "badge", _shape(badges[k]))
            taken = np.vstack([taken, badges[k : k + 1]])
    badged = [p for p in pairs if p in chosen and chosen[p].kind == "badge"]
    for number, p in enumerate(badged, start=1):
        chosen[p] = Placement(p, "badge", chosen[p].shape, number)
    return [chosen.get(p, Placement(p, "key", None)) for p in pairs]
