"""Utility terms behind each actor's desire to move closer to each partner.

``desire[b, i, j] = sum_k sign_k * weight_k * term_k[b, i, j] + noise``, with terms:

benefits
- shared_threat: ``sum_{k != i, j} min(thr[i, k], thr[j, k])``, a common adversary both fear
  (balance of threat; Walt 1987; 002: "Both Russia and China share a desire to push back on
  a unipolar, U.S.-dominated world order");
- economic_stake: i's trade share with j plus ``arms_stake_weight`` times i's arms-export
  share to j (001: "35 percent of Russian arms exports going to Delhi");
- affinity: regime similarity (001: "regime similarities");
- rapport: leader rapport, scaled down while summits are halted (004: pandemic);
costs
- entrapment: ``sum_{k != i, j} level[i, k] / 5 * thr[j, k]``, i's friends whom j fears: an
  alignment drags i into j's conflicts with them (004: "China's tense relations with India
  illustrate how costly a military alliance could become for Russia");
- exposure: ``vulnerability[i] * sum_{k != i, j} share[i, k] * thr[k, j]``, i's trade with
  those who fear j, open to punishment (001: "China is warier of antagonizing that order's
  ultimate guarantor");
- status: ``status_concern[i] * max(0, power[j] - power[i]) / (power[i] + power[j])``, the
  cost of being the junior partner (000: "would not allow it to accept a de facto junior
  partner status");
- mistrust: historical mistrust of j by i (000: "a history of bad blood").
"""

from __future__ import annotations

import numpy as np

TERMS = (
    "shared_threat",
    "economic_stake",
    "affinity",
    "rapport",
    "entrapment",
    "exposure",
    "status",
    "mistrust",
)
SIGNS = np.array([1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0])


def weigh_alignment(
    threat: np.ndarray,
    trade_share: np.ndarray,
    arms_share: np.ndarray,
    affinity: np.ndarray,
    rapport: np.ndarray,
    mistrust: np.ndarray,
    level: np.ndarray,
    power: np.ndarray,
    status_concern: np.ndarray,
    trade_vulnerability: np.ndarray,
    arms_stake_weight: np.ndarray,
    max_level: int,
) -> np.ndarray:
    """The unweighted, unsigned utility terms ``terms[b, i, j, k]`` in the order of TERMS.

    The sums over third parties k need no mask: ``threat``, ``trade_share`` and ``level`` have
    zero diagonals, so the k = i and k = j terms vanish by themselves.
    """
    B, n, _ = threat.shape
    shared = np.minimum(threat[:, :, None, :], threat[:, None, :, :]).sum(axis=-1)
    stake = trade_share + arms_stake_weight.reshape(-1, 1, 1) * arms_share
    friends = level / max_level  # [b, i, k]
    # entrapment[b, i, j] = sum_k friends[b, i, k] * thr[b, j, k]
    entrap = friends @ np.swapaxes(threat, 1, 2)
    # exposure[b, i, j] = vulnerability[i] * sum_k share[b, i, k] * thr[b, k, j]
    expo = trade_share @ threat
    expo = expo * np.broadcast_to(trade_vulnerability, (B, n))[:, :, None]
    p = np.broadcast_to(power, (B, n))
    gap = np.maximum(p[:, None, :] - p[:, :, None], 0.0) / (p[:, None, :] + p[:, :, None])
    status = np.broadcast_to(status_concern, (B, n))[:, :, None] * gap
    terms = np.stack(
        [
            shared,
            stake,
            np.broadcast_to(affinity, (B, n, n)),
            np.broadcast_to(rapport, (B, n, n)),
            entrap,
            expo,
            status,
            np.broadcast_to(mistrust, (B, n, n)),
        ],
        axis=-1,
    )
    idx = np.arange(n)
    terms[:, idx, idx, :] = 0.0
    return terms


def desire(terms: np.ndarray, weights: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Net desire ``sum_k sign_k * weights[b, k] * terms[b, i, j, k] + noise[b, i, j]``.

    ``weights`` has shape [B or 1, len(TERMS)], unsigned.
    """
    signed = np.broadcast_to(weights * SIGNS, (terms.shape[0], len(TERMS)))  # [B, K]
    return (terms @ signed[:, None, :, None])[..., 0] + noise
