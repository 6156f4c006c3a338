"""The numbers a sweep figure draws: quantile bins for sampled designs, per-group means with 95% bands and the
spread across posterior draws, the subset a figure is asked for, and the few-runs warning."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.reporting.plot_style import MAX_LEVELS_UNBINNED, _check_entries


def _is_binary(series: pd.Series) -> bool:
    return series.dtype == bool or set(pd.unique(series.dropna())) <= {0, 1}


def binned(values: pd.Series, max_levels: int = MAX_LEVELS_UNBINNED, bins: int = 8) -> tuple[pd.Series, bool]:
    """Put a sampled design's values into quantile bins; leave a grid's as they are.

    Parameters
    ----------
    values : pandas.Series
        One swept quantity's value per run.
    max_levels : int, optional
        At most this many distinct values are left unbinned (a grid).
    bins : int, optional
        The number of quantile bins (about equal counts; fewer when values repeat).

    Returns
    -------
    tuple of (pandas.Series, bool)
        ``values`` as they are, or each value's bin centre; and whether it binned.
    """
    if values.nunique() <= max_levels or not pd.api.types.is_numeric_dtype(values):
        return values, False
    codes = pd.qcut(values, q=bins, duplicates="drop")
    centres = codes.map(lambda iv: (iv.left + iv.right) / 2).astype(float)
    return centres, True


def summarise(data: pd.DataFrame, keys: list[str], outcome: str) -> pd.DataFrame:
    """Per group: the runs, the mean of ``outcome`` and its 95% band.

    The band is Wilson's for a yes/no outcome, mean +- 1.96 standard errors otherwise (the Monte Carlo error
    of the pooled value). A yes/no outcome of posterior-predictive runs (a ``draw`` column) also gets its
    spread across posterior draws (``simulation.core.spread``), when every group has at least two runs per
    draw (with one, a draw's "probability" is its one run's 0 or 1).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per run.
    keys : list of str
        The columns to group by.
    outcome : str
        The outcome column (a yes/no outcome or a number).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``keys``, ``n``, ``mean``, ``sd``, ``lo``, ``hi``; with the draw columns also
        ``draws``, ``runs_per_draw``, ``d05``, ``d50``, ``d95`` (per-draw probabilities' 5%, median, 95%),
        ``below`` / ``above`` (shares of draws with P < 0.05 / > 0.5) and ``between`` (the share of the
        variance between draws).
    """
    from simulation.core.stats import wilson_interval

    y = data[outcome].astype(float)
    g = y.groupby([data[k] for k in keys], observed=True)
    out = pd.DataFrame({"n": g.count(), "mean": g.mean(), "sd": g.std(ddof=1)}).reset_index()
    if _is_binary(data[outcome]):
        out["lo"], out["hi"] = wilson_interval((out["mean"] * out["n"]).round().to_numpy(), out["n"].to_numpy())
        if "draw" in data.columns:
            drawn = _draw_columns(data, keys, outcome)
            if not drawn.empty and drawn["runs_per_draw"].min() >= 2:  # one run per draw: no per-draw chance
                out = out.merge(drawn, on=keys, how="left")
    else:
        half = 1.96 * out["sd"].fillna(0.0) / np.sqrt(out["n"].clip(lower=1))
        out["lo"], out["hi"] = out["mean"] - half, out["mean"] + half
    return out


def _draw_columns(data: pd.DataFrame, keys: list[str], outcome: str) -> pd.DataFrame:
    """Per group of ``keys``: the spread of ``outcome`` across posterior draws (see ``summarise``)."""
    from simulation.core.spread import spread_of

    rows = []
    for key, sub in data.groupby([data[k] for k in keys], observed=True):
        sp = spread_of(sub[outcome].astype(float), sub["draw"])
        rows.append({**dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)),
                     "draws": sp.draws, "runs_per_draw": sp.runs_per_draw, "d05": sp.q05, "d50": sp.median,
                     "d95": sp.q95, "below": sp.share_below, "above": sp.share_above,
                     "between": sp.share_between})  # fmt: skip
    return pd.DataFrame(rows)


def _filter(df: pd.DataFrame, fix: dict[str, float] | None) -> pd.DataFrame:
    data = df
    for col, value in (fix or {}).items():
        data = data[np.isclose(data[col].astype(float), value)]
    return data


#: Modelling choice: a point estimate from fewer runs than this is flagged on a figure (a share's 95%
#: interval is then wider than about +-0.18).
MIN_RUNS_PER_POINT = 30


def _hue_groups(data: pd.DataFrame, hue: str | None) -> tuple[list[tuple[object, pd.DataFrame]], bool]:
    if hue is None:
        return [(None, data)], False
    values, was_binned = binned(data[hue], bins=4)
    groups = list(data.groupby(values, observed=True, sort=True))
    _check_entries(len(groups), hue)
    return groups, was_binned


def _few_runs_warning(counts: pd.Series) -> str | None:
    few = int((counts < MIN_RUNS_PER_POINT).sum())
    if not few:
        return None
    return (
        f"Warning: {few} of {len(counts)} points rest on fewer than {MIN_RUNS_PER_POINT} runs "
        f"(fewest {int(counts.min())}): read them with their bands"
    )
