"""A run's output folder: trajectories, decisions, event log, figures and the manifest."""

from __future__ import annotations

import json
from pathlib import Path

from simulation.outcomes import pair_columns
from simulation.reporting import plots
from simulation.reporting.explain import event_log, event_log_markdown
from simulation.reporting.manifest import base_manifest, write_json
from simulation.runner import RunResult
from simulation.world.scenario import scenario_hash


def write_run(result: RunResult, out_dir, scenario_file: str | None) -> dict:
    """Write trajectories, decisions, event log, manifest and plots of one run into ``out_dir``."""
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
        result.trajectories, pairs, f"{result.scenario.title} (seed {result.seed})", focal=focal
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
