"""The batch engine: many runs at once through the same rules as the Mesa model.

Run b's random draws come only from its own seed (``numpy.random.default_rng(seed)``,
one block of standard normals per run), so a run's trajectory does not depend on the
batch, chunk or worker it lands in, and equals the Mesa model's run with that seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .params import Params
from .rules.step import StepRecord, advance, noise_width
from .state import State


def run_noise(seed: int, steps: int, width: int) -> np.ndarray:
    """All standard normal draws of one run: ``[steps, width]`` from its own generator."""
    return np.random.default_rng(int(seed)).standard_normal((steps, width))


def simulate(
    params: Params, seeds: Sequence[int], steps: int | None = None, keep_records: bool = False
) -> tuple[np.ndarray, list[StepRecord]]:
    """Run ``len(seeds)`` runs; returns levels ``[B, steps + 1, n, n]`` (int8) and, if asked, records."""
    T = params.steps if steps is None else steps
    if params.steps < T:
        raise ValueError(f"the scenario defines drivers for {params.steps} steps, asked for {T}")
    B = len(seeds)
    n = params.n
    width = noise_width(n, params.random_events)
    z = np.empty((T, B, width))
    for b, seed in enumerate(seeds):
        z[:, b, :] = run_noise(seed, T, width)
    state = State.initial(params.initial_level, B, params.random_events)
    levels = np.empty((B, T + 1, n, n), dtype=np.int8)
    levels[:, 0] = state.level
    records: list[StepRecord] = []
    for t in range(T):
        state, record = advance(state, params, z[t])
        levels[:, t + 1] = state.level
        if keep_records:
            records.append(record)
    return levels, records
