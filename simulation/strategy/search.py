"""The search: NSGA-II (pymoo) over the levers, every policy judged on the same worlds.

pymoo's NSGA-II (Deb et al. 2002, doi:10.1109/4235.996017) proposes a generation of points of the
unit cube; they decode to policies (``levers``); policies not yet evaluated are cut into tasks and run
on the sweeps' executors (threads, processes or Dask); each finished task is written at once as a
sealed part (``folder``); the robust objectives (``robust``) are computed from the per-draw values and
told to the algorithm. The algorithm is seeded and depends only on the values it is told, so a
resumed search replays it from the start over the parts on disk and reaches the result an
uninterrupted search reaches, whatever the number of workers.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.strategy import folder as sealed
from simulation.strategy.evaluate import EvalTask, run_task_here, run_task_in_worker
from simulation.strategy.levers import decode, encode_one, policy_key
from simulation.strategy.robust import non_dominated, robust_value, to_minimise
from simulation.strategy.spec import PolicySearch, measures
from simulation.strategy.worlds import ALGORITHM_STREAM, WorldSet, stream_seed, world_sets

log = logging.getLogger(__name__)


@dataclass
class SearchState:
    """What a search knows: per-draw values by "<set>:<key>", the policies by key, the generations."""

    search: PolicySearch
    out: Path
    manifest: dict[str, Any]
    worlds: WorldSet
    holdout: WorldSet | None
    measures: list[str]
    values: dict[str, np.ndarray] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> lever values
    first_generation: dict[str, int] = field(default_factory=dict)
    hypervolume: list[float] = field(default_factory=list)
    runs_done: int = 0


@dataclass
class SearchReport:
    out: Path
    policies: int
    pareto: int
    runs: int
    seconds: float
    hypervolume: list[float]


class Runner:
    """Runs tasks on an executor (or here), writing each finished one as a part; Ctrl-C stops cleanly."""

    def __init__(self, state: SearchState, executor: Any, on_done: Any = None):
        self.state, self.executor, self.on_done = state, executor, on_done

    def run(self, tasks: list[EvalTask]) -> None:
        from simulation.sweeps.execute import _Interrupt

        state = self.state

        def record(task: EvalTask, values: np.ndarray) -> None:
            sealed.write_part(state.out, task.name, list(task.keys), values, state.measures, state.manifest)
            prefix = task.name.split("-", 1)[0]
            for i, key in enumerate(task.keys):
                state.values[f"{prefix}:{key}"] = values[i]
            state.runs_done += len(task.keys) * task.worlds.runs
            if self.on_done is not None:
                self.on_done(len(task.keys), len(task.keys) * task.worlds.runs)

        with _Interrupt() as interrupt:
            if self.executor is None:
                for task in tasks:
                    if interrupt.requested:
                        raise KeyboardInterrupt
                    record(task, run_task_here(task))
                return
            pending = {self.executor.submit(run_task_in_worker, t): t for t in tasks}
            try:
                while pending:
                    if interrupt.requested:
                        raise KeyboardInterrupt
                    finished, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        record(pending.pop(fut), fut.result())
            except BaseException:
                for fut in pending:
                    fut.cancel()
                raise


def make_tasks(
    state: SearchState, label: str, keys: list[str], policies: list[dict[str, Any]], worlds: WorldSet
) -> list[EvalTask]:
    """Tasks of ``policies_per_task`` policies each, for those not yet known, named ``<set>-<label>-<hash of
    their keys>``: a part's name says what it holds, so a resumed search cut otherwise never replaces one."""
    todo = [(k, p) for k, p in zip(keys, policies, strict=True) if f"{worlds.name}:{k}" not in state.values]
    todo = list({k: p for k, p in todo}.items())
    size = state.search.spec.search.policies_per_task
    tasks = []
    for start in range(0, len(todo), size):
        chunk = todo[start : start + size]
        tasks.append(
            EvalTask(
                f"{worlds.name}-{label}-{hashlib.sha256(' '.join(k for k, _ in chunk).encode()).hexdigest()[:12]}",
                state.search,
                tuple(k for k, _ in chunk),
                tuple(p for _, p in chunk),
                worlds,
                tuple(state.measures),
            )
        )
    return tasks


