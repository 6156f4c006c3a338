"""The figures' shared look: slide-sized lettering, the Okabe-Ito palette, the rung colours, saving as PNG and
SVG, the grey footer of scope, and month ticks in the one calendar convention (``simulation.core.calendar``).

Nothing here touches a user's matplotlib settings: no backend is chosen and no ``rcParams`` are changed
(styles apply inside ``rc_context`` only). Figures are made as ``matplotlib.figure.Figure`` objects without
pyplot, so they need no window system, display in a notebook and are freed when dropped.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from simulation.core.calendar import month_label, month_words, run_month_label
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
    """A figure would need more than ``MAX_LEGEND_ENTRIES`` legend entries (refused with one line).

    Parameters
    ----------
    source : str or pathlib.Path or None
        The file the figure was asked of, if any.
    field : str or None
        The option or column with too many values.
    message : str
        What is wrong and what to do instead.
    """


def new_figure(figsize: tuple[float, float]) -> tuple[Figure, object]:
    """A figure and its one axes, without pyplot (no backend, no global figure list).

    Parameters
    ----------
    figsize : tuple of float
        Width and height in inches.

    Returns
    -------
    tuple of (matplotlib.figure.Figure, matplotlib.axes.Axes)
        The figure and its axes.
    """
    fig = Figure(figsize=figsize)
    return fig, fig.add_subplot()


def save(fig: Figure, path_stem: Path) -> list[Path]:
    """Save a figure as PNG (150 dpi) and SVG next to each other, each written whole or not at all.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path_stem : pathlib.Path
        The path without its suffix; its folder is made when missing.

    Returns
    -------
    list of pathlib.Path
        The PNG's and the SVG's paths.
    """
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


#: The footer's lettering (points) and how many of its characters fit in an inch of figure width (DejaVu Sans,
#: with a margin): the footer is wrapped here, so its height is known before the layout leaves room for it.
FOOTER_SIZE, FOOTER_CHARS_PER_INCH = 9.5, 13.5


def _footer(fig: Figure, lines: list[str]) -> float:
    """Grey lines of scope under a figure, wrapped to its width; returns the share of the height they take."""
    width = int(fig.get_figwidth() * FOOTER_CHARS_PER_INCH)
    wrapped = [part for line in lines if line for part in textwrap.wrap(line, width, break_on_hyphens=False)]
    if not wrapped:
        return 0.0
    fig.text(0.01, 0.005, "\n".join(wrapped), fontsize=FOOTER_SIZE, color="#444444", va="bottom")
    line_height = FOOTER_SIZE * 1.3 / 72 / fig.get_figheight()  # points to a share of the height
    return 0.012 + line_height * len(wrapped)


def _month_words(start: str, step: int) -> str:
    """'Dec 2021' for step ``step`` (0-based) of a run starting at ``start`` (YYYY-MM)."""
    return month_words(month_label(start, step))


def _run_month_labels(start: str, last: int) -> list[str]:
    """The calendar month (YYYY-MM) of a run's months 0 to ``last`` (1-based: month ``m`` is the state at the end
    of step ``m - 1``; month 0, the state at the start, carries the month before it), as
    ``simulation.core.calendar.run_month_label`` gives them."""
    return [run_month_label(start, m) for m in range(last + 1)]


def _month_ticks(ax, labels: list[str]) -> None:
    """Ticks on a time axis whose position ``m`` is a run's month ``m`` with the calendar month ``labels[m]``
    (YYYY-MM): at months 1, 13, 25, ... (the first month of each year of the run) and at the last month
    when it is at least 6 months past the tick before it, labelled 'Jan 2018'."""
    last = len(labels) - 1
    ticks = list(range(1, last + 1, 12)) or [last]
    if last - ticks[-1] >= 6:
        ticks.append(last)
    ax.set_xticks(ticks, [month_words(labels[m]) for m in ticks])
