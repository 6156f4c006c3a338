"""Many parameter draws at once: per-draw statistics of outcomes, from one batch per case.

A search over parameters (calibration's reference table, a strategy search, the spread of a
probability across posterior draws) evaluates D parameter rows, each on the same R replicate
seeds (common random numbers), on one or more cases (scenarios). Done draw by draw, every draw
pays the set-up of a batch and of an outcome table for R runs; done here, each case is one batch
of D x R runs on the batch engine's threads (``simulate``), run ``d * R + r`` using row d and
seed r, the outcomes are computed once over the whole batch (``outcomes.run_outcomes``, vectorised
over runs), and every per-draw statistic is a reduction of an array reshaped to [D, R]: no
per-draw set-up, no second pass over runs.

Each run's numbers are the ones a batch of that draw alone gives (a run depends only on its
seed, its row and the case): ``evaluate`` equals draw-by-draw evaluation bit for bit.

    from simulation.drivers.evaluate import DrawCase, evaluate
    case = DrawCase.from_inputs(prepare_inputs("baseline_2018_2021", seeds, "registry"))
    rows = case.rows({"weight.shared_threat": theta[:, 0]})         # [D] behaviour records
    stats = evaluate({"baseline": case}, {"baseline": rows}, seeds, ["alliance_reached", "mean_level"])
    stats["baseline"]["alliance_reached"]    # [D]: the share of each draw's R runs with a formal alliance

Statistics per draw (``per_draw``): ``mean`` (over the runs where it is
defined, as pandas' mean skips nulls), ``share_at_least`` / ``share_at_most`` (a
threshold), ``mean_when_reached`` / ``median_when_reached`` (time outcomes, runs where it
happened; NaN when none did), and ``aggregate``: the catalogue's own aggregation of the outcome
per design point (a share, a mean, a mean month with "never" counted as the horizon).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation.drivers.engine import simulate
from simulation.outcomes import BatchView, outcome, run_outcomes
from simulation.rules.params import Params, field_name

__all__ = ["DrawCase", "STATISTICS", "draw_outcomes", "evaluate", "per_draw"]

STATISTICS = ("mean", "share_at_least", "share_at_most", "mean_when_reached", "median_when_reached", "aggregate")


@dataclass(frozen=True)
class DrawCase:
    """One case (a scenario's prepared inputs) whose behaviour rows a search varies."""

    params: Params  # behaviour: the case's own record (one row), laid under every draw's values
    reference: Params  # the resting point's inputs (``params`` itself when the case is its own reference)
    steps: int
    actors: tuple[str, ...]
    focal: tuple[int, int]
    base_trade: float
    keep: Mapping[str, float]  # behavioural values the case's scenario sets itself (a draw never moves them)

    @classmethod
    def from_inputs(cls, inputs: Any, keep: Mapping[str, float] | None = None) -> DrawCase:
        """From ``drivers.inputs.RunInputs`` (its first behaviour row is the base of every draw)."""
        shape = inputs.structure
        return cls(inputs.params, inputs.reference, shape.steps, shape.actors, shape.focal_index,
                   inputs.base_trade, dict(keep or {}))  # fmt: skip

    def rows(self, values: Mapping[str, np.ndarray | Sequence[float]]) -> np.ndarray:
        """Behaviour records [D]: the case's own record with each registry key's column of ``values`` laid
        over it (a key the case's scenario sets itself keeps the scenario's value)."""
        lengths = {len(np.asarray(v)) for v in values.values()}
        if len(lengths) > 1:
            raise ValueError(f"every key needs the same number of draws (got {sorted(lengths)})")
        count = lengths.pop() if lengths else 1
        rec = np.repeat(self.params.behaviour[:1], count)
        for key, column in values.items():
            rec[field_name(key)] = self.keep[key] if key in self.keep else np.asarray(column, dtype=float)
        return rec


def _tiled(case: DrawCase, rows: np.ndarray, replicates: int) -> tuple[Params, Params]:
    """The case's inputs with run ``d * R + r`` on row d."""
    rec = np.repeat(np.asarray(rows), replicates)
    params = case.params._replace(behaviour=rec)
    reference = params if case.reference is case.params else case.reference._replace(behaviour=rec)
    return params, reference


def draw_outcomes(
    case: DrawCase, rows: np.ndarray, seeds: np.ndarray, outcomes: Iterable[str] | None = None, parallel: bool = True
) -> pd.DataFrame:
    """Catalogue outcomes of D x R runs (``run_outcomes``'s table, run ``d * R + r`` = row d, seed r), from one
    batch. ``outcomes``: the catalogue outcomes needed (default: all); per-pair final levels are always there.
    ``parallel``: blocks of runs on the engine's threads (``drivers.engine.threads()``)."""
    seeds = np.ascontiguousarray(np.asarray(seeds, dtype=np.int64))
    replicates = len(seeds)
    params, reference = _tiled(case, rows, replicates)
    result = simulate(params, np.tile(seeds, len(rows)), case.steps, reference, parallel=parallel)
    view = BatchView(result.levels, result.focal_trade, case.actors, case.focal, case.base_trade)
    return run_outcomes(view, only=None if outcomes is None else set(outcomes))


def per_draw(
    values: pd.Series | np.ndarray,
    replicates: int,
    statistic: str = "mean",
    threshold: float | None = None,
    horizon: int | None = None,
    name: str | None = None,
) -> np.ndarray:
    """One number per draw [D] from a column of D x R runs (run ``d * R + r``): ``statistic`` over each
    draw's R runs (see the module's list). ``aggregate`` needs the outcome's ``name`` (and the ``horizon``
    for time outcomes). Nulls ("never") count as not reached; a draw with no reached run gives NaN for the
    ``*_when_reached`` statistics."""
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r} (allowed: {', '.join(STATISTICS)})")
    if statistic == "aggregate":
        if name is None:
            raise ValueError("the aggregate statistic needs the outcome's name")
        entry = outcome(name)
        if entry.aggregation is None:
            raise ValueError(f"{name} is a {entry.kind}: it has no per-draw number")
        statistic = "mean"
        x = _floats(values)
        if entry.aggregation == "mean_censored":
            if horizon is None:
                raise ValueError(f"{name}: the horizon is needed to count runs where it never happened")
            x = np.where(np.isnan(x), float(horizon), x)
    else:
        x = _floats(values)
    if replicates < 1 or x.size % replicates:
        raise ValueError(f"{x.size} runs are not a whole number of draws of {replicates} replicates")
    x = x.reshape(-1, replicates)
    if statistic in ("share_at_least", "share_at_most"):
        if threshold is None:
            raise ValueError(f"statistic {statistic} needs a threshold")
        hit = x >= threshold if statistic == "share_at_least" else x <= threshold
        return hit.astype(np.float64).sum(axis=1) / replicates
    reached = ~np.isnan(x)
    count = reached.sum(axis=1)
    out = np.full(x.shape[0], np.nan)
    some = count > 0
    if statistic in ("mean", "mean_when_reached"):  # pandas' skipna mean: nulls as zeros in the sum, not counted
        out[some] = np.where(reached, x, 0.0).sum(axis=1)[some] / count[some]
        return out
    ordered = np.sort(x, axis=1)  # NaN (never) sorts last
    rows = np.flatnonzero(some)
    low, high = (count[some] - 1) // 2, count[some] // 2
    out[some] = (ordered[rows, low] + ordered[rows, high]) / 2.0
    return out


