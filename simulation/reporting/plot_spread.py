"""The spread of a probability across posterior draws, cell by cell: the flagship's per-draw figure."""

from __future__ import annotations

import textwrap

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulation.core.errors import InputError
from simulation.core.spread import LIKELY, RARE, per_draw, spread_of
from simulation.reporting.plot_data import _filter
from simulation.reporting.plot_style import (
    OKABE_ITO,
    SLIDE_STYLE,
    _capital,
    _check_entries,
    _footer,
    _value_text,
    new_figure,
)
from simulation.reporting.plot_words import _fixed_and_pooled, factors_of, human_label, outcome_words, scope_words


def per_draw_probabilities(
    df: pd.DataFrame,
    x: str,
    hue: str | None = None,
    outcome: str = "alliance_reached",
    fix: dict[str, float] | None = None,
    values: list[float] | None = None,
    manifest: dict | None = None,
) -> Figure:
    """The distribution of the per-draw probabilities of ``outcome`` at chosen cells.

    Per value of ``x`` (and of ``hue``, side by side): a histogram of the posterior draws' probabilities
    (each draw: the share of its runs where the outcome happened) drawn sideways, its bars as wide as the
    share of draws in them; with the pooled value (diamond), the per-draw median (bar) and, above, the
    shares of draws below 0.05 and above 0.5.

    Parameters
    ----------
    df : pandas.DataFrame
        Posterior-predictive results, one row per run, with a ``draw`` column.
    x : str
        The column along the axis.
    hue : str, optional
        One histogram per value of this column, side by side.
    outcome : str, optional
        A yes/no outcome column.
    fix : dict of str to float, optional
        Columns held at one value (the other runs are left out).
    values : list of float, optional
        The values of ``x`` to show; default: all.
    manifest : dict, optional
        The sweep's manifest: the words for its columns, the focal pair, months and parameters.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not saved; see ``save``).

    Raises
    ------
    InputError
        When the runs record no posterior draw.
    """
    if "draw" not in df.columns:
        raise InputError(None, "draw", "these runs record no posterior draw: nothing to show per draw")
    data = _filter(df, fix)
    xs = sorted(pd.unique(data[x])) if values is None else list(values)
    hues = [None] if hue is None else sorted(pd.unique(data[hue]))
    _check_entries(len(hues), hue or "--hue")
    width = 0.84 / len(hues)
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((max(10.0, 1.25 * len(xs) * len(hues) + 2.5), 7.0))
        reps, handles = [], []
        for k, hv in enumerate(hues):
            colour = OKABE_ITO[k % len(OKABE_ITO)]
            for i, xv in enumerate(xs):
                cell = data[np.isclose(data[x].astype(float), float(xv))]
                if hv is not None:
                    cell = cell[cell[hue] == hv]
                if cell.empty:
                    continue
                centre = i + (k - (len(hues) - 1) / 2) * width
                reps.append(_draw_cell(ax, cell[outcome].astype(float), cell["draw"], centre, width, colour))
            if hv is not None:
                handles.append(mpl.patches.Patch(color=colour, alpha=0.75,
                                                  label=f"{human_label(hue, manifest)} = {_value_text(hv)}"))  # fmt: skip
        _per_draw_axes(ax, xs, x, outcome, manifest)
        handles += [Line2D([], [], marker="D", color="black", markerfacecolor="white", ls="", label="pooled over runs"),
                    Line2D([], [], color="black", lw=2, label="median draw")]  # fmt: skip
        ax.legend(handles=handles, frameon=False, loc="upper left", bbox_to_anchor=(0.0, -0.12), ncol=2, fontsize=11)
        rect = _footer(fig, _per_draw_footer(data, [x] + ([hue] if hue else []), reps, manifest))
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


def _draw_cell(ax, y: pd.Series, draw: pd.Series, centre: float, width: float, colour: str) -> float:
    """One cell's sideways histogram of per-draw probabilities at ``centre``, with its median draw (bar), pooled
    value (diamond) and, above, the shares of draws below ``RARE`` and above ``LIKELY``; returns its runs per
    draw."""
    edges = np.linspace(-0.05, 1.05, 12)  # 11 bins of 0.1 centred on 0, 0.1, ..., 1
    table = per_draw(y, draw)
    sp = spread_of(y, draw)
    share, _ = np.histogram(table["p"], bins=edges, weights=table["runs"] / table["runs"].sum())
    mids = (edges[:-1] + edges[1:]) / 2
    half = 0.46 * width * share  # a bar with every draw in it spans the strip
    ax.barh(mids, 2 * half, left=centre - half, height=0.085, color=colour, alpha=0.75, lw=0)
    ax.plot([centre - 0.45 * width, centre + 0.45 * width], [sp.median] * 2, color="black", lw=2)
    ax.scatter([centre], [sp.pooled], marker="D", s=55, color="white", edgecolor="black", zorder=3)
    ax.text(centre, 1.07, f"{sp.share_below:.0%}\n{sp.share_above:.0%}", ha="center", va="bottom",
            fontsize=10, color=colour)  # fmt: skip
    return sp.runs_per_draw


def _per_draw_footer(data: pd.DataFrame, shown: list[str], reps: list[float], manifest: dict | None) -> list[str]:
    """The per-draw figure's footer: scope and fixed values, then how many draws and runs each cell rests on."""
    fixed, _ = _fixed_and_pooled(data, shown, factors_of(manifest), manifest)
    each = f"{min(reps):g}" if reps and min(reps) == max(reps) else f"{min(reps or [0]):g}-{max(reps or [0]):g}"
    draws = int(data["draw"].nunique())
    return [
        _capital(scope_words(manifest)) + ("; with " + ", ".join(fixed) if fixed else ""),
        f"{draws} posterior draws x {each} runs per cell: a draw's probability is a share of {each} runs, so it "
        f"carries run-to-run chance; above each histogram: the share of draws with P < {RARE:g} (top) and with "
        f"P > {LIKELY:g} (below it); dotted lines at {RARE:g} and {LIKELY:g}",
    ]


def _per_draw_axes(ax, xs: list, x: str, outcome: str, manifest: dict | None) -> None:
    """The per-draw figure's axes: one strip per value of ``x``, probabilities 0-1 with dotted lines at ``RARE``
    and ``LIKELY``, and the title."""
    ax.set_xticks(range(len(xs)), [_value_text(float(v)) for v in xs])
    ax.set_xlim(-0.6, len(xs) - 0.4)
    ax.set_xlabel(human_label(x, manifest))
    ax.set_ylabel("Probability in one posterior draw")
    ax.set_ylim(-0.07, 1.2)
    ax.set_yticks(np.linspace(0, 1, 6))
    for level in (RARE, LIKELY):
        ax.axhline(level, color="#999999", lw=0.8, ls=":")
    ax.grid(axis="y", alpha=0.25)
    ax.set_title(
        "\n".join(textwrap.wrap(f"{_capital(outcome_words(outcome, manifest, per_point=True))}: how it varies "
                                 "across posterior draws (bar width: share of draws)", 70, break_on_hyphens=False)), fontsize=13)  # fmt: skip
