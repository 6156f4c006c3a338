"""The network picture's labels: every pair has a label that sits on no other line (so on no crossing), on no
other label and on no name, or a numbered entry in the key under the picture.

Checked on the drawn SVG, independently of the placement's own geometry: each label's box (its text's
width at 0.55 of the font size per character, 1.25 font sizes tall, turned as the SVG turns it) against
points every 2 units along every other line, widened by that line's half stroke width; the badges (circles)
likewise; boxes against each other and against the countries' name plates. Over the 5-country baseline and
the 6-country scenario with Japan month by month, and random level states, at the projector's sizes and
the explorer's.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

from simulation.dashboard import charts
from simulation.drivers.model import AllianceModel
from tests.conftest import scenario

PROJECTOR = {"label_size": 30, "name_size": 40, "short_labels": True}
EXPLORER = {"label_size": 21, "name_size": 28, "short_labels": False}
LINE = re.compile(
    r'<line x1="(\S+)" y1="(\S+)" x2="(\S+)" y2="(\S+)" stroke="[^"]+" stroke-width="(\S+)"[^>]*><title>([^:]+):'
)
LABEL = re.compile(
    r'<text x="(\S+)" y="(\S+)" text-anchor="middle" font-size="(\S+)"[^>]*?'
    r'(?: transform="rotate\((\S+) \S+ \S+\)")? data-pair="([^"]+)">([^<]+)<'
)
BADGE = re.compile(r'<g data-badge-pair="([^"]+)"><circle cx="(\S+)" cy="(\S+)" r="(\S+)"')
KEY = re.compile(r'<g data-key-pair="([^"]+)">')
NAME = re.compile(r'<rect x="(\S+)" y="(\S+)" width="(\S+)" height="(\S+)" rx="\S+" fill="#1d3557"/>')


def corners(cx, cy, hw, hh, degrees):
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return [
        (cx + a * hw * c - b * hh * s, cy + a * hw * s + b * hh * c) for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    ]


def inside_box(px, py, box, pad):
    cx, cy, hw, hh, degrees = box
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    dx, dy = px - cx, py - cy
    return abs(dx * c + dy * s) <= hw + pad and abs(-dx * s + dy * c) <= hh + pad


def separated(a, b):
    """Whether two turned boxes are apart (separating axes)."""
    pa, pb = corners(*a), corners(*b)
    for box in (a, b):
        for d in (box[4], box[4] + 90):
            ux, uy = math.cos(math.radians(d)), math.sin(math.radians(d))
            ra = [x * ux + y * uy for x, y in pa]
            rb = [x * ux + y * uy for x, y in pb]
            if max(ra) <= min(rb) or max(rb) <= min(ra):
                return True
    return False


def problems(svg: str, actors) -> list[str]:
    """What is wrong with the picture's labels: a label, badge or name on another line, boxes that overlap,
    a pair with neither a label nor a key entry."""
    lines = {m[5].replace(" - ", "-"): (*map(float, m[:5]),) for m in LINE.findall(svg)}
    boxes, out = {}, []
    for x, y, size, turn, pair, text in LABEL.findall(svg):
        size = float(size)
        boxes[("label", pair)] = (float(x), float(y) - size / 3, (0.55 * size * len(text) + 8) / 2, 0.625 * size,
                                  float(turn or 0))  # fmt: skip
    for pair, cx, cy, r in BADGE.findall(svg):
        boxes[("badge", pair)] = (float(cx), float(cy), float(r), float(r), 0.0)
    keyed = KEY.findall(svg)
    for (kind, pair), box in boxes.items():
        for other, (x1, y1, x2, y2, width) in lines.items():
            if other == pair:
                continue
            steps = int(math.hypot(x2 - x1, y2 - y1) / 2) + 1
            if any(inside_box(x1 + t / steps * (x2 - x1), y1 + t / steps * (y2 - y1), box, width / 2)
                   for t in range(steps + 1)):  # fmt: skip
                out.append(f"{kind} of {pair} on the line {other}")
    for x, y, w, h in NAME.findall(svg):
        name = (float(x) + float(w) / 2, float(y) + float(h) / 2, float(w) / 2, float(h) / 2, 0.0)
        out += [f"{k} of {p} on a name" for (k, p), box in boxes.items() if not separated(box, name)]
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        if not separated(box_a, box_b):
            out.append(f"{a} and {b} overlap")
    labelled = {p for k, p in boxes if k == "label"}
    for pair in lines:
        if (pair in labelled) + (pair in keyed) != 1:
            out.append(f"{pair}: {'no label and no key entry' if pair not in labelled else 'a label and a key entry'}")
    assert len(lines) == len(actors) * (len(actors) - 1) // 2
    return out


def states(name: str, months: int):
    model = AllianceModel(scenario(name), seed=0)
    yield model.level.copy()
    for _ in range(months):
        model.step()
        yield model.level.copy()


@pytest.mark.parametrize("sizes", [PROJECTOR, EXPLORER], ids=["projector", "explorer"])
@pytest.mark.parametrize("name", ["baseline_2018_2021", "baseline_with_japan"])
def test_every_pair_is_labelled_clear_of_other_lines_or_in_the_key_month_by_month(name, sizes):
    actors = tuple(scenario(name).actors)
    for month, level in enumerate(states(name, 24)):
        svg = charts.network_svg(level, actors, ("Russia", "China"), **sizes)
        assert problems(svg, actors) == [], f"{name}, month {month}"


@pytest.mark.parametrize("sizes", [PROJECTOR, EXPLORER], ids=["projector", "explorer"])
@pytest.mark.parametrize("n", [5, 6])
def test_every_pair_is_labelled_clear_of_other_lines_or_in_the_key_in_random_states(n, sizes):
    rng = np.random.default_rng(11)
    actors = ("Russia", "China", "US", "India", "EU", "Japan")[:n]
    keyed = 0
    for _ in range(25):
        upper = np.triu(rng.integers(0, 6, (n, n)), 1)
        svg = charts.network_svg(upper + upper.T, actors, ("Russia", "China"), **sizes)
        assert problems(svg, actors) == []
        keyed += len(KEY.findall(svg))
    # five countries: nearly every pair labelled on its line; six: the key carries the crowded middle
    assert keyed / (25 * n * (n - 1) / 2) < (0.15 if n == 5 else 0.6)


def test_the_checker_sees_a_label_on_another_line():
    """The check above can fail: a label moved onto a crossing, and a pair with its label removed."""
    actors = ("Russia", "China", "US", "India", "EU")
    level = np.full((5, 5), 2)
    svg = charts.network_svg(level, actors, ("Russia", "China"), **PROJECTOR)
    assert problems(svg, actors) == []
    x, y, _, _, pair, _ = LABEL.findall(svg)[0]
    x1, y1, x2, y2, *_ = next(m for m in LINE.findall(svg) if m[5].replace(" - ", "-") != pair)
    middle = f'<text x="{(float(x1) + float(x2)) / 2}" y="{(float(y1) + float(y2)) / 2}"'  # on another line
    moved = svg.replace(f'<text x="{x}" y="{y}"', middle, 1)
    assert any("on the line" in p for p in problems(moved, actors))
    dropped = re.sub(r"<text [^>]*data-pair=[^>]*>[^<]*</text>", "", svg, count=1)
    assert any("no label and no key entry" in p for p in problems(dropped, actors))
