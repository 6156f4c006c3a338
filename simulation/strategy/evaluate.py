"""Evaluating policies in a set of worlds: per-draw values of every measure, on the batch engine.

A task is a few policies (or named scenarios); a worker builds each one's scenario per deep-uncertainty
sample, gives run ``j`` the posterior parameter set of its draw and its seed (``worlds.WorldSet``), runs
them through the runner's one construction path (``prepare_inputs``) and the batch engine, reads each
outcome through the catalogue (``simulation.outcomes``: its aggregation per run) or computes a declared
cost, and averages the replicates of each draw. The result of a policy depends only on the policy and
the worlds: never on the task, the worker or the executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation.strategy.spec import COSTS, PolicySearch
from simulation.strategy.worlds import WorldSet, posterior, uncertainty_table


@dataclass(frozen=True)
class EvalTask:
    """Policies (lever values) or named scenarios (mappings) to evaluate in one world set: picklable."""

    name: str  # the part's name (parts/<name>.parquet)
    search: PolicySearch
    keys: tuple[str, ...]
    policies: tuple[dict[str, Any], ...]  # lever values; or {"scenario": mapping} for a named policy
    worlds: WorldSet
    measures: tuple[str, ...]


def behaviour_records(resolved, rows: np.ndarray) -> np.ndarray:
    """Behaviour records, one per run: the posterior parameter set ``rows[j]`` (the scenario's explicit
    ``parameters:`` win, as everywhere)."""
    from simulation.rules.params import field_name
    from simulation.world.build import behaviour_record

    post = posterior()
    base = behaviour_record(resolved)
    out = np.repeat(base[:1], rows.size)
    keep = {k: v for k, v in resolved.overrides.items() if k in post.keys}
    for p, key in enumerate(post.keys):
        name = field_name(key)
        if name in out.dtype.names:
            out[name] = keep[key] if key in keep else post.samples[rows, p]
    return out


def applied_pressure(params, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per run: the mean pressure (threat index) the pressurer applied to the focal pair's two members,
    and the coordinators' coordination on them (summed over coordinators, averaged over months and members),
    after the policy rule.

    The policy rule's arithmetic (``rules.kernels.apply_policy``) over whole arrays: the pressure on focal
    member m changes by ``policy_gain * (on_signal[m] * signal + on_aggression[m] * aggression[m])`` with the
    rule's coefficients (``policy_response``), ``signal`` the focal pair's rise since month 0 (``levels[:, t]``
    is the state the month starts from); each coordinator copies its ``coordination_follows`` share. A test
    holds this equal to what the Mesa model records month by month."""
    from simulation.rules.kernels import PER_RUNG
    from simulation.rules.params import ROLE_FOCAL_A, ROLE_FOCAL_B, ROLE_POLICY

    roles = params.roles
    fa, fb, reacts = (int(roles[i]) for i in (ROLE_FOCAL_A, ROLE_FOCAL_B, ROLE_POLICY))
    steps = levels.shape[1] - 1
    members = [fa, fb]
    scheduled = params.pressure_threat[0, :steps][:, members][None]  # [1, T, 2]
    coordinated = params.coordination[0, :steps][:, :, members][None]  # [1, T, C, 2]
    runs = levels.shape[0]
    if reacts == 0:
        return np.full(runs, scheduled.mean()), np.full(runs, coordinated.mean(axis=(1, 3)).sum(axis=1)[0])
    signal = (levels[:, :steps, fa, fb].astype(float) - float(params.initial_level[0, fa, fb])) * PER_RUNG
    response = np.asarray(params.policy_response, dtype=float)  # [2, 2]: (on signal, on aggression) per member
    aggression = params.aggression[0, :steps][:, members][None]  # [1, T, 2]
    reaction = signal[:, :, None] * response[:, 0][None, None] + aggression * response[:, 1][None, None]
    gain = np.asarray(params.behaviour["policy_gain"], dtype=float)
    change = (gain if gain.size > 1 else np.full(runs, gain[0]))[:, None, None] * reaction  # [B, T, 2]
    follows = np.asarray(params.coordination_follows[0], dtype=float)  # [C]
    pressure = np.clip(scheduled + change, 0.0, 1.0)
    coordination = np.clip(coordinated + follows[None, None, :, None] * change[:, :, None, :], 0.0, 1.0)
    return pressure.mean(axis=(1, 2)), coordination.mean(axis=(1, 3)).sum(axis=1)


