"""Simulation-based calibration of the whole pipeline: history-matching waves, then rejection ABC.

Talts, Betancourt, Simpson, Vehtari & Gelman (2018), "Validating Bayesian inference algorithms with
simulation-based calibration", arXiv:1804.06788. A truth is drawn from the prior; its pattern values are
simulated on replicate seeds the calibration never uses (the observation, with its own run-to-run noise);
the pipeline runs against it exactly as against the documents (the same waves, implausibility cut-off,
convergence rule, tolerances, Monte Carlo variance and final rejection step), with one change: each
pattern's target is the truth's observed value (a point) instead of the documents' interval. If the pipeline
is calibrated, the rank of the truth among its posterior draws is uniform, parameter by parameter: the rank
histograms are flat (chi-square p per parameter), 50% / 90% central intervals hold the truth in 50% / 90%
of truths. Beside it stands the **null**: a "posterior" of random prior draws that ignores the observation;
it covers nominally and learns nothing (contraction 0). The calibration passes when it covers as well as the
null while contracting more; a check that cannot tell the two apart shows nothing.

The first wave's table is the calibration's own (uniform over the prior, so independent of any truth); the
later waves are simulated per truth, ``draws`` each (scaled down from the calibration's waves: stated in
the manifest and report). Per-truth results are written as they finish and reused on resume.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.calibration.history import (
    CONVERGENCE_SHARE,
    IMPLAUSIBILITY_CUTOFF,
    distance,
    pool_last_box,
    run_waves,
)
from simulation.calibration.patterns import UNDEFINED_MISS, PatternsFile

#: Seed offset of the observations' replicate seeds (never used by a calibration wave, whose seeds are
#: ``seed + wave - 1``).
OBSERVATION_SEED_OFFSET = 7_919


def point_implausibilities(
    patterns: PatternsFile, values: pd.DataFrame, observed: dict[str, float], replicates: int
) -> np.ndarray:
    """[draws, patterns]: |value - observed| / sqrt(tolerance^2 + MC variance of both); a measure undefined in
    exactly one of the two scores ``UNDEFINED_MISS``, undefined in both scores 0."""
    cols = []
    for p in patterns.patterns:
        v = values[p.id].to_numpy(dtype=float)
        o = float(observed[p.id])
        var_o = p.monte_carlo_variance(o, replicates)
        var_v = np.array([p.monte_carlo_variance(x, replicates) for x in v])
        scale = np.sqrt(p.target.tolerance**2 + var_o + var_v)
        if not np.isfinite(o):
            col = np.where(np.isfinite(v), UNDEFINED_MISS, 0.0)
        else:
            col = np.where(np.isfinite(v), np.abs(v - o) / scale, UNDEFINED_MISS)
        cols.append(col)
    return np.column_stack(cols)


@dataclass(frozen=True)
class TruthResult:
    index: int
    truth: list[float]
    ranks: list[int]  # per parameter: posterior draws below the truth (0..accept)
    cover50: list[bool]
    cover90: list[bool]
    contraction: list[float]
    waves: int
    converged: bool
    pooled: int


def summarise(posterior: np.ndarray, truth: np.ndarray, prior_var: np.ndarray) -> dict:
    q = np.quantile(posterior, [0.05, 0.25, 0.75, 0.95], axis=0)
    return {
        "ranks": [int(r) for r in (posterior < truth).sum(axis=0)],
        "cover50": [bool(b) for b in (truth >= q[1]) & (truth <= q[2])],
        "cover90": [bool(b) for b in (truth >= q[0]) & (truth <= q[3])],
        "contraction": [float(c) for c in 1.0 - posterior.var(axis=0) / prior_var],
    }


_SIMS: dict[tuple, object] = {}


def _sim(simulator: type, patterns_path: str | None, replicates: int, seed: int):
    """One pattern simulator per (patterns, replicates, seed) and process (``simulator``: abc.PatternSimulator,
    passed in so that this module does not import abc, which calls it)."""
    from simulation.calibration.patterns import load_patterns

    key = (patterns_path, replicates, seed)
    if key not in _SIMS:
        _SIMS[key] = simulator(load_patterns(patterns_path), replicates=replicates, seed=seed)
    return _SIMS[key]


def _table(sim, keys: list[str], theta: np.ndarray) -> pd.DataFrame:
    ids = [p.id for p in sim.patterns.patterns]
    rows = [sim.values(dict(zip(keys, t, strict=True))) for t in theta]
    return pd.DataFrame([[r[i] for i in ids] for r in rows], columns=ids)


def one_truth(args: tuple) -> dict:
    """Worker: the whole pipeline against one truth's observation (see the module docstring)."""
    (index, truth, patterns_path, keys, prior_bounds, first_theta, first_values, replicates, seed, draws,
     max_waves, converge, accept, simulator, design) = args  # fmt: skip
    from simulation.calibration.patterns import load_patterns

    patterns = load_patterns(patterns_path)
    observed = _sim(simulator, patterns_path, replicates, seed + OBSERVATION_SEED_OFFSET).values(
        dict(zip(keys, truth, strict=True))
    )

    def table(wave: int, box: dict) -> tuple[np.ndarray, pd.DataFrame]:
        if wave == 1:
            return first_theta, first_values
        theta = design(box, draws, seed + wave - 1)
        return theta, _table(_sim(simulator, patterns_path, replicates, seed + wave - 1), keys, theta)

    tables, log, converged = run_waves(
        table, lambda v: point_implausibilities(patterns, v, observed, replicates), prior_bounds, max_waves, converge
    )
    theta, _, impl = pool_last_box(tables, keys)
    chosen = np.argsort(distance(impl), kind="stable")[:accept]
    prior_var = np.array([(hi - lo) ** 2 / 12.0 for lo, hi in prior_bounds.values()])
    out = {"index": index, "truth": [float(x) for x in truth], "waves": len(log), "converged": converged,
           "pooled": int(len(theta)), **summarise(theta[chosen], np.asarray(truth), prior_var)}  # fmt: skip
    return out


