"""Perceived threat and trade after US pressure, EU coordination, events and feedback.

Documents: pressure raises threat perception of the US ("The Sino-Russia rapprochement has
emerged alongside the intense deterioration of both U.S.-Russian and U.S.-Chinese
relations", 002) and cuts trade, which is partly diverted to aligned partners (003: "Russia
was vulnerable to the West-imposed sanctions due to its heavy reliance on the Western
markets"); a closer pair raises others' threat perception of both (003).
"""

from __future__ import annotations

import numpy as np


def perceive_threat(
    threat_base: np.ndarray,
    pressure_threat: np.ndarray,
    coordination: np.ndarray,
    shock: np.ndarray,
    level: np.ndarray,
    initial_level: np.ndarray,
    pressurer: int,
    coordinator: int,
    pressure_threat_gain: np.ndarray,
    coordination_threat_share: np.ndarray,
    bloc_threat_gain: np.ndarray,
    max_level: int,
) -> np.ndarray:
    """Threat perception ``thr[b, i, j]`` of j by i this step, in [0, 1].

    - pressure: target k's threat perception of the pressurer rises by
      ``gain * pressure_threat[k]``, and of the coordinator by ``gain * share *
      coordination * pressure_threat[k]``;
    - events: additive shocks (border crises);
    - bloc feedback: k's threat perception of j rises by ``bloc_gain * sum_m
      max(0, a[j, m] - a0[j, m]) * threat_base[k, m]`` where ``a = level / max_level``:
      j drawing closer to someone k already fears makes j more threatening to k.
    """
    B = level.shape[0]
    n = level.shape[-1]
    thr = np.broadcast_to(threat_base, (B, n, n)).copy()
    gain = pressure_threat_gain.reshape(-1, 1)
    rise = gain * pressure_threat  # [B, n]: for each target k
    thr[:, :, pressurer] += rise
    if coordinator >= 0:
        share = coordination_threat_share.reshape(-1, 1)
        thr[:, :, coordinator] += share * coordination.reshape(-1, 1) * rise
    thr += shock
    closer = np.maximum(level - initial_level, 0) / max_level  # [B, j, m]
    # feedback[b, k, j] = sum_m closer[b, j, m] * threat_base[b, k, m]
    feedback = np.broadcast_to(threat_base, (B, n, n)) @ np.swapaxes(closer, 1, 2)
    thr += bloc_threat_gain.reshape(-1, 1, 1) * feedback
    np.clip(thr, 0.0, 1.0, out=thr)
    idx = np.arange(n)
    thr[:, idx, idx] = 0.0
    return thr


def divert_trade(
    trade_usd_bn: np.ndarray,
    total_trade_usd_bn: np.ndarray,
    pressure_trade: np.ndarray,
    coordination: np.ndarray,
    level: np.ndarray,
    pressurer: int,
    coordinator: int,
    pressure_trade_cut: np.ndarray,
    trade_diversion_share: np.ndarray,
    max_level: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Bilateral trade this step (USD bn, symmetric) and trade shares ``share[b, i, j]``.

    Pressure on target k cuts k's trade with the pressurer by ``cut * pressure_trade[k]``
    and with the coordinator by that times the coordination level. A share
    ``trade_diversion_share`` of each actor's lost trade is redirected to its partners in
    proportion to alignment level (excluding partners it lost trade with). Shares are
    relative to each actor's baseline total trade.
    """
    B = level.shape[0]
    n = level.shape[-1]
    cut = np.zeros((B, n, n))
    k_cut = pressure_trade_cut.reshape(-1, 1) * pressure_trade  # [B, n]
    cut[:, :, pressurer] = k_cut
    if coordinator >= 0:
        cut[:, :, coordinator] = k_cut * coordination.reshape(-1, 1)
    cut = np.maximum(cut, np.swapaxes(cut, 1, 2))  # a cut pair loses trade both ways
    base = np.broadcast_to(trade_usd_bn, (B, n, n))
    kept = base * (1.0 - cut)
    lost = (base - kept).sum(axis=2)  # [B, i]
    pull = (level / max_level) * (1.0 - cut)
    pull_sum = pull.sum(axis=2, keepdims=True)
    weights = np.divide(pull, pull_sum, out=np.zeros_like(pull), where=pull_sum > 0)
    diverted = trade_diversion_share.reshape(-1, 1, 1) * lost[:, :, None] * weights
    trade = kept + diverted + np.swapaxes(diverted, 1, 2)
    share = trade / np.broadcast_to(total_trade_usd_bn, (B, n))[:, :, None]
    return trade, share
