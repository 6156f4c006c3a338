"""Figures of a sweep against its swept quantities: the outcome against one quantity (with a line per value of
another), main-effect panels, a heatmap over two quantities and the final levels' distribution.

Every figure works for any design (grid, LHS, Sobol, Morris): a quantity with more than 12 distinct values is
binned into quantile bins, every figure says what it pools over and what it holds fixed, and a figure that
would need more than 12 legend entries is refused with one line (``TooManyEntries``).
"""

from __future__ import annotations

import textwrap

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulation.core.errors import InputError
from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL
from simulation.reporting.plot_data import (
    MIN_RUNS_PER_POINT,
    _few_runs_warning,
    _filter,
    _hue_groups,
    _is_binary,
    binned,
    summarise,
)
from simulation.reporting.plot_style import (
    LEVEL_COLOURS,
    OKABE_ITO,
    SLIDE_STYLE,
    _capital,
    _check_entries,
    _footer,
    _value_text,
    new_figure,
)
from simulation.reporting.plot_words import (
    _fixed_and_pooled,
    _pooled_note,
    _shown_words,
    by_words,
    draws_words,
    factors_of,
    human_label,
    outcome_words,
    scope_words,
)


def alliance_probability(
    df: pd.DataFrame,
    x: str,
    hue: str | None = None,
    outcome: str = "alliance_reached",
    fix: dict[str, float] | None = None,
    manifest: dict | None = None,
    factors: list[str] | None = None,
) -> Figure:
    """P(``outcome``) (or its mean) against ``x`` with 95% bands, one line per value of ``hue``.

    Works for any design: ``x`` is binned into quantile bins when it takes more than 12 values
    (an LHS or Sobol sample); ``hue`` into 4. Other swept quantities are pooled (the footer says
    which, and which are fixed) unless fixed in ``fix``. More than 12 lines are refused
    (``TooManyEntries``); points resting on fewer than ``MIN_RUNS_PER_POINT`` runs are flagged. With a
    ``draw`` column, each line also shows the 5-95% range and median of its per-draw probabilities.

    Parameters
    ----------
    df : pandas.DataFrame
        Sweep results, one row per run.
    x : str
        The column on the x axis.
    hue : str, optional
        One line per value (or quantile bin) of this column.
    outcome : str, optional
        The outcome column (a yes/no outcome gives a probability, a number its mean).
    fix : dict of str to float, optional
        Columns held at one value (the other runs are left out).
    manifest : dict, optional
        The sweep's manifest: the words for its columns, the focal pair, months and parameters.
    factors : list of str, optional
        The swept columns; default: the manifest's.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not saved; see ``save``).
    """
    data = _filter(df, fix)
    factors = factors if factors is not None else factors_of(manifest)
    groups, hue_binned = _hue_groups(data, hue)
    binary = _is_binary(df[outcome])
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((9.5, 6.6))
        xs_all, x_binned = binned(data[x])  # bin on the whole design, not per line
        counts, spread_stats = [], []
        for k, (value, g) in enumerate(groups):
            s = summarise(g.assign(**{x: xs_all.loc[g.index]}), [x], outcome)
            counts.append(s["n"])
            colour = "black" if hue is None else OKABE_ITO[k % len(OKABE_ITO)]
            sign = "~" if hue_binned else "="
            label = None if hue is None else f"{human_label(hue, manifest)} {sign} {_value_text(value)}"
            if _draw_line(ax, s, x, colour, label):
                spread_stats.append(s)
        _probability_axes(ax, x, outcome, manifest, binary, bool(spread_stats))
        note = _pooled_note(
            data,
            [x] + ([hue] if hue else []),
            factors,
            fix,
            manifest,
            [c for c, b in ((x, x_binned), (hue, hue_binned)) if b and c],
        )
        warning = _few_runs_warning(pd.concat(counts)) if counts else None
        drawn = ""
        if spread_stats:
            drawn = (f"Across posterior draws: {draws_words(pd.concat(spread_stats))} per point; the light band is "
                     "what we do not know about the parameters, the dark one how sure the runs make the pooled value")  # fmt: skip
        rect = _footer(fig, [_capital(scope_words(manifest)), note, drawn, warning or ""])
        if hue is not None:
            ax.legend(frameon=False, loc="best")
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


def _draw_line(ax, s: pd.DataFrame, x: str, colour: str, label: str | None) -> bool:
    """One line of ``alliance_probability``: the means with their 95% band and, when the ``summarise`` table has
    its draw columns, the per-draw 5-95% range (light, dotted) and median draw (dashed); returns whether it had
    them."""
    ax.plot(s[x], s["mean"], marker="o", color=colour, label=label, lw=2.2)
    ax.fill_between(s[x], s["lo"], s["hi"], color=colour, alpha=0.35, lw=0)
    if "d05" not in s.columns:
        return False
    ax.fill_between(s[x], s["d05"], s["d95"], color=colour, alpha=0.10, lw=0)
    ax.plot(s[x], s["d05"], color=colour, lw=0.9, ls=":")
    ax.plot(s[x], s["d95"], color=colour, lw=0.9, ls=":")
    ax.plot(s[x], s["d50"], color=colour, lw=1.6, ls="--")
    return True


