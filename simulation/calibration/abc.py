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
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.behaviour import FIXED_KEYS, calibrated_keys, not_calibrated_keys
from simulation.calibration.diagnostics import compatibility, compatibility_text
from simulation.calibration.patterns import CONDITIONAL, PatternsFile, load_patterns, patterns_hash
from simulation.core.errors import InputError
from simulation.core.paths import shipped_scenario
from simulation.drivers.engine import simulate
from simulation.drivers.evaluate import DrawCase, draw_outcomes, per_draw
from simulation.drivers.inputs import prepare_inputs
from simulation.outcomes import BatchView, run_outcomes
from simulation.rules.params import field_name
from simulation.runner import replicate_seeds
from simulation.world.build import behaviour_keys
from simulation.world.registry import Registry, default_registry
from simulation.world.scenario import apply_overrides, load_scenario

log = logging.getLogger(__name__)


def priors(registry: Registry | None = None) -> dict[str, tuple[float, float]]:
    """Uniform priors over the registry's documented ranges, by registry key."""
    reg = registry if registry is not None else default_registry()
    return {k: (reg[k].low, reg[k].high) for k in calibrated_keys(reg)}


def _conditional_per_draw(table, name: str, replicates: int, statistic: str, threshold: float) -> np.ndarray:
    """Per draw, ``Measure.of``'s conditional statistics: among a draw's runs that reached ``threshold``
    (``max_level``), the share still at it at the end (``share_held_when_reached``) or the mean of ``name``
    (``share_when_reached``); NaN for a draw where no run reached it."""
    x = table[name].to_numpy(dtype=float).reshape(-1, replicates)
    reached = table["max_level"].to_numpy(dtype=float).reshape(-1, replicates) >= threshold
    y = (x >= threshold).astype(float) if statistic == "share_held_when_reached" else x
    count = reached.sum(axis=1)
    out = np.full(count.size, np.nan)
    some = count > 0
    out[some] = np.where(reached, y, 0.0).sum(axis=1)[some] / count[some]
    return out


class PatternSimulator:
    """Parameter dict (registry keys) -> pattern values, on the batch engine.

    ``values`` scores one parameter set; ``values_many`` scores a block of them at once, each case one
    batch of draws x replicates runs (``drivers.evaluate``), with the same numbers as ``values`` draw by draw.
    """

    def __init__(self, patterns: PatternsFile, replicates: int = 64, seed: int = 20260101, parallel: bool = False):
        self.patterns = patterns
        self.seeds = replicate_seeds(seed, replicates)
        self.parallel = parallel
        self.needed = set().union(*(p.measure.columns() for p in patterns.patterns))
        self.cases: dict[str, DrawCase] = {}
        for key, case in patterns.cases().items():
            sc = load_scenario(shipped_scenario(case.scenario))
            if case.overrides:
                sc = apply_overrides(sc, dict(case.overrides))
            # the runner's construction path; each particle then lays its values over the registry's
            inputs = prepare_inputs(sc, self.seeds, "registry")
            r = inputs.resolved
            keep = {k: v for k, v in r.overrides.items() if k in behaviour_keys(r.registry)}
            self.cases[key] = DrawCase.from_inputs(inputs, keep)

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
        return out

    def values_many(self, keys: list[str], thetas: np.ndarray, parallel: bool | None = None) -> np.ndarray:
        """Pattern values [D, patterns] of the parameter rows ``thetas`` [D, len(keys)] (registry keys), in the
        order of the patterns file. Each case is one batch of D x replicates runs; each measure is reduced per
        draw from it (``drivers.evaluate.per_draw``): the numbers of ``values`` on each row, bit for bit."""
        parallel = self.parallel if parallel is None else parallel
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        columns = {k: thetas[:, c] for c, k in enumerate(keys)}
        R = len(self.seeds)
        wanted: dict[str, set[tuple[str, str, float | None]]] = {}
        for p in self.patterns.patterns:
            m = p.measure
            for c in p.cases():
                wanted.setdefault(c.key(), set()).add((m.outcome, m.statistic, m.threshold))
        stats: dict[tuple[str, str, str, float | None], np.ndarray] = {}
        for key, measures in wanted.items():
            case = self.cases[key]
            table = draw_outcomes(case, case.rows(columns), self.seeds, self.needed, parallel)
            for name, statistic, threshold in measures:
                if statistic in CONDITIONAL:
                    stats[(key, name, statistic, threshold)] = _conditional_per_draw(
                        table, name, R, statistic, threshold
                    )
                else:
                    stats[(key, name, statistic, threshold)] = per_draw(table[name], R, statistic, threshold)
        out = np.empty((len(thetas), len(self.patterns.patterns)))
        for k, p in enumerate(self.patterns.patterns):
            m = p.measure
            v = stats[(p.case.key(), m.outcome, m.statistic, m.threshold)]
            if p.contrast is not None:
                v = v - stats[(p.contrast.key(), m.outcome, m.statistic, m.threshold)]
                if p.absolute:
                    v = np.abs(v)
            out[:, k] = v
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

