"""The one way to execute: a single explained run (Mesa model) or a batch of runs (batch engine).

Seeds: replicate seeds are derived one way everywhere, ``replicate_seeds(master_seed, count)``
(NumPy ``SeedSequence``), as int64 below 2**63 so that every table tool (R's arrow included)
reads them exactly; the master seed is recorded in every manifest.

Parameters: ``parameters="posterior"`` (the default when a calibrated posterior ships) gives every
run a behavioural parameter set from the posterior (its row recorded in the ``draw`` column), so
probabilities include parameter uncertainty: ``runs`` from a master seed are a draws x replicates
design (``Posterior.design_draws``), explicit ``seeds`` each use the set their seed draws; the
table's ``attrs["spread"]`` gives every probability's spread across the draws
(``simulation.analysis.spread``); ``parameters="point"`` uses one
set (the posterior median when a posterior ships, else the registry) for explanation and
teaching. A scenario's explicit ``parameters:`` overrides win over both.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.behaviour import ParameterMode
from simulation.core.calendar import run_month_label
from simulation.core.ladder import LEVEL_LABELS, AlignmentLevel
from simulation.drivers.engine import simulate
from simulation.drivers.inputs import prepare_inputs
from simulation.outcomes import BatchView, pair_columns, run_outcomes
from simulation.rules.params import Params, Structure
from simulation.world.registry import Registry
from simulation.world.resolve import Resolved
from simulation.world.scenario import Scenario


def replicate_seeds(master_seed: int, count: int) -> np.ndarray:
    """``count`` run seeds from a master seed: SeedSequence words, as int64 below 2**63.

    Parameters
    ----------
    master_seed
        The master seed.
    count
        How many run seeds.

    Returns
    -------
    numpy.ndarray
        ``count`` int64 seeds; the same master seed gives the same seeds on every machine.
    """
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    words = np.random.SeedSequence(int(master_seed)).generate_state(int(count), dtype=np.uint64)
    return (words >> np.uint64(1)).astype(np.int64)


# --------------------------------------------------------------------------- parameters


# --------------------------------------------------------------------------- one run


@dataclass
class RunResult:
    """One run: trajectories, the decisions table, and outcomes.

    Parameters
    ----------
    resolved
        The scenario with every value the run used (registry, scenario and behavioural values).
    seed
        The run's seed.
    model
        The Mesa model after the run (an ``AllianceModel``: its agents, history and data collector).
    trajectories
        One row per month: the alignment of every pair, with ``step`` and ``date``.
    decisions
        Every actor's intent towards every partner each month, with the utility terms behind it.
    outcomes
        The catalogue's outcomes of this run (``simulation.outcomes``).
    parameters
        Which behavioural parameters the run used: ``point``, ``posterior`` (with its row) or ``registry``.
    """

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
        """The alignment level of every pair at every month.

        Returns
        -------
        numpy.ndarray
            Levels [months + 1, actors, actors] (int8), the start first.
        """
        return self.model.levels_array()  # type: ignore[attr-defined]

    def summary(self) -> dict:
        """The run's headline outcomes, in words.

        Returns
        -------
        dict
            ``scenario``, ``seed``, ``parameters``, ``focal_pair``, ``final_alignment`` (pair -> level),
            ``focal_pair_first_reached`` (level -> month or None), ``alliance_reached``, ``alliance_at_end``, ``blocs``.
        """
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
            # a run's month m (1-based) is the calendar month of step m - 1 (core/calendar.py)
            if pd.isna(step):
                reached[lvl.label] = None
            else:
                reached[lvl.label] = (
                    "at the start" if int(step) == 0 else run_month_label(self.scenario.start, int(step))
                )
        return {
            "scenario": self.scenario.title,
            "seed": self.seed,
            "parameters": self.parameters,
            "focal_pair": f"{a}-{b}",
            "final_alignment": final,
            "focal_pair_first_reached": reached,
            "alliance_reached": bool(self.outcomes["alliance_reached"]),
            "alliance_at_end": bool(self.outcomes["alliance_at_end"]),
            "blocs": self.outcomes["blocs"],
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"RunResult({s['scenario']!r}, seed={self.seed}, {s['focal_pair']}: "
            f"{'alliance reached' if s['alliance_reached'] else 'no alliance at any month'}, blocs={s['blocs']!r})"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in s["final_alignment"].items()
        )
        return (
            f"<div><b>{html.escape(s['scenario'])}</b> (seed {self.seed}; {html.escape(s['parameters'])})<br>"
            f"{html.escape(s['focal_pair'])}: <b>{'formal alliance reached' if s['alliance_reached'] else 'no formal alliance at any month'}</b>; "
            f"blocs: {html.escape(s['blocs'])}"
            f"<table><tr><th>pair</th><th>final level</th></tr>{rows}</table></div>"
        )


def run_scenario(
    scenario: Scenario | Resolved,
    seed: int = 0,
    steps: int | None = None,
    registry: Registry | None = None,
    parameters: ParameterMode = "point",
    draw: int | None = None,
) -> RunResult:
    """Run one scenario through the Mesa model, with explanations (one parameter set: ``point``).

    Parameters
    ----------
    scenario
        A scenario (:func:`simulation.world.scenario.load_scenario`) or one already resolved.
    seed
        The run's seed; the same seed gives the same run.
    steps
        Stop after this many months (None: the scenario's horizon).
    registry
        The parameter registry (None: the shipped one).
    parameters
        ``"point"`` (the posterior median, default), ``"posterior"`` (a posterior row drawn by the seed, or
        ``draw``) or ``"registry"`` (the registry's values).
    draw
        With ``parameters="posterior"``, the posterior row to use (a sweep's ``draw`` column); None: the one
        the seed draws.

    Returns
    -------
    RunResult
        The run's trajectories, decisions, outcomes and model.
    """
    from simulation.drivers.model import AllianceModel

    inputs = prepare_inputs(scenario, [seed], parameters, registry, draws=None if draw is None else [draw])
    model = AllianceModel.from_inputs(inputs, seed=seed)
    resolved = inputs.resolved  # with the behavioural values the run uses (for explanations)
    horizon = resolved.steps if steps is None else min(steps, resolved.steps)
    model.run_for(horizon)
    traj = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    traj.insert(0, "step", np.arange(len(traj)))
    traj.insert(1, "date", [run_month_label(resolved.start, s) for s in traj["step"]])  # the state at its end
    decisions = model.datacollector.get_table_dataframe("decisions")
    levels = model.levels_array()
    fa, fb = resolved.focal_index
    trade = np.array([[r.trade[fa, fb] for r in model.history]])
    view = BatchView(levels[None], trade, resolved.actors, resolved.focal_index, inputs.base_trade)
    outcomes = run_outcomes(view).iloc[0]
    return RunResult(resolved, int(seed), model, traj, decisions, outcomes, inputs.parameters)


# --------------------------------------------------------------------------- many runs


def _outcome_table(
    levels_result,
    shape: Structure,
    seeds: np.ndarray,
    base_trade: float,
    rows: np.ndarray | None = None,
    only: set[str] | None = None,
) -> pd.DataFrame:
    """One row per run of a batch's result (``seed`` first, then the posterior ``draw`` when runs draw one);
    ``only``: just these catalogue outcomes."""
    view = BatchView(levels_result.levels, levels_result.focal_trade, shape.actors, shape.focal_index, base_trade)
    out = run_outcomes(view, only=only)
    out.insert(0, "seed", np.asarray(seeds, dtype=np.int64))
    if rows is not None:
        out.insert(1, "draw", np.asarray(rows, dtype=np.int32))
    return out


def simulate_outcomes(
    params: Params, reference: Params, shape: Structure, seeds: np.ndarray, base_trade: float
) -> pd.DataFrame:
    """Outcomes of a batch on the batch engine, one row per seed (``seed`` first)."""
    return _outcome_table(simulate(params, seeds, shape.steps, reference), shape, seeds, base_trade)


def run_batch(
    scenario: Scenario | Resolved,
    seeds: Sequence[int] | np.ndarray | None = None,
    *,
    runs: int | None = None,
    master_seed: int = 0,
    parameters: ParameterMode | None = None,
    registry: Registry | None = None,
    draws: int | None = None,
    draw_rows: Sequence[int] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Outcomes of many runs of one scenario (batch engine), one row per run.

    With the posterior, ``runs`` are a draws x replicates design over ``draws`` posterior draws (default:
    every draw, at most ``runs``; ``Posterior.design_draws``); explicit ``seeds`` use the draw each seed
    hashes to, or the posterior rows ``draw_rows`` (e.g. a sweep's ``draw`` column, to repeat its runs).
    ``df.attrs["parameters"]`` says which was used; ``df.attrs["spread"]``, for every probability, the
    pooled value and its spread across posterior draws (``simulation.analysis.spread.Spread.summary``).

    Parameters
    ----------
    scenario
        A scenario or one already resolved.
    seeds
        The runs' seeds (or give ``runs``).
    runs
        How many runs, their seeds from ``replicate_seeds(master_seed, runs)``.
    master_seed
        The master seed of ``runs`` (default 0).
    parameters
        ``"posterior"`` (default when a posterior ships), ``"point"`` or ``"registry"``.
    registry
        The parameter registry (None: the shipped one).
    draws
        With the posterior and ``runs``: how many posterior draws the runs spread over.
    draw_rows
        With the posterior and ``seeds``: the posterior row of each run.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``seed``, ``draw`` (with the posterior) and every catalogue outcome.
    """
    from simulation.behaviour import posterior_rows, shipped_posterior
    from simulation.core.spread import table_spread

    design = None
    if seeds is None:
        if runs is None:
            raise ValueError("give seeds or runs")
        seeds = replicate_seeds(master_seed, runs)
        if (parameters or "posterior") == "posterior" and draw_rows is None:
            design = shipped_posterior().design_draws(int(runs), master_seed, draws)
    seeds = np.asarray(seeds, dtype=np.int64)
    if draw_rows is not None:
        design = np.asarray(draw_rows, dtype=np.int64)
        if design.shape != seeds.shape:
            raise ValueError(f"draw_rows: one posterior row per run ({len(seeds)}), got {design.shape}")
    inputs = prepare_inputs(scenario, seeds, parameters, registry, draws=design)
    rows = posterior_rows(seeds, parameters, design)
    result = simulate(inputs.params, seeds, inputs.structure.steps, inputs.reference)
    out = _outcome_table(result, inputs.structure, seeds, inputs.base_trade, rows)
    out.attrs["parameters"] = inputs.parameters
    if rows is not None:
        out.attrs["spread"] = table_spread(out)
    return out


def _design_batches(resolved_points: list[Resolved], index: np.ndarray, seeds: np.ndarray,
                    parameters: ParameterMode | None, draws: np.ndarray | None = None):  # fmt: skip
    """Simulate each design point's runs once: yields (rows, batch result, structure, base trade, posterior rows)."""
    from simulation.behaviour import posterior_rows

    for k, r in enumerate(resolved_points):
        rows = np.flatnonzero(index == k)
        if rows.size == 0:
            continue
        mine = None if draws is None else np.asarray(draws)[rows]
        inputs = prepare_inputs(r, seeds[rows], parameters, draws=mine)
        result = simulate(inputs.params, seeds[rows], inputs.structure.steps, inputs.reference)
        yield rows, result, inputs.structure, inputs.base_trade, posterior_rows(seeds[rows], parameters, mine)


def _focal_levels(result, shape: Structure) -> np.ndarray:
    fa, fb = shape.focal_index
    return result.levels[:, :, fa, fb]


def run_points(
    resolved_points: list[Resolved],
    index: np.ndarray,
    seeds: np.ndarray,
    parameters: ParameterMode | None = None,
    trajectories: bool = False,
    outcomes: set[str] | None = None,
    draws: np.ndarray | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, np.ndarray]:
    """Outcomes of a design: run b uses ``resolved_points[index[b]]``, ``seeds[b]`` and, with the posterior,
    posterior row ``draws[b]`` (default: the one its seed draws; recorded in the ``draw`` column).

    With ``trajectories``, also the focal pair's monthly level [B, T + 1] (int8) from the same runs.
    ``outcomes``: compute just these catalogue outcomes (default: all; pair levels are always there).
    """
    frames, order = [], []
    paths: np.ndarray | None = None
    for rows, result, shape, base_trade, drawn in _design_batches(resolved_points, index, seeds, parameters, draws):
        frames.append(_outcome_table(result, shape, seeds[rows], base_trade, drawn, outcomes))
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
    resolved_points: list[Resolved],
    index: np.ndarray,
    seeds: np.ndarray,
    parameters: ParameterMode | None = None,
    draws: np.ndarray | None = None,
) -> np.ndarray:
    """The focal pair's monthly level [B, T + 1] (int8) for a design, run b as in ``run_points``."""
    out = None
    for rows, result, shape, _, _ in _design_batches(resolved_points, index, seeds, parameters, draws):
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
    from simulation.drivers.model import AllianceModel

    inputs = prepare_inputs(scenario, [0], parameters)
    model = AllianceModel.from_inputs(inputs, seed=0)
    record = model.advice()
    return record.desire - model.anchor, inputs.structure


def prepare_rules(scenario: Scenario | Resolved | None = None, kind: str = "all") -> float:
    """Compile (or load) the rules' entry points now, by running a tiny batch (``kind`` "batch") and
    one month of the Mesa model ("model"), or both ("all"), on ``scenario`` (default: the shipped
    baseline); says once that it compiles (``drivers.compiled``). Returns the seconds it took.

    The compiled code depends only on the types of the inputs (array ranks and dtypes, the
    behaviour record's fields), which every scenario shares, so one scenario prepares them all."""
    import time

    from simulation.core.paths import shipped_scenario
    from simulation.drivers.compiled import announce_compile
    from simulation.world.scenario import load_scenario

    t0 = time.perf_counter()
    if scenario is None:
        scenario = load_scenario(shipped_scenario("baseline_2018_2021"))
    compiles = announce_compile(kind)
    if kind in ("batch", "all"):
        run_batch(scenario, runs=2)
    if kind in ("model", "all"):
        run_scenario(scenario, steps=1)
    seconds = time.perf_counter() - t0
    if compiles:  # the next compile notice on this machine says this time
        from simulation.core.measured import remember_compile

        remember_compile(kind, seconds)
    return seconds


def main() -> int:
    """``python -m simulation.runner``: prepare the compiled rules now (``./tasks setup`` does)."""
    import logging

    from simulation.drivers.compiled import rules_ready

    logging.basicConfig(format="%(message)s", level=logging.WARNING)
    ready = rules_ready("all")
    seconds = prepare_rules()
    print(f"compiled rules {'loaded from the cache' if ready else 'compiled and cached'} in {seconds:.1f} s")  # noqa: T201
    return 0


__all__ = [
    "prepare_rules",
    "RunResult",
    "replicate_seeds",
    "run_batch",
    "run_points",
    "run_scenario",
    "simulate_trajectories",
]


if __name__ == "__main__":
    raise SystemExit(main())
