"""Every posterior-predictive probability with its spread across posterior draws, on results tables.

A results table of posterior-predictive runs (``run_batch``, a sweep's ``results.parquet``) records the
posterior row each run used (``draw``). From it:

- ``posterior_spread(df, outcome, by=...)``: per group (e.g. per design point), the pooled probability,
  the per-draw probabilities' median and 5-95%, the shares of draws below 0.05 and above 0.5, the
  variance split (between draws: parameter uncertainty; within: run-to-run chance) and the parameters
  the per-draw probability follows (Spearman over draws);
- ``per_draw_probabilities(df, outcome, by=...)``: the per-draw probabilities themselves (one row per
  group and draw), e.g. for a robustness statistic over draws;
- ``parameters_followed(per_draw_p)``: the parameters a per-draw probability follows, each with how
  much the calibration narrowed it (posterior sd / prior sd) and the patterns whose cases set it;
- ``parameter_constraints()``: that, for every calibrated parameter.

The statistics themselves (``Spread``, the variance split, the rank correlations) are in
``simulation.core.spread``, where every layer can read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.core.spread import FEW_RUNS_PER_DRAW, Spread, follows, per_draw, spread_of

__all__ = [
    "FEW_RUNS_PER_DRAW",
    "NARROWED",
    "Followed",
    "Spread",
    "parameter_constraints",
    "parameters_followed",
    "per_draw_probabilities",
    "posterior_spread",
    "spread_of",
]

#: A parameter counts as narrowed by the patterns when its posterior sd is below this share of its prior sd.
NARROWED = 0.7


@dataclass(frozen=True)
class Followed:
    """A parameter a per-draw probability follows, and whether the evidence constrains it.

    Parameters
    ----------
    parameter
        The registry key of the parameter.
    rho
        The Spearman rank correlation over posterior draws of the probability with the parameter.
    sd_ratio
        Posterior sd / prior sd (uniform prior on the registry's range).
    patterns
        The ids of the patterns whose cases or contrasts set this parameter.
    """

    parameter: str
    rho: float  # Spearman rank correlation over draws
    sd_ratio: float  # posterior sd / prior sd (uniform prior on the registry's range)
    patterns: tuple[str, ...]  # patterns whose cases or contrasts set this parameter

    @property
    def constrained(self) -> bool:
        return self.sd_ratio < NARROWED

    def words(self) -> str:
        """The parameter in words: its correlation, whether the patterns narrow it and which set it.

        Returns
        -------
        str
            E.g. ``weight.affinity (Spearman +0.41; no pattern narrows it (posterior sd 0.93 of the prior's))``.
        """
        how = (
            f"narrowed by the patterns (posterior sd {self.sd_ratio:.2f} of the prior's)"
            if self.constrained
            else f"no pattern narrows it (posterior sd {self.sd_ratio:.2f} of the prior's)"
        )
        named = f"; set by pattern {', '.join(self.patterns)}" if self.patterns else ""
        return f"{self.parameter} (Spearman {self.rho:+.2f}; {how}{named})"


def _check(df: pd.DataFrame, outcome: str) -> None:
    from simulation.core.errors import InputError

    if "draw" not in df.columns:
        raise InputError(
            None,
            "draw",
            "these runs record no posterior draw (not posterior predictive, or made before draws were recorded)",
        )
    if outcome not in df.columns:
        raise InputError(None, outcome, "not a column of these runs")


def per_draw_probabilities(df: pd.DataFrame, outcome: str, by: Sequence[str] | str | None = None) -> pd.DataFrame:
    """One row per group of ``by`` (columns, e.g. ``"point"`` or the swept factors) and posterior draw:
    ``runs`` and ``p`` (the share of the draw's runs where the 0/1 ``outcome`` happened).

    Parameters
    ----------
    df
        Posterior-predictive runs with a ``draw`` column (``run_batch``, a sweep's results).
    outcome
        A 0/1 outcome column, e.g. ``alliance_reached``.
    by
        The columns to group by (None: the whole table).

    Returns
    -------
    pandas.DataFrame
        Columns ``runs`` and ``p``, indexed by the groups and ``draw``.
    """
    _check(df, outcome)
    keys = [by] if isinstance(by, str) else list(by or [])
    y = df[outcome].astype(float)
    g = y.groupby([*(df[k] for k in keys), df["draw"]])
    return pd.DataFrame({"runs": g.size(), "p": g.mean()})


def posterior_spread(
    df: pd.DataFrame, outcome: str, by: Sequence[str] | str | None = None, top: int = 3
) -> pd.DataFrame:
    """Per group of ``by`` (the whole table when None): the pooled probability of the 0/1 ``outcome`` and
    its spread across posterior draws (the columns of ``Spread.summary``), and ``follows``: the ``top``
    parameters the per-draw probability follows, as ``name (rho)`` (the shipped posterior's draws).

    Parameters
    ----------
    df
        Posterior-predictive runs with a ``draw`` column.
    outcome
        A 0/1 outcome column, e.g. ``alliance_reached``.
    by
        The columns to group by (None: the whole table).
    top
        How many followed parameters to name (default 3).

    Returns
    -------
    pandas.DataFrame
        One row per group: the group's values, the spread's statistics and ``follows``.
    """
    from simulation.behaviour import shipped_posterior

    _check(df, outcome)
    post = shipped_posterior()
    keys = [by] if isinstance(by, str) else list(by or [])
    groups = df.groupby(keys, sort=True) if keys else [((), df)]
    rows = []
    for key, sub in groups:
        s = spread_of(sub[outcome].astype(float), sub["draw"])
        top_params = follows(s.per_draw, post.samples, post.keys, top)
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        row.update(s.summary())
        row["follows"] = "; ".join(f"{k} ({r:+.2f})" for k, r in top_params)
        rows.append(row)
    return pd.DataFrame(rows)


def parameter_constraints() -> pd.DataFrame:
    """Per calibrated parameter (index): ``sd_ratio`` (weighted posterior sd / sd of the uniform prior on
    the registry's range), ``constrained`` (below ``NARROWED``) and ``patterns`` (ids of the shipped
    patterns whose case or contrast sets the parameter).

    Returns
    -------
    pandas.DataFrame
        One row per calibrated parameter of the shipped posterior.
    """
    from simulation.behaviour import shipped_posterior
    from simulation.world.registry import default_registry

    post, reg = shipped_posterior(), default_registry()
    mean = post.weights @ post.samples
    sd = np.sqrt(post.weights @ (post.samples - mean) ** 2)
    prior = np.array([(reg[k].high - reg[k].low) / np.sqrt(12.0) for k in post.keys])
    setters: dict[str, list[str]] = {k: [] for k in post.keys}
    for pattern in _shipped_patterns():
        for case in (pattern.get("case"), pattern.get("contrast")):
            for path in (case.get("overrides") or {}) if isinstance(case, dict) else {}:
                key = str(path).removeprefix("parameters.")
                if key in setters and pattern.get("id") not in setters[key]:
                    setters[key].append(str(pattern.get("id")))
    ratio = np.divide(sd, prior, out=np.full_like(sd, np.nan), where=prior > 0)
    return pd.DataFrame(
        {
            "sd_ratio": ratio,
            "constrained": ratio < NARROWED,
            "patterns": [tuple(setters[k]) for k in post.keys],
        },
        index=pd.Index(post.keys, name="parameter"),
    )


def _shipped_patterns() -> list[dict]:
    """The shipped patterns as plain mappings (validated where they are used: ``simulation.calibration``)."""
    from importlib import resources

    from simulation.world.scenario import read_yaml_mapping

    data = read_yaml_mapping(Path(str(resources.files("simulation").joinpath("data", "patterns.yaml"))), "patterns")
    return [p for p in data.get("patterns") or [] if isinstance(p, dict)]


def parameters_followed(per_draw_p: pd.Series, top: int = 3) -> list[Followed]:
    """The ``top`` parameters the per-draw probability ``per_draw_p`` (index: posterior rows) follows,
    by absolute Spearman correlation over draws, each with whether the evidence constrains it.

    Parameters
    ----------
    per_draw_p
        Each draw's probability, indexed by its row of the shipped posterior.
    top
        How many parameters to return (default 3).

    Returns
    -------
    list of Followed
        The parameters, the most followed first (none when the probability does not vary across draws).
    """
    from simulation.behaviour import shipped_posterior

    post = shipped_posterior()
    table = parameter_constraints()
    return [
        Followed(k, rho, float(table.loc[k, "sd_ratio"]), tuple(table.loc[k, "patterns"]))
        for k, rho in follows(per_draw_p, post.samples, post.keys, top)
    ]


def spread_for(df: pd.DataFrame, outcome: str) -> Spread:
    """The spread of a 0/1 ``outcome`` over a whole table of posterior-predictive runs.

    Parameters
    ----------
    df
        Posterior-predictive runs with a ``draw`` column.
    outcome
        A 0/1 outcome column.

    Returns
    -------
    Spread
        The pooled probability and its spread across draws.
    """
    _check(df, outcome)
    return spread_of(df[outcome].astype(float), df["draw"])


def per_draw_table(df: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per posterior draw of a whole table: runs and p (as ``simulation.core.spread.per_draw``).

    Parameters
    ----------
    df
        Posterior-predictive runs with a ``draw`` column.
    outcome
        A 0/1 outcome column.

    Returns
    -------
    pandas.DataFrame
        Columns ``runs`` and ``p``, one row per draw.
    """
    _check(df, outcome)
    return per_draw(df[outcome].astype(float), df["draw"])
