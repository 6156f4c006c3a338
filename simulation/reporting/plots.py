"""Figures with matplotlib, sized and lettered to be read on a slide; saved as PNG and SVG.

Nothing here touches a user's matplotlib settings: no backend is chosen and no ``rcParams`` are
changed (styles apply inside ``rc_context`` only). Figures are made as ``matplotlib.figure.Figure``
objects without pyplot, so they need no window system, display in a notebook and are freed when
dropped.

Sweep figures work for any design (grid, LHS, Sobol, Morris): a swept quantity with more than
12 distinct values is binned into quantile bins, every figure says what it pools over, labels
are human words, and a figure that would need more than 12 legend entries is refused with one
line (:class:`TooManyEntries`). Colours are the Okabe-Ito palette (colour-blind safe, legible
on white).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation.core.errors import InputError
from simulation.reporting.figure_kinds import SWEEP_FIGURES

# The plotting modules' names, importable from here as before the split (``from simulation.reporting import
# plots; plots.save(...)``): the redundant aliases mark them as re-exported.
from simulation.reporting.plot_data import MIN_RUNS_PER_POINT as MIN_RUNS_PER_POINT
from simulation.reporting.plot_data import _filter
from simulation.reporting.plot_data import binned as binned
from simulation.reporting.plot_data import summarise as summarise
from simulation.reporting.plot_run import alignment_network as alignment_network
from simulation.reporting.plot_run import alignment_over_time as alignment_over_time
from simulation.reporting.plot_spread import per_draw_probabilities as per_draw_probabilities
from simulation.reporting.plot_style import LEVEL_COLOURS as LEVEL_COLOURS
from simulation.reporting.plot_style import LINE_STYLES as LINE_STYLES
from simulation.reporting.plot_style import MAX_LEGEND_ENTRIES as MAX_LEGEND_ENTRIES
from simulation.reporting.plot_style import MAX_LEVELS_UNBINNED, save
from simulation.reporting.plot_style import OKABE_ITO as OKABE_ITO
from simulation.reporting.plot_style import SLIDE_STYLE as SLIDE_STYLE
from simulation.reporting.plot_style import TooManyEntries as TooManyEntries
from simulation.reporting.plot_style import new_figure as new_figure
from simulation.reporting.plot_sweep import _share_text as _share_text
from simulation.reporting.plot_sweep import alliance_heatmap, alliance_probability, final_alignment, main_effects
from simulation.reporting.plot_time import fan_chart, time_to_alliance
from simulation.reporting.plot_words import by_words as by_words
from simulation.reporting.plot_words import draws_words as draws_words
from simulation.reporting.plot_words import factor_paths as factor_paths
from simulation.reporting.plot_words import factors_of
from simulation.reporting.plot_words import horizon_words as horizon_words
from simulation.reporting.plot_words import human_label as human_label
from simulation.reporting.plot_words import outcome_words as outcome_words
from simulation.reporting.plot_words import pair_words as pair_words
from simulation.reporting.plot_words import parameters_words as parameters_words
from simulation.reporting.plot_words import scope_words as scope_words


def is_grid(df: pd.DataFrame, factors: list[str]) -> bool:
    """Whether every swept quantity takes few enough values to be shown unbinned."""
    return all(df[f].nunique() <= MAX_LEVELS_UNBINNED for f in factors)


def sweep_figures(
    df: pd.DataFrame,
    manifest: dict,
    out: Path,
    kinds: tuple[str, ...] = SWEEP_FIGURES,
    x: str | None = None,
    y: str | None = None,
    hue: str | None = None,
    by: str | None = None,
    outcome: str = "alliance_reached",
    fix: dict[str, float] | None = None,
) -> list[Path]:
    """Draw and save (PNG and SVG) the figures of a sweep's results; returns the paths written.

    Defaults read the design: ``x`` is the first swept quantity, ``y`` the second; a third is the
    ``hue`` only for a grid design (a sampled design pools over it instead). A figure that does
    not apply (a heatmap with one swept quantity, a fan chart without trajectories) is skipped
    when drawing the default set and refused when asked for by name.
    """
    from simulation.outcomes import numeric_outcome

    factors = factors_of(manifest) or [c for c in (x, y, hue) if c]
    entry = numeric_outcome(outcome, df.columns)
    if outcome not in df.columns and entry.derive is not None:  # e.g. entente, from max_level
        df = df.assign(**{outcome: entry.derive[1](df[entry.derive[0]])})
    for name, value in (("--x", x), ("--y", y), ("--hue", hue), ("--by", by)):
        if value is not None and value not in df.columns:
            raise InputError(None, name, f"no column '{value}' (swept: {', '.join(factors) or 'none'})")
    for col in fix or {}:
        if col not in df.columns:
            raise InputError(None, "--fix", f"no column '{col}' (swept: {', '.join(factors) or 'none'})")
    grid = is_grid(df, factors)
    x = x or (factors[0] if factors else None)
    y = y or (factors[1] if len(factors) > 1 else None)
    if hue is None and grid and len(factors) > 2 and factors[2] not in (fix or {}):
        hue = factors[2]
    explicit = len(kinds) == 1
    written: list[Path] = []
    for kind in kinds:
        if kind in ("probability", "heatmap", "main_effects") and x is None:
            if explicit:
                raise InputError(None, "--x", "this sweep varied nothing; choose --kind time, final or fan")
            continue
        if kind == "probability":
            fig = alliance_probability(df, x, hue=hue, outcome=outcome, fix=fix, manifest=manifest, factors=factors)
        elif kind == "main_effects":
            fig = main_effects(_filter(df, fix), [f for f in factors if f not in (fix or {})] or [x], outcome, manifest)
        elif kind == "heatmap":
            if y is None:
                if explicit:
                    raise InputError(None, "--y", "a heatmap needs two swept quantities")
                continue
            fig = alliance_heatmap(df, x, y, outcome=outcome, fix=fix, manifest=manifest, factors=factors)
        elif kind == "time":
            try:
                fig = time_to_alliance(_filter(df, fix), by=by, manifest=manifest, factors=factors)
            except InputError:
                if explicit:
                    raise
                continue  # no run with an alliance: no empty figure
        elif kind == "final":
            fig = final_alignment(_filter(df, fix), by=by or x or "replicate", manifest=manifest, factors=factors)
        elif kind == "fan":
            if "trajectory" not in df:
                if explicit:
                    raise InputError(None, "--kind", "no trajectories in these results (add trajectory to outcomes)")
                continue
            fig = fan_chart(_filter(df, fix), by=by or x, manifest=manifest, factors=factors)
        else:
            raise InputError(None, "--kind", f"unknown figure '{kind}' (known: {', '.join(SWEEP_FIGURES)})")
        written += save(fig, out / kind)
    return written
