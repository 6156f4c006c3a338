"""Running a policy search end to end: the sealed folder, the search loop, the outputs."""

from __future__ import annotations

from pathlib import Path

from simulation.strategy import folder as sealed
from simulation.strategy.outputs import write_outputs
from simulation.strategy.search import SearchReport, search_loop
from simulation.strategy.spec import PolicySearch


def run_policy_search(
    search: PolicySearch,
    out: Path,
    workers: int | None = None,
    executor_kind: str = "thread",
    scheduler: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    stop_after_generations: int | None = None,
) -> SearchReport | None:
    """Run (or finish, with ``resume``) a policy search into ``out``.

    ``stop_after_generations`` stops after that many generations, leaving the folder as a kill would
    (for tests and demonstrations); the report is then None."""
    out = Path(out)
    lock = sealed.SweepLock(out)
    try:
        manifest = sealed.prepare_folder(search, out, resume, overwrite, lock)
        state, seconds = search_loop(
            search, out, manifest, workers, executor_kind, scheduler, progress, stop_after_generations
        )
        if state is None:
            return None
        manifest["elapsed_seconds_last_session"] = round(seconds, 3)
        pareto = write_outputs(state)
        manifest["complete"] = True
        sealed.save_manifest(out, manifest)
        return SearchReport(out, len(state.policies), pareto, state.runs_done, seconds, state.hypervolume)
    finally:
        lock.release()
