"""Figures of one run: every pair's alignment month by month, and the actors as a network at one month."""

from __future__ import annotations

import matplotlib as mpl
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL
from simulation.reporting.plot_style import (
    LEVEL_COLOURS,
    LINE_STYLES,
    OKABE_ITO,
    SLIDE_STYLE,
    _check_entries,
    _footer,
    _month_ticks,
    new_figure,
)
from simulation.reporting.plot_words import pair_words


def alignment_over_time(
    trajectories: pd.DataFrame,
    pairs: list[str],
    title: str,
    focal: str | None = None,
    actors: tuple[str, ...] | None = None,
    scope: str | None = None,
) -> Figure:
    """Alignment level of every pair of one run, month by month.

    The ``focal`` pair is drawn thick and black; the others each in their own colour and line style, labelled
    in words ("Russia-China"). Position ``m`` on the month axis is row ``m`` of the trajectories (a run's month
    ``m``: row 0 is the state at the start), labelled with that row's calendar month (its ``date`` column,
    ``simulation.core.calendar.run_month_label``).

    Parameters
    ----------
    trajectories : pandas.DataFrame
        One row per month (0 to T) with a column per pair (the level, 0-5) and a ``date`` column (YYYY-MM).
    pairs : list of str
        The pair columns to draw (at most 12).
    title : str
        The figure's title.
    focal : str, optional
        The pair column drawn thick and black; default: the first of ``pairs``.
    actors : tuple of str, optional
        The actors' names, to spell the pairs as the scenario does.
    scope : str, optional
        A line under the figure (one run: its seed, parameters and months).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not saved; see ``save``).
    """
    focal = pairs[0] if focal is None and pairs else focal
    _check_entries(len(pairs), "pairs")
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((11.5, 6.2))
        x = np.arange(len(trajectories))
        palette = tuple(c for c in OKABE_ITO if c != "#000000")  # black is the focal pair's
        others = [p for p in pairs if p != focal]
        for pair in pairs:
            emphasis = pair == focal
            k = others.index(pair) if not emphasis else 0
            offset = 0 if emphasis else (k - len(others) / 2) * 0.025  # keep overlapping step lines apart
            ax.step(
                x,
                trajectories[pair] + offset,
                where="post",
                label=pair_words(pair, actors) + (" (focal pair)" if emphasis else ""),
                lw=3.5 if emphasis else 1.8,
                color="black" if emphasis else palette[k % len(palette)],
                ls="-" if emphasis else LINE_STYLES[(k // len(palette)) % len(LINE_STYLES)],
                zorder=3 if emphasis else 2,
            )
        ax.set_yticks(range(MAX_LEVEL + 1), [label.capitalize() for label in LEVEL_LABELS])
        ax.set_ylim(-0.3, MAX_LEVEL + 0.3)
        ax.set_title(title)
        ax.set_xlabel("Month")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        if "date" in trajectories:
            _month_ticks(ax, [str(d) for d in trajectories["date"]])
        rect = _footer(fig, [scope or ""])
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


def alignment_network(levels: np.ndarray, actors: tuple[str, ...], title: str) -> Figure:
    """The actors as a network at one month, each pair's edge coloured and widened by its alignment level.

    Parameters
    ----------
    levels : numpy.ndarray
        The actors' alignment levels (n x n, 0-5; the upper triangle is read).
    actors : tuple of str
        The actors' names, in the order of ``levels``' rows.
    title : str
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not saved; see ``save``).
    """
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((7.5, 7))
        graph = nx.Graph()
        graph.add_nodes_from(actors)
        n = len(actors)
        for i in range(n):
            for j in range(i + 1, n):
                graph.add_edge(actors[i], actors[j], level=int(levels[i, j]))
        pos = nx.circular_layout(graph)
        for level in range(MAX_LEVEL + 1):
            edges = [(u, v) for u, v, d in graph.edges(data=True) if d["level"] == level]
            if not edges:
                continue
            nx.draw_networkx_edges(
                graph,
                pos,
                edgelist=edges,
                ax=ax,
                width=1.0 + 1.6 * level,
                edge_color=LEVEL_COLOURS[level],
                style="dashed" if level == 0 else "solid",
            )
        nx.draw_networkx_nodes(graph, pos, ax=ax, node_size=2600, node_color="#fdfdfd", edgecolors="#333333")
        nx.draw_networkx_labels(graph, pos, ax=ax, font_size=13, font_weight="bold")
        handles = [
            Line2D([], [], color=LEVEL_COLOURS[k], lw=1.0 + 1.6 * k, ls="--" if k == 0 else "-")
            for k in range(MAX_LEVEL + 1)
        ]
        ax.legend(
            handles,
            [label.capitalize() for label in LEVEL_LABELS],
            loc="lower center",
            bbox_to_anchor=(0.5, -0.2),
            ncol=3,
            frameon=False,
        )
        ax.set_title(title)
        ax.set_axis_off()
        ax.margins(0.15)
        fig.tight_layout()
    return fig
