"""The one way to execute: a single explained run (Mesa model) or a batch of runs (batch engine).

Seeds: replicate seeds are derived one way everywhere, ``replicate_seeds(master_seed, count)``
(NumPy ``SeedSequence``), as int64 below 2**63 so that every table tool (R's arrow included)
reads them exactly; the master seed is recorded in every manifest.

Parameters: ``parameters="posterior"`` (the default when a calibrated posterior ships) draws,
for every replicate, a behavioural parameter set from the posterior, reproducibly from the
run's seed, so probabilities include parameter uncertainty; ``parameters="point"`` uses one
set (the posterior median when a posterior ships, else the registry) for explanation and
teaching. A scenario's explicit ``parameters:`` overrides win over both.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .build import build_params, structure
from .engine import simulate
from .outcomes import BatchView, pair_columns, run_outcomes
from .registry import Registry
from .resolve import Resolved, resolve
from .rules.params import Params, Structure, stack
from .scenario import Scenario
from .state import LEVEL_LABELS, AlignmentLevel

ParameterMode = Literal["posterior", "point", "registry"]


def replicate_seeds(master_seed: int, count: int) -> np.ndarray:
    """``count`` run seeds from a master seed: SeedSequence words, as int64 below 2**63."""
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    words = np.random.SeedSequence(int(master_seed)).generate_state(int(count), dtype=np.uint64)
    return (words >> np.uint64(1)).astype(np.int64)


def month_label(start: str, step: int) -> str:
    """Calendar month (YYYY-MM) of month ``step`` after ``start``."""
    year, month = (int(x) for x in start.split("-"))
    total = year * 12 + (month - 1) + step
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


# --------------------------------------------------------------------------- parameters


def behaviour_for(
    resolved: Resolved, params: Params, seeds: np.ndarray, mode: ParameterMode | None
) -> tuple[np.ndarray, str]:
    """The behaviour records for ``seeds`` under ``mode`` and a label of what was used."""
    from .calibration.posterior import shipped_posterior

    mode = "posterior" if mode is None else mode
    if mode == "registry":
        return params.behaviour, "registry values (uncalibrated, asked for with --parameters registry)"
    if mode not in ("posterior", "point"):
        raise ValueError(f"unknown parameters mode {mode!r} (allowed: posterior, point, registry)")
    post = shipped_posterior(resolved.registry)
    keep = {k: v for k, v in resolved.overrides.items() if k in post.keys}
    if mode == "point":
        return post.point_record(params.behaviour, keep), "posterior median (one parameter set)"
    return post.draw_records(params.behaviour, seeds, keep), "posterior predictive (a parameter draw per run)"


# --------------------------------------------------------------------------- one run


@dataclass
class RunResult:
    """One run: trajectories, the decisions table, and outcomes."""

    resolved: Resolved
    seed: int
    model: object  # AllianceModel
    trajectories: pd.DataFrame
    decisions: pd.DataFrame
    outcomes: pd.Series
    parameters: str

    @property
    def scenario(self) -> Scenario:
        return self.resolved.scenario

    @property
    def actors(self) -> tuple[str, ...]:
        return self.resolved.actors

    def levels(self) -> np.ndarray:
        return self.model.levels_array()  # type: ignore[attr-defined]

    def summary(self) -> dict:
        levels = self.levels()
        final = {
            f"{self.actors[i]}-{self.actors[j]}": LEVEL_LABELS[int(levels[-1, i, j])]
            for i, j, _ in pair_columns(self.actors)
        }
        a, b = self.resolved.focal_pair
        reached = {}
        for lvl in AlignmentLevel:
            if lvl == AlignmentLevel.ESTRANGED:
                continue
            col = "alliance_month" if lvl == AlignmentLevel.FORMAL_ALLIANCE else f"first_month_{lvl.name.lower()}"
            step = self.outcomes[col]
            reached[lvl.label] = None if pd.isna(step) else month_label(self.scenario.start, int(step))
        return {
            "scenario": self.scenario.title,
            "seed": self.seed,
            "parameters": self.parameters,
            "focal_pair": f"{a}-{b}",
            "final_alignment": final,
            "focal_pair_first_reached": reached,
            "alliance": bool(self.outcomes["alliance"]),
            "blocs": self.outcomes["blocs"],
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"RunResult({s['scenario']!r}, seed={self.seed}, {s['focal_pair']}: "
            f"{'alliance' if s['alliance'] else 'no alliance'}, blocs={s['blocs']!r})"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in s["final_alignment"].items()
        )
        return (
            f"<div><b>{html.escape(s['scenario'])}</b> (seed {self.seed}; {html.escape(s['parameters'])})<br>"
            f"{html.escape(s['focal_pair'])}: <b>{'formal alliance' if s['alliance'] else 'no alliance'}</b>; "
            f"blocs: {html.escape(s['blocs'])}"
            f"<table><tr><th>pair</th><th>final level</th></tr>{rows}</table></div>"
        )


def _resolved(scenario: Scenario | Resolved, registry: Registry | None = None) -> Resolved:
    return scenario if isinstance(scenario, Resolved) else resolve(scenario, registry)


def run_scenario(
    scenario: Scenario | Resolved,
    seed: int = 0,
    steps: int | None = None,
    registry: Registry | None = None,
    parameters: ParameterMode = "point",
) -> RunResult:
    """Run one scenario through the Mesa model, with explanations (one parameter set: ``point``)."""
    from .model import AllianceModel

    resolved = _resolved(scenario, registry)
    params = build_params(resolved)
    behaviour, used = behaviour_for(resolved, params, np.array([seed], dtype=np.int64), parameters)
    model = AllianceModel(resolved, seed=seed, behaviour=behaviour, behaviour_label=used)
    resolved = model.resolved  # with the behavioural values the run uses (for explanations)
    horizon = resolved.steps if steps is None else min(steps, resolved.steps)
    model.run_for(horizon)
    traj = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    traj.insert(0, "step", np.arange(len(traj)))
    traj.insert(1, "date", [month_label(resolved.start, s) for s in traj["step"]])
    decisions = model.datacollector.get_table_dataframe("decisions")
    levels = model.levels_array()
    fa, fb = resolved.focal_index
    trade = np.array([[r.trade[fa, fb] for r in model.history]])
    view = BatchView(levels[None], trade, resolved.actors, resolved.focal_index, focal_base_trade(resolved))
    outcomes = run_outcomes(view).iloc[0]
    return RunResult(resolved, int(seed), model, traj, decisions, outcomes, used)


# --------------------------------------------------------------------------- many runs


def focal_base_trade(resolved: Resolved) -> float:
    a, b = resolved.focal_pair
    return resolved.pair_value("trade_usd_bn", a, b, directed=False) or float("nan")


def _outcome_table(levels_result, shape: Structure, seeds: np.ndarray, base_trade: float) -> pd.DataFrame:
    """One row per run of a batch's result (``seed`` first)."""
    view = BatchView(levels_result.levels, levels_result.focal_trade, shape.actors, shape.focal_index, base_trade)
    out = run_outcomes(view)
    out.insert(0, "seed", np.asarray(seeds, dtype=np.int64))
    return out