def reference_policies(search: PolicySearch) -> tuple[list[str], list[dict[str, Any]]]:
    keys = [f"ref.{name}" for name in search.references]
    items = [{"scenario": sc.model_dump(mode="python", exclude_none=True)} for sc in search.references.values()]
    return keys, items


def stacked(state: SearchState, set_name: str, keys: list[str]) -> np.ndarray:
    """[policies, draws, measures] for these keys in one world set."""
    return np.stack([state.values[f"{set_name}:{k}"] for k in keys]) if keys else np.zeros((0, 0, len(state.measures)))


def robust_table(state: SearchState, set_name: str, keys: list[str], worlds: WorldSet) -> pd.DataFrame:
    """One row per key: every objective's and constraint's robust value (regret against the references
    in the same worlds)."""
    spec = state.search.spec
    values = stacked(state, set_name, keys)
    ref_keys, _ = reference_policies(state.search)
    refs = stacked(state, set_name, ref_keys) if ref_keys else None
    columns: dict[str, np.ndarray] = {}
    for item in [*spec.objectives, *spec.constraints]:
        m = state.measures.index(item.measure)
        ref = None if refs is None else refs[:, :, m]
        columns[item.column] = robust_value(item, values[:, :, m], worlds.weights, ref) if len(keys) else np.zeros(0)
    return pd.DataFrame(columns, index=pd.Index(keys, name="key"))


