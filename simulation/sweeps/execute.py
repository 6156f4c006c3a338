"""Running a sweep: chunks of runs on a ``concurrent.futures`` executor, streamed to Parquet.

Each chunk is computed by a worker (a local process, or a Dask worker) and returned as an
Arrow table; the parent writes it atomically (temporary file, then rename) as
``parts/chunk-NNNNNN.parquet`` and records it in the manifest. When every chunk is in,
the parts are merged, one row group each, into ``results.parquet`` (memory stays flat).
An interrupted sweep resumes with ``--resume``: only missing chunks run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.core.errors import InputError
from simulation.reporting.manifest import base_manifest
from simulation.sweeps.folder import (
    CHUNK_KEY,
    SweepLock,
    check_chunks,
    chunk_bytes,
    chunk_identity,
    describe_changes,
    disk_full_error,
    fingerprint,
    fingerprint_hash,
    is_disk_full,
    is_sweep_manifest,
    new_sweep_id,
    part_path,
    parts_dir,
    read_manifest,
    remove_sweep_files,
    sha256_bytes,
    sha256_file,
    verify_results,
    write_bytes_atomically,
)
from simulation.sweeps.spec import Sweep
from simulation.world.scenario import apply_overrides

log = logging.getLogger(__name__)

MANIFEST_KEY = b"alliance_sim_manifest"


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs for runs [start, stop): small and picklable."""

    index: int
    start: int
    stop: int
    replicates: int
    base: dict[str, Any]
    paths: tuple[str, ...]
    names: tuple[str, ...]
    points: np.ndarray  # rows for points first_point .. last_point
    first_point: int
    seeds: np.ndarray  # seeds of runs start .. stop - 1
    outcomes: tuple[str, ...]
    parameters: str = "posterior"  # posterior, point or registry (runner.behaviour_for)
    draws: np.ndarray | None = None  # posterior row of runs start .. stop - 1 (posterior: the design's)


def _select(columns: list[str], groups: tuple[str, ...]) -> list[str]:
    """The outcome columns the sweep's outcome choices keep, in table order."""
    keep = set(groups)
    return [
        c for c in columns if c in keep or ("final_levels" in keep and c.startswith("final_") and c != "final_level")
    ]


def run_chunk(task: ChunkTask) -> pa.Table:
    """Compute one chunk (runs in a worker process), through the runner."""
    from simulation.runner import run_points
    from simulation.world.resolve import resolve
    from simulation.world.scenario import parse_scenario

    base = parse_scenario(task.base)
    runs = np.arange(task.start, task.stop)
    point_of_run = runs // task.replicates
    unique_points = np.unique(point_of_run)
    resolved = []
    for point in unique_points:
        row = task.points[point - task.first_point]
        overrides = {path: float(row[k]) for k, path in enumerate(task.paths)}
        resolved.append(resolve(apply_overrides(base, overrides) if overrides else base))
    index = np.searchsorted(unique_points, point_of_run)
    seeds = task.seeds.astype(np.int64)
    keep_paths = "trajectory" in task.outcomes
    # only the outcomes the sweep keeps are computed (the bloc labels alone were a fifth of a chunk's time)
    out = run_points(
        resolved, index, seeds, task.parameters, trajectories=keep_paths, outcomes=set(task.outcomes), draws=task.draws
    )
    if keep_paths:
        out, traj = out
    columns: dict[str, Any] = {
        "run": runs.astype(np.int64),
        "point": point_of_run.astype(np.int64),
        "replicate": (runs % task.replicates).astype(np.int32),
        "seed": seeds,
    }
    if "draw" in out.columns:
        columns["draw"] = out["draw"].to_numpy(dtype=np.int32)
    for k, name in enumerate(task.names):
        columns[name] = task.points[point_of_run - task.first_point, k].astype(np.float64)
    for c in _select(list(out.columns), task.outcomes):
        columns[c] = pa.array(out[c], from_pandas=True)
    table = pa.table(columns)
    if keep_paths:
        flat = pa.array(traj.ravel(), type=pa.int8())
        table = table.append_column("trajectory", pa.FixedSizeListArray.from_arrays(flat, traj.shape[1]))
    return table


