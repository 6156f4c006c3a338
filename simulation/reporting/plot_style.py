"""The figures' shared look: slide-sized lettering, the Okabe-Ito palette, the rung colours, saving as PNG and
SVG, the grey footer of scope, and month ticks in the one calendar convention (``simulation.core.calendar``).

Nothing here touches a user's matplotlib settings: no backend is chosen and no ``rcParams`` are changed
(styles apply inside ``rc_context`` only). Figures are made as ``matplotlib.figure.Figure`` objects without
pyplot, so they need no window system, display in a notebook and are freed when dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from simulation.core.errors import InputError

#: Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision
#: deficiencies; yellow is left out (too faint on white).
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")
#: At most this many legend entries (lines, groups) in one figure.
MAX_LEGEND_ENTRIES = 12
#: A swept quantity with more distinct values than this is binned.
MAX_LEVELS_UNBINNED = 12

SLIDE_STYLE = {
    "font.size": 13,
    "axes.titlesize": 15,
    "axes.labelsize": 13,
    "legend.fontsize": 11,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "alliance-sim",
}
LEVEL_COLOURS = ["#b2182b", "#bdbdbd", "#92c5de", "#4393c3", "#2166ac", "#053061"]


class TooManyEntries(InputError):
    """A figure would need more than ``MAX_LEGEND_ENTRIES`` legend entries."""


def new_figure(figsize: tuple[float, float]) -> tuple[Figure, object]:
    """A figure and its one axes, without pyplot (no backend, no global figure list)."""
    fig = Figure(figsize=figsize)
    return fig, fig.add_subplot()


def save(fig: Figure, path_stem: Path) -> list[Path]:
    """Save ``fig`` as PNG (150 dpi) and SVG next to each other; returns the paths."""
    path_stem.parent.mkdir(parents=True, exist_ok=True)
    from simulation.core.io import atomic_path

    paths = []
    for ext in ("png", "svg"):
        path = path_stem.with_suffix(f".{ext}")
        with atomic_path(path) as tmp:  # a full disk never leaves half a figure under its name
            fig.savefig(
                tmp, format=ext, dpi=150, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else None
            )
        paths.append(path)
    return paths


#: Line styles combined with the palette so that no two of up to 24 pairs look alike.
LINE_STYLES = ("-", "--", ":")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _value_text(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float | np.floating) else str(value)


def _check_entries(count: int, what: str, source: str | None = None) -> None:
    if count > MAX_LEGEND_ENTRIES:
        raise TooManyEntries(
            source,
            what,
            f"{count} legend entries (more than {MAX_LEGEND_ENTRIES}); choose a column with fewer "
            "values, or fix one with --fix COLUMN=VALUE",
        )


def _footer(fig: Figure, lines: list[str]) -> float:
    """Grey lines of scope under a figure; returns the share of the height they take."""
    text = "\n".join(line for line in lines if line)
    if not text:
        return 0.0
    fig.text(0.01, 0.005, text, fontsize=9.5, color="#444444", va="bottom", wrap=True)
    return 0.025 + 0.028 * text.count("\n")


def _month_words(start: str, step: int) -> str:
    """'Dec 2021' for month ``step`` after ``start`` (YYYY-MM)."""
    import calendar

    from simulation.core.calendar import month_label

    year, month = month_label(start, step).split("-")
    return f"{calendar.month_abbr[int(month)]} {year}"
