"""A probability and its spread across posterior draws: the statistics, on plain arrays.

A posterior-predictive probability pools runs that used different parameter sets ("draws"). Pooled,
a mixture of draws where the event never happens and draws where it almost always does looks like
one middling number. This module gives, beside the pooled value:

- the per-draw probabilities (the share of each draw's runs where the event happened): their median
  and 5-95% range across draws, the share of draws below 0.05 and above 0.5;
- the split of the outcome's variance (law of total variance, for a 0/1 outcome Y and draw theta):
  ``Var(Y) = E[Var(Y | theta)] + Var(E[Y | theta])``: *within* draws (run-to-run chance) plus *between*
  draws (what we do not know about the parameters). Estimated without the bias that a handful of runs
  per draw puts into the naive between-draw variance: within = the runs-weighted mean of each draw's
  unbiased Bernoulli variance ``p(1 - p) n / (n - 1)`` (draws with at least 2 runs), between = total -
  within (clipped at 0), so that between + within = total exactly;
- the parameters the per-draw probability follows: Spearman rank correlation over draws with each
  parameter of the draw.

Draws are weighted by their number of runs (a draws x replicates design gives every draw the same
number; draws chosen per seed get about their posterior weight's share). Per-draw values from few runs
per draw carry run-to-run chance in them: ``Spread.runs_per_draw`` says how many, and ``caveat`` says so
when fewer than ``FEW_RUNS_PER_DRAW``.

The user-facing API over results tables and the shipped posterior is ``simulation.analysis.spread``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Below this many runs per draw, a draw's probability is mostly run-to-run chance (said beside it).
FEW_RUNS_PER_DRAW = 10
#: Thresholds of the two shares reported: draws where the event is rare, draws where it is likely.
RARE, LIKELY = 0.05, 0.5


@dataclass(frozen=True)
class Spread:
    """A pooled probability and its spread across posterior draws (see the module's docstring).

    Parameters
    ----------
    pooled
        The share of all runs where the 0/1 outcome is 1.
    runs
        Runs counted.
    draws
        Distinct posterior draws among them.
    runs_per_draw
        The median number of runs per draw.
    median
        The median of the per-draw probabilities (weighted by runs).
    q05
        Their 5% quantile.
    q95
        Their 95% quantile.
    share_below
        The share of draws (by runs) with a probability below ``RARE`` (0.05).
    share_above
        The share of draws (by runs) with a probability above ``LIKELY`` (0.5).
    total
        The variance of the 0/1 outcome over all runs.
    between
        Its part between draws: parameter uncertainty.
    within
        Its part within draws: run-to-run chance.
    per_draw
        Each draw's probability (index: the posterior row).
    """

    pooled: float  # share of all runs
    runs: int
    draws: int  # distinct posterior draws
    runs_per_draw: float  # median over draws
    median: float  # of the per-draw probabilities
    q05: float
    q95: float
    share_below: float  # share of draws with P < RARE
    share_above: float  # share of draws with P > LIKELY
    total: float  # variance of the 0/1 outcome over runs
    between: float  # parameter uncertainty
    within: float  # run-to-run chance
    per_draw: pd.Series = field(repr=False, compare=False, default_factory=lambda: pd.Series(dtype=float))

    @property
    def share_between(self) -> float:
        """Share of the variance between draws (NaN when the outcome never varies)."""
        return self.between / self.total if self.total > 0 else float("nan")

    @property
    def caveat(self) -> str:
        if self.runs_per_draw < FEW_RUNS_PER_DRAW:
            return (
                f"only {self.runs_per_draw:g} runs per draw: each draw's probability carries run-to-run chance "
                "(the variance split corrects for it, the per-draw range does not)"
            )
        return ""

    def summary(self) -> dict[str, float | int]:
        """The statistics as plain numbers (table attributes, JSON).

        Returns
        -------
        dict
            ``pooled``, ``runs``, ``draws``, ``runs_per_draw``, ``median``, ``q05``, ``q95``, ``share_below_0_05``,
            ``share_above_0_5``, ``variance``, ``variance_between_draws``, ``variance_within_draws``, ``share_between``.
        """
        return {
            "pooled": self.pooled,
            "runs": self.runs,
            "draws": self.draws,
            "runs_per_draw": self.runs_per_draw,
            "median": self.median,
            "q05": self.q05,
            "q95": self.q95,
            "share_below_0_05": self.share_below,
            "share_above_0_5": self.share_above,
            "variance": self.total,
            "variance_between_draws": self.between,
            "variance_within_draws": self.within,
            "share_between": self.share_between,
        }

    def words(self, digits: int = 2) -> str:
        """One line: pooled, per-draw median and 5-95%, the two shares, the variance split.

        Parameters
        ----------
        digits
            Decimals of the probabilities (default 2).

        Returns
        -------
        str
            The line, e.g. ``0.12 (per draw: median 0.10, 5-95% 0.02-0.31; ...)``.
        """
        f = f".{digits}f"
        between = "" if np.isnan(self.share_between) else f"; {self.share_between:.0%} of the variance between draws"
        return (
            f"{self.pooled:{f}} (per draw: median {self.median:{f}}, 5-95% {self.q05:{f}}-{self.q95:{f}}; "
            f"{self.share_below:.0%} of draws < {RARE:g}, {self.share_above:.0%} > {LIKELY:g}{between})"
        )


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q-quantile of ``values`` with ``weights`` (inverse of the weighted CDF, lower value at a tie).

    Parameters
    ----------
    values
        The values.
    weights
        A non-negative weight per value.
    q
        The quantile, between 0 and 1.

    Returns
    -------
    float
        The smallest value whose cumulative weight share reaches ``q``.
    """
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cum = np.cumsum(w) / w.sum()
    return float(v[min(np.searchsorted(cum, q - 1e-12, side="left"), len(v) - 1)])


def per_draw(values: Sequence[float] | np.ndarray | pd.Series, draws: Sequence[int] | np.ndarray) -> pd.DataFrame:
    """Per posterior draw: its runs and the share of them where the 0/1 outcome is 1 (index: draw, sorted).

    Parameters
    ----------
    values
        The 0/1 outcome, one per run.
    draws
        The posterior row of each run.

    Returns
    -------
    pandas.DataFrame
        Columns ``runs`` and ``p``, one row per draw.
    """
    y = pd.Series(np.asarray(values, dtype=float))
    g = y.groupby(np.asarray(draws))
    out = pd.DataFrame({"runs": g.size(), "p": g.mean()})
    out.index.name = "draw"
    return out


def variance_split(p: np.ndarray, n: np.ndarray) -> tuple[float, float, float]:
    """(total, between, within) variance of a 0/1 outcome from per-draw shares ``p`` over ``n`` runs each.

    total: the variance over all runs (with the n / (n - 1) correction); within: the runs-weighted mean of
    the draws' unbiased Bernoulli variances (draws with >= 2 runs); between = total - within, >= 0.

    Parameters
    ----------
    p
        Each draw's share of runs where the outcome is 1.
    n
        Each draw's number of runs.

    Returns
    -------
    tuple of float
        (total, between, within); between and within are NaN when no draw has two runs.
    """
    p, n = np.asarray(p, float), np.asarray(n, float)
    N = n.sum()
    pooled = float((p * n).sum() / N)
    total = pooled * (1 - pooled) * (N / (N - 1) if N > 1 else 1.0)
    several = n >= 2
    if several.any():
        ns, ps = n[several], p[several]
        within = float((ns * ps * (1 - ps) * ns / (ns - 1)).sum() / ns.sum())
    else:
        within = float("nan")
    if np.isnan(within):
        return float(total), float("nan"), float("nan")
    within = min(within, total)
    return float(total), float(total - within), float(within)


def spread_of(values: Sequence[float] | np.ndarray | pd.Series, draws: Sequence[int] | np.ndarray) -> Spread:
    """The spread of a 0/1 outcome (``values``, one per run) across the posterior draws ``draws`` (one per run).

    Parameters
    ----------
    values
        The 0/1 outcome, one per run.
    draws
        The posterior row of each run.

    Returns
    -------
    Spread
        The pooled probability, its spread across draws and the variance split (NaN when there are no runs).
    """
    table = per_draw(values, draws)
    if table.empty:
        nan = float("nan")
        return Spread(nan, 0, 0, 0.0, nan, nan, nan, nan, nan, nan, nan, nan)
    p, n = table["p"].to_numpy(), table["runs"].to_numpy()
    total, between, within = variance_split(p, n)
    return Spread(
        pooled=float((p * n).sum() / n.sum()),
        runs=int(n.sum()),
        draws=len(table),
        runs_per_draw=float(np.median(n)),
        median=weighted_quantile(p, n, 0.5),
        q05=weighted_quantile(p, n, 0.05),
        q95=weighted_quantile(p, n, 0.95),
        share_below=float(n[p < RARE].sum() / n.sum()),
        share_above=float(n[p > LIKELY].sum() / n.sum()),
        total=total,
        between=between,
        within=within,
        per_draw=table["p"],
    )


def follows(per_draw_p: pd.Series, samples: np.ndarray, keys: Sequence[str], top: int = 3) -> list[tuple[str, float]]:
    """The parameters the per-draw probability follows: Spearman rank correlation over draws of
    ``per_draw_p`` (index: posterior rows) with each column of ``samples`` [S, P] (names ``keys``), the
    ``top`` largest in absolute value (none when the probability does not vary across draws).

    Parameters
    ----------
    per_draw_p
        Each draw's probability, indexed by its posterior row.
    samples
        The posterior's parameter values [S, P].
    keys
        The names of the columns of ``samples``.
    top
        How many parameters to return (default 3).

    Returns
    -------
    list of (str, float)
        (parameter, rank correlation), the largest in absolute value first.
    """
    p = per_draw_p.dropna()
    if p.nunique() < 2:
        return []
    values = np.asarray(samples)[p.index.to_numpy(dtype=np.int64)]
    frame = pd.DataFrame(values, columns=list(keys))
    rho = frame.corrwith(pd.Series(p.to_numpy(), index=frame.index), method="spearman").dropna()
    order = rho.abs().sort_values(ascending=False).index[:top]
    return [(str(k), float(rho[k])) for k in order]


def binary_columns(df: pd.DataFrame) -> list[str]:
    """The 0/1 outcome columns of a results table (the catalogue's binary outcomes are its bool columns).

    Parameters
    ----------
    df
        A results table.

    Returns
    -------
    list of str
        The names of its bool columns.
    """
    return [str(c) for c in df.columns if pd.api.types.is_bool_dtype(df[c])]


def table_spread(df: pd.DataFrame, outcomes: Sequence[str] | None = None) -> dict[str, dict[str, float | int]]:
    """Every probability of a results table with a ``draw`` column, with its spread (``Spread.summary``).

    Parameters
    ----------
    df
        A results table (one row per run, a ``draw`` column).
    outcomes
        The 0/1 outcomes to summarise (None: every bool column).

    Returns
    -------
    dict
        Outcome name -> :meth:`Spread.summary`; empty when the table has no ``draw`` column.
    """
    if "draw" not in df.columns:
        return {}
    names = binary_columns(df) if outcomes is None else list(outcomes)
    return {name: spread_of(df[name].astype(float), df["draw"]).summary() for name in names}