def run_draws(sweep: Sweep) -> np.ndarray | None:
    """The posterior row of every run of a posterior-predictive sweep (None otherwise).

    With at least as many replicates as posterior draws, replicate r of every design point uses the same
    draw (``Posterior.design_draws(replicates, master_seed)``): every point runs the same draws x
    replicates, so its probabilities' spread across draws is measured and cells differ by their inputs,
    not their draws. With fewer, a point cannot hold every draw: the runs cycle through all of them in
    order of run (``Posterior.design_draws(total_runs, master_seed)``), so the sweep as a whole still
    averages over the whole posterior."""
    if sweep.spec.parameters != "posterior":
        return None
    from simulation.behaviour import shipped_posterior

    post, reps = shipped_posterior(), sweep.spec.replicates
    if reps >= len(post.weights):
        return post.design_draws(reps, sweep.spec.master_seed)[np.arange(sweep.total_runs) % reps]
    return post.design_draws(sweep.total_runs, sweep.spec.master_seed)


def make_tasks(sweep: Sweep, chunk_indices: set[int] | None = None) -> list[ChunkTask]:
    """Tasks for the chunks with these indices (all chunks if None)."""
    points = sweep.points
    seeds = sweep.seeds
    reps = sweep.spec.replicates
    base = sweep.base.model_dump(mode="python", exclude_none=True)
    paths = tuple(f.path for f in sweep.factors)
    names = tuple(sweep.factor_names)
    design = run_draws(sweep)
    tasks = []
    for i, (start, stop) in enumerate(sweep.chunks()):
        if chunk_indices is not None and i not in chunk_indices:
            continue
        first, last = start // reps, (stop - 1) // reps
        tasks.append(
            ChunkTask(
                i,
                start,
                stop,
                reps,
                base,
                paths,
                names,
                points[first : last + 1],
                first,
                seeds[start:stop],
                tuple(sweep.spec.outcomes),
                sweep.spec.parameters,
                None if design is None else design[start:stop],
            )
        )
    return tasks


# --------------------------------------------------------------------------- executors


def _watch_parent(parent: int) -> None:
    """In a worker: exit as soon as the parent is gone (a killed parent must not leave workers running)."""
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(0.5)


def _worker_init(parent: int) -> None:
    """Worker start-up: Ctrl-C is the parent's to handle; follow the parent if it dies; one numba thread
    per worker (the worker processes are the parallelism); and a quick exit.

    A worker holds no files and sends its results before it is told to stop, so when it stops it
    ends at once (``os._exit``, as the last of multiprocessing's exit handlers, after its queues
    are flushed) instead of tearing down numba, pandas and pyarrow module by module: that took
    a third of a second, at the end of every sweep."""
    import multiprocessing.util

    from simulation.drivers.engine import set_threads

    set_threads(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()
    multiprocessing.util.Finalize(None, os._exit, args=(0,), exitpriority=-100)


def _chunk_thread() -> None:
    """Chunk thread start-up: its batches run on this one thread (the chunk threads are the parallelism)."""
    from simulation.drivers.engine import set_threads

    set_threads(1, this_thread=True)


def make_executor(kind: str, workers: int | None, scheduler: str | None = None) -> tuple[Executor | None, Any]:
    """An executor and an object to close afterwards (a Dask client), or (None, None) for one local worker.

    ``kind``: "thread" (chunks on threads of this process, the default: nothing to start),
    "process" (local worker processes, each importing the package and loading the compiled rules)
    or "dask"."""
    if scheduler is not None or kind == "dask":
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise InputError(None, "--executor", "Dask is not installed (pip install 'alliance-sim[dask]')") from None
        if scheduler is not None:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, ValueError, TypeError) as exc:
                raise InputError(
                    None, "--scheduler", f"cannot reach {scheduler} ({' '.join(str(exc).split())[:120]})"
                ) from None
        else:
            cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                host="127.0.0.1",
                dashboard_address=None,
                processes=True,
            )
            client = Client(cluster)
            return client.get_executor(), _Closer(client, cluster)
        return client.get_executor(), _Closer(client, None)
    n = workers or os.cpu_count() or 1
    if n == 1:
        return None, None
    if kind == "thread":
        # chunks on threads of this process: no worker start-up, no results pickled; the compiled
        # loop releases the GIL, and one chunk's Python work (outcomes, Parquet) overlaps the others' runs
        return ThreadPoolExecutor(
            max_workers=n, thread_name_prefix="alliance-sim-chunk", initializer=_chunk_thread
        ), None
    return ProcessPoolExecutor(
        max_workers=n, mp_context=get_context("spawn"), initializer=_worker_init, initargs=(os.getpid(),)
    ), None


