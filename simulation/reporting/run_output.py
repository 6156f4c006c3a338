"""A run's output folder: trajectories, decisions, event log, figures and the manifest."""

from __future__ import annotations

import json
from pathlib import Path

from simulation.core.calendar import month_words
from simulation.outcomes import pair_columns
from simulation.reporting import plots
from simulation.reporting.explain import event_log, event_log_markdown
from simulation.reporting.manifest import base_manifest, write_json
from simulation.runner import RunResult
from simulation.world.scenario import scenario_hash


def write_run(result: RunResult, out_dir, scenario_file: str | None) -> dict:
    """Write trajectories, decisions, event log, manifest and plots of one run into ``out_dir``.

    Every file is written to a temporary name and renamed when complete, and the manifest (what says the
    folder holds a finished run) last; an earlier run's manifest is removed first. A failure (a full
    disk) removes this run's files again: nothing half-written is left looking finished."""
    from simulation.core.io import RUN_FILES

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "manifest.json").unlink(missing_ok=True)  # the folder is checked to hold an earlier run only
    try:
        return _write_run(result, out_dir, scenario_file)
    except OSError:
        for name in RUN_FILES:
            (out_dir / name).unlink(missing_ok=True)
        raise


def _write_run(result: RunResult, out_dir: Path, scenario_file: str | None) -> dict:
    from simulation.core.io import atomic_path, write_atomic

    files: dict[str, Path] = {}
    files["trajectories"] = out_dir / "trajectories.parquet"
    with atomic_path(files["trajectories"]) as tmp:
        result.trajectories.to_parquet(tmp, index=False)
    files["decisions"] = out_dir / "decisions.parquet"
    with atomic_path(files["decisions"]) as tmp:
        result.decisions.to_parquet(tmp, index=False)
    levels = result.levels()
    threats = {r.month: r.threat for r in result.model.history}  # type: ignore[attr-defined]
    entries = event_log(result.decisions, levels, result.resolved, threats)
    files["event_log"] = out_dir / "event_log.md"
    write_atomic(files["event_log"], event_log_markdown(entries, result.scenario.title))
    files["events"] = out_dir / "events.jsonl"
    write_atomic(files["events"], "".join(json.dumps(e) + "\n" for e in entries))
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
    fig = plots.alignment_network(
        levels[-1], result.actors, f"Alignment at the end of {month_words(result.trajectories['date'].iloc[-1])}"
    )
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
