"""Small statistics used by plots, reports and tests."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm


def wilson_interval(
    successes: np.ndarray, n: np.ndarray, z: float | None = None, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (Wilson, JASA 22:209-212, 1927,
    doi:10.1080/01621459.1927.10502953). Returns (low, high); n = 0 gives (0, 1)."""
    if z is None:
        z = float(norm.ppf(0.5 + confidence / 2))
    k = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    safe_n = np.where(n > 0, n, 1.0)
    p = k / safe_n
    denom = 1.0 + z**2 / safe_n
    centre = (p + z**2 / (2 * safe_n)) / denom
    half = z * np.sqrt(p * (1 - p) / safe_n + z**2 / (4 * safe_n**2)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0, 1), 0.0)
    high = np.where(n > 0, np.clip(centre + half, 0, 1), 1.0)
    return low, high


def proportion(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """A share with its Wilson interval: (successes / n, low, high)."""
    low, high = wilson_interval(np.array([successes]), np.array([n]), confidence=confidence)
    return successes / n if n else 0.0, float(low[0]), float(high[0])