#: Prior draws per chunk of the reference table (one task, one Parquet part).
CHUNK_DRAWS = 100


def prior_design(bounds: dict[str, tuple[float, float]], draws: int, seed: int) -> np.ndarray:
    """``draws`` points of a scrambled Sobol sequence (scipy.stats.qmc) scaled to the prior box."""
    from scipy.stats import qmc

    lows = np.array([lo for lo, _ in bounds.values()])
    highs = np.array([hi for _, hi in bounds.values()])
    sampler = qmc.Sobol(d=len(bounds), scramble=True, seed=seed)
    power = int(np.log2(draws)) if draws > 0 else 0
    unit = sampler.random_base2(power) if draws == 2**power else sampler.random(draws)
    return lows + unit * (highs - lows)


_WORKER_SIM: dict[tuple, PatternSimulator] = {}
_WORKER_SIM_LOCK = threading.Lock()


def _evaluate_chunk(args: tuple) -> tuple[int, np.ndarray]:
    """Pattern values of a block of prior draws: each case one batch of draws x replicates runs on the engine's
    threads (``PatternSimulator.values_many``). One simulator per process, built once (shared by the chunk
    threads)."""
    key, patterns_path, exclude, replicates, seed, keys, thetas, index = args
    with _WORKER_SIM_LOCK:
        if key not in _WORKER_SIM:
            pats = load_patterns(patterns_path)
            _WORKER_SIM[key] = PatternSimulator(pats, replicates=replicates, seed=seed, parallel=True)
        sim = _WORKER_SIM[key]
    return index, sim.values_many(list(keys), np.asarray(thetas))


#: The reference table's record of its parts (name -> draws and sha256 of the bytes written), beside table.json.
PARTS_INDEX = "parts.json"


