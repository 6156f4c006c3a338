"""The one way to execute: a single explained run (Mesa model) or a batch of runs (batch engine)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .engine import simulate
from .explain import event_log, event_log_markdown, month_label
from .manifest import base_manifest, write_json
from .model import AllianceModel
from .outcomes import pair_names, run_outcomes
from .params import Params
from .registry import Registry
from .scenario import Scenario, scenario_hash
from .state import LEVEL_LABELS, AlignmentLevel
from .world import build_world


@dataclass
class RunResult:
    """One run: trajectories, the decisions table, and outcomes."""

    scenario: Scenario
    seed: int
    model: AllianceModel
    trajectories: pd.DataFrame
    decisions: pd.DataFrame
    outcomes: pd.Series

    @property
    def actors(self) -> tuple[str, ...]:
        return self.model.world.actors

    def levels(self) -> np.ndarray:
        return self.model.levels_array()

    def summary(self) -> dict:
        levels = self.levels()
        final = {
            name: LEVEL_LABELS[int(levels[-1, i, j])] for i, j, name in pair_names(self.actors)
        }
        out: dict = {"scenario": self.scenario.title, "seed": self.seed, "final_alignment": final}
        if "rc_alliance" in self.outcomes:
            reached = {}
            for lvl in AlignmentLevel:
                if lvl == AlignmentLevel.ESTRANGED:
                    continue
                step = int(self.outcomes[f"rc_step_{lvl.name.lower()}"])
                reached[lvl.label] = None if step < 0 else month_label(self.scenario.start, step)
            out["russia_china_first_reached"] = reached
            out["russia_china_alliance"] = bool(self.outcomes["rc_alliance"])
        out["blocs"] = self.outcomes["blocs"]
        if "india_alignment" in self.outcomes:
            out["india_alignment"] = self.outcomes["india_alignment"]
        return out


def run_scenario(
    scenario: Scenario, seed: int = 0, steps: int | None = None, registry: Registry | None = None
) -> RunResult:
    """Run one scenario through the Mesa model, with explanations."""
    model = AllianceModel(scenario, seed=seed, registry=registry)
    horizon = model.world.steps if steps is None else min(steps, model.world.steps)
    model.run_for(horizon)
    traj = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    traj.insert(0, "step", np.arange(len(traj)))
    traj.insert(1, "date", [month_label(scenario.start, s) for s in traj["step"]])
    decisions = model.datacollector.get_table_dataframe("decisions")
    levels = model.levels_array()
    outcomes = run_outcomes(levels[None], model.world.actors).iloc[0]
    return RunResult(scenario, int(seed), model, traj, decisions, outcomes)


def run_batch(
    scenario: Scenario, seeds: Sequence[int], registry: Registry | None = None
) -> pd.DataFrame:
    """Outcomes of many runs of one scenario (batch engine), one row per seed."""
    world = build_world(scenario, registry)
    levels, _ = simulate(Params.from_worlds([world]), list(seeds))
    out = run_outcomes(levels, world.actors)
    out.insert(0, "seed", np.asarray(seeds, dtype=np.uint64))
    return out


def write_run(result: RunResult, out_dir: Path, scenario_file: str | None) -> dict[str, Path]:
    """Write trajectories, decisions, event log, manifest and plots of one run."""
    from . import plots

    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    files["trajectories"] = out_dir / "trajectories.parquet"
    result.trajectories.to_parquet(files["trajectories"], index=False)
    files["decisions"] = out_dir / "decisions.parquet"
    result.decisions.to_parquet(files["decisions"], index=False)
    levels = result.levels()
    entries = event_log(result.decisions, levels, result.model.world)
    files["event_log"] = out_dir / "event_log.md"
    files["event_log"].write_text(event_log_markdown(entries, result.scenario.title), "utf-8")
    files["events"] = out_dir / "events.jsonl"
    files["events"].write_text("".join(json.dumps(e) + "\n" for e in entries), "utf-8")

    pairs = [name for _, _, name in pair_names(result.actors)]
    fig = plots.alignment_over_time(result.trajectories, pairs, f"{result.scenario.title} (seed {result.seed})")
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
            "steps": int(len(result.trajectories) - 1),
            "scenario": result.scenario.model_dump(mode="json"),
            "summary": result.summary(),
            "outputs": {k: p.name for k, p in files.items()},
        }
    )
    files["manifest"] = out_dir / "manifest.json"
    write_json(files["manifest"], manifest)
    return files