def _probability_axes(ax, x: str, outcome: str, manifest: dict | None, binary: bool, spread: bool) -> None:
    """``alliance_probability``'s axis labels and its title, which names the month and the bands."""
    ax.set_xlabel(human_label(x, manifest))
    ax.set_ylabel(_capital(outcome_words(outcome, manifest, per_point=True)))
    if binary:
        ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    band = "Wilson 95%" if binary else "mean +- 1.96 s.e."
    if spread:
        band = (
            f"dark: {band} of the pooled value; light, dotted: 5-95% of the per-draw probabilities; dashed: median draw"
        )
    ax.set_title(
        "\n".join(textwrap.wrap(
            f"{_capital(outcome_words(outcome, manifest, per_point=True))}{by_words(manifest)} (bands: {band})", 70, break_on_hyphens=False
        )),
        fontsize=13,
    )  # fmt: skip


def main_effects(
    df: pd.DataFrame, factors: list[str], outcome: str = "alliance_reached", manifest: dict | None = None
) -> Figure:
    """One panel per swept quantity: the outcome (binned) against it, pooling over all the others.

    The main effects (marginal means) of a sampled design, each with its 95% band.

    Parameters
    ----------
    df : pandas.DataFrame
        Sweep results, one row per run.
    factors : list of str
        The swept columns, one panel each.
    outcome : str, optional
        The outcome column.
    manifest : dict, optional
        The sweep's manifest: the words for its columns, the focal pair, months and parameters.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not saved; see ``save``).

    Raises
    ------
    InputError
        When ``factors`` is empty.
    """
    if not factors:
        raise InputError(None, "--kind", "main effects need at least one swept quantity")
    binary = _is_binary(df[outcome])
    n = len(factors)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    with mpl.rc_context(SLIDE_STYLE):
        fig = Figure(figsize=(4.8 * cols, 3.9 * rows + 1.0))
        axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
        counts = []
        for k, factor in enumerate(factors):
            ax = axes[k // cols][k % cols]
            xs, _ = binned(df[factor])
            s = summarise(df.assign(**{factor: xs}), [factor], outcome)
            counts.append(s["n"])
            colour = OKABE_ITO[0]
            ax.plot(s[factor], s["mean"], marker="o", color=colour, lw=2)
            ax.fill_between(s[factor], s["lo"], s["hi"], color=colour, alpha=0.25, lw=0)
            ax.set_xlabel(human_label(factor, manifest), fontsize=11)
            if binary:
                ax.set_ylim(-0.02, 1.02)
            ax.grid(alpha=0.3)
        for k in range(n, rows * cols):
            axes[k // cols][k % cols].set_axis_off()
        for r in range(rows):
            axes[r][0].set_ylabel(_capital(outcome_words(outcome, manifest, per_point=True)), fontsize=11)
        fig.suptitle(
            f"Main effects on {outcome_words(outcome, manifest, per_point=True)}: each panel pools over the others"
        )
        rect = _footer(
            fig,
            [
                _capital(scope_words(manifest)),
                f"{len(df):,} runs; bands: {'Wilson 95%' if binary else 'mean +- 1.96 s.e.'}; "
                "quantities with more than 12 values in quantile bins",
                _few_runs_warning(pd.concat(counts)) or "",
            ],
        )
        fig.tight_layout(rect=(0, rect, 1, 0.95))
    return fig


def _share_text(p: float) -> str:
    """A probability in two decimals that never rounds a rare event to 0 or a near-certain one to 1."""
    if p in (0.0, 1.0):
        return f"{p:.0f}"
    if 0 < p < 0.005:
        return "<0.01"
    if 0.995 < p < 1:
        return ">0.99"
    return f"{p:.2f}"


def _range_text(lo: float, hi: float) -> str:
    """A 5-95% range in two decimals, never one that reads as a zero-width interval ("0.00-0.00"): one whose
    ends round alike gets the decimals that tell them apart ("0.000-0.003"); per-draw quantiles that are equal
    say that 90% or more of the draws give that value ("90%+ at 0")."""
    if lo == hi:
        return f"90%+ at {lo:.3g}"
    for digits in (2, 3, 4):  # as many decimals as it takes for the two ends to differ
        if f"{lo:.{digits}f}" != f"{hi:.{digits}f}":
            return f"{lo:.{digits}f}-{hi:.{digits}f}"
    return f"{_share_text(lo)} to {_share_text(hi)}"


def _cell_text_colour(value: float, vmin: float, vmax: float) -> str:
    """White on the dark end of cividis, black on the light end."""
    share = 0.0 if not np.isfinite(value) or vmax <= vmin else (value - vmin) / (vmax - vmin)
    return "white" if share < 0.55 else "black"


def alliance_heatmap(
    df: pd.DataFrame,
    x: str,
    y: str,
    outcome: str = "alliance_reached",
    fix: dict[str, float] | None = None,
    manifest: dict | None = None,
    factors: list[str] | None = None,
) -> Figure:
    """Mean of ``outcome`` over two swept quantities, each cell labelled with its value and its 95% interval.

    Each quantity is binned when it takes more than 12 values. A cell's interval is Wilson's for a share,
    or, with a ``draw`` column, the 5-95% range of its per-draw probabilities; a cell where every run gave
    the same value says so ("0/2,000 runs"), never "0.00-0.00". The fixed values are in the title, what is
    pooled in the footer.

    Parameters
    ----------
    df : pandas.DataFrame
        Sweep results, one row per run.
    x : str
        The column across.
    y : str
        The column up.
    outcome : str, optional
        The outcome column.
    fix : dict of str to float, optional
        Columns held at one value (the other runs are left out).
    manifest : dict, optional
        The sweep's manifest: the words for its columns, the focal pair, months and parameters.
    factors : list of str, optional
        The swept columns; default: the manifest's.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not saved; see ``save``).
    """
    data = _filter(df, fix)
    factors = factors if factors is not None else factors_of(manifest)
    xs, xb = binned(data[x], bins=6)
    ys, yb = binned(data[y], bins=6)
    framed = data.assign(**{x: xs, y: ys})
    stats = summarise(framed, [y, x], outcome)
    table = stats.pivot(index=y, columns=x, values="mean")
    binary = _is_binary(df[outcome])
    fixed, _ = _fixed_and_pooled(data, [x, y], factors, manifest)
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((9.6, 8.2))
        values = table.to_numpy(dtype=float)
        vmin, vmax = (0.0, 1.0) if binary else (np.nanmin(values), np.nanmax(values))
        im = ax.imshow(values, origin="lower", cmap="cividis", vmin=vmin, vmax=vmax, aspect="auto")
        if table.shape[0] <= 12 and table.shape[1] <= 12:
            _label_cells(ax, stats, table, x, y, binary, (vmin, vmax))
        ax.set_xticks(range(len(table.columns)), [f"{v:.3g}" for v in table.columns], rotation=45)
        ax.set_yticks(range(len(table.index)), [f"{v:.3g}" for v in table.index])
        ax.set_xlabel(human_label(x, manifest) + (" (quantile bins)" if xb else ""))
        ax.set_ylabel(human_label(y, manifest) + (" (quantile bins)" if yb else ""))
        words = outcome_words(outcome, manifest, per_point=True)
        fig.colorbar(im, ax=ax, label=_capital(words), shrink=0.85)
        heading = _capital(words) + by_words(manifest) + (",\n" + ", ".join(fixed) if fixed else "")
        ax.set_title(heading, fontsize=14)
        note = _pooled_note(data, [x, y], factors, fix, manifest, [c for c, b in ((x, xb), (y, yb)) if b])
        rect = _footer(fig, [_capital(scope_words(manifest)), f"{note}; {_cells_words(stats, table, binary)}",
                             _few_runs_warning(stats["n"]) or ""])  # fmt: skip
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig


def _label_cells(ax, stats: pd.DataFrame, table: pd.DataFrame, x: str, y: str, binary: bool, limits) -> None:
    """Each heatmap cell's value and, below it, its interval (or per-draw range, or run count); a cell where
    every run gave the same value says so ("0/2,000 runs"), never a zero-width interval."""
    vmin, vmax = limits
    col_of = {v: k for k, v in enumerate(table.columns)}
    row_of = {v: k for k, v in enumerate(table.index)}
    small = 7 if table.shape[1] > 8 else 8.5
    drawn = "d05" in stats.columns
    for row in stats.itertuples(index=False):
        yv, xv, mean, lo, hi, runs = getattr(row, y), getattr(row, x), row.mean, row.lo, row.hi, int(row.n)
        cx, cy = col_of[xv], row_of[yv]
        colour = _cell_text_colour(mean, vmin, vmax)
        if drawn:
            below = _range_text(row.d05, row.d95)
        else:
            below = _range_text(lo, hi) if runs >= MIN_RUNS_PER_POINT else f"n={runs}"
        if binary and mean in (0.0, 1.0):  # every run gave the same value: say so, not "0.00-0.00"
            below = f"{runs if mean else 0:,}/{runs:,} runs"
        elif not binary and hi - lo < 1e-12:
            below = f"all {runs:,} runs"
        top = _share_text(mean) if binary else f"{mean:.2f}"
        ax.text(cx, cy + 0.12, top, ha="center", va="center", fontsize=small + 1.5, color=colour)
        ax.text(cx, cy - 0.2, below, ha="center", va="center", fontsize=small - 1, color=colour)


def _cells_words(stats: pd.DataFrame, table: pd.DataFrame, binary: bool) -> str:
    """What a heatmap's cells say, for its footer."""
    cell = "each cell: the value and its 95% interval" + (" (Wilson)" if binary else " (mean +- 1.96 s.e.)")
    if "d05" in stats.columns:
        cell = (f"each cell: the pooled probability and, below it, the 5-95% range of its per-draw probabilities "
                f"({draws_words(stats)}): what we do not know about the parameters")  # fmt: skip
    if (stats["n"] < MIN_RUNS_PER_POINT).any():
        cell += f", or its run count n where fewer than {MIN_RUNS_PER_POINT} runs make an interval unreliable"
    if table.isna().to_numpy().any():
        cell += "; white: no design point in that cell"
    return cell


def _stacked_levels(ax, shares: pd.DataFrame, close: pd.Series, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """One bar per row of ``shares`` stacked by level, with the 95% interval of P(entente or closer) on the
    boundary; returns the bars' positions."""
    bottom = np.zeros(len(shares))
    xs = np.arange(len(shares))
    for level in range(MAX_LEVEL + 1):
        ax.bar(
            xs,
            shares[level],
            bottom=bottom,
            color=LEVEL_COLOURS[level],
            label=LEVEL_LABELS[level].capitalize(),
            width=0.85,
        )
        bottom += shares[level].to_numpy()
    boundary = 1 - close.to_numpy()
    ax.errorbar(
        xs,
        boundary,
        yerr=np.vstack([(1 - lo) - boundary, boundary - (1 - hi)]).clip(min=0),
        fmt="none",
        ecolor="black",
        capsize=5,
        lw=1.6,
        label="95% interval of P(entente or closer at the end)",
    )
    return xs


def final_alignment(
    df: pd.DataFrame,
    by: str,
    manifest: dict | None = None,
    factors: list[str] | None = None,
    scope: str | None = None,
) -> Figure:
    """The focal pair's level at the end across runs, one stacked bar per value (or bin) of ``by``.

    Black bars mark the 95% interval of P(entente or closer at the end); the footer says the scope and
    what is fixed or pooled.

    Parameters
    ----------
    df : pandas.DataFrame
        Results, one row per run, with a ``final_level`` column.
    by : str
        One bar per value (or quantile bin) of this column.
    manifest : dict, optional
        The sweep's manifest: the words for its columns, the focal pair, months and parameters.
    factors : list of str, optional
        The swept columns; default: the manifest's.
    scope : str, optional
        The footer's first line; default: the pair, months and parameters from the manifest.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not saved; see ``save``).
    """
    from simulation.core.stats import wilson_interval

    values, was_binned = binned(df[by])
    _check_entries(values.nunique(), by)
    shares = df["final_level"].groupby(values, observed=True).value_counts(normalize=True).unstack(fill_value=0)
    shares = shares.reindex(columns=range(MAX_LEVEL + 1), fill_value=0)
    n = values.groupby(values, observed=True).size().reindex(shares.index)
    close = shares[[lvl for lvl in range(MAX_LEVEL + 1) if lvl >= 4]].sum(axis=1)
    lo, hi = wilson_interval((close * n).round().to_numpy(), n.to_numpy())
    factors = factors if factors is not None else factors_of(manifest)
    focal = "-".join(((manifest or {}).get("base_scenario") or {}).get("focal_pair") or ()) or "the focal pair"
    with mpl.rc_context(SLIDE_STYLE):
        fig, ax = new_figure((10, 6.6))
        xs = _stacked_levels(ax, shares, close, lo, hi)
        ax.set_xticks(xs, [_value_text(v) for v in shares.index], rotation=45 if len(xs) > 6 else 0)
        ax.set_xlabel(human_label(by, manifest) + (" (quantile bins)" if was_binned else ""))
        ax.set_ylabel("Share of runs")
        end = by_words(manifest).removeprefix(" by ")
        ax.set_title(f"Level of {focal} held at the end" + (f" ({end})" if end else ""))
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        shows = _shown_words(df, [by], factors, manifest)
        runs = f"{int(n.min()):,}" if n.min() == n.max() else f"{int(n.min()):,}-{int(n.max()):,}"
        rect = _footer(
            fig,
            [_capital(scope if scope is not None else scope_words(manifest)), f"{runs} runs per bar" + (f"; {shows}" if shows else ""),
             _few_runs_warning(n) or ""],
        )  # fmt: skip
        fig.tight_layout(rect=(0, rect, 1, 1))
    return fig
