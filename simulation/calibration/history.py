"""History matching in waves, then rejection ABC inside what is left; and the simulation-based calibration check.

Why this method for ~30 parameters (and not ABC-SMC): with pyabc, ABC-SMC's importance weights
degenerated here (an effective sample size of 5 of 400 particles after one step), while the batch
engine makes a reference table cheap. History matching (Vernon, Goldstein & Bower 2010, Bayesian
Anal. 5(4); Andrianakis et al. 2015, PLoS Comput Biol 11(1): e1003968, for agent-based models)
uses a table to rule out the parameter space where a pattern lies more than ``cutoff`` standard
deviations from its target (the implausibility of ``Pattern.implausibility``, whose scale holds the
tolerance as the model-discrepancy term and the runs' Monte Carlo error). Each wave draws a new
scrambled-Sobol table, uniform over the box that still holds every non-implausible draw of the last
wave: since every point outside that box was ruled out, the box's uniform distribution is the prior
restricted to where the posterior can be, and the last wave's rejection ABC (the ``accept`` draws
with the smallest distance, sum of squared implausibilities) is rejection ABC under that truncated
prior. Each wave's table resumes chunk by chunk and serves leave-one-pattern-out at no cost.

Simulation-based calibration (Talts et al. 2018, arXiv:1804.06788) checks the inference, not the
model: ``truths`` draws of a table play the observations in turn (their simulated pattern values as
point targets, with each pattern's tolerance as the scale), the rejection step is run against them
on the rest of the table, and the share of truths inside their own 50% and 90% posterior intervals
is counted, parameter by parameter, with each parameter's contraction ``1 - var(post) / var(prior)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from simulation.calibration.patterns import PatternsFile

#: Pukelsheim's three-sigma rule (any unimodal distribution puts 95% of its mass within 3 sd), the usual
#: history-matching cut-off.
IMPLAUSIBILITY_CUTOFF = 3.0
#: A refocused box reaches this share of the surviving draws' range beyond them on each side (a modelling
#: choice: a finite table sees the edge of the non-implausible region only up to its spacing).
REFOCUS_MARGIN = 0.1
#: Waves stop once the not-ruled-out volume (box volume x share of its draws not ruled out, as a share of the
#: prior volume) changes by less than this share from one wave to the next: a modelling choice, about twice the
#: relative sampling error of that share when a few hundred draws of a wave survive.
CONVERGENCE_SHARE = 0.2


def implausibilities(patterns: PatternsFile, values: pd.DataFrame, replicates: int,
                     exclude: str | None = None) -> np.ndarray:  # fmt: skip
    """[draws, patterns] implausibility of every pattern (``exclude`` left out) for every row of a table."""
    used = [p for p in patterns.patterns if p.id != exclude]
    return np.column_stack([values[p.id].map(lambda v, p=p: p.implausibility(v, replicates)).to_numpy() for p in used])


def distance(impl: np.ndarray) -> np.ndarray:
    """The scaled distance of a draw: the sum of its squared implausibilities (0 inside every target)."""
    return np.sum(impl**2, axis=1)


def refocus(theta: np.ndarray, impl: np.ndarray, bounds: dict[str, tuple[float, float]],
            cutoff: float = IMPLAUSIBILITY_CUTOFF, keep_at_least: int = 32) -> tuple[dict[str, tuple[float, float]], int]:  # fmt: skip
    """The next wave's box: per parameter, the range of the draws not ruled out (max implausibility <= cutoff),
    widened on each side by ``REFOCUS_MARGIN`` of that range and clipped to the current box. If fewer than
    ``keep_at_least`` draws survive, the ``keep_at_least`` least implausible draws define it (a model that
    cannot meet every pattern is still focused where it comes closest). Returns (box, draws kept)."""
    worst = impl.max(axis=1)
    kept = np.flatnonzero(worst <= cutoff)
    if kept.size < keep_at_least:
        kept = np.argsort(worst, kind="stable")[:keep_at_least]
    out = {}
    for k, name in enumerate(bounds):
        lo, hi = bounds[name]
        x = theta[kept, k]
        margin = REFOCUS_MARGIN * float(x.max() - x.min())
        out[name] = (max(lo, float(x.min()) - margin), min(hi, float(x.max()) + margin))
    return out, int(kept.size)


@dataclass(frozen=True)
class SBCResult:
    """Per parameter: coverage of the 50% and 90% central posterior intervals over the truths, and the mean
    contraction ``1 - var(posterior) / var(prior)``."""

    table: pd.DataFrame  # parameter, cover50, cover90, contraction
    truths: int
    accept: int

    @property
    def cover90(self) -> float:
        return float(self.table["cover90"].mean())

    @property
    def cover50(self) -> float:
        return float(self.table["cover50"].mean())


def sbc_check(patterns: PatternsFile, keys: list[str], theta: np.ndarray, values: pd.DataFrame,
              bounds: dict[str, tuple[float, float]], truths: int = 100, accept: int = 100,
              seed: int = 0) -> SBCResult:  # fmt: skip
    """Simulation-based calibration of the rejection step on a table (see the module docstring).

    Truth t's pattern values are the observations; the distance of every other draw is the sum over
    patterns of ((value - observed) / tolerance)^2; the ``accept`` closest form t's posterior.
    """
    rng = np.random.default_rng(seed)
    n = len(theta)
    picks = rng.choice(n, size=min(truths, n), replace=False)
    tol = np.array([p.target.tolerance for p in patterns.patterns])
    v = np.column_stack([values[p.id].to_numpy(dtype=float) for p in patterns.patterns])
    undefined = ~np.isfinite(v)
    prior_var = np.array([(hi - lo) ** 2 / 12.0 for lo, hi in bounds.values()])
    in50 = np.zeros((len(picks), len(keys)), dtype=bool)
    in90 = np.zeros_like(in50)
    contraction = np.zeros((len(picks), len(keys)))
    for r, t in enumerate(picks):
        diff = (v - v[t]) / tol
        # a measure undefined in one of the two (no run reached the event) is as far as UNDEFINED_MISS
        both_undefined = undefined & undefined[t]
        diff = np.where(both_undefined, 0.0, np.where(undefined | undefined[t], 10.0, diff))
        d = np.sum(diff**2, axis=1)
        d[t] = np.inf  # the truth itself is not in its own posterior
        chosen = np.argsort(d, kind="stable")[:accept]
        post = theta[chosen]
        q = np.quantile(post, [0.05, 0.25, 0.75, 0.95], axis=0)
        truth = theta[t]
        in50[r] = (truth >= q[1]) & (truth <= q[2])
        in90[r] = (truth >= q[0]) & (truth <= q[3])
        contraction[r] = 1.0 - post.var(axis=0) / prior_var
    table = pd.DataFrame({"parameter": keys, "cover50": in50.mean(axis=0), "cover90": in90.mean(axis=0),
                          "contraction": contraction.mean(axis=0)})  # fmt: skip
    return SBCResult(table, len(picks), accept)


def contraction(samples: np.ndarray, weights: np.ndarray, keys: list[str],
                bounds: dict[str, tuple[float, float]]) -> pd.Series:  # fmt: skip
    """Per parameter, ``1 - var(posterior) / var(uniform prior on the registry range)``: 0 learnt nothing, 1 pinned."""
    w = weights / weights.sum()
    mean = w @ samples
    var = w @ (samples - mean) ** 2
    prior = np.array([(bounds[k][1] - bounds[k][0]) ** 2 / 12.0 for k in keys])
    return pd.Series(1.0 - var / prior, index=keys)


def box_volume(bounds: dict[str, tuple[float, float]], prior_bounds: dict[str, tuple[float, float]]) -> float:
    """The volume of a box as a share of the prior box."""
    return float(np.prod([(b[1] - b[0]) / (prior_bounds[k][1] - prior_bounds[k][0]) for k, b in bounds.items()]))


@dataclass(frozen=True)
class Wave:
    """One history-matching wave: its box, how many of its draws were kept (not ruled out), and the estimate of
    the not-ruled-out volume (box volume x share kept, as a share of the prior volume) with its change from the
    wave before."""

    wave: int
    draws: int
    box_share_of_prior_volume: float
    not_implausible: int
    meeting_every_pattern: int
    not_ruled_out_volume: float
    volume_change: float | None  # |V_w - V_{w-1}| / V_{w-1}; None for the first wave

    def record(self) -> dict:
        return asdict(self)


def volume_change(now: float, before: float) -> float:
    """Relative change of the not-ruled-out volume (0 when both are empty)."""
    if before > 0:
        return abs(now - before) / before
    return 0.0 if now == 0 else float("inf")


def run_waves(
    table: Callable[[int, dict[str, tuple[float, float]]], tuple[np.ndarray, pd.DataFrame]],
    implausibility: Callable[[pd.DataFrame], np.ndarray],
    prior_bounds: dict[str, tuple[float, float]],
    max_waves: int,
    converge: float = CONVERGENCE_SHARE,
    min_waves: int = 2,
    cutoff: float = IMPLAUSIBILITY_CUTOFF,
    progress: Callable[[Wave], None] | None = None,
) -> tuple[list[tuple[np.ndarray, pd.DataFrame, np.ndarray, dict]], list[Wave], bool]:
    """History matching until the not-ruled-out volume settles.

    ``table(wave, box)`` simulates a wave's draws, uniform over ``box``; ``implausibility(values)`` scores them
    ([draws, patterns]). Waves continue until the not-ruled-out volume changes by less than ``converge`` of
    itself between two waves (after at least ``min_waves``), or ``max_waves`` is reached. Returns the tables
    (theta, values, implausibilities, box), the wave records, and whether the volume settled."""
    bounds = dict(prior_bounds)
    tables: list[tuple[np.ndarray, pd.DataFrame, np.ndarray, dict]] = []
    log: list[Wave] = []
    converged = False
    for wave in range(1, max_waves + 1):
        theta, values = table(wave, bounds)
        impl = implausibility(values)
        worst = impl.max(axis=1) if impl.size else np.zeros(len(theta))
        kept = int((worst <= cutoff).sum())
        volume = box_volume(bounds, prior_bounds)
        nroy = volume * kept / max(len(theta), 1)
        change = None if not log else volume_change(nroy, log[-1].not_ruled_out_volume)
        record = Wave(wave, len(theta), volume, kept, int((worst == 0).sum()), nroy, change)
        log.append(record)
        tables.append((theta, values, impl, dict(bounds)))
        if progress is not None:
            progress(record)
        if wave >= min_waves and change is not None and change < converge:
            converged = True
            break
        if wave < max_waves:
            bounds, _ = refocus(theta, impl, bounds, cutoff)
    return tables, log, converged


def pool_last_box(
    tables: list[tuple[np.ndarray, pd.DataFrame, np.ndarray, dict]], keys: list[str]
) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """Every wave's draws inside the last wave's box (each wave's box holds the last, so they are uniform over
    it): theta, values, implausibilities."""
    box = tables[-1][3]
    inside = [
        np.all([(th[:, k] >= box[key][0]) & (th[:, k] <= box[key][1]) for k, key in enumerate(keys)], axis=0)
        for th, _, _, _ in tables
    ]
    theta = np.concatenate([th[m] for (th, _, _, _), m in zip(tables, inside, strict=True)])
    values = pd.concat([v[m] for (_, v, _, _), m in zip(tables, inside, strict=True)], ignore_index=True)
    impl = np.concatenate([im[m] for (_, _, im, _), m in zip(tables, inside, strict=True)])
    return theta, values, impl