def simulate_outcomes(
    params: Params, reference: Params, shape: Structure, seeds: np.ndarray, base_trade: float
) -> pd.DataFrame:
    """Outcomes of a batch on the batch engine, one row per seed (``seed`` first)."""
    return _outcome_table(simulate(params, seeds, shape.steps, reference), shape, seeds, base_trade)


def prepare(
    scenario: Scenario | Resolved,
    seeds: np.ndarray,
    parameters: ParameterMode | None = None,
    registry: Registry | None = None,
) -> tuple[Params, Params, Structure, float, str]:
    """Everything a batch of one scenario needs: params (with behaviour per run), reference, structure."""
    resolved = _resolved(scenario, registry)
    params = build_params(resolved)
    behaviour, used = behaviour_for(resolved, params, seeds, parameters)
    params = params._replace(behaviour=behaviour)
    ref_resolved = resolved.reference
    reference = params if ref_resolved is resolved else build_params(ref_resolved)._replace(behaviour=behaviour)
    return params, reference, structure(resolved), focal_base_trade(resolved), used


def run_batch(
    scenario: Scenario | Resolved,
    seeds: Sequence[int] | np.ndarray | None = None,
    *,
    runs: int | None = None,
    master_seed: int = 0,
    parameters: ParameterMode | None = None,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """Outcomes of many runs of one scenario (batch engine), one row per run.

    Give ``seeds`` explicitly, or ``runs`` (seeds from ``replicate_seeds(master_seed, runs)``).
    ``parameters``: "posterior" (default when a posterior ships), "point" or "registry".
    ``df.attrs["parameters"]`` says which was used.
    """
    if seeds is None:
        if runs is None:
            raise ValueError("give seeds or runs")
        seeds = replicate_seeds(master_seed, runs)
    seeds = np.asarray(seeds, dtype=np.int64)
    params, reference, shape, base_trade, used = prepare(scenario, seeds, parameters, registry)
    out = simulate_outcomes(params, reference, shape, seeds, base_trade)
    out.attrs["parameters"] = used
    return out


def _design_batches(resolved_points: list[Resolved], index: np.ndarray, seeds: np.ndarray,
                    parameters: ParameterMode | None):  # fmt: skip
    """Simulate each design point's runs once: yields (rows, batch result, structure, base trade)."""
    for k, r in enumerate(resolved_points):
        rows = np.flatnonzero(index == k)
        if rows.size == 0:
            continue
        params, reference, shape, base_trade, _ = prepare(r, seeds[rows], parameters)
        yield rows, simulate(params, seeds[rows], shape.steps, reference), shape, base_trade


def _focal_levels(result, shape: Structure) -> np.ndarray:
    fa, fb = shape.focal_index
    return result.levels[:, :, fa, fb]


def run_points(
    resolved_points: list[Resolved],
    index: np.ndarray,
    seeds: np.ndarray,
    parameters: ParameterMode | None = None,
    trajectories: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, np.ndarray]:
    """Outcomes of a design: run b uses ``resolved_points[index[b]]`` and ``seeds[b]``.

    With ``trajectories``, also the focal pair's monthly level [B, T + 1] (int8) from the same runs.
    """
    frames, order = [], []
    paths: np.ndarray | None = None
    for rows, result, shape, base_trade in _design_batches(resolved_points, index, seeds, parameters):
        frames.append(_outcome_table(result, shape, seeds[rows], base_trade))
        order.append(rows)
        if trajectories:
            if paths is None:
                paths = np.empty((len(seeds), result.levels.shape[1]), dtype=np.int8)
            paths[rows] = _focal_levels(result, shape)
    out = pd.concat(frames, ignore_index=True)
    out.index = np.concatenate(order)
    out = out.sort_index().reset_index(drop=True)
    return (out, paths) if trajectories else out


def simulate_trajectories(
    resolved_points: list[Resolved], index: np.ndarray, seeds: np.ndarray, parameters: ParameterMode | None = None
) -> np.ndarray:
    """The focal pair's monthly level [B, T + 1] (int8) for a design, run b as in ``run_points``."""
    out = None
    for rows, result, shape, _ in _design_batches(resolved_points, index, seeds, parameters):
        if out is None:
            out = np.empty((len(seeds), result.levels.shape[1]), dtype=np.int8)
        out[rows] = _focal_levels(result, shape)
    assert out is not None
    return out


def noise_free_desire(
    scenario: Scenario | Resolved, parameters: ParameterMode = "point"
) -> tuple[np.ndarray, Structure]:
    """Every actor's month-0 desire for every partner without noise and without the resting constant:
    the structural pull of the terms alone (for landscape theory)."""
    from .model import AllianceModel

    resolved = _resolved(scenario)
    params = build_params(resolved)
    behaviour, _ = behaviour_for(resolved, params, np.zeros(1, dtype=np.int64), parameters)
    model = AllianceModel(resolved, seed=0, behaviour=behaviour)
    record = model.advice()
    return record.desire - model.anchor, structure(resolved)


def write_run(result: RunResult, out_dir, scenario_file: str | None) -> dict:
    """Write trajectories, decisions, event log, manifest and plots of one run into ``out_dir``."""
    import json
    from pathlib import Path

    from . import plots
    from .explain import event_log, event_log_markdown
    from .manifest import base_manifest, write_json
    from .scenario import scenario_hash

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    files["trajectories"] = out_dir / "trajectories.parquet"
    result.trajectories.to_parquet(files["trajectories"], index=False)
    files["decisions"] = out_dir / "decisions.parquet"
    result.decisions.to_parquet(files["decisions"], index=False)
    levels = result.levels()
    threats = {r.month: r.threat for r in result.model.history}  # type: ignore[attr-defined]
    entries = event_log(result.decisions, levels, result.resolved, threats)
    files["event_log"] = out_dir / "event_log.md"
    files["event_log"].write_text(event_log_markdown(entries, result.scenario.title), "utf-8")
    files["events"] = out_dir / "events.jsonl"
    files["events"].write_text("".join(json.dumps(e) + "\n" for e in entries), "utf-8")
    pairs = [col for _, _, col in pair_columns(result.actors)]
    fa, fb = result.resolved.focal_index
    focal = next(col for i, j, col in pair_columns(result.actors) if {i, j} == {fa, fb})
    fig = plots.alignment_over_time(
        result.trajectories,
        pairs,
        f"{result.scenario.title} (seed {result.seed})",
        focal=focal,
        actors=result.actors,
        scope=f"One run (seed {result.seed}), not a probability; behavioural parameters: {result.parameters}; "
        f"{plots.horizon_words(result.scenario.start, len(result.trajectories) - 1)}",
    )
    files["alignment_plot"], _ = plots.save(fig, out_dir / "alignment")
    fig = plots.alignment_network(levels[-1], result.actors, f"Alignment at {result.trajectories['date'].iloc[-1]}")
    files["network_plot"], _ = plots.save(fig, out_dir / "network")
    import matplotlib.pyplot as plt

    plt.close("all")
    manifest = base_manifest("run")
    manifest.update(
        {
            "scenario_file": scenario_file,
            "scenario_hash": scenario_hash(result.scenario),
            "seed": result.seed,
            "parameters": result.parameters,
            "overrides": {k: {"value": v, "set_by": result.resolved.origin.get(k)} for k, v in
                          result.resolved.overrides.items()},
            "steps": int(len(result.trajectories) - 1),
            "scenario": result.scenario.model_dump(mode="json"),
            "summary": result.summary(),
            "outputs": {k: p.name for k, p in files.items()},
        }
    )  # fmt: skip
    files["manifest"] = out_dir / "manifest.json"
    write_json(files["manifest"], manifest)
    return files


__all__ = [
    "RunResult",
    "month_label",
    "replicate_seeds",
    "run_batch",
    "run_points",
    "run_scenario",
    "simulate_trajectories",
    "stack",
    "write_run",
]
