"""Random events: outbreaks drawn from standard normal draws, so one stream serves all noise.

An inactive event breaks out when its draw ``z < Phi^-1(probability)`` (probability per
step), then stays active for its duration.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri


def outbreak_cutoffs(probability: np.ndarray) -> np.ndarray:
    """Normal quantiles of the per-step outbreak probabilities (``-inf`` for 0)."""
    with np.errstate(divide="ignore"):
        return ndtri(np.asarray(probability, dtype=float))


def advance_random_events(
    timer: np.ndarray, z: np.ndarray, cutoffs: np.ndarray, duration: np.ndarray
) -> np.ndarray:
    """Timers after this step's draws: new outbreaks start at ``duration``, running ones count down.

    The returned timer is > 0 for events active during this step.
    """
    running = np.maximum(timer - 1, 0)
    outbreak = (timer == 0) & (z < cutoffs)
    return np.where(outbreak, duration, running).astype(np.int32)


def random_event_shock(timer: np.ndarray, pairs: np.ndarray, shock: np.ndarray, n: int) -> np.ndarray:
    """Threat shock ``[B, n, n]`` from the active random events."""
    B = timer.shape[0]
    out = np.zeros((B, n, n))
    active = (timer > 0) * np.broadcast_to(shock, timer.shape)
    for e in range(timer.shape[1]):
        a, b = pairs[e]
        out[:, a, b] += active[:, e]
        out[:, b, a] += active[:, e]
    return out
