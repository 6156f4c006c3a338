"""Figures with matplotlib, sized and lettered to be read on a slide; saved as PNG and SVG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, not windows; set before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .state import LEVEL_LABELS, MAX_LEVEL  # noqa: E402

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


def save(fig: plt.Figure, path_stem: Path) -> list[Path]:
    """Save ``fig`` as PNG (150 dpi) and SVG next to each other; returns the paths."""
    path_stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "svg"):
        path = path_stem.with_suffix(f".{ext}")
        fig.savefig(path, dpi=150, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else None)
        paths.append(path)
    return paths


def alignment_over_time(trajectories: pd.DataFrame, pairs: list[str], title: str) -> plt.Figure:
    """Alignment level of every pair, month by month (Russia-China emphasised)."""
    with plt.rc_context(SLIDE_STYLE):
        fig, ax = plt.subplots(figsize=(11, 6))
        x = pd.to_datetime(trajectories["date"]) if "date" in trajectories else trajectories.index
        cmap = plt.get_cmap("tab10")
        for k, pair in enumerate(pairs):
            emphasis = pair in ("Russia-China", "China-Russia")
            offset = (k - len(pairs) / 2) * 0.025  # keep overlapping step lines apart
            ax.step(
                x,
                trajectories[pair] + (0 if emphasis else offset),
                where="post",
                label=pair,
                lw=3.5 if emphasis else 1.6,
                color="black" if emphasis else cmap(k % 10),
                zorder=3 if emphasis else 2,
            )
        ax.set_yticks(range(MAX_LEVEL + 1), [label.capitalize() for label in LEVEL_LABELS])
        ax.set_ylim(-0.3, MAX_LEVEL + 0.3)
        ax.set_title(title)
        ax.set_xlabel("Month")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        fig.tight_layout()
    return fig


def alignment_network(levels: np.ndarray, actors: tuple[str, ...], title: str) -> plt.Figure:
    """The actors as a network; edges coloured and widened by alignment level."""
    with plt.rc_context(SLIDE_STYLE):
        fig, ax = plt.subplots(figsize=(7.5, 7))
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
            plt.Line2D([], [], color=LEVEL_COLOURS[k], lw=1.0 + 1.6 * k, ls="--" if k == 0 else "-")
            for k in range(MAX_LEVEL + 1)
        ]
        ax.legend(handles, [label.capitalize() for label in LEVEL_LABELS], loc="lower center",
                  bbox_to_anchor=(0.5, -0.2), ncol=3, frameon=False)
        ax.set_title(title)
        ax.set_axis_off()
        ax.margins(0.15)
        fig.tight_layout()
    return fig