def _floats(values: pd.Series | np.ndarray) -> np.ndarray:
    """A column as float64 with NaN for nulls (as ``Series.astype(float)`` gives)."""
    if isinstance(values, pd.Series | pd.api.extensions.ExtensionArray):
        return np.asarray(pd.Series(values).astype(float).to_numpy(), dtype=np.float64)
    return np.asarray(values, dtype=np.float64)


def evaluate(
    cases: Mapping[str, DrawCase],
    rows: Mapping[str, np.ndarray] | np.ndarray,
    seeds: np.ndarray,
    outcomes: Sequence[str],
    statistic: str = "aggregate",
    parallel: bool = True,
) -> dict[str, dict[str, np.ndarray]]:
    """Per-draw statistics of the named outcomes on every case: ``{case: {outcome: [D]}}``.

    ``rows``: behaviour records [D] per case (``DrawCase.rows``), or one record array for every case;
    ``seeds``: the R replicate seeds every draw runs on. Each case is one batch of D x R runs; each
    outcome is computed once over it and reduced per draw (``statistic``, default the catalogue's
    aggregation: shares for yes/no outcomes, means for levels, mean months with "never" as the horizon).
    """
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, case in cases.items():
        case_rows = rows[key] if isinstance(rows, Mapping) else rows
        table = draw_outcomes(case, case_rows, seeds, outcomes, parallel)
        out[key] = {
            name: per_draw(table[name], len(seeds), statistic, horizon=case.steps, name=name) for name in outcomes
        }
    return out
