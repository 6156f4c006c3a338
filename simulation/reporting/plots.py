"""Figures with matplotlib, sized and lettered to be read on a slide; saved as PNG and SVG.

This module draws a sweep's default set of figures (``sweep_figures``) and offers, under one name, what the
plotting modules define, each by concern:

- ``plot_run``: one run (every pair month by month; the network at one month);
- ``plot_sweep``: a sweep against its swept quantities (probability, main effects, heatmap, final levels);
- ``plot_time``: a sweep over time (time to alliance, fan chart);
- ``plot_spread``: the spread of a probability across posterior draws, cell by cell;
- ``plot_words``, ``plot_data``, ``plot_style``: the words, numbers and look they share.

Nothing here touches a user's matplotlib settings: no backend is chosen and no ``rcParams`` are
changed (styles apply inside ``rc_context`` only). Sweep figures work for any design (grid, LHS, Sobol,
Morris): a swept quantity with more than 12 distinct values is binned into quantile bins, every figure says
what it pools over, labels are human words, months follow ``simulation.core.calendar``, and a figure that
would need more than 12 legend entries is refused with one line (``TooManyEntries``). Colours are the
Okabe-Ito palette (colour-blind safe, legible on white).
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
    """Whether every swept quantity takes few enough values to be shown unbinned.

    Parameters
    ----------
    df : pandas.DataFrame
        Sweep results, one row per run.
    factors : list of str
        The swept columns.

    Returns
    -------
    bool
        True when none has more than ``MAX_LEVELS_UNBINNED`` distinct values.
    """
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
    """Draw and save (PNG and SVG) the figures of a sweep's results.

    Defaults read the design: ``x`` is the first swept quantity, ``y`` the second; a third is the
    ``hue`` only for a grid design (a sampled design pools over it instead). A figure that does
    not apply (a heatmap with one swept quantity, a fan chart without trajectories) is skipped
    when drawing the default set and refused when asked for by name.

    Parameters
    ----------
    df : pandas.DataFrame
        Sweep results, one row per run (``simulation.sweeps.execute.read_results``).
    manifest : dict
        The sweep's manifest.
    out : pathlib.Path
        The folder to write into (``<kind>.png`` and ``<kind>.svg``).
    kinds : tuple of str, optional
        The figures to draw, of ``SWEEP_FIGURES``; one kind is drawn or refused, never skipped.
    x : str, optional
        The column on the x axis; default: the first swept quantity.
    y : str, optional
        The heatmap's second column; default: the second swept quantity.
    hue : str, optional
        One line per value of this column; default: a grid's third swept quantity.
    by : str, optional
        The time-to-alliance outlines', final levels' and fan chart's grouping column.
    outcome : str, optional
        The outcome to draw (a catalogue outcome or a column of the results).
    fix : dict of str to float, optional
        Columns held at one value (the other runs are left out).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    InputError
        A column that is not in the results, or a figure asked for by name that does not apply.
    """
    from simulation.outcomes import numeric_outcome

    factors = factors_of(manifest) or [c for c in (x, y, hue) if c]
    entry = numeric_outcome(outcome, df.columns)
    if outcome not in df.columns and entry.derive is not None:  # e.g. entente, from max_level
        df = df.assign(**{outcome: entry.derive[1](df[entry.derive[0]])})
    _check_columns(df, factors, {"--x": x, "--y": y, "--hue": hue, "--by": by}, fix)
    grid = is_grid(df, factors)
    x = x or (factors[0] if factors else None)
    y = y or (factors[1] if len(factors) > 1 else None)
    if hue is None and grid and len(factors) > 2 and factors[2] not in (fix or {}):
        hue = factors[2]
    chosen = {"x": x, "y": y, "hue": hue, "by": by, "outcome": outcome, "fix": fix}
    written: list[Path] = []
    for kind in kinds:
        fig = _one_figure(kind, df, manifest, factors, chosen, explicit=len(kinds) == 1)
        if fig is not None:
            written += save(fig, out / kind)
    return written


def _check_columns(df: pd.DataFrame, factors: list[str], options: dict[str, str | None], fix: dict | None) -> None:
    """Refuse an option or a ``--fix`` naming a column the results do not have."""
    for name, value in options.items():
        if value is not None and value not in df.columns:
            raise InputError(None, name, f"no column '{value}' (swept: {', '.join(factors) or 'none'})")
    for col in fix or {}:
        if col not in df.columns:
            raise InputError(None, "--fix", f"no column '{col}' (swept: {', '.join(factors) or 'none'})")


def _one_figure(kind: str, df: pd.DataFrame, manifest: dict, factors: list[str], chosen: dict, explicit: bool):
    """The figure ``kind`` of ``sweep_figures``, or None when it does not apply and was not asked for by name
    (``explicit``: then it is refused)."""
    x, y, hue, by, outcome, fix = (chosen[k] for k in ("x", "y", "hue", "by", "outcome", "fix"))
    if kind in ("probability", "heatmap", "main_effects") and x is None:
        if explicit:
            raise InputError(None, "--x", "this sweep varied nothing; choose --kind time, final or fan")
        return None
    if kind == "probability":
        return alliance_probability(df, x, hue=hue, outcome=outcome, fix=fix, manifest=manifest, factors=factors)
    if kind == "main_effects":
        return main_effects(_filter(df, fix), [f for f in factors if f not in (fix or {})] or [x], outcome, manifest)
    if kind == "heatmap":
        if y is None:
            if explicit:
                raise InputError(None, "--y", "a heatmap needs two swept quantities")
            return None
        return alliance_heatmap(df, x, y, outcome=outcome, fix=fix, manifest=manifest, factors=factors)
    if kind == "time":
        try:
            return time_to_alliance(_filter(df, fix), by=by, manifest=manifest, factors=factors)
        except InputError:
            if explicit:
                raise
            return None  # no run with an alliance: no empty figure
    if kind == "final":
        return final_alignment(_filter(df, fix), by=by or x or "replicate", manifest=manifest, factors=factors)
    if kind == "fan":
        if "trajectory" not in df:
            if explicit:
                raise InputError(None, "--kind", "no trajectories in these results (add trajectory to outcomes)")
            return None
        return fan_chart(_filter(df, fix), by=by or x, manifest=manifest, factors=factors)
    raise InputError(None, "--kind", f"unknown figure '{kind}' (known: {', '.join(SWEEP_FIGURES)})")
