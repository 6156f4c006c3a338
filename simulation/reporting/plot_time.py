"""Figures of a sweep over time: when the focal pair signed its alliance, and the fan of its level month by
month; both label months in the one calendar convention (``simulation.core.calendar``)."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulation.core.errors import InputError
from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL
from simulation.core.spread import spread_of
from simulation.core.stats import proportion
from simulation.reporting.plot_data import MIN_RUNS_PER_POINT, _hue_groups, binned
from simulation.reporting.plot_style import (
    OKABE_ITO,
    SLIDE_STYLE,
    _capital,
    _check_entries,
    _footer,
    _month_ticks,
    _run_month_labels,
    _value_text,
    new_figure,
)
from simulation.reporting.plot_words import _shown_words, factors_of, human_label, scope_words


def time_to_alliance(
    df: pd.DataFrame,
    by: str | None = None,
    start: str | None = None,
    manifest: dict | None = None,
    factors: list[str] | None = None,
) -> Figure:
    """Runs per month in which the focal pair first reached a formal alliance (runs with an alliance only).

    One outline per value of ``by``; the title says which share of runs reached one (with its interval), the
    footer what the shown runs hold fixed and pool over, and warns when few runs had one. The month axis is
    labelled with calendar months: a run's month ``m`` (``alliance_month``) is the month at whose end the
    alliance held, so month 1 is the scenario's first month (``simulation.core.calendar.run_month_label``).

    Parameters
    ----------
    df : pandas.DataFrame
        Sweep results, one row per run, with an ``alliance_month`` column (null: never).
    by : str, optional
        A column to draw one outline per value of (binned into 4 when it has more than 12 values).
    start : str, optional
        The scenario's first month (YYYY-MM) for the month labels; default: the manifest's.
    manifest : dict, optional
        The sweep's manifest: the words for its columns, the focal pair, months and parameters.
    factors : list of str, optional
        The swept columns; default: the manifest's.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not saved; see ``save``).

    Raises
    ------
    InputError
        When no run reached a formal alliance (an empty figure says nothing).
    """
    month = "alliance_month"
    data = df[df[month].notna()] if month in df else df.iloc[:0]
    if data.empty:
        raise InputError(
            None, "--kind", f"no run of these {len(df):,} reached a formal alliance: no time-to-alliance figure"
        )
    factors = factors if factors is not None else factors_of(manifest)
    base = (manifest or {}).get("base_scenario") or {}
    start = start or base.get("start")
    last = max(int(data[month].max()), int(base.get("steps") or 0))  # the horizon, when the manifest says it
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((9.5, 6.4))
        _alliance_months(ax, data, by, manifest, last)
        if start:
            _month_ticks(ax, _run_month_labels(start, last))
            ax.set_xlabel("Month the formal alliance was first reached")
        else:
            ax.set_xlabel("Month the formal alliance was first reached (1: the scenario's first month)")
        ax.set_ylabel("Runs (count)")
        share, lo, hi = proportion(len(data), len(df))
        ax.set_title(f"Time to a formal alliance: {len(data):,} of {len(df):,} runs reached one ({share:.1%}, 95% {lo:.1%}-{hi:.1%})",
                     fontsize=13)  # fmt: skip
        rect = _footer(fig, _time_footer(df, data, by, factors, manifest))
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


def _alliance_months(ax, data: pd.DataFrame, by: str | None, manifest: dict | None, last: int) -> None:
    """The histogram of ``alliance_month``: one bar per month from 0 to ``last``, one outline per value of ``by``."""
    bins = np.arange(0, last + 2) - 0.5
    groups, was_binned = _hue_groups(data, by)
    for k, (value, g) in enumerate(groups):
        sign = "~" if was_binned else "="
        ax.hist(
            g["alliance_month"].astype(float),
            bins=bins,
            histtype="bar" if len(groups) == 1 else "step",  # several groups: outlines, none hidden
            lw=0 if len(groups) == 1 else 2.2,
            color="#555555" if len(groups) == 1 else OKABE_ITO[k % len(OKABE_ITO)],
            label=None if by is None else f"{human_label(by, manifest)} {sign} {_value_text(value)}",
        )
    if by is not None:
        ax.legend(frameon=False)
    ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.set_xlim(-0.5 if data["alliance_month"].min() == 0 else 0.5, last + 0.5)


def _time_footer(
    df: pd.DataFrame, data: pd.DataFrame, by: str | None, factors: list[str], manifest: dict | None
) -> list[str]:
    """The time-to-alliance figure's footer: scope, what is shown and pooled, the spread across posterior draws
    and a warning when few runs had an alliance."""
    shows = _shown_words(df, [by] if by else [], factors, manifest)
    if by is not None:
        values = pd.unique(df[by].dropna())
        shown = f"one outline per {human_label(by, manifest)} ({len(values)} values, "
        shown += f"{_value_text(np.min(values))}-{_value_text(np.max(values))}; a value without an alliance has none)"
        shows = "; ".join(x for x in (shown, shows) if x)
    warning = (
        f"Warning: only {len(data)} runs had an alliance: the shape of this histogram is not reliable"
        if len(data) < MIN_RUNS_PER_POINT
        else ""
    )
    drawn = ""
    if "draw" in df.columns:
        had = df["alliance_month"].notna().astype(float)
        drawn = f"P(an alliance at any month), across posterior draws: {spread_of(had, df['draw']).words()}"
    return [_capital(scope_words(manifest)), shows, drawn, warning]


def fan_chart(
    df: pd.DataFrame,
    by: str | None = None,
    values: list[float] | None = None,
    manifest: dict | None = None,
    factors: list[str] | None = None,
    scope: str | None = None,
    start: str | None = None,
) -> Figure:
    """The focal pair's level month by month across runs: a fan of one group, or the means of several.

    One group: the mean, the median (dashed) and the 10-90% and 25-75% bands of runs (the spread of runs),
    with the mean's own 95% interval as a dark band around it. Several groups (``by``): their means, each
    with its 95% interval (overlapping fans are unreadable). Position ``m`` on the month axis is a run's month
    ``m``, labelled with its calendar month (``simulation.core.calendar.run_month_label``): 0 is the state
    at the start, 1 the end of the scenario's first month.

    Parameters
    ----------
    df : pandas.DataFrame
        Sweep results, one row per run, with a ``trajectory`` column (the focal pair's level, months 0 to T).
    by : str, optional
        A column to draw one mean per value (or per one of 3 quantile bins) of.
    values : list of float, optional
        With ``by``: draw these values of ``by`` only.
    manifest : dict, optional
        The sweep's manifest: the words for its columns, the focal pair, months and parameters.
    factors : list of str, optional
        The swept columns; default: the manifest's.
    scope : str, optional
        The footer's first line; default: the pair, months and parameters from the manifest.
    start : str, optional
        The scenario's first month (YYYY-MM) for the month labels; default: the manifest's.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not saved; see ``save``).

    Raises
    ------
    InputError
        When the results hold no trajectories.
    """
    if "trajectory" not in df:
        raise InputError(None, "--kind", "the results hold no trajectories (add trajectory to the sweep's outcomes)")
    groups, was_binned = _fan_groups(df, by, values)
    factors = factors if factors is not None else factors_of(manifest)
    base = (manifest or {}).get("base_scenario") or {}
    focal = "-".join(base.get("focal_pair") or ()) or "the focal pair"
    start = start or base.get("start")
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((10.5, 6.6))
        sizes, months = _draw_fans(ax, groups, by, manifest, was_binned)
        ax.set_yticks(range(MAX_LEVEL + 1), [label.capitalize() for label in LEVEL_LABELS])
        if start:
            _month_ticks(ax, _run_month_labels(start, months - 1))
        ax.set_xlabel(
            "Month (the level at its end)" if start else "Month (0: the start; 1: the end of the first month)"
        )
        if len(groups) == 1:
            ax.set_title(
                f"Level of {focal} across runs (bands: 10-90% and 25-75% of runs; dashed: median)", fontsize=13
            )
        else:  # overlapping fans are unreadable: means only, each with its interval
            ax.set_title(f"Mean level of {focal} across runs (bands: 95% interval of each mean)", fontsize=13)
        ax.legend(frameon=False, loc="lower right")
        ax.grid(axis="y", alpha=0.3)
        shows = _shown_words(df, [by] if by else [], factors, manifest)
        runs = f"{min(sizes):,}" if min(sizes) == max(sizes) else f"{min(sizes):,}-{max(sizes):,}"
        rect = _footer(
            fig,
            [_capital(scope if scope is not None else scope_words(manifest)),
             f"{runs} runs per line" + ("; the dark band around the mean: its 95% interval" if len(groups) == 1 else
             "; the spread of runs of one group: draw it alone (--fix)") + (f"; {shows}" if shows else "")],
        )  # fmt: skip
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


def _fan_groups(
    df: pd.DataFrame, by: str | None, values: list[float] | None
) -> tuple[list[tuple[object, pd.DataFrame]], bool]:
    """The runs of each line of a fan chart (all runs; each of ``values`` of ``by``; or ``by`` in 3 quantile
    bins), and whether ``by`` was binned; more than 12 groups are refused."""
    groups: list[tuple[object, pd.DataFrame]] = [(None, df)]
    if by is not None and values is not None:
        groups = [(v, df[np.isclose(df[by].astype(float), v)]) for v in values]
    was_binned = False
    if by is not None and values is None:
        keys, was_binned = binned(df[by], bins=3)
        groups = list(df.groupby(keys, observed=True))
    _check_entries(len(groups), by or "--by")
    return groups, was_binned


def _draw_fans(ax, groups, by: str | None, manifest: dict | None, was_binned: bool) -> tuple[list[int], int]:
    """Each group's mean with its 95% interval (one group: also its bands and median); returns the runs per group
    and the number of months drawn (trajectory length)."""
    sizes, months = [], 0
    for k, (value, g) in enumerate(groups):
        traj = np.stack(g["trajectory"].to_numpy()).astype(float)
        sizes.append(len(traj))
        t = np.arange(traj.shape[1])
        months = max(months, len(t))
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
    return sizes, months