class _Closer:
    """Closes a Dask client, and the LocalCluster if this process started it."""

    def __init__(self, client: Any, cluster: Any):
        self.client, self.cluster = client, cluster

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _stop(executor: Executor, now: bool) -> list[Any]:
    """Shut an executor down without waiting; ``now``: cancel what is queued and end local workers at
    once. Returns the local worker processes, for the caller to join once it has used the time
    they take to exit (merging the results)."""
    procs = list((getattr(executor, "_processes", None) or {}).values())
    if now:
        for proc in procs:
            proc.terminate()
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except TypeError:  # Dask's ClientExecutor has no cancel_futures
        executor.shutdown(wait=False)
    return procs


def _join(procs: list[Any]) -> None:
    """Wait for worker processes that were told to exit (ended at once if they do not)."""
    for proc in procs:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
            proc.join(1)


class _Interrupt:
    """Ctrl-C while a sweep runs: the first press stops after the chunk in hand, a second one at once."""

    def __init__(self) -> None:
        self.requested = False
        self.previous: Any = None

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


# --------------------------------------------------------------------------- the sweep


def sweep_manifest(sweep: Sweep, components: dict[str, str]) -> dict[str, Any]:
    m = base_manifest("sweep")
    m["libraries"] = {k.removeprefix("library "): v for k, v in components.items() if k.startswith("library ")}
    m.update(
        {
            "sweep_id": new_sweep_id(),
            "sweep_file": None if sweep.source is None else str(sweep.source),
            "sweep_title": sweep.spec.title,
            "sweep_hash": sweep.spec_hash,
            "overrides": dict(getattr(sweep, "overrides", {}) or {}),
            "base_scenario_ref": getattr(sweep, "base_ref", None),
            "sweep_spec": sweep.spec.model_dump(mode="json"),
            "sweep_text": sweep.spec_text,
            "base_scenario": sweep.base.model_dump(mode="json"),
            "master_seed": sweep.spec.master_seed,
            "seed_rule": "seed of run r = SeedSequence(master_seed).generate_state(total_runs, uint64)[r] >> 1 (int64)",
            "draw_rule": "posterior row of run r (column draw): with replicates >= the posterior's draws, "
            "Posterior.design_draws(replicates, master_seed)[r % replicates] (the same draws x replicates at every "
            "point); else Posterior.design_draws(total_runs, master_seed)[r]",
            "design": {
                "method": sweep.spec.design.method,
                "points": int(sweep.points.shape[0]),
                "factors": sweep.factor_names,
                "replicates": sweep.spec.replicates,
            },
            "total_runs": sweep.total_runs,
            "chunk_size": sweep.spec.chunk_size,
            "chunks_total": len(sweep.chunks()),
            "fingerprint": components,
            "fingerprint_hash": fingerprint_hash(components),
            "chunks": {},
            "complete": False,
        }
    )
    return m


def _save_manifest(out: Path, manifest: dict[str, Any]) -> None:
    write_bytes_atomically(out / "manifest.json", (json.dumps(manifest, indent=1, default=str) + "\n").encode("utf-8"))


def _refuse_foreign(
    out: Path, manifest: dict[str, Any] | None, unreadable: str | None, resume: bool, overwrite: bool
) -> bool:
    """The writer rule for a sweep's folder: refuse a folder that is not this tool's sweep, or a sweep that would
    be replaced or continued without --overwrite or --resume. Returns whether it holds a manifest.json."""
    has_manifest = (out / "manifest.json").exists()
    if has_manifest and manifest is not None and not is_sweep_manifest(manifest):
        raise InputError(
            out, None, "holds a manifest.json that is not an alliance-sim sweep's; not touched (use another --out)"
        )
    if has_manifest and manifest is None and not resume:
        raise InputError(
            out,
            "manifest.json",
            f"is unreadable ({unreadable}); this folder is not proven to be a "
            "sweep, so it is not touched: use another --out, or --resume to rebuild it from its chunks",
        )
    if not has_manifest and out.exists() and any(p.name != ".lock" for p in out.iterdir()):
        what = (
            "is not a sweep folder made by alliance-sim (no manifest.json)" if overwrite else "exists and is not empty"
        )
        raise InputError(out, None, f"{what}; not touched (use a new --out)")
    if has_manifest and not (resume or overwrite):
        state = "a finished" if manifest.get("complete") else "an unfinished"
        hint = (
            "use a new --out or --overwrite"
            if manifest.get("complete")
            else "add --resume to finish it, or use a new --out"
        )
        raise InputError(out, None, f"holds {state} sweep; not overwritten ({hint})")
    return has_manifest


