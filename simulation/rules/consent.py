"""Intents from desire and ladder thresholds; bilateral consent.

An actor wants to RAISE a relationship at level L when its desire exceeds
``threshold[L + 1]``, and to LOWER it when desire falls below ``threshold[L] - (L + 1) * hysteresis``:
every tie is somewhat sticky, and the deeper the commitment, the more it takes to walk
away from it (institutions, treaties and reputations are sunk into it).
Raising needs both sides' consent; either side can lower (a lowering wins over a raise).
A formal alliance (the top level) needs both sides to want it for ``treaty_steps``
consecutive steps: a treaty is negotiated, not flipped.
"""

from __future__ import annotations

import numpy as np


def form_intents(
    desire: np.ndarray, level: np.ndarray, thresholds: np.ndarray, hysteresis: np.ndarray
) -> np.ndarray:
    """Intent ``[b, i, j]`` in {-1, 0, 1} (lower, hold, raise) for every actor and partner.

    ``thresholds`` has shape [B or 1, max_level + 1]; ``thresholds[:, 0]`` is -inf.
    """
    B, n, _ = level.shape
    max_level = thresholds.shape[-1] - 1
    th = np.broadcast_to(thresholds, (B, max_level + 1))
    lvl = level.astype(np.intp).reshape(B, -1)
    up_bar = np.take_along_axis(th, np.minimum(lvl + 1, max_level), axis=1).reshape(B, n, n)
    hold_bar = np.take_along_axis(th, lvl, axis=1).reshape(B, n, n)
    raise_ = (desire > up_bar) & (level < max_level)
    exit_margin = hysteresis.reshape(-1, 1, 1) * (level + 1)
    lower = (desire < hold_bar - exit_margin) & (level > 0)
    intent = raise_.astype(np.int8) - lower.astype(np.int8)
    idx = np.arange(n)
    intent[:, idx, idx] = 0
    return intent


def resolve_consent(
    intent: np.ndarray,
    level: np.ndarray,
    consent_streak: np.ndarray,
    treaty_steps: np.ndarray,
    max_level: int,
) -> tuple[np.ndarray, np.ndarray]:
    """New levels and consent streaks from both sides' intents (symmetric by construction)."""
    both_raise = (intent == 1) & (np.swapaxes(intent, 1, 2) == 1) & (level < max_level)
    any_lower = ((intent == -1) | (np.swapaxes(intent, 1, 2) == -1)) & (level > 0)
    at_treaty_step = level == max_level - 1
    streak = np.where(both_raise & at_treaty_step & ~any_lower, consent_streak + 1, 0).astype(
        np.int16
    )
    signed = streak >= treaty_steps.reshape(-1, 1, 1)
    up = both_raise & ~any_lower & (~at_treaty_step | signed)
    new_level = level + up.astype(np.int8) - any_lower.astype(np.int8)
    streak = np.where(up & at_treaty_step, 0, streak).astype(np.int16)
    return new_level.astype(np.int8), streak
