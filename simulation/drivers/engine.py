"""The batch engine: many runs at once through the same compiled rules as the Mesa model.

Run b's random draws come only from its own seed (the counter-based stream of
``rules/rng.py``), so a run's trajectory does not depend on the batch, chunk or worker it
lands in, and equals the Mesa model's run with that seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["BatchResult", "Scratch", "new_scratch", "noise_width", "simulate"]

import numpy as np

from simulation.rules.kernels import _run_block, simulate_batch
from simulation.rules.params import Params, Scratch, new_scratch


def noise_width(n: int, random_events: int) -> int:
    """Standard normal draws per run and month: one per ordered actor pair, one per random event."""
    return n * (n - 1) + random_events


class BatchResult(NamedTuple):
    levels: np.ndarray  # [B, T + 1, n, n] int8
    focal_trade: np.ndarray  # [B, T] USD bn, the focal pair's trade each month


def simulate(
    params: Params,
    seeds: Sequence[int] | np.ndarray,
    steps: int,
    reference: Params | None = None,
    parallel: bool = True,
) -> BatchResult:
    """Run ``len(seeds)`` runs of ``steps`` months. ``reference`` sets the resting point (default: params).

    ``parallel``: spread blocks of runs over numba's threads (results are identical either way);
    worker processes that already run in parallel pass False.
    """
    seeds = np.ascontiguousarray(np.asarray(seeds, dtype=np.int64))
    if seeds.size and seeds.min() < 0:
        raise ValueError("seeds must be non-negative")
    n = params.initial_level.shape[-1]
    if params.pressure_threat.shape[1] < steps:
        raise ValueError(
            f"the scenario defines drivers for {params.pressure_threat.shape[1]} months, asked for {steps}"
        )
    B = seeds.shape[0]
    levels = np.empty((B, steps + 1, n, n), dtype=np.int8)
    focal_trade = np.empty((B, steps))
    ref = params if reference is None else reference
    width = noise_width(n, params.random_pairs.shape[0])
    if parallel:
        simulate_batch(params, ref, seeds, steps, width, levels, focal_trade)
    else:
        _run_block(params, ref, seeds, 0, B, steps, width, levels, focal_trade)
    return BatchResult(levels, focal_trade)