def per_run_measures(result, inputs, measures: tuple[str, ...]) -> np.ndarray:
    """[runs, measures]: each catalogue outcome as its aggregation reads it per run (a yes/no as 0/1,
    a month with "never" as the horizon), or a declared cost."""
    from simulation.outcomes import BatchView, outcome

    shape = inputs.structure
    view = BatchView(result.levels, result.focal_trade, shape.actors, shape.focal_index, inputs.base_trade)
    out = np.empty((result.levels.shape[0], len(measures)))
    costs: tuple[np.ndarray, np.ndarray] | None = None
    for m, name in enumerate(measures):
        if name in COSTS:
            if costs is None:
                costs = applied_pressure(inputs.params, result.levels)
            out[:, m] = costs[0] if name == "pressure_applied" else costs[1]
            continue
        entry = outcome(name)
        values = entry.compute(view)
        if entry.aggregation in ("share", "mean") and isinstance(values, np.ndarray):
            out[:, m] = values  # a yes/no as 0/1, a level or a number as it is: what per_run reads
            continue
        column = pd.Series(pd.array(values, dtype=entry.dtype))
        out[:, m] = entry.per_run(pd.DataFrame({name: column}), horizon=shape.steps).to_numpy(dtype=float)
    return out


def evaluate_scenarios(
    scenarios: list[Any], worlds: WorldSet, measures: tuple[str, ...], parallel: bool = True
) -> np.ndarray:
    """Per-draw values [draws, measures] of one policy, given its scenario in each deep-uncertainty sample."""
    from simulation.drivers.engine import simulate
    from simulation.drivers.inputs import prepare_inputs
    from simulation.world.resolve import resolve

    runs = np.zeros((worlds.runs, len(measures)))
    run_draw = np.repeat(np.arange(worlds.draws), worlds.replicates)
    run_row = worlds.uncertainty_row[run_draw]
    for u, scenario in enumerate(scenarios):
        picked = np.flatnonzero(run_row == u)
        if picked.size == 0:
            continue
        resolved = resolve(scenario)
        seeds = worlds.seeds[picked]
        records = behaviour_records(resolved, worlds.draw_index[run_draw[picked]])
        inputs = prepare_inputs(resolved, seeds, behaviour=records, behaviour_label="posterior draw per world")
        result = simulate(inputs.params, seeds, inputs.structure.steps, inputs.reference, parallel=parallel)
        runs[picked] = per_run_measures(result, inputs, measures)
    return runs.reshape(worlds.draws, worlds.replicates, len(measures)).mean(axis=1)


def task_scenarios(task: EvalTask, policy: dict[str, Any]) -> list[Any]:
    """A policy's scenario in each deep-uncertainty sample (one when there is none)."""
    from simulation.strategy.levers import build_scenario, checked_scenario, world_data

    rows = uncertainty_table(task.search)
    if "scenario" in policy:
        import copy

        data = policy["scenario"]
        return [checked_scenario(world_data(task.search, copy.deepcopy(data), extra), None) for extra in rows]
    return [build_scenario(task.search, policy, extra) for extra in rows]


def run_task(task: EvalTask, parallel: bool = False) -> np.ndarray:
    """[policies, draws, measures] for the task's policies (in a worker: one thread each)."""
    out = np.empty((len(task.policies), task.worlds.draws, len(task.measures)))
    for i, policy in enumerate(task.policies):
        out[i] = evaluate_scenarios(task_scenarios(task, policy), task.worlds, task.measures, parallel)
    return out


def run_task_in_worker(task: EvalTask) -> np.ndarray:
    return run_task(task, parallel=False)


def run_task_here(task: EvalTask) -> np.ndarray:
    return run_task(task, parallel=True)
