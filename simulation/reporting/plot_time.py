"""Figures of a sweep over time: when the focal pair signed its alliance, and the fan of its level month by
month; both label months in the one calendar convention (``simulation.core.calendar``)."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulation.core.errors import InputError
from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL
from simulation.reporting.plot_data import MIN_RUNS_PER_POINT, _hue_groups, binned
from simulation.reporting.plot_style import (
    OKABE_ITO,
    SLIDE_STYLE,
    _capital,
    _check_entries,
    _footer,
    _month_words,
    _value_text,
    new_figure,
)
from simulation.reporting.plot_words import _fixed_and_pooled, factors_of, human_label, scope_words


def time_to_alliance(
    df: pd.DataFrame,
    by: str | None = None,
    start: str | None = None,
    manifest: dict | None = None,
    factors: list[str] | None = None,
) -> Figure:
    """Runs per month in which the focal pair signed a formal alliance (runs with an alliance only), one
    outline per value of ``by``; says which share of runs had one (with its interval), what the shown
    runs hold fixed and pool over, and warns when few runs had one. No run with an alliance: refused
    (an empty figure says nothing)."""
    from simulation.core.stats import proportion

    month = "alliance_month"
    data = df[df[month].notna()] if month in df else df.iloc[:0]
    if data.empty:
        raise InputError(
            None, "--kind", f"no run of these {len(df):,} reached a formal alliance: no time-to-alliance figure"
        )
    factors = factors if factors is not None else factors_of(manifest)
    start = start or ((manifest or {}).get("base_scenario") or {}).get("start")
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((9.5, 6.4))
        bins = np.arange(0, int(data[month].max()) + 3) - 0.5
        groups, was_binned = _hue_groups(data, by)
        for k, (value, g) in enumerate(groups):
            sign = "~" if was_binned else "="
            ax.hist(
                g[month].astype(float),
                bins=bins,
                histtype="bar" if len(groups) == 1 else "step",  # several groups: outlines, none hidden
                lw=0 if len(groups) == 1 else 2.2,
                color="#555555" if len(groups) == 1 else OKABE_ITO[k % len(OKABE_ITO)],
                label=None if by is None else f"{human_label(by, manifest)} {sign} {_value_text(value)}",
            )
        if by is not None:
            ax.legend(frameon=False)
        ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.set_xlabel("Month the alliance was signed" + (f" (0 = {_month_words(start, 0)})" if start else ""))
        ax.set_ylabel("Runs (count)")
        share, lo, hi = proportion(len(data), len(df))
        ax.set_title(f"Time to a formal alliance: {len(data):,} of {len(df):,} runs reached one ({share:.1%}, 95% {lo:.1%}-{hi:.1%})",
                     fontsize=13)  # fmt: skip
        fixed, pooled = _fixed_and_pooled(df, [by] if by else [], factors, manifest)
        shows = "; ".join(
            x for x in ("with " + ", ".join(fixed) if fixed else "", "pooled over " + "; ".join(pooled) if pooled else "") if x
        )  # fmt: skip
        if by is not None:
            values = pd.unique(df[by].dropna())
            shown = f"one outline per {human_label(by, manifest)} ({len(values)} values, "
            shown += (
                f"{_value_text(np.min(values))}-{_value_text(np.max(values))}; a value without an alliance has none)"
            )
            shows = "; ".join(x for x in (shown, shows) if x)
        warning = (
            f"Warning: only {len(data)} runs had an alliance: the shape of this histogram is not reliable"
            if len(data) < MIN_RUNS_PER_POINT
            else ""
        )
        drawn = ""
        if "draw" in df.columns:
            from simulation.core.spread import spread_of

            had = df[month].notna().astype(float)
            drawn = f"P(an alliance at any month), across posterior draws: {spread_of(had, df['draw']).words()}"
        rect = _footer(fig, [_capital(scope_words(manifest)), shows, drawn, warning])
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


def fan_chart(
    df: pd.DataFrame,
    by: str | None = None,
    values: list[float] | None = None,
    manifest: dict | None = None,
    factors: list[str] | None = None,
    scope: str | None = None,
    start: str | None = None,
) -> Figure:
    """Mean, median and 10-90% / 25-75% bands of the focal pair's level over time, across runs (the
    bands show the spread of runs; the mean's own 95% interval is drawn as a thin band around it)."""
    if "trajectory" not in df:
        raise InputError(None, "--kind", "the results hold no trajectories (add trajectory to the sweep's outcomes)")
    groups = [(None, df)]
    if by is not None and values is not None:
        groups = [(v, df[np.isclose(df[by].astype(float), v)]) for v in values]
    was_binned = False
    if by is not None and values is None:
        keys, was_binned = binned(df[by], bins=3)
        groups = list(df.groupby(keys, observed=True))
    _check_entries(len(groups), by or "--by")
    factors = factors if factors is not None else factors_of(manifest)
    base = (manifest or {}).get("base_scenario") or {}
    focal = "-".join(base.get("focal_pair") or ()) or "the focal pair"
    start = start or base.get("start")
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((10.5, 6.6))
        sizes = []
        for k, (value, g) in enumerate(groups):
            traj = np.stack(g["trajectory"].to_numpy()).astype(float)
            sizes.append(len(traj))
            t = np.arange(traj.shape[1])
            q10, q25, q50, q75, q90 = np.percentile(traj, [10, 25, 50, 75, 90], axis=0)
            colour = "black" if len(groups) == 1 else OKABE_ITO[k % len(OKABE_ITO)]
            sign = "~" if was_binned else "="
            label = "mean" if by is None else f"{human_label(by, manifest)} {sign} {_value_text(value)} (mean)"
            mean = traj.mean(axis=0)
            ax.plot(t, mean, color=colour, lw=2.5, label=label)
            half = 1.96 * traj.std(axis=0, ddof=1) / np.sqrt(len(traj)) if len(traj) > 1 else 0 * mean
            ax.fill_between(t, mean - half, mean + half, color=colour, alpha=0.35, lw=0)
            if len(groups) == 1:  # one fan: both bands and the median, as steps (levels are whole rungs)
                ax.fill_between(t, q10, q90, color=colour, alpha=0.12, lw=0, step="post")
                ax.fill_between(t, q25, q75, color=colour, alpha=0.25, lw=0, step="post")
                ax.step(t, q50, where="post", color=colour, lw=1, ls="--")
        ax.set_yticks(range(MAX_LEVEL + 1), [label.capitalize() for label in LEVEL_LABELS])
        if start:
            ticks = np.arange(0, len(t), 12)
            ax.set_xticks(ticks, [_month_words(start, int(m)) for m in ticks])
        ax.set_xlabel("Month")
        if len(groups) == 1:
            ax.set_title(
                f"Level of {focal} across runs (bands: 10-90% and 25-75% of runs; dashed: median)", fontsize=13
            )
        else:  # overlapping fans are unreadable: means only, each with its interval
            ax.set_title(f"Mean level of {focal} across runs (bands: 95% interval of each mean)", fontsize=13)
        ax.legend(frameon=False, loc="lower right")
        ax.grid(axis="y", alpha=0.3)
        fixed, pooled = _fixed_and_pooled(df, [by] if by else [], factors, manifest)
        shows = "; ".join(
            x for x in ("with " + ", ".join(fixed) if fixed else "", "pooled over " + "; ".join(pooled) if pooled else "") if x
        )  # fmt: skip
        runs = f"{min(sizes):,}" if min(sizes) == max(sizes) else f"{min(sizes):,}-{max(sizes):,}"
        rect = _footer(
            fig,
            [_capital(scope if scope is not None else scope_words(manifest)),
             f"{runs} runs per line" + ("; the dark band around the mean: its 95% interval" if len(groups) == 1 else
             "; the spread of runs of one group: draw it alone (--fix)") + (f"; {shows}" if shows else "")],
        )  # fmt: skip
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig
