"""Approximate Bayesian computation of the behavioural parameters on the patterns.

The simulator is a plain function from a parameter dict to a dict of pattern values (pyabc's
contract): one particle is a batch of ``replicates`` runs of every case the patterns name, on
the batch engine, with common random numbers (the same replicate seeds for every particle, so
the distance is a smooth function of the parameters). Priors are uniform over the registry's
documented ranges of every behavioural quantity (role "model") the rules read, except the
integer treaty delay. The distance is the sum of the patterns' misses (0 inside a target, 1 per
tolerance outside).

Default method: **rejection ABC on a reference table** (Pritchard et al. 1999, Mol Biol Evol
16(12); Beaumont, Zhang & Balding 2002, Genetics 162(4)): ``draws`` points of a scrambled Sobol
sequence over the prior box are simulated once; the posterior is the ``accept`` draws closest to
the patterns, with equal weights. In 30 dimensions ABC-SMC's importance weights degenerate
(measured here with pyabc: an effective sample size of 5 of 400 particles after one step), while
the reference table keeps every accepted draw at full weight, resumes bit for bit (it is written
in chunks, each a pure function of its rows), and serves leave-one-pattern-out validation
exactly: the same table, the distance without pattern k. ABC-SMC with pyabc
(``method="smc"``; Beaumont, Cornuet, Marin & Robert 2009; Klinger, Rickert & Hasenauer 2018)
stays available for smaller parameter sets.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.behaviour import FIXED_KEYS, not_calibrated_keys
from simulation.behaviour import calibrated_keys as calibrated_keys  # the priors' keys, named here too
from simulation.calibration.diagnostics import compatibility, compatibility_text
from simulation.calibration.patterns import PatternsFile, load_patterns, patterns_hash
from simulation.calibration.table import PatternSimulator, prior_design, priors, reference_table
from simulation.rules.params import field_name
from simulation.world.registry import default_registry

# --------------------------------------------------------------------------- the generic ABC-SMC run


@dataclasses.dataclass
class ABCResult:
    names: list[str]
    samples: np.ndarray  # [S, P]
    weights: np.ndarray  # [S]
    populations: int
    epsilons: list[float]
    acceptance: list[float]
    evaluations: int
    db: str
    run_id: int

    @property
    def effective_sample_size(self) -> float:
        w = self.weights / self.weights.sum()
        return float(1.0 / np.sum(w**2))


def run_abc(
    model: Callable[[dict[str, float]], dict[str, float]],
    prior_bounds: dict[str, tuple[float, float]],
    distance: Callable[[dict, dict], float],
    population_size: int,
    generations: int,
    db: Path,
    seed: int,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    min_epsilon: float = 0.0,
    progress: Callable[[str], None] | None = None,
) -> ABCResult:
    """ABC-SMC with pyabc: uniform priors, a custom distance, a database that can be resumed.

    pyabc works on unbounded coordinates: each parameter's uniform prior on [lo, hi] is the image of
    a standard normal variable z under ``lo + (hi - lo) * Phi(z)``, so perturbation kernels never
    propose outside the prior's support (in 30 dimensions a box rejects almost every proposal), and
    the prior's tails are as light as the Gaussian kernel's (heavier prior tails make the
    importance weights degenerate). The model and the result see the parameters on their own scale.
    """
    import pyabc

    names = list(prior_bounds)
    lows = {n: lo for n, (lo, _) in prior_bounds.items()}
    spans = {n: hi - lo for n, (lo, hi) in prior_bounds.items()}

    from scipy.special import ndtr

    def to_scale(z: dict) -> dict[str, float]:
        return {n: lows[n] + spans[n] * float(ndtr(float(z[n]))) for n in names}

    def unbounded_model(z: dict) -> dict[str, float]:
        return model(to_scale(z))

    prior = pyabc.Distribution(**{n: pyabc.RV("norm", 0.0, 1.0) for n in names})
    if scheduler is not None:
        from dask.distributed import Client

        sampler = pyabc.sampler.DaskDistributedSampler(dask_client=Client(scheduler))
    elif workers > 1:
        sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)
    else:
        sampler = pyabc.sampler.SingleCoreSampler()
    np.random.seed(seed)
    abc = pyabc.ABCSMC(unbounded_model, prior, distance, population_size=population_size, sampler=sampler,
                       eps=pyabc.MedianEpsilon())  # fmt: skip
    url = f"sqlite:///{Path(db).resolve()}"
    done = 0
    if resume and Path(db).exists():
        history = abc.load(url, 1)
        done = history.max_t + 1
        if progress:
            progress(f"resuming {db}: {done} population(s) already done")
    else:
        if Path(db).exists():
            Path(db).unlink()
        abc.new(url, {"observed": 0.0})
    remaining = max(0, generations - done)
    history = abc.run(minimum_epsilon=min_epsilon, max_nr_populations=remaining) if remaining else abc.history
    df, w = history.get_distribution(m=0, t=history.max_t)
    z = df[names].to_numpy()
    scaled = np.column_stack([lows[n] + spans[n] * ndtr(z[:, k]) for k, n in enumerate(names)])
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    eps = [float(e) for e in pops["epsilon"]]
    samples = [int(s) for s in pops["samples"]]
    particles = population_size
    acceptance = [particles / s if s else float("nan") for s in samples]
    return ABCResult(names, scaled, np.asarray(w, dtype=float), int(history.max_t + 1), eps,
                     acceptance, int(sum(samples)), str(db), 1)  # fmt: skip


# --------------------------------------------------------------------------- calibrating the model


def _abc_names(keys: list[str]) -> dict[str, str]:
    """pyabc parameter names (identifier-safe) -> registry keys."""
    return {field_name(k): k for k in keys}


def write_posterior(
    folder: Path,
    keys: list[str],
    samples: np.ndarray,
    weights: np.ndarray,
    *,
    method: str,
    patterns_path: Path | None,
    exclude: str | None,
    replicates: int,
    cases: list[str],
    seed: int,
    **details: Any,
) -> dict[str, Any]:
    """Write posterior.parquet (one column per registry key, and ``weight``) and its manifest posterior.json."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from simulation._version import __version__

    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({**{k: samples[:, p] for p, k in enumerate(keys)}, "weight": weights}),
                   folder / "posterior.parquet")  # fmt: skip
    manifest = {
        "kind": "posterior",
        "package": "alliance-sim",
        "version": __version__,
        "method": method,
        "patterns_file": str(patterns_path) if patterns_path is not None else "simulation/data/patterns.yaml",
        "patterns_sha256": patterns_hash(patterns_path),
        "table_sha256": hashlib.sha256((folder / "posterior.parquet").read_bytes()).hexdigest(),
        "excluded_pattern": exclude,
        "parameters": keys,
        "fixed": {k: default_registry().value(k) for k in FIXED_KEYS},
        "replicates_per_case": replicates,
        "cases": cases,
        "seed": seed,
        **details,
    }
    (folder / "posterior.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return manifest


def calibrate(
    patterns_path: Path | None = None,
    out_dir: Path | None = None,
    population_size: int = 300,
    generations: int = 8,
    replicates: int = 64,
    seed: int = 20260101,
    workers: int = 2,
    scheduler: str | None = None,
    db: Path | None = None,
    resume: bool = False,
    exclude: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fit the behavioural parameters to the patterns; write posterior.parquet and posterior.json to ``out_dir``.

    ``exclude``: leave one pattern out (validation). Returns the manifest.
    """

    started = time.time()
    patterns = load_patterns(patterns_path)
    if exclude is not None:
        patterns = patterns.without(exclude)
    bounds = priors()
    names = _abc_names(list(bounds))
    sim = PatternSimulator(patterns, replicates=replicates, seed=seed, parallel=False)

    def model(particle: dict[str, float]) -> dict[str, float]:
        return sim.values({names[n]: float(v) for n, v in particle.items() if n in names})

    def distance(x: dict, x0: dict) -> float:
        del x0
        return sim.distance(x)

    out_dir = Path(out_dir) if out_dir is not None else Path.cwd()
    out_dir.mkdir(parents=True, exist_ok=True)
    db = Path(db) if db is not None else out_dir / "calibration.db"
    result = run_abc(model, {n: bounds[k] for n, k in names.items()}, distance, population_size, generations, db,
                     seed, workers, scheduler, resume, 0.0, progress)  # fmt: skip
    keys = [names[n] for n in result.names]
    return write_posterior(
        out_dir, keys, result.samples, result.weights,
        method="ABC-SMC (pyabc), uniform priors on registry ranges, distance = sum of pattern misses, median epsilon",
        patterns_path=patterns_path, exclude=exclude, replicates=replicates, cases=list(sim.cases), seed=seed,
        population_size=population_size, populations=result.populations, epsilons=result.epsilons,
        acceptance_rates=result.acceptance, effective_sample_size=result.effective_sample_size,
        replicate_seeds="replicate_seeds(seed, replicates)", particle_evaluations=result.evaluations,
        runs=int(result.evaluations * len(sim.cases) * replicates), minutes=round((time.time() - started) / 60, 2),
    )  # fmt: skip


# --------------------------------------------------------------------------- rejection ABC on a reference table


def _wave_words(w: Any) -> str:
    """One wave of history matching in a line of progress."""
    change = "" if w.volume_change is None else f", {w.volume_change:.0%} change"
    return (f"wave {w.wave}: {w.not_implausible} of {w.draws} draws not ruled out (max implausibility <= 3), "
            f"{w.meeting_every_pattern} meet every pattern; box = {w.box_share_of_prior_volume:.3g} of the "
            f"prior volume; not-ruled-out volume {w.not_ruled_out_volume:.3g}{change}")  # fmt: skip


def _sbc_words(summary: dict[str, Any], truths: int) -> str:
    """The simulation-based calibration check's coverage and contraction in a line of progress."""
    null = summary["null"]
    return (f"simulation-based calibration (whole pipeline, {truths} prior draws as truths): 50% / 90% "
            f"intervals hold the truth in {summary['cover50']:.0%} / {summary['cover90']:.0%}, mean "
            f"contraction {summary['contraction']:.3f}; null {null['cover50']:.0%} / {null['cover90']:.0%}, "
            f"{null['contraction']:.3f}")  # fmt: skip


@dataclasses.dataclass
class _Waves:
    """What a rejection calibration's waves found, and its settings, for writing its posteriors."""

    patterns: PatternsFile
    patterns_path: Path | None
    keys: list[str]
    prior_bounds: dict[str, tuple[float, float]]
    draws: int
    accept: int
    replicates: int
    seed: int
    converge: float
    tables: list
    wave_log: list
    converged: bool
    criticism: Any
    minutes: float
    minutes_all: float = 0.0
    sbc_summary: dict[str, Any] = dataclasses.field(default_factory=dict)


def _write_rejection(folder: Path, exclude: str | None, w: _Waves, pooled: tuple) -> dict[str, Any]:
    """Write one posterior: the ``accept`` draws closest to the patterns among every wave's draws inside the last
    box (``pooled``: theta, values, implausibilities), or with ``exclude``, among the first wave's table without
    that pattern."""
    from simulation.calibration.history import contraction, distance, implausibilities

    theta1, values1 = w.tables[0][0], w.tables[0][1]
    theta_last, _, impl_last = pooled
    used_waves, n_pooled, accept, draws = len(w.tables), len(theta_last), w.accept, w.draws
    if exclude is None:
        th, im, used_box, used_draws = theta_last, impl_last, w.tables[-1][3], n_pooled
    else:
        th, used_box, used_draws = theta1, w.prior_bounds, draws
        im = implausibilities(w.patterns, values1, w.replicates, exclude)
    d = distance(im)
    chosen = np.argsort(d, kind="stable")[:accept]
    met_every = int((im.max(axis=1) == 0).sum())
    post = th[chosen]
    return write_posterior(
        folder, w.keys, post, np.full(len(chosen), 1.0),
        method=f"history matching ({used_waves} waves of {draws} scrambled-Sobol draws, implausibility cut-off "
               f"3, until the not-ruled-out volume changed by less than {w.converge:.0%}"
               f"{'' if w.converged else ' (not reached within the waves allowed)'}) then rejection ABC among "
               f"the {n_pooled} draws of every wave inside the last box (the closest by the sum of squared "
               "implausibilities; equal weights)" if exclude is None else
               "rejection ABC on the first wave's table (uniform priors), the pattern left out",
        patterns_path=w.patterns_path, exclude=exclude, replicates=w.replicates, cases=list(w.patterns.cases()),
        seed=w.seed, population_size=accept, populations=used_waves if exclude is None else 1, draws=used_draws,
        epsilons=[float(d[chosen].max())], acceptance_rates=[accept / used_draws],
        draws_meeting_every_pattern=met_every,
        final_wave_share_meeting_every_pattern=w.wave_log[-1].meeting_every_pattern / w.wave_log[-1].draws,
        effective_sample_size=float(accept),
        replicate_seeds="replicate_seeds(seed + wave - 1, replicates) for every case and draw of a wave "
                        "(common random numbers)",
        particle_evaluations=draws * used_waves,
        runs=int(draws * used_waves * len(list(w.patterns.cases())) * w.replicates),
        minutes=w.minutes, minutes_with_checks=w.minutes_all, compatibility=w.criticism.summary(),
        waves=[x.record() for x in w.wave_log], converged=w.converged, convergence_share=w.converge,
        final_box={k: list(v) for k, v in used_box.items()},
        not_calibrated=not_calibrated_keys(),
        contraction=contraction(post, np.ones(len(post)), w.keys, w.prior_bounds).round(4).to_dict(),
        sbc=w.sbc_summary if exclude is None else {},
    )  # fmt: skip


def calibrate_rejection(
    patterns_path: Path | None = None,
    out_dir: Path | None = None,
    draws: int = 4_096,
    accept: int = 200,
    replicates: int = 48,
    seed: int = 20260101,
    workers: int = 2,
    scheduler: str | None = None,
    resume: bool = False,
    table_dir: Path | None = None,
    leave_out: bool = False,
    progress: Callable[[str], None] | None = None,
    waves: int = 4,
    sbc_truths: int = 0,
    converge: float | None = None,
    sbc_draws: int = 128,
    sbc_waves: int | None = None,
    sbc_accept: int = 100,
) -> dict[str, Any]:
    """History matching in waves of ``draws`` draws each until the not-ruled-out volume changes by less than
    ``converge`` between waves (at most ``waves``), then rejection ABC among every wave's draws inside the last
    box (calibration/history.py); writes posterior.parquet/.json to ``out_dir`` and, with ``leave_out``, one
    posterior per left-out pattern in ``out_dir/leave_one_out/<id>/``.

    Leave-one-pattern-out posteriors come from the first wave's table (uniform over the priors): the later
    waves' boxes were focused with every pattern, the held-out one included, so they would not hold it out.
    The simulation-based calibration check runs the whole pipeline (waves and rejection) against ``sbc_truths``
    prior draws, its later waves scaled down to ``sbc_draws`` draws (calibration/sbc.py); 0 (the default here;
    ``alliance-sim calibrate`` runs 64) skips it.
    """
    from simulation.calibration.history import CONVERGENCE_SHARE, implausibilities, pool_last_box, run_waves
    from simulation.calibration.sbc import pipeline_sbc

    converge = CONVERGENCE_SHARE if converge is None else converge
    sbc_waves = waves if sbc_waves is None else sbc_waves
    started = time.time()
    out_dir = Path(out_dir) if out_dir is not None else Path.cwd() / "calibration"
    out_dir.mkdir(parents=True, exist_ok=True)
    table_root = Path(table_dir) if table_dir is not None else out_dir / "reference_table"
    patterns = load_patterns(patterns_path)
    prior_bounds = priors()
    keys = list(prior_bounds)

    def table(wave: int, bounds: dict) -> tuple[np.ndarray, pd.DataFrame]:
        folder = table_root if wave == 1 else table_root.parent / f"{table_root.name}_wave{wave}"
        _, theta, values = reference_table(patterns_path, folder, draws, replicates, seed + wave - 1, workers,
                                           scheduler, resume, progress, bounds)  # fmt: skip
        return theta, values

    tables, wave_log, converged = run_waves(table, lambda v: implausibilities(patterns, v, replicates), prior_bounds,
                                            waves, converge, progress=(lambda w: progress(_wave_words(w))) if progress
                                            else None)  # fmt: skip
    minutes = round((time.time() - started) / 60, 2)
    found = _Waves(patterns, patterns_path, keys, prior_bounds, draws, accept, replicates, seed, converge, tables,
                   wave_log, converged, compatibility(patterns, tables[0][1]), minutes)  # fmt: skip
    (out_dir / "compatibility.json").write_text(json.dumps(found.criticism.summary(), indent=2) + "\n", "utf-8")
    if progress:
        progress(compatibility_text(found.criticism))
    if sbc_truths > 0:
        sbc = pipeline_sbc(patterns_path, keys, prior_bounds, tables[0][0], tables[0][1], replicates, seed,
                           PatternSimulator, prior_design, truths=sbc_truths,
                           draws=sbc_draws, max_waves=sbc_waves, converge=converge, accept=sbc_accept,
                           workers=workers if scheduler is None else 1, folder=out_dir / "sbc", progress=progress)  # fmt: skip
        found.sbc_summary = sbc.summary()
        (out_dir / "sbc.json").write_text(json.dumps(found.sbc_summary, indent=1) + "\n", "utf-8")
        if progress:
            progress(_sbc_words(found.sbc_summary, sbc.truths))
    found.minutes_all = round((time.time() - started) / 60, 2)
    pooled = pool_last_box(tables, keys)
    manifest = _write_rejection(out_dir, None, found, pooled)
    if leave_out:
        for p in patterns.patterns:
            _write_rejection(out_dir / "leave_one_out" / p.id, p.id, found, pooled)
    return manifest


def rejection_abc(
    model: Callable[[dict[str, float]], dict[str, float]],
    prior_bounds: dict[str, tuple[float, float]],
    distance: Callable[[dict, dict], float],
    draws: int,
    accept: int,
    seed: int,
) -> ABCResult:
    """Generic rejection ABC (the method of ``calibrate_rejection``) for any simulator: the ``accept``
    of ``draws`` scrambled-Sobol prior draws closest to the data, with equal weights."""
    names = list(prior_bounds)
    theta = prior_design(prior_bounds, draws, seed)
    d = np.array([distance(model(dict(zip(names, t, strict=True))), {}) for t in theta])
    chosen = np.argsort(d, kind="stable")[:accept]
    return ABCResult(names, theta[chosen], np.ones(len(chosen)), 1, [float(d[chosen].max())], [accept / draws],
                     draws, "", 0)  # fmt: skip