@dataclass(frozen=True)
class PipelineSBC:
    """Per parameter: rank-histogram chi-square p, coverage of 50% / 90% intervals, mean contraction; the same
    for the null (random prior draws as the posterior)."""

    table: pd.DataFrame
    ranks: np.ndarray  # [truths, parameters]
    null_ranks: np.ndarray
    accept: int
    bins: int
    truths: int
    draws: int
    max_waves: int
    waves_used: list[int]

    def summary(self) -> dict:
        t = self.table
        return {
            "method": "whole pipeline (history-matching waves until the volume settles, then rejection ABC); "
            "targets: each truth's observed pattern values (points) with the patterns' tolerances",
            "truths": self.truths,
            "accept": self.accept,
            "draws_per_later_wave": self.draws,
            "max_waves": self.max_waves,
            "waves_used": {
                str(k): int(v) for k, v in zip(*np.unique(self.waves_used, return_counts=True), strict=True)
            },
            "bins": self.bins,
            "cover50": round(float(t["cover50"].mean()), 4),
            "cover90": round(float(t["cover90"].mean()), 4),
            "contraction": round(float(t["contraction"].mean()), 4),
            "chi2_p_min": round(float(t["chi2_p"].min()), 4),
            "parameters_with_chi2_p_below_0.01": int((t["chi2_p"] < 0.01).sum()),
            "null": {
                "cover50": round(float(t["null_cover50"].mean()), 4),
                "cover90": round(float(t["null_cover90"].mean()), 4),
                "contraction": round(float(t["null_contraction"].mean()), 4),
                "chi2_p_min": round(float(t["null_chi2_p"].min()), 4),
            },
            "per_parameter": t.round(4).to_dict("records"),
            "ranks": self.ranks.tolist(),
            "null_ranks": self.null_ranks.tolist(),
        }