def objective_matrix(state: SearchState, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    """F (minimised) and G (<= 0 is feasible) of the rows of a robust table."""
    spec = state.search.spec
    F = np.column_stack([to_minimise(o, table[o.column].to_numpy()) for o in spec.objectives])
    if not spec.constraints:
        return F, None
    G = np.column_stack(
        [
            (table[c.column].to_numpy() - c.at_most)
            if c.at_most is not None
            else (c.at_least - table[c.column].to_numpy())
            for c in spec.constraints
        ]
    )
    return F, G


def hypervolume(F: np.ndarray, ideal: np.ndarray, nadir: np.ndarray) -> float:
    """Hypervolume of the non-dominated rows of ``F``, normalised to [ideal, nadir] (reference point 1.1)."""
    from pymoo.indicators.hv import HV

    if F.size == 0:
        return 0.0
    span = np.where(nadir > ideal, nadir - ideal, 1.0)
    normal = (F - ideal) / span
    return float(HV(ref_point=np.full(F.shape[1], 1.1))(normal[non_dominated(normal)]))


class _Problem:
    """Builds the pymoo problem whose evaluation is this search's (kept out of import time)."""

    @staticmethod
    def make(state: SearchState, runner: Runner, progress: Any):
        from pymoo.core.problem import Problem

        search = state.search
        spec = search.spec

        class PolicyProblem(Problem):
            def __init__(self) -> None:
                super().__init__(
                    n_var=len(spec.levers),
                    n_obj=len(spec.objectives),
                    n_ieq_constr=len(spec.constraints),
                    xl=0.0,
                    xu=1.0,
                )
                self.generation = 0
                self.hv_bounds: tuple[np.ndarray, np.ndarray] | None = None

            def _evaluate(self, X, out, *args, **kwargs):
                self.generation += 1
                gen = self.generation
                policies = [decode(search, x) for x in X]
                keys = [policy_key(p) for p in policies]
                for k, p in zip(keys, policies, strict=True):
                    state.policies.setdefault(k, p)
                    state.first_generation.setdefault(k, gen)
                runner.run(make_tasks(state, f"g{gen:04d}", keys, policies, state.worlds))
                table = robust_table(state, "search", keys, state.worlds)
                F, G = objective_matrix(state, table)
                out["F"] = F
                if G is not None:
                    out["G"] = G
                if progress is not None:
                    progress.generation(gen, self.hv_so_far())

            def hv_so_far(self) -> float:
                keys = list(state.policies)
                F, G = objective_matrix(state, robust_table(state, "search", keys, state.worlds))
                feasible = None if G is None else np.all(G <= 0, axis=1)
                front = F[non_dominated(F, feasible)]
                if self.hv_bounds is None:  # fixed by the first generation: the bar's numbers stay comparable
                    self.hv_bounds = (F.min(axis=0), F.max(axis=0))
                value = hypervolume(front, *self.hv_bounds)
                state.hypervolume.append(value)
                return value

        return PolicyProblem()


class Progress:
    """A rich progress bar: policies, runs/s, generation and hypervolume (silent when not enabled)."""

    def __init__(self, total_policies: int, generations: int, enabled: bool):
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self.bar = Bar(
            TextColumn("[bold]policy search"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("policies {task.fields[rate]}"),
            TextColumn("gen {task.fields[gen]}/{task.fields[gens]} hypervolume {task.fields[hv]}"),
            TimeElapsedColumn(),
            disable=not enabled,
        )
        self.task = self.bar.add_task("search", total=total_policies, rate="", gen=0, gens=generations, hv="-")
        self.start, self.runs = time.perf_counter(), 0
        self.per_generation = total_policies // max(generations, 1)

    def __enter__(self) -> Progress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)

    def advance(self, policies: int, runs: int) -> None:
        self.runs += runs
        rate = self.runs / max(time.perf_counter() - self.start, 1e-9)
        self.bar.update(self.task, rate=f"({rate:,.0f} runs/s)")

    def generation(self, gen: int, hv: float) -> None:
        self.bar.update(self.task, gen=gen, hv=f"{hv:.3f}", completed=gen * self.per_generation)


def search_loop(search, out, manifest, workers, executor_kind, scheduler, progress, stop_after):
    """Evaluate the reference policies, run the generations, re-evaluate the front on held-out worlds;
    returns the state (None when stopped early) and the seconds it took."""
    from pymoo.algorithms.moo.nsga2 import NSGA2

    from simulation.sweeps.execute import _stop, make_executor

    t0 = time.perf_counter()
    worlds, held = world_sets(search)
    state = SearchState(search, out, manifest, worlds, held, measures(search.spec))
    draws = {"search": worlds.draws, **({"holdout": held.draws} if held is not None else {})}
    state.values = sealed.read_parts(out, manifest, state.measures, draws)
    if (workers or os.cpu_count() or 1) > 1 and scheduler is None:
        from simulation.drivers.compiled import rules_ready
        from simulation.runner import prepare_rules

        if not rules_ready("batch"):
            prepare_rules(search.base, kind="batch")
    executor, closer = make_executor(executor_kind, workers, scheduler)
    spec = search.spec.search
    stopped = False
    try:
        with Progress(search.policies_total, spec.generations, progress) as bar:
            runner = Runner(state, executor, bar.advance)
            ref_keys, ref_items = reference_policies(search)
            runner.run(make_tasks(state, "ref", ref_keys, ref_items, worlds))
            problem = _Problem.make(state, runner, bar)
            algorithm = NSGA2(pop_size=spec.population, eliminate_duplicates=True)
            algorithm.setup(
                problem,
                termination=("n_gen", spec.generations),
                seed=stream_seed(spec.master_seed, ALGORITHM_STREAM) % 2**32,
                verbose=False,
            )
            while algorithm.has_next():
                if stop_after is not None and problem.generation >= stop_after:
                    return None, time.perf_counter() - t0
                algorithm.next()
            if held is not None:
                front_keys = pareto_keys(state)
                runner.run(make_tasks(state, "ref", ref_keys, ref_items, held))
                runner.run(make_tasks(state, "front", front_keys, [state.policies[k] for k in front_keys], held))
    except BaseException:
        stopped = True
        raise
    finally:
        if executor is not None:
            procs = _stop(executor, now=stopped)
            for proc in procs:
                proc.join(10)
        if closer is not None:
            closer.close()
    return state, time.perf_counter() - t0


def pareto_keys(state: SearchState) -> list[str]:
    """The non-dominated policies among every one evaluated (the feasible ones, when any is)."""
    keys = list(state.policies)
    table = robust_table(state, "search", keys, state.worlds)
    F, G = objective_matrix(state, table)
    feasible = None if G is None else np.all(G <= 0, axis=1)
    return [keys[i] for i in non_dominated(F, feasible)]


def policy_point(search: PolicySearch, policy: dict[str, Any]) -> np.ndarray:
    """The unit-cube point of a policy (for seeding or tests)."""
    return np.array([encode_one(lv, policy[lv.name]) for lv in search.spec.levers])