def _part_bytes(values: np.ndarray, ids: list[str], first: int) -> bytes:
    """A part's Parquet bytes: ``draw`` then one column per pattern."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = {"draw": np.arange(first, first + len(values))}
    cols.update({i: values[:, c] for c, i in enumerate(ids)})
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(cols), sink)
    return sink.getvalue().to_pybytes()


def _read_index(table_dir: Path) -> dict[str, Any]:
    """The parts index, or {} when it is missing or not one (its parts then cannot be trusted)."""
    from simulation.core.io import load_json

    path = table_dir / PARTS_INDEX
    if not path.is_file():
        return {}
    try:
        data = load_json(path, "reference table parts index")
    except InputError as err:
        log.warning("%s is unreadable (%s); every part is computed again", path, err.message)
        return {}
    return data if isinstance(data, dict) else {}


def _trusted_parts(
    table_dir: Path, chunks: list[tuple[int, int, int]], index: dict[str, Any]
) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    """Which parts can be used as they are: their bytes hash to what the index recorded when they were written,
    and they hold the draws the chunk needs. Returns (good records by chunk, why each other present part is not)."""
    from simulation.sweeps.folder import sha256_file

    good: dict[int, dict[str, Any]] = {}
    redo: dict[int, str] = {}
    for k, a, b in chunks:
        name = f"part-{k:05d}.parquet"
        path = table_dir / "parts" / name
        rec = index.get(name)
        if not path.exists():
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("sha256"), str):
            redo[k] = "not recorded in parts.json"
            continue
        draws = rec.get("draws")
        if not (isinstance(draws, list) and len(draws) == 2 and draws[0] == a and isinstance(draws[1], int)
                and draws[1] >= b):  # fmt: skip
            redo[k] = f"holds draws {draws}, not {a}..{b - 1}"
            continue
        try:
            digest = sha256_file(path)
        except OSError as exc:
            redo[k] = f"unreadable ({exc.strerror or exc})"
            continue
        if digest != rec["sha256"]:
            redo[k] = "changed since it was written (sha256 differs from parts.json)"
            continue
        good[k] = rec
    return good, redo


def reference_table(
    patterns_path: Path | None,
    table_dir: Path,
    draws: int,
    replicates: int,
    seed: int,
    workers: int = 2,
    scheduler: str | None = None,
    resume: bool = False,
    progress: Callable[[str], None] | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
) -> tuple[list[str], np.ndarray, pd.DataFrame]:
    """Simulate every pattern for ``draws`` draws, uniform over ``bounds`` (default: the priors); parts are
    written as they finish and reused on resume.

    Returns (keys, the draws [draws, len(keys)], a table with ``draw`` and one column per pattern id).
    Chunks of ``CHUNK_DRAWS`` draws run on ``workers`` threads of this process (with a Dask ``scheduler``, on
    its workers), each case of a chunk one batch of draws x replicates runs on the engine's threads. Each part's
    sha256 is recorded in ``parts.json`` when it is written; on resume a part whose bytes or draws differ from
    its record (edited, renamed, truncated, rows dropped) is computed again, never used.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from simulation.sweeps.folder import sha256_bytes, write_bytes_atomically

    bounds = priors() if bounds is None else bounds
    keys = list(bounds)
    theta = prior_design(bounds, draws, seed)
    pats = load_patterns(patterns_path)
    ids = [p.id for p in pats.patterns]
    table_dir = Path(table_dir)
    parts = table_dir / "parts"
    stamp = {"patterns_sha256": patterns_hash(patterns_path), "draws": draws, "replicates": replicates, "seed": seed,
             "keys": keys, "bounds": [list(bounds[k]) for k in keys]}  # fmt: skip
    stamp_file = table_dir / "table.json"
    index: dict[str, Any] = {}
    if resume and stamp_file.exists():
        from simulation.core.io import load_json

        old = load_json(stamp_file, "reference table stamp")
        if not isinstance(old, dict):
            raise InputError(stamp_file, None, "is not a reference table stamp (a JSON mapping); start a new folder")
        # a scrambled Sobol design of 2^m draws is the prefix of the one of 2^(m+1) draws with the same
        # seed: a table begun with more draws serves a smaller power of two (its first chunks)
        prefix = isinstance(old.get("draws"), int) and old["draws"] >= draws and draws == 2 ** int(np.log2(draws))
        if {k: v for k, v in old.items() if k != "draws"} != {k: v for k, v in stamp.items() if k != "draws"} or (
            old.get("draws") != draws and not prefix
        ):
            changed = ", ".join(k for k in stamp if old.get(k) != stamp[k])
            raise InputError(table_dir, "--resume", f"the reference table was made with other settings ({changed}); "
                             "start a new folder or drop --resume")  # fmt: skip
        if old["draws"] > draws:
            stamp = old  # keep the larger table's stamp: it can still be completed later
        index = _read_index(table_dir)
    elif parts.exists():
        for f in parts.glob("part-*.parquet"):
            f.unlink()
    parts.mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(json.dumps(stamp, indent=2), "utf-8")
    chunks = [
        (k, k * CHUNK_DRAWS, min(draws, (k + 1) * CHUNK_DRAWS)) for k in range((draws + CHUNK_DRAWS - 1) // CHUNK_DRAWS)
    ]
    good, redo = _trusted_parts(table_dir, chunks, index)
    for n, (k, why) in enumerate(sorted(redo.items())):
        if n < 10:
            log.warning("%s is computed again: %s", parts / f"part-{k:05d}.parquet", why)
    if len(redo) > 10:
        log.warning("%d more parts of %s are computed again", len(redo) - 10, parts)
    # the index keeps what can be trusted (and a larger table's parts beyond these chunks, checked when it resumes)
    names = {f"part-{k:05d}.parquet": k for k, _, _ in chunks}
    index = {name: rec for name, rec in index.items() if name not in names or names[name] in good}
    index_file = table_dir / PARTS_INDEX
    write_bytes_atomically(index_file, (json.dumps(index, indent=1) + "\n").encode("utf-8"))
    todo = [c for c in chunks if c[0] not in good]
    sim_key = (str(patterns_path), replicates, seed)
    tasks = [(sim_key, patterns_path, None, replicates, seed, keys, theta[a:b], k) for k, a, b in todo]
    if progress and len(todo) < len(chunks):
        progress(f"resuming: {len(chunks) - len(todo)} of {len(chunks)} chunks already done")

    def write(k: int, values: np.ndarray) -> None:
        a, b = chunks[k][1], chunks[k][2]
        data = _part_bytes(values, ids, a)
        name = f"part-{k:05d}.parquet"
        write_bytes_atomically(parts / name, data)
        index[name] = {"draws": [a, b], "sha256": sha256_bytes(data)}
        write_bytes_atomically(index_file, (json.dumps(index, indent=1) + "\n").encode("utf-8"))

    done = len(chunks) - len(todo)
    started = time.time()
    # chunks on threads of this process, each case's batch on the engine's threads too (so that the last chunk,
    # or a table of fewer chunks than workers, still uses every core); with a Dask scheduler, on its workers
    executor, closer = None, None
    if tasks and scheduler is not None:
        from simulation.sweeps.execute import make_executor

        executor, closer = make_executor("dask", workers, scheduler)
    elif tasks and workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        from simulation.drivers.compiled import rules_ready
        from simulation.runner import prepare_rules

        if not rules_ready("batch"):  # compile once, before the chunk threads start
            prepare_rules(kind="batch")
        executor = ThreadPoolExecutor(max_workers=min(workers, len(tasks)), thread_name_prefix="alliance-sim-table")
    try:
        if executor is None:
            from simulation.drivers.engine import set_threads

            set_threads(1, this_thread=True)  # one worker: one thread
            try:
                for task in tasks:
                    k, values = _evaluate_chunk(task)
                    write(k, values)
                    done += 1
                    if progress:
                        progress(f"reference table: {done}/{len(chunks)} chunks ({time.time() - started:.0f} s)")
            finally:
                set_threads(None, this_thread=True)
        else:
            from concurrent.futures import as_completed

            futures = [executor.submit(_evaluate_chunk, t) for t in tasks]
            for fut in as_completed(futures):
                k, values = fut.result()
                write(k, values)
                done += 1
                if progress and (done % 10 == 0 or done == len(chunks)):
                    progress(f"reference table: {done}/{len(chunks)} chunks ({time.time() - started:.0f} s)")
    finally:
        if executor is not None:
            try:
                executor.shutdown(cancel_futures=True)
            except TypeError:  # dask's ClientExecutor.shutdown has no cancel_futures
                executor.shutdown()
        if closer is not None:
            closer.close()
    frames = []
    for k, a, b in chunks:
        path = parts / f"part-{k:05d}.parquet"
        try:
            frame = pq.read_table(path).to_pandas()
        except (pa.ArrowException, OSError) as exc:
            raise InputError(path, None, f"unreadable ({' '.join(str(exc).split())[:100]}); run again with --resume "
                             "to compute it again") from None  # fmt: skip
        if list(frame.columns) != ["draw", *ids] or not np.array_equal(frame["draw"].to_numpy()[: b - a],
                                                                         np.arange(a, b)):  # fmt: skip
            raise InputError(path, None, f"does not hold draws {a}..{b - 1} with every pattern; run again with "
                             "--resume to compute it again")  # fmt: skip
        frames.append(frame)
    values = pd.concat(frames, ignore_index=True).sort_values("draw")
    values = values[values["draw"] < draws].reset_index(drop=True)  # a larger table's last chunk may run past
    return keys, theta, values


def rejection_posterior(
    patterns: PatternsFile, theta: np.ndarray, values: pd.DataFrame, accept: int, exclude: str | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """The ``accept`` draws with the smallest distance (sum of misses, pattern ``exclude`` left out).

    Returns (indices, distances of all draws, tolerance = the largest accepted distance)."""
    used = [p for p in patterns.patterns if p.id != exclude]
    misses = np.column_stack([values[p.id].map(p.miss).to_numpy() for p in used])
    distance = misses.sum(axis=1)
    order = np.argsort(distance, kind="stable")
    chosen = order[:accept]
    return chosen, distance, float(distance[chosen].max())


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
    from simulation.calibration.history import (
        CONVERGENCE_SHARE,
        contraction,
        distance,
        implausibilities,
        pool_last_box,
        run_waves,
    )
    from simulation.calibration.sbc import pipeline_sbc

    converge = CONVERGENCE_SHARE if converge is None else converge
    sbc_waves = waves if sbc_waves is None else sbc_waves
    started = time.time()
    out_dir = Path(out_dir) if out_dir is not None else Path.cwd() / "calibration"
    out_dir.mkdir(parents=True, exist_ok=True)
    table_root = Path(table_dir) if table_dir is not None else out_dir / "reference_table"
    patterns = load_patterns(patterns_path)
    cases = list(patterns.cases())
    prior_bounds = priors()
    keys = list(prior_bounds)

    def table(wave: int, bounds: dict) -> tuple[np.ndarray, pd.DataFrame]:
        folder = table_root if wave == 1 else table_root.parent / f"{table_root.name}_wave{wave}"
        _, theta, values = reference_table(patterns_path, folder, draws, replicates, seed + wave - 1, workers,
                                           scheduler, resume, progress, bounds)  # fmt: skip
        return theta, values

    def said(w: Any) -> None:
        if progress:
            change = "" if w.volume_change is None else f", {w.volume_change:.0%} change"
            progress(f"wave {w.wave}: {w.not_implausible} of {w.draws} draws not ruled out (max implausibility <= 3), "
                     f"{w.meeting_every_pattern} meet every pattern; box = {w.box_share_of_prior_volume:.3g} of the "
                     f"prior volume; not-ruled-out volume {w.not_ruled_out_volume:.3g}{change}")  # fmt: skip

    tables, wave_log, converged = run_waves(table, lambda v: implausibilities(patterns, v, replicates), prior_bounds,
                                            waves, converge, progress=said)  # fmt: skip
    minutes = round((time.time() - started) / 60, 2)
    theta1, values1, _, _ = tables[0]
    criticism = compatibility(patterns, values1)
    (out_dir / "compatibility.json").write_text(json.dumps(criticism.summary(), indent=2) + "\n", "utf-8")
    if progress:
        progress(compatibility_text(criticism))
    sbc_summary: dict[str, Any] = {}
    if sbc_truths > 0:
        sbc = pipeline_sbc(patterns_path, keys, prior_bounds, theta1, values1, replicates, seed, PatternSimulator,
                           prior_design, truths=sbc_truths,
                           draws=sbc_draws, max_waves=sbc_waves, converge=converge, accept=sbc_accept,
                           workers=workers if scheduler is None else 1, folder=out_dir / "sbc", progress=progress)  # fmt: skip
        sbc_summary = sbc.summary()
        (out_dir / "sbc.json").write_text(json.dumps(sbc_summary, indent=1) + "\n", "utf-8")
        if progress:
            null = sbc_summary["null"]
            progress(f"simulation-based calibration (whole pipeline, {sbc.truths} prior draws as truths): 50% / 90% "
                     f"intervals hold the truth in {sbc_summary['cover50']:.0%} / {sbc_summary['cover90']:.0%}, mean "
                     f"contraction {sbc_summary['contraction']:.3f}; null {null['cover50']:.0%} / {null['cover90']:.0%}, "
                     f"{null['contraction']:.3f}")  # fmt: skip
    minutes_all = round((time.time() - started) / 60, 2)
    box = tables[-1][3]
    theta_last, values_last, impl_last = pool_last_box(tables, keys)
    pooled = len(theta_last)
    used_waves = len(tables)

    def write(folder: Path, exclude: str | None) -> dict[str, Any]:
        if exclude is None:
            th, im, used_box, used_draws = theta_last, impl_last, box, pooled
        else:
            th, used_box, used_draws = theta1, prior_bounds, draws
            im = implausibilities(patterns, values1, replicates, exclude)
        d = distance(im)
        chosen = np.argsort(d, kind="stable")[:accept]
        met_every = int((im.max(axis=1) == 0).sum())
        post = th[chosen]
        return write_posterior(
            folder, keys, post, np.full(len(chosen), 1.0),
            method=f"history matching ({used_waves} waves of {draws} scrambled-Sobol draws, implausibility cut-off "
                   f"3, until the not-ruled-out volume changed by less than {converge:.0%}"
                   f"{'' if converged else ' (not reached within the waves allowed)'}) then rejection ABC among "
                   f"the {pooled} draws of every wave inside the last box (the closest by the sum of squared "
                   "implausibilities; equal weights)" if exclude is None else
                   "rejection ABC on the first wave's table (uniform priors), the pattern left out",
            patterns_path=patterns_path, exclude=exclude, replicates=replicates, cases=cases, seed=seed,
            population_size=accept, populations=used_waves if exclude is None else 1, draws=used_draws,
            epsilons=[float(d[chosen].max())], acceptance_rates=[accept / used_draws],
            draws_meeting_every_pattern=met_every,
            final_wave_share_meeting_every_pattern=wave_log[-1].meeting_every_pattern / wave_log[-1].draws,
            effective_sample_size=float(accept),
            replicate_seeds="replicate_seeds(seed + wave - 1, replicates) for every case and draw of a wave "
                            "(common random numbers)",
            particle_evaluations=draws * used_waves, runs=int(draws * used_waves * len(cases) * replicates),
            minutes=minutes, minutes_with_checks=minutes_all, compatibility=criticism.summary(),
            waves=[w.record() for w in wave_log], converged=converged, convergence_share=converge,
            final_box={k: list(v) for k, v in used_box.items()},
            not_calibrated=not_calibrated_keys(),
            contraction=contraction(post, np.ones(len(post)), keys, prior_bounds).round(4).to_dict(),
            sbc=sbc_summary if exclude is None else {},
        )  # fmt: skip

    manifest = write(out_dir, None)
    if leave_out:
        for p in patterns.patterns:
            write(out_dir / "leave_one_out" / p.id, p.id)
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