def rank_chi2(ranks: np.ndarray, accept: int, bins: int) -> np.ndarray:
    """Per parameter (columns), the chi-square test p of the rank histogram (ranks 0..accept in ``bins`` equal
    bins) against the uniform."""
    from scipy.stats import chisquare

    binned = np.minimum((ranks * bins) // (accept + 1), bins - 1)
    counts = np.stack([np.bincount(binned[:, k], minlength=bins) for k in range(ranks.shape[1])])
    return np.array([float(chisquare(c).pvalue) for c in counts])


def _run_truths(tasks: list[tuple], keep: Callable[[dict], None], workers: int) -> None:
    """Run the pipeline for each truth's task (on ``workers`` processes when more than one), handing each result
    to ``keep`` as it finishes."""
    if not tasks:
        return
    if workers > 1:
        from concurrent.futures import as_completed

        from simulation.sweeps.execute import make_executor

        executor, closer = make_executor("process", workers, None)
        try:
            futures = [executor.submit(one_truth, t) for t in tasks]
            for fut in as_completed(futures):
                keep(fut.result())
        finally:
            executor.shutdown(cancel_futures=True)
            if closer is not None:
                closer.close()
    else:
        for t in tasks:
            keep(one_truth(t))


def pipeline_sbc(
    patterns_path: Path | None,
    keys: list[str],
    prior_bounds: dict[str, tuple[float, float]],
    first_theta: np.ndarray,
    first_values: pd.DataFrame,
    replicates: int,
    seed: int,
    simulator: type,
    design: Callable[[dict, int, int], np.ndarray],
    truths: int = 60,
    draws: int = 512,
    max_waves: int = 4,
    converge: float = CONVERGENCE_SHARE,
    accept: int = 100,
    bins: int = 5,
    workers: int = 2,
    folder: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> PipelineSBC:
    """Run the pipeline against ``truths`` prior draws (see the module docstring); per-truth results are kept in
    ``folder`` (truth-XXXX.json) and reused. ``simulator`` and ``design``: the calibration's PatternSimulator and
    prior_design (passed in: the calibration calls this module)."""
    rng = np.random.default_rng(seed + 1)
    lows = np.array([lo for lo, _ in prior_bounds.values()])
    highs = np.array([hi for _, hi in prior_bounds.values()])
    truth_theta = lows + rng.random((truths, len(keys))) * (highs - lows)
    path = None if patterns_path is None else str(patterns_path)
    results: dict[int, dict] = {}
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for f in folder.glob("truth-*.json"):
            r = json.loads(f.read_text("utf-8"))
            if r.get("settings") == [replicates, seed, draws, max_waves, converge, accept, keys]:
                results[int(r["index"])] = r
    todo = [t for t in range(truths) if t not in results]
    tasks = [(t, truth_theta[t], path, keys, prior_bounds, first_theta, first_values, replicates, seed, draws,
              max_waves, converge, accept, simulator, design) for t in todo]  # fmt: skip

    def keep(r: dict) -> None:
        r["settings"] = [replicates, seed, draws, max_waves, converge, accept, keys]
        results[int(r["index"])] = r
        if folder is not None:
            (folder / f"truth-{int(r['index']):04d}.json").write_text(json.dumps(r), "utf-8")
        if progress:
            progress(f"SBC: {len(results)}/{truths} truths ({r['waves']} waves, {r['pooled']} draws pooled)")

    _run_truths(tasks, keep, workers)
    ordered = [results[t] for t in range(truths)]
    ranks = np.array([r["ranks"] for r in ordered])
    prior_var = (highs - lows) ** 2 / 12.0
    null_rows = [summarise(lows + rng.random((accept, len(keys))) * (highs - lows), truth_theta[t], prior_var)
                 for t in range(truths)]  # fmt: skip
    null_ranks = np.array([r["ranks"] for r in null_rows])
    mean = lambda rows, field: np.mean([r[field] for r in rows], axis=0)  # noqa: E731
    table = pd.DataFrame({
        "parameter": keys,
        "cover50": mean(ordered, "cover50"), "cover90": mean(ordered, "cover90"),
        "contraction": mean(ordered, "contraction"), "chi2_p": rank_chi2(ranks, accept, bins),
        "null_cover50": mean(null_rows, "cover50"), "null_cover90": mean(null_rows, "cover90"),
        "null_contraction": mean(null_rows, "contraction"), "null_chi2_p": rank_chi2(null_ranks, accept, bins),
    })  # fmt: skip
    return PipelineSBC(table, ranks, null_ranks, accept, bins, truths, draws, max_waves,
                       [int(r["waves"]) for r in ordered])  # fmt: skip


def rank_histograms_figure(summary: dict, keys: list[str], path_stem: Path) -> list[Path]:
    """One panel per parameter: the histogram of the truth's rank among its posterior draws (blue), the null's
    (grey outline), and the 99% band of a uniform histogram (Talts et al. 2018, figure 1)."""
    import matplotlib.pyplot as plt
    from scipy.stats import binom

    from simulation.reporting.plots import save

    ranks, null = np.array(summary["ranks"]), np.array(summary["null_ranks"])
    accept, bins, truths = summary["accept"], summary["bins"], summary["truths"]
    lo, hi = binom.ppf([0.005, 0.995], truths, 1 / bins)
    cols = 6
    rows = int(np.ceil(len(keys) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 2.6, rows * 2.0), constrained_layout=True)
    per = {r["parameter"]: r for r in summary["per_parameter"]}
    for k, ax in enumerate(np.ravel(axes)):
        if k >= len(keys):
            ax.axis("off")
            continue
        edges = np.linspace(0, accept + 1, bins + 1)
        ax.axhspan(lo, hi, color="#999999", alpha=0.25, lw=0)
        ax.hist(ranks[:, k], bins=edges, color="#0072B2", alpha=0.85)
        ax.hist(null[:, k], bins=edges, histtype="step", color="#333333", lw=1)
        ax.set_title(f"{keys[k]}\np = {per[keys[k]]['chi2_p']:.2f}", fontsize=7.5)
        ax.tick_params(labelsize=6)
    fig.suptitle(
        f"Rank of the truth among {accept} posterior draws, {truths} truths (blue: the calibration; outline: "
        f"random prior draws; band: 99% of a uniform histogram)",
        fontsize=9,
    )
    paths = save(fig, path_stem)
    plt.close(fig)
    return paths


__all__ = ["IMPLAUSIBILITY_CUTOFF", "PipelineSBC", "pipeline_sbc", "point_implausibilities", "rank_histograms_figure"]
