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
        fig.autofmt_xdate()
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


# --------------------------------------------------------------------------- sweep figures


def _factor_columns(df: pd.DataFrame, manifest: dict) -> list[str]:
    return list(manifest.get("design", {}).get("factors", []))


def alliance_probability(df: pd.DataFrame, x: str, hue: str | None = None, outcome: str = "rc_alliance",
                         fix: dict[str, float] | None = None) -> plt.Figure:
    """Probability of a Russia-China alliance against ``x`` with Wilson 95% intervals,
    one line per value of ``hue``; other factors are averaged over unless fixed in ``fix``."""
    from .stats import wilson_interval

    data = df
    for col, value in (fix or {}).items():
        data = data[np.isclose(data[col], value)]
    keys = [x] + ([hue] if hue else [])
    grouped = data.groupby(keys)[outcome].agg(["sum", "count"]).reset_index()
    with plt.rc_context(SLIDE_STYLE):
        fig, ax = plt.subplots(figsize=(9, 6))
        series = [(None, grouped)] if hue is None else list(grouped.groupby(hue))
        cmap = plt.get_cmap("viridis", max(len(series), 2))
        for k, (value, g) in enumerate(series):
            lo, hi = wilson_interval(g["sum"].to_numpy(), g["count"].to_numpy())
            p = g["sum"] / g["count"]
            label = None if hue is None else f"{hue} = {value:g}"
            colour = cmap(k) if hue is not None else "black"
            ax.plot(g[x], p, marker="o", color=colour, label=label, lw=2)
            ax.fill_between(g[x], lo, hi, color=colour, alpha=0.18, lw=0)
        ax.set_xlabel(x.replace("_", " "))
        ax.set_ylabel("P(Russia-China formal alliance)")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        n = int(grouped["count"].min()) if len(grouped) else 0
        ax.set_title(f"Alliance probability (bands: Wilson 95%, at least {n} runs per point)")
        if hue is not None:
            ax.legend(frameon=False)
        fig.tight_layout()
    return fig


def alliance_heatmap(df: pd.DataFrame, x: str, y: str, outcome: str = "rc_alliance",
                     fix: dict[str, float] | None = None) -> plt.Figure:
    """Mean of ``outcome`` over a grid of two swept quantities."""
    data = df
    for col, value in (fix or {}).items():
        data = data[np.isclose(data[col], value)]
    table = data.pivot_table(index=y, columns=x, values=outcome, aggfunc="mean")
    with plt.rc_context(SLIDE_STYLE):
        fig, ax = plt.subplots(figsize=(8.5, 7))
        im = ax.imshow(table.to_numpy(), origin="lower", cmap="magma", vmin=0,
                       vmax=1 if outcome == "rc_alliance" else None, aspect="auto")
        ax.set_xticks(range(len(table.columns)), [f"{v:g}" for v in table.columns], rotation=45)
        ax.set_yticks(range(len(table.index)), [f"{v:g}" for v in table.index])
        ax.set_xlabel(x.replace("_", " "))
        ax.set_ylabel(y.replace("_", " "))
        label = "P(alliance)" if outcome == "rc_alliance" else outcome
        fig.colorbar(im, ax=ax, label=label)
        fixed = ", ".join(f"{k} = {v:g}" for k, v in (fix or {}).items())
        ax.set_title(f"{label}" + (f" ({fixed})" if fixed else ""))
        fig.tight_layout()
    return fig


def time_to_alliance(df: pd.DataFrame, by: str | None = None, start: str | None = None) -> plt.Figure:
    """Histogram of the month a formal alliance was signed (runs with an alliance only)."""
    data = df[df["rc_alliance_step"] >= 0]
    with plt.rc_context(SLIDE_STYLE):
        fig, ax = plt.subplots(figsize=(9, 6))
        if data.empty:
            ax.text(0.5, 0.5, "no run reached a formal alliance", ha="center", transform=ax.transAxes)
        else:
            bins = np.arange(0, int(data["rc_alliance_step"].max()) + 3) - 0.5
            groups = [(None, data)] if by is None else list(data.groupby(by))
            for value, g in groups:
                ax.hist(g["rc_alliance_step"], bins=bins, alpha=0.55,
                        label=None if by is None else f"{by} = {value:g}", density=False)
            if by is not None:
                ax.legend(frameon=False)
        ax.set_xlabel("Month the alliance was signed" + (f" (0 = {start})" if start else ""))
        ax.set_ylabel("Runs")
        share = len(data) / max(len(df), 1)
        ax.set_title(f"Time to alliance ({len(data)} of {len(df)} runs, {share:.1%})")
        fig.tight_layout()
    return fig


def final_alignment(df: pd.DataFrame, by: str) -> plt.Figure:
    """Distribution of the final Russia-China level across runs, for each value of ``by``."""
    shares = df.groupby(by)["rc_final_level"].value_counts(normalize=True).unstack(fill_value=0)
    shares = shares.reindex(columns=range(MAX_LEVEL + 1), fill_value=0)
    with plt.rc_context(SLIDE_STYLE):
        fig, ax = plt.subplots(figsize=(9, 6))
        bottom = np.zeros(len(shares))
        xs = np.arange(len(shares))
        for level in range(MAX_LEVEL + 1):
            ax.bar(xs, shares[level], bottom=bottom, color=LEVEL_COLOURS[level],
                   label=LEVEL_LABELS[level].capitalize(), width=0.85)
            bottom += shares[level].to_numpy()
        ax.set_xticks(xs, [f"{v:g}" for v in shares.index], rotation=45 if len(xs) > 8 else 0)
        ax.set_xlabel(by.replace("_", " "))
        ax.set_ylabel("Share of runs")
        ax.set_title("Final Russia-China alignment")
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        fig.tight_layout()
    return fig


def fan_chart(df: pd.DataFrame, by: str | None = None, values: list[float] | None = None) -> plt.Figure:
    """Median and 10-90% / 25-75% bands of the Russia-China level over time, across replicates."""
    if "rc_trajectory" not in df:
        raise ValueError("the results hold no trajectories (add rc_trajectory to the sweep's outcomes)")
    groups = [(None, df)] if by is None else [(v, df[np.isclose(df[by], v)]) for v in (values or sorted(df[by].unique()))]
    with plt.rc_context(SLIDE_STYLE):
        fig, ax = plt.subplots(figsize=(10, 6))
        cmap = plt.get_cmap("plasma", max(len(groups) + 1, 2))
        for k, (value, g) in enumerate(groups):
            traj = np.stack(g["rc_trajectory"].to_numpy()).astype(float)
            t = np.arange(traj.shape[1])
            q10, q25, q50, q75, q90 = np.percentile(traj, [10, 25, 50, 75, 90], axis=0)
            mean = traj.mean(axis=0)
            colour = cmap(k)
            ax.fill_between(t, q10, q90, color=colour, alpha=0.12, lw=0)
            ax.fill_between(t, q25, q75, color=colour, alpha=0.25, lw=0)
            ax.plot(t, mean, color=colour, lw=2.5, label="mean" if by is None else f"{by} = {value:g} (mean)")
            ax.plot(t, q50, color=colour, lw=1, ls="--")
        ax.set_yticks(range(MAX_LEVEL + 1), [label.capitalize() for label in LEVEL_LABELS])
        ax.set_xlabel("Month")
        ax.set_title("Russia-China alignment across replicates (bands: 10-90% and 25-75%)")
        ax.legend(frameon=False, loc="lower right")
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
    return fig