def _rebuilt_manifest(
    out: Path, sweep: Sweep, components: dict[str, Any], fp_hash: str, unreadable: str | None
) -> dict[str, Any]:
    """``--resume`` on an unreadable manifest: rebuild it from the chunks that carry this sweep's fingerprint."""
    log.warning(
        "%s/manifest.json is unreadable (%s); rebuilding it from the chunks that carry this sweep's fingerprint",
        out,
        unreadable,
    )
    manifest = sweep_manifest(sweep, components)
    ids = {
        i.get("sweep_id")
        for p in sorted(parts_dir(out).glob("chunk-*.parquet"))
        if (i := chunk_identity(p)) is not None and i.get("fingerprint") == fp_hash
    }
    if len(ids) == 1:
        manifest["sweep_id"] = ids.pop()
    manifest["rebuilt_utc"] = manifest["created_utc"]
    return manifest


def _resumed_manifest(out: Path, sweep: Sweep, manifest: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The manifest of the sweep to resume, once its fingerprint (the model, the libraries) and chunk size are
    the ones this run would use."""
    old_fp = manifest.get("fingerprint")
    if not isinstance(old_fp, dict):
        raise InputError(
            out,
            None,
            "was made by an older alliance-sim without content hashes; refusing to resume (use a new --out)",
        )
    old_fp = dict(old_fp)
    for name, version in (manifest.get("libraries") or {}).items():  # the versions a reader sees count too
        if f"library {name}" in old_fp:
            old_fp[f"library {name}"] = version if version is not None else "not installed"
    if old_fp != components:
        raise InputError(
            out,
            None,
            f"the model changed since this sweep started ({describe_changes(old_fp, components)}); "
            "refusing to mix results: use a new --out, or --overwrite to start again",
        )
    if manifest.get("chunk_size") != sweep.spec.chunk_size:
        raise InputError(
            out,
            "--chunk-size",
            f"must stay {manifest.get('chunk_size')} to resume this sweep (leave --chunk-size out to keep it)",
        )
    manifest["resumed_utc"] = base_manifest("sweep")["created_utc"]
    return manifest


def prepare_output(
    sweep: Sweep, out: Path, resume: bool, overwrite: bool, lock: SweepLock | None = None
) -> dict[str, Any]:
    """Create or check the output folder (taking its lock); returns the manifest to update."""
    from simulation.core.io import check_output_dir

    check_output_dir(out)
    manifest, unreadable = read_manifest(out)
    has_manifest = _refuse_foreign(out, manifest, unreadable, resume, overwrite)
    finished = out / "results.parquet"
    # checked before the lock is taken: a refused resume leaves the folder byte for byte as it was
    resuming_finished = has_manifest and resume and not overwrite and manifest is not None and manifest.get("complete")
    if resuming_finished and finished.exists() and sha256_file(finished) != manifest.get("results_sha256"):
        raise InputError(
            finished,
            None,
            "does not match the results_sha256 its manifest.json recorded (changed after the sweep "
            "finished); nothing to resume: restore it, or run the sweep again with --overwrite",
        )
    out.mkdir(parents=True, exist_ok=True)
    if lock is not None:
        lock.acquire()
    components = fingerprint(sweep)
    fp_hash = fingerprint_hash(components)
    if has_manifest and overwrite and not resume:
        remove_sweep_files(out)
        has_manifest = False
    if has_manifest and manifest is None:  # --resume on an unreadable manifest: rebuild it from the chunks
        manifest = _rebuilt_manifest(out, sweep, components, fp_hash, unreadable)
    elif has_manifest:
        manifest = _resumed_manifest(out, sweep, manifest, components)
    else:
        manifest = sweep_manifest(sweep, components)
    parts_dir(out).mkdir(exist_ok=True)
    _save_manifest(out, manifest)
    return manifest


def merge_parts(out: Path, chunks: list[tuple[int, int]], manifest: dict[str, Any]) -> Path:
    """Merge chunk files in run order into results.parquet (one row group per chunk), checking that
    every run id appears exactly once."""
    target = out / "results.parquet"
    tmp = out / "results.parquet.tmp"
    writer = None
    embedded = {k: v for k, v in manifest.items() if k != "chunks"}
    try:
        for i, (start, stop) in enumerate(chunks):
            table = pq.read_table(part_path(out, i))
            runs = table.column("run").to_numpy()
            if not np.array_equal(runs, np.arange(start, stop)):
                manifest["chunks"].pop(str(i), None)
                raise InputError(
                    out,
                    f"parts/chunk-{i:06d}",
                    f"does not hold exactly runs {start}..{stop - 1}; run again with --resume to recompute it",
                )
            meta = {k: v for k, v in (table.schema.metadata or {}).items() if k != CHUNK_KEY}
            if writer is None:
                meta[MANIFEST_KEY] = json.dumps(embedded, default=str).encode()
                writer = pq.ParquetWriter(tmp, table.schema.with_metadata(meta))
            writer.write_table(table.replace_schema_metadata(writer.schema.metadata))
        if writer is not None:
            writer.close()
            writer = None
        os.replace(tmp, target)
    except BaseException:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
        raise
    return target


@dataclass
class SweepReport:
    out: Path
    results: Path
    runs: int
    seconds: float

    @property
    def runs_per_second(self) -> float:
        return self.runs / self.seconds if self.seconds > 0 else float("inf")


def run_sweep(
    sweep: Sweep,
    out: Path,
    workers: int | None = None,
    executor_kind: str = "thread",
    scheduler: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    keep_parts: bool = False,
    on_start: Callable[[], None] | None = None,
) -> SweepReport:
    """Run (or finish) a sweep into ``out``; every finished chunk is on disk at once.

    Parameters
    ----------
    sweep
        The sweep to run (:func:`simulation.sweeps.spec.load_sweep`).
    out
        The sweep's folder: new or empty, or this sweep's own (with ``resume`` or ``overwrite``).
    workers
        Processes or threads running chunks at once (None: every core).
    executor_kind
        ``"thread"`` (default), ``"process"`` or ``"dask"``.
    scheduler
        A Dask scheduler address (``tcp://host:port``) to run the chunks on, or None.
    resume
        Finish the sweep in ``out``, reusing every chunk whose bytes match its record.
    overwrite
        Start again in ``out``, replacing an earlier sweep's own files there.
    progress
        Show a progress bar with runs/s and the time left.
    keep_parts
        Keep the chunk files after they are merged into ``results.parquet``.
    on_start
        Called once the folder is checked and locked, before any chunk runs.

    Returns
    -------
    SweepReport
        The folder, the results file, the runs made in this session and their seconds.
    """
    out = Path(out)
    lock = SweepLock(out)
    try:
        manifest = prepare_output(sweep, out, resume, overwrite, lock)
        if on_start is not None:
            on_start()
        return _run_locked(sweep, out, manifest, workers, executor_kind, scheduler, progress, keep_parts)
    finally:
        lock.release()


def _execute(
    sweep: Sweep,
    tasks: list[ChunkTask],
    record: Callable[[ChunkTask, pa.Table], None],
    workers: int | None,
    executor_kind: str,
    scheduler: str | None,
    progress: bool,
    runs_todo: int,
) -> list[Any]:
    """Run the chunks' tasks (one worker: chunk by chunk in this process; else on an executor), recording each
    as it finishes; Ctrl-C stops them between chunks. Returns the worker processes told to exit, to be joined
    after the merge."""
    leaving: list[Any] = []
    if not tasks:
        return leaving
    if scheduler is None and (workers or os.cpu_count() or 1) > 1:
        # compile the rules here, once, so that the workers on this machine load them from the
        # cache instead of each compiling them (nothing to do when the cache holds them)
        from simulation.drivers.compiled import rules_ready
        from simulation.runner import prepare_rules

        if not rules_ready("batch"):
            prepare_rules(sweep.base, kind="batch")
    executor, client = make_executor(executor_kind, workers, scheduler)
    bar = _Progress(sweep.total_runs, sweep.total_runs - runs_todo, enabled=progress)
    stopped = False
    try:
        with bar, _Interrupt() as interrupt:
            if executor is None:  # one worker: chunk by chunk in this process, Ctrl-C checked between chunks
                for task in tasks:
                    if interrupt.requested:
                        raise KeyboardInterrupt
                    record(task, run_chunk(task))
                    bar.advance(task.stop - task.start)
            else:
                pending = {executor.submit(run_chunk, t): t for t in tasks}
                while pending:
                    if interrupt.requested:
                        raise KeyboardInterrupt
                    finished, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        task = pending.pop(fut)
                        record(task, fut.result())
                        bar.advance(task.stop - task.start)
    except BaseException:
        stopped = True
        raise
    finally:
        if executor is not None:
            leaving = _stop(executor, now=stopped)
            if stopped:
                _join(leaving)
        if client is not None:
            client.close()
    return leaving


def _run_locked(
    sweep: Sweep,
    out: Path,
    manifest: dict[str, Any],
    workers: int | None,
    executor_kind: str,
    scheduler: str | None,
    progress: bool,
    keep_parts: bool,
) -> SweepReport:
    if manifest.get("complete") and (out / "results.parquet").exists():
        return SweepReport(out, out / "results.parquet", 0, 0.0)  # resumed a finished sweep
    chunks = sweep.chunks()
    fp_hash = manifest["fingerprint_hash"]
    found = check_chunks(out, chunks, manifest, fp_hash)
    for k, (index, why) in enumerate(sorted(found.redo.items())):
        if k < 10:
            log.warning("chunk %d of %s is computed again: %s", index, out, why)
        part_path(out, index).unlink(missing_ok=True)
    if len(found.redo) > 10:
        log.warning("%d more chunks of %s are computed again", len(found.redo) - 10, out)
    manifest["chunks"] = {str(i): rec for i, rec in sorted(found.good.items())}
    done = set(found.good)
    tasks = make_tasks(sweep, set(range(len(chunks))) - done)
    t0 = time.perf_counter()
    runs_todo = sum(t.stop - t.start for t in tasks)

    def record(task: ChunkTask, table: pa.Table) -> None:
        data = chunk_bytes(table, manifest["sweep_id"], fp_hash, task.index, task.start, task.stop)
        try:
            write_bytes_atomically(part_path(out, task.index), data)
            manifest["chunks"][str(task.index)] = {"runs": [task.start, task.stop], "sha256": sha256_bytes(data)}
            _save_manifest(out, manifest)
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full_error(out, exc, f"chunk {task.index}", len(done)) from None
            raise
        done.add(task.index)

    leaving = _execute(sweep, tasks, record, workers, executor_kind, scheduler, progress, runs_todo)
    seconds = time.perf_counter() - t0
    manifest.update(
        {
            "complete": True,
            "elapsed_seconds_last_session": round(seconds, 3),
            "runs_per_second_last_session": round(runs_todo / seconds, 1) if seconds > 0 else None,
        }
    )
    try:
        results = merge_parts(out, chunks, manifest)
        manifest["results_sha256"] = sha256_file(results)
        _save_manifest(out, manifest)
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error(out, exc, "results.parquet", len(done)) from None
        raise
    except InputError:
        manifest["complete"] = False
        _save_manifest(out, manifest)
        raise
    finally:
        _join(leaving)  # the workers exited while the results were merged
    if not keep_parts:
        for index in range(len(chunks)):
            part_path(out, index).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            parts_dir(out).rmdir()
    return SweepReport(out, results, runs_todo, seconds)


class _Progress:
    """A rich progress bar with runs/s and time left (silent when not enabled)."""

    def __init__(self, total: int, completed: int, enabled: bool = True):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]sweep"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            transient=False,
            disable=not enabled,
        )
        self.task = self.progress.add_task("sweep", total=total, completed=completed, rate="")
        self.start = time.perf_counter()
        self.done = 0

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def advance(self, n: int) -> None:
        self.done += n
        rate = self.done / max(time.perf_counter() - self.start, 1e-9)
        self.progress.update(self.task, advance=n, rate=f"{rate:,.0f} runs/s")


def read_results(path: Path) -> tuple[Any, dict[str, Any]]:
    """A sweep's results table and the manifest embedded in it; anything else is a one-line error.

    Parameters
    ----------
    path
        A sweep's ``results.parquet`` or its folder.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        The results (one row per run) and the sweep's manifest.
    """
    from simulation.core.io import check_input_file

    path = Path(path)
    if path.is_dir():
        path = path / "results.parquet"
    check_input_file(path, "results")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(path, None, f"not a readable Parquet file ({' '.join(str(exc).split())[:120]})") from None
    meta = table.schema.metadata or {}
    if MANIFEST_KEY not in meta:
        raise InputError(path, None, "not the results of an alliance-sim sweep (no manifest inside)")
    try:
        manifest = json.loads(meta[MANIFEST_KEY])
    except ValueError:
        raise InputError(path, None, "the manifest inside these results is unreadable") from None
    missing = [c for c in ("run", "point", "seed") if c not in table.column_names]
    if missing or not isinstance(manifest, dict):
        raise InputError(
            path, None, f"not the results of an alliance-sim sweep (no column '{missing[0] if missing else 'run'}')"
        )
    verify_results(path, manifest)
    return table.to_pandas(), manifest
