"""Approximate Bayesian computation (ABC-SMC, pyabc) of the behavioural parameters on the patterns.

The simulator is a plain function from a parameter dict to a dict of pattern values (pyabc's
contract): one particle is a batch of ``replicates`` runs of every case the patterns name, on
the batch engine, with common random numbers (the same replicate seeds for every particle, so
the distance is a smooth function of the parameters). Priors are uniform over the registry's
documented ranges of every behavioural quantity (role "model") the rules read, except the
integer treaty delay. The distance is the sum of the patterns' misses (0 inside a target, 1 per
tolerance outside); the tolerance schedule is pyabc's median epsilon, down to 0 (every
pattern met) or the last population. References: Beaumont, Cornuet, Marin & Robert (2009),
Biometrika 96(4); Klinger, Rickert & Hasenauer (2018), pyABC, Bioinformatics 34(20).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..build import behaviour_keys
from ..engine import simulate
from ..outcomes import BatchView, run_outcomes
from ..paths import shipped_scenario
from ..registry import Registry, default_registry
from ..resolve import resolve
from ..rules.params import field_name
from ..runner import focal_base_trade, replicate_seeds
from ..scenario import apply_overrides, load_scenario
from .patterns import PatternsFile, load_patterns, patterns_hash

log = logging.getLogger(__name__)

#: Behavioural quantities kept at their registry value: integers, which ABC's continuous kernels do not fit.
FIXED_KEYS = ("treaty_consent_steps",)


def calibrated_keys(registry: Registry | None = None) -> list[str]:
    reg = registry if registry is not None else default_registry()
    return [k for k in behaviour_keys(reg) if k not in FIXED_KEYS and reg[k].low < reg[k].high]


def priors(registry: Registry | None = None) -> dict[str, tuple[float, float]]:
    """Uniform priors over the registry's documented ranges, by registry key."""
    reg = registry if registry is not None else default_registry()
    return {k: (reg[k].low, reg[k].high) for k in calibrated_keys(reg)}


@dataclasses.dataclass
class _Case:
    params: Any
    reference: Any
    steps: int
    actors: tuple[str, ...]
    focal: tuple[int, int]
    base_trade: float
    keep: dict[str, float]  # behavioural values the case's scenario sets itself


class PatternSimulator:
    """Parameter dict (registry keys) -> pattern values, on the batch engine."""

    def __init__(self, patterns: PatternsFile, replicates: int = 64, seed: int = 20260101, parallel: bool = False):
        self.patterns = patterns
        self.seeds = replicate_seeds(seed, replicates)
        self.parallel = parallel
        self.runs_done = 0
        self.needed = {p.measure.outcome for p in patterns.patterns}
        self.cases: dict[str, _Case] = {}
        from ..build import build_params, structure

        for key, case in patterns.cases().items():
            sc = load_scenario(shipped_scenario(case.scenario))
            if case.overrides:
                sc = apply_overrides(sc, dict(case.overrides))
            r = resolve(sc)
            params = build_params(r)
            reference = params if r.reference is r else build_params(r.reference)
            shape = structure(r)
            keep = {k: v for k, v in r.overrides.items() if k in behaviour_keys(r.registry)}
            self.cases[key] = _Case(params, reference, shape.steps, shape.actors, shape.focal_index,
                                    focal_base_trade(r), keep)  # fmt: skip

    def outcomes(self, values: dict[str, float]) -> dict[str, pd.DataFrame]:
        out = {}
        for key, c in self.cases.items():
            rec = c.params.behaviour.copy()
            for k, v in values.items():
                rec[field_name(k)] = c.keep.get(k, v)
            params = c.params._replace(behaviour=rec)
            reference = params if c.reference is c.params else c.reference._replace(behaviour=rec)
            res = simulate(params, self.seeds, c.steps, reference, parallel=self.parallel)
            view = BatchView(res.levels, res.focal_trade, c.actors, c.focal, c.base_trade)
            out[key] = run_outcomes(view, only=self.needed)
            self.runs_done += len(self.seeds)
        return out

    def values(self, values: dict[str, float]) -> dict[str, float]:
        outcomes = self.outcomes(values)
        return {p.id: p.value(outcomes) for p in self.patterns.patterns}

    def misses(self, pattern_values: dict[str, float]) -> dict[str, float]:
        return {p.id: p.miss(pattern_values[p.id]) for p in self.patterns.patterns}

    def distance(self, pattern_values: dict[str, float]) -> float:
        return float(sum(self.misses(pattern_values).values()))


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
    a standard logistic variable z under ``lo + (hi - lo) / (1 + exp(-z))``, so perturbation kernels
    never propose outside the prior's support (in 30 dimensions a box rejects almost every proposal).
    The model and the result see the parameters on their own scale.
    """
    import pyabc

    names = list(prior_bounds)
    lows = {n: lo for n, (lo, _) in prior_bounds.items()}
    spans = {n: hi - lo for n, (lo, hi) in prior_bounds.items()}

    def to_scale(z: dict) -> dict[str, float]:
        return {n: lows[n] + spans[n] / (1.0 + np.exp(-float(z[n]))) for n in names}

    def unbounded_model(z: dict) -> dict[str, float]:
        return model(to_scale(z))

    prior = pyabc.Distribution(**{n: pyabc.RV("logistic", 0.0, 1.0) for n in names})
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
    scaled = np.column_stack([lows[n] + spans[n] / (1.0 + np.exp(-z[:, k])) for k, n in enumerate(names)])
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
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .. import __version__

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
    table = pa.table({**{k: result.samples[:, p] for p, k in enumerate(keys)}, "weight": result.weights})
    pq.write_table(table, out_dir / "posterior.parquet")
    runs = result.evaluations * len(sim.cases) * replicates
    manifest = {
        "kind": "posterior",
        "package": "alliance-sim",
        "version": __version__,
        "method": "ABC-SMC (pyabc), uniform priors on registry ranges, distance = sum of pattern misses, median epsilon",
        "patterns_file": str(patterns_path) if patterns_path is not None else "simulation/data/patterns.yaml",
        "patterns_sha256": patterns_hash(patterns_path),
        "excluded_pattern": exclude,
        "parameters": keys,
        "fixed": {k: default_registry().value(k) for k in FIXED_KEYS},
        "population_size": population_size,
        "populations": result.populations,
        "epsilons": result.epsilons,
        "acceptance_rates": result.acceptance,
        "effective_sample_size": result.effective_sample_size,
        "replicates_per_case": replicates,
        "cases": list(sim.cases),
        "seed": seed,
        "replicate_seeds": "replicate_seeds(seed, replicates)",
        "particle_evaluations": result.evaluations,
        "runs": int(runs),
        "minutes": round((time.time() - started) / 60, 2),
    }
    (out_dir / "posterior.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return manifest
