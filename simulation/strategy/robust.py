"""Robustness statistics: per-draw values of a measure become one number per policy.

Each reads ``values[policies, draws]`` and the draws' posterior weights (summing to 1). The
percentile is the weighted inverted CDF (the smallest value whose cumulative weight reaches q), so
with equal weights ``percentile: 90`` of 100 draws is the 90th smallest value.
"""

from __future__ import annotations

import numpy as np

from simulation.strategy.spec import Measured


def weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> np.ndarray:
    """Per row of ``values [N, D]``: the weighted q-th percentile over its columns."""
    order = np.argsort(values, axis=1, kind="stable")
    sorted_values = np.take_along_axis(values, order, axis=1)
    cum = np.cumsum(weights[order], axis=1)
    cum /= cum[:, -1:]
    idx = np.minimum((cum < q / 100.0 - 1e-12).sum(axis=1), values.shape[1] - 1)
    return sorted_values[np.arange(values.shape[0]), idx]


def best_per_draw(reference: np.ndarray, minimise: bool) -> np.ndarray:
    """[draws]: the best value any reference policy reaches in each draw (``reference [R, D]``)."""
    return reference.min(axis=0) if minimise else reference.max(axis=0)


def robust_value(
    objective: Measured, values: np.ndarray, weights: np.ndarray, reference: np.ndarray | None = None
) -> np.ndarray:
    """[N]: the objective's robust value for each policy (its own sign: a probability stays a probability)."""
    r = objective.robustness
    minimise = objective.direction == "minimise"
    if r.statistic == "mean":
        return values @ weights
    if r.statistic == "percentile":
        return weighted_percentile(values, weights, r.percentile)
    if r.statistic == "regret":
        if reference is None or reference.size == 0:
            raise ValueError("regret needs the reference policies' values")
        best = best_per_draw(reference, minimise)
        shortfall = values - best[None] if minimise else best[None] - values
        return weighted_percentile(shortfall, weights, r.percentile)
    met = values <= r.threshold if minimise else values >= r.threshold
    return met.astype(float) @ weights


def to_minimise(objective: Measured, value: np.ndarray) -> np.ndarray:
    """The value the search minimises (maximised values change sign)."""
    return value if objective.minimised else -value


def non_dominated(F: np.ndarray, feasible: np.ndarray | None = None) -> np.ndarray:
    """Indices of the rows of ``F`` (all minimised) no other row dominates (among the feasible ones when
    there are any); equal rows are all kept."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    idx = np.arange(F.shape[0])
    if feasible is not None and feasible.any():
        idx = idx[feasible]
    if idx.size == 0:
        return idx
    front = NonDominatedSorting().do(F[idx], only_non_dominated_front=True)
    return np.sort(idx[np.asarray(front, dtype=int)])


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` dominates ``b`` (both minimised): no worse in every objective, better in one."""
    return bool(np.all(a <= b) and np.any(a < b))
