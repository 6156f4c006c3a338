"""The batch engine: many runs at once through the same compiled rules as the Mesa model.

Run b's random draws come only from its own seed (the counter-based stream of
``rules/rng.py``), so a run's trajectory does not depend on the batch, chunk or worker it
lands in, and equals the Mesa model's run with that seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .rules.kernels import N_TERMS, simulate_batch
from .rules.params import Params


class Scratch(NamedTuple):
    """One month of one run, as the rules leave it (for explanations and data collection)."""

    pressure_threat: np.ndarray  # [n]
    pressure_trade: np.ndarray  # [n]
    coordination: np.ndarray  # [n]
    threat: np.ndarray  # [n, n]
    trade: np.ndarray  # [n, n] USD bn
    share: np.ndarray  # [n, n]
    terms: np.ndarray  # [n, n, K]
    desire: np.ndarray  # [n, n]
    treaty_desire: np.ndarray  # [n, n]
    intent: np.ndarray  # [n, n] int8


def new_scratch(n: int) -> Scratch:
    return Scratch(
        pressure_threat=np.zeros(n),
        pressure_trade=np.zeros(n),
        coordination=np.zeros(n),
        threat=np.zeros((n, n)),
        trade=np.zeros((n, n)),
        share=np.zeros((n, n)),
        terms=np.zeros((n, n, N_TERMS)),
        desire=np.zeros((n, n)),
        treaty_desire=np.zeros((n, n)),
        intent=np.zeros((n, n), dtype=np.int8),
    )


def noise_width(n: int, random_events: int) -> int:
    """Standard normal draws per run and month: one per ordered actor pair, one per random event."""
    return n * n + random_events


class BatchResult(NamedTuple):
    levels: np.ndarray  # [B, T + 1, n, n] int8
    focal_trade: np.ndarray  # [B, T] USD bn, the focal pair's trade each month


def simulate(params: Params, seeds: Sequence[int] | np.ndarray, steps: int, reference: Params | None = None) -> BatchResult:
    """Run ``len(seeds)`` runs of ``steps`` months. ``reference`` sets the resting point (default: params)."""
    seeds = np.ascontiguousarray(np.asarray(seeds, dtype=np.int64))
    if seeds.size and seeds.min() < 0:
        raise ValueError("seeds must be non-negative")
    n = params.initial_level.shape[-1]
    if params.pressure_threat.shape[1] < steps:
        raise ValueError(f"the scenario defines drivers for {params.pressure_threat.shape[1]} months, asked for {steps}")
    B = seeds.shape[0]
    levels = np.empty((B, steps + 1, n, n), dtype=np.int8)
    focal_trade = np.empty((B, steps))
    ref = params if reference is None else reference
    width = noise_width(n, params.random_pairs.shape[0])
    simulate_batch(params, ref, seeds, steps, width, levels, focal_trade, new_scratch(n))
    return BatchResult(levels, focal_trade)
