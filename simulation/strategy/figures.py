"""Figures of a policy search: the trade-off (parallel coordinates, a 2-D front), convergence, and the
failures of a chosen policy (PRIM). The named policies appear, labelled, on both trade-off figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

NAMED_COLOURS = ("#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#1f77b4")


def _objective_words(o, focal: str | None = None) -> str:
    from simulation.outcomes import in_words

    stat = o.robustness.statistic
    what = o.measure.replace("_", " ") if o.cost else in_words(o.measure, focal)
    if stat == "mean":
        head = "mean over draws of"
    elif stat == "percentile":
        head = f"p{o.robustness.percentile:g} over draws of"
    elif stat == "regret":
        head = f"p{o.robustness.percentile:g} regret in"
    else:
        head = (
            f"share of draws with {o.robustness.threshold:g} {'or less' if o.direction == 'minimise' else 'or more'} of"
        )
    arrow = "lower is better" if o.minimised else "higher is better"
    return f"{head} {what} ({arrow})"


def _short(o) -> str:
    return o.column.replace("_", " ")


def tradeoff_parallel(state, evaluations: pd.DataFrame, pareto: pd.DataFrame, references: pd.DataFrame):
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from simulation.reporting.plots import SLIDE_STYLE

    objectives = state.search.spec.objectives
    cols = [o.column for o in objectives]
    every = pd.concat([evaluations[cols], references[cols]]) if not references.empty else evaluations[cols]
    low, high = every.min(), every.max()
    span = (high - low).replace(0, 1)

    def scaled(df: pd.DataFrame) -> np.ndarray:
        # each axis runs from worst (bottom) to best (top)
        z = ((df[cols] - low) / span).to_numpy()
        for k, o in enumerate(objectives):
            if o.minimised:
                z[:, k] = 1 - z[:, k]
        return z

    with mpl.rc_context(SLIDE_STYLE):
        fig = Figure(figsize=(13, 6.8))
        ax = fig.subplots()
        xs = np.arange(len(cols))
        sample = evaluations.sample(min(len(evaluations), 600), random_state=0)
        for row in scaled(sample):
            ax.plot(xs, row, color="#bbbbbb", lw=0.5, alpha=0.5, zorder=1)
        cmap = mpl.colormaps["viridis"]
        zp = scaled(pareto)
        order = np.argsort(zp[:, 0])
        for rank, i in enumerate(order):
            ax.plot(xs, zp[i], color=cmap(rank / max(len(order) - 1, 1)), lw=1.6, alpha=0.9, zorder=2)
        for k, (_, ref) in enumerate(references.iterrows()):
            z = scaled(ref.to_frame().T.astype({c: float for c in cols}))[0]
            colour = NAMED_COLOURS[k % len(NAMED_COLOURS)]
            ax.plot(xs, z, color=colour, lw=2.4, ls="--", zorder=3, label=str(ref["policy"]).replace("_", " "))
        for k, o in enumerate(objectives):
            best, worst = (low[o.column], high[o.column]) if o.minimised else (high[o.column], low[o.column])
            ax.text(k, 1.03, f"{best:.3g}", ha="center", va="bottom", fontsize=11)
            ax.text(k, -0.03, f"{worst:.3g}", ha="center", va="top", fontsize=11)
        ax.set_xticks(xs, [_short(o) for o in objectives])
        ax.set_yticks([0, 1], ["worst", "best"])
        ax.set_ylim(-0.12, 1.12)
        ax.set_xlim(-0.3, len(cols) - 0.7)
        for x in xs:
            ax.axvline(x, color="#444444", lw=0.8, zorder=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), title="named policies", frameon=False)
        ax.set_title(
            f"Trade-off: {len(pareto)} front policies (coloured by {_short(objectives[0])}) among "
            f"{len(evaluations):,} evaluated (grey)"
        )
        focal = "-".join(state.search.base.focal_pair)
        words = "; ".join(f"{_short(o)}: {_objective_words(o, focal)}" for o in objectives)
        import textwrap

        fig.text(0.01, 0.005, textwrap.fill(words, 190), fontsize=10, color="#444444")
        fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def front_axes(objectives: list, pareto: pd.DataFrame) -> tuple:
    """x: a cost if the search declares one (else the first objective); y: the other objective whose front
    values spread most; colour: the next one, if any."""
    x = next((o for o in objectives if o.cost), objectives[0])
    rest = sorted((o for o in objectives if o is not x), key=lambda o: -pareto[o.column].nunique())
    return x, rest[0], (rest[1] if len(rest) > 1 else None)


def tradeoff_front(state, evaluations: pd.DataFrame, pareto: pd.DataFrame, references: pd.DataFrame):
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from simulation.reporting.plots import SLIDE_STYLE

    objectives = state.search.spec.objectives
    a, b, c = front_axes(objectives, pareto)
    focal = "-".join(state.search.base.focal_pair)
    with mpl.rc_context(SLIDE_STYLE):
        fig = Figure(figsize=(12, 7.5))
        ax = fig.subplots()
        ax.scatter(evaluations[a.column], evaluations[b.column], s=8, color="#bbbbbb", label="evaluated", zorder=1)
        if c is not None:
            sc = ax.scatter(pareto[a.column], pareto[b.column], s=44, c=pareto[c.column], cmap="viridis",
                            edgecolors="black", linewidths=0.4, alpha=0.85, label="front", zorder=2)  # fmt: skip
            fig.colorbar(sc, ax=ax, label=_objective_words(c, focal))
        else:
            ax.scatter(pareto[a.column], pareto[b.column], s=44, color="#2166ac", label="front", zorder=2)
        # named policies at (nearly) the same place share one label
        span_x = float(np.ptp(evaluations[a.column])) or 1.0
        span_y = float(np.ptp(evaluations[b.column])) or 1.0
        groups: list[list[int]] = []  # greedy: a star within 5% of both spans of a group's first joins it
        for k, (_, ref) in enumerate(references.iterrows()):
            for members in groups:
                first = references.iloc[members[0]]
                if (abs(ref[a.column] - first[a.column]) < 0.05 * span_x
                        and abs(ref[b.column] - first[b.column]) < 0.05 * span_y):  # fmt: skip
                    members.append(k)
                    break
            else:
                groups.append([k])
        for members in groups:
            for k in members:
                ref = references.iloc[k]
                colour = NAMED_COLOURS[k % len(NAMED_COLOURS)]
                ax.scatter([ref[a.column]], [ref[b.column]], s=200, marker="*", color=colour, edgecolors="black",
                           zorder=3)  # fmt: skip
            first = references.iloc[members[0]]
            text = "\n".join(str(references.iloc[k]["policy"]).replace("_", " ") for k in members)
            ax.annotate(text, (first[a.column], first[b.column]), xytext=(8, -4), textcoords="offset points",
                        fontsize=11, va="top", zorder=4)  # fmt: skip
        ax.set_xlabel(_objective_words(a, focal))
        ax.set_ylabel(_objective_words(b, focal))
        ax.legend(loc="best")
        ax.set_title(f"The front: {_short(b)} against {_short(a)} (stars: named policies)")
        fig.tight_layout()
    return fig


def convergence_figure(convergence: pd.DataFrame):
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from simulation.reporting.plots import SLIDE_STYLE

    with mpl.rc_context(SLIDE_STYLE):
        fig = Figure(figsize=(10, 5.5))
        ax = fig.subplots()
        ax.plot(convergence["generation"], convergence["hypervolume"], marker="o", color="#2166ac")
        ax.set_xlabel("generation")
        ax.set_ylabel("hypervolume of the front (normalised)")
        ax2 = ax.twinx()
        ax2.plot(convergence["generation"], convergence["front_size"], color="#999999", ls="--")
        ax2.set_ylabel("policies on the front (dashed)")
        ax2.spines["right"].set_visible(True)
        ax.set_title("Convergence: the front's hypervolume by generation")
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        fig.tight_layout()
    return fig


def write_figures(state, evaluations, pareto, references, convergence, failures: list[dict[str, Any]]) -> list[Path]:
    from simulation.reporting.plots import save

    figures = state.out / "figures"
    written = []
    written += save(tradeoff_parallel(state, evaluations, pareto, references), figures / "tradeoff_parallel")
    written += save(tradeoff_front(state, evaluations, pareto, references), figures / "tradeoff_front")
    written += save(convergence_figure(convergence), figures / "convergence")
    shown = next((f for f in failures if f.get("result") is not None), None)
    if shown is not None:
        import textwrap

        from simulation.analysis.discovery import discovery_figure

        fig = discovery_figure(
            shown["result"], f"Where {shown['policy'].split(' (')[0]} fails ({shown['rule']} in a world)",
            scope=textwrap.fill(shown["words"], 170),
        )  # fmt: skip
        written += save(fig, figures / "failures")
    return written
