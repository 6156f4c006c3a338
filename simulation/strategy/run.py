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

    Parameters
    ----------
    search
        The search to run (:func:`simulation.strategy.load.load_policy_search`).
    out
        The search's folder: new or empty, or this search's own (with ``resume`` or ``overwrite``).
    workers
        Processes or threads evaluating policies at once (None: every core).
    executor_kind
        ``"thread"`` (default), ``"process"`` or ``"dask"``.
    scheduler
        A Dask scheduler address (``tcp://host:port``), or None.
    resume
        Finish the search in ``out`` from its last finished generation.
    overwrite
        Start again in ``out``, replacing an earlier search's own files there.
    progress
        Show a progress bar.
    stop_after_generations
        Stop after this many generations, leaving the folder as a kill would (for tests and demonstrations).

    Returns
    -------
    SearchReport or None
        The folder, the policies evaluated, the Pareto set, runs, seconds and hypervolume; None when stopped
        by ``stop_after_generations``.
    """
    out = Path(out)
    lock = sealed.SweepLock(out, "policy search")
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
