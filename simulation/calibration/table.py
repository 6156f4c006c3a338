"""The reference table of the rejection calibration: the pattern simulator (a parameter set -> every
pattern's value, on the batch engine) and its values over a scrambled-Sobol design of the prior box, computed
in chunks written as resumable Parquet parts whose hashes are recorded and checked on resume."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.behaviour import calibrated_keys
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


# --------------------------------------------------------------------------- the reference table

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


def _open_table(table_dir: Path, stamp: dict[str, Any], draws: int, resume: bool) -> dict[str, Any]:
    """Check a resumed table's stamp (``table.json``) against this one, or clear a new table's parts; write the
    stamp. Returns the parts index to check the parts against ({} for a new table)."""
    parts = table_dir / "parts"
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
    return index


def _run_chunks(
    tasks: list[tuple], write: Callable[[int, np.ndarray], None], total: int, workers: int, scheduler: str | None,
    progress: Callable[[str], None] | None,
) -> None:  # fmt: skip
    """Evaluate the chunks' tasks, writing each part as it finishes: on threads of this process, each case's batch
    on the engine's threads too (so that the last chunk, or a table of fewer chunks than workers, still uses every
    core); with a Dask scheduler, on its workers; with one worker, one by one on one thread."""
    done = total - len(tasks)
    started = time.time()
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
                        progress(f"reference table: {done}/{total} chunks ({time.time() - started:.0f} s)")
            finally:
                set_threads(None, this_thread=True)
        else:
            from concurrent.futures import as_completed

            futures = [executor.submit(_evaluate_chunk, t) for t in tasks]
            for fut in as_completed(futures):
                k, values = fut.result()
                write(k, values)
                done += 1
                if progress and (done % 10 == 0 or done == total):
                    progress(f"reference table: {done}/{total} chunks ({time.time() - started:.0f} s)")
    finally:
        if executor is not None:
            try:
                executor.shutdown(cancel_futures=True)
            except TypeError:  # dask's ClientExecutor.shutdown has no cancel_futures
                executor.shutdown()
        if closer is not None:
            closer.close()


def _read_parts(parts: Path, chunks: list[tuple[int, int, int]], ids: list[str], draws: int) -> pd.DataFrame:
    """The table's values from its parts, in draw order: ``draw`` then one column per pattern id."""
    import pyarrow as pa
    import pyarrow.parquet as pq

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
    return values[values["draw"] < draws].reset_index(drop=True)  # a larger table's last chunk may run past


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

    Chunks of ``CHUNK_DRAWS`` draws run on ``workers`` threads of this process (with a Dask ``scheduler``, on
    its workers), each case of a chunk one batch of draws x replicates runs on the engine's threads. Each part's
    sha256 is recorded in ``parts.json`` when it is written; on resume a part whose bytes or draws differ from
    its record (edited, renamed, truncated, rows dropped) is computed again, never used.

    Returns (keys, the draws [draws, len(keys)], a table with ``draw`` and one column per pattern id).
    """
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
    index = _open_table(table_dir, stamp, draws, resume)
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

    _run_chunks(tasks, write, len(chunks), workers, scheduler, progress)
    return keys, theta, _read_parts(parts, chunks, ids, draws)
