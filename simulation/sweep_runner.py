"""Running a sweep: chunks of runs on a ``concurrent.futures`` executor, streamed to Parquet.

Each chunk is computed by a worker (a local process, or a Dask worker) and returned as an
Arrow table; the parent writes it atomically (temporary file, then rename) as
``parts/chunk-NNNNNN.parquet`` and records it in the manifest. When every chunk is in,
the parts are merged, one row group each, into ``results.parquet`` (memory stays flat).
An interrupted sweep resumes with ``--resume``: only missing chunks run.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .errors import InputError
from .manifest import base_manifest, library_mismatch, write_json
from .scenario import apply_overrides
from .sweep import Sweep

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


def _select(columns: list[str], groups: tuple[str, ...]) -> list[str]:
    """The outcome columns the sweep's outcome choices keep, in table order."""
    keep = set(groups)
    return [c for c in columns if c in keep or ("final_levels" in keep and c.startswith("final_") and c != "final_level")]


def run_chunk(task: ChunkTask) -> pa.Table:
    """Compute one chunk (runs in a worker process), through the runner."""
    from .resolve import resolve
    from .runner import run_points, simulate_trajectories
    from .scenario import parse_scenario

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
    out = run_points(resolved, index, seeds)
    columns: dict[str, Any] = {
        "run": runs.astype(np.int64),
        "point": point_of_run.astype(np.int64),
        "replicate": (runs % task.replicates).astype(np.int32),
        "seed": seeds,
    }
    for k, name in enumerate(task.names):
        columns[name] = task.points[point_of_run - task.first_point, k].astype(np.float64)
    for c in _select(list(out.columns), task.outcomes):
        columns[c] = pa.array(out[c], from_pandas=True)
    table = pa.table(columns)
    if "trajectory" in task.outcomes:
        traj = simulate_trajectories(resolved, index, seeds)
        flat = pa.array(traj.ravel(), type=pa.int8())
        table = table.append_column("trajectory", pa.FixedSizeListArray.from_arrays(flat, traj.shape[1]))
    return table


def make_tasks(sweep: Sweep, chunk_indices: set[int] | None = None) -> list[ChunkTask]:
    """Tasks for the chunks with these indices (all chunks if None)."""
    points = sweep.points
    seeds = sweep.seeds
    reps = sweep.spec.replicates
    base = sweep.base.model_dump(mode="python", exclude_none=True)
    paths = tuple(f.path for f in sweep.factors)
    names = tuple(sweep.factor_names)
    tasks = []
    for i, (start, stop) in enumerate(sweep.chunks()):
        if chunk_indices is not None and i not in chunk_indices:
            continue
        first, last = start // reps, (stop - 1) // reps
        tasks.append(
            ChunkTask(i, start, stop, reps, base, paths, names, points[first : last + 1], first,
                      seeds[start:stop], tuple(sweep.spec.outcomes))
        )
    return tasks


# --------------------------------------------------------------------------- executors


class InlineExecutor(Executor):
    """Runs tasks in this process when asked for one worker (no start-up cost)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future


def make_executor(kind: str, workers: int | None, scheduler: str | None = None) -> tuple[Executor, Any]:
    """An executor and an object to close afterwards (a Dask client), or None."""
    if scheduler is not None or kind == "dask":
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise InputError(None, "--executor", "Dask is not installed (pip install 'alliance-sim[dask]')") from None
        if scheduler is not None:
            try:
                client = Client(scheduler, timeout="10s")
            except OSError as exc:
                raise InputError(None, "--scheduler", f"cannot reach {scheduler} ({exc})") from None
        else:
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                   host="127.0.0.1", dashboard_address=None, processes=True)
            client = Client(cluster)
            return client.get_executor(), _Closer(client, cluster)
        return client.get_executor(), _Closer(client, None)
    n = workers or os.cpu_count() or 1
    if n == 1:
        return InlineExecutor(), None
    return ProcessPoolExecutor(max_workers=n, mp_context=get_context("spawn")), None


class _Closer:
    """Closes a Dask client, and the LocalCluster if this process started it."""

    def __init__(self, client: Any, cluster: Any):
        self.client, self.cluster = client, cluster

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _shutdown(executor: Executor) -> None:
    try:
        executor.shutdown(wait=True, cancel_futures=True)
    except TypeError:  # Dask's ClientExecutor has no cancel_futures
        executor.shutdown(wait=True)


# --------------------------------------------------------------------------- the sweep


def _parts_dir(out: Path) -> Path:
    return out / "parts"


def _part_path(out: Path, index: int) -> Path:
    return _parts_dir(out) / f"chunk-{index:06d}.parquet"


def _write_part(out: Path, index: int, table: pa.Table) -> None:
    path = _part_path(out, index)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def sweep_manifest(sweep: Sweep) -> dict[str, Any]:
    m = base_manifest("sweep")
    m.update(
        {
            "sweep_file": None if sweep.source is None else str(sweep.source),
            "sweep_title": sweep.spec.title,
            "sweep_hash": sweep.spec_hash,
            "sweep_spec": sweep.spec.model_dump(mode="json"),
            "sweep_text": sweep.spec_text,
            "base_scenario": sweep.base.model_dump(mode="json"),
            "master_seed": sweep.spec.master_seed,
            "seed_rule": "seed of run r = SeedSequence(master_seed).generate_state(total_runs, uint64)[r]",
            "design": {"method": sweep.spec.design.method, "points": int(sweep.points.shape[0]),
                       "factors": sweep.factor_names, "replicates": sweep.spec.replicates},
            "total_runs": sweep.total_runs,
            "chunk_size": sweep.spec.chunk_size,
            "chunks_total": len(sweep.chunks()),
            "chunks_done": [],
            "complete": False,
        }
    )
    return m


def prepare_output(sweep: Sweep, out: Path, resume: bool, overwrite: bool) -> dict[str, Any]:
    """Create or check the output folder; returns the manifest to update."""
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text("utf-8"))
        if overwrite:
            shutil.rmtree(out)
        elif not resume:
            state = "a finished" if old.get("complete") else "an unfinished"
            hint = "use a new --out or --overwrite" if old.get("complete") else "add --resume to finish it, or use a new --out"
            raise InputError(out, None, f"holds {state} sweep; not overwritten ({hint})")
        else:
            if old.get("sweep_hash") != sweep.spec_hash:
                raise InputError(out, None, "was made by a different sweep file or base scenario; refusing to resume into it")
            if old.get("version") != __version__:
                raise InputError(out, None, f"was made by alliance-sim {old.get('version')}, this is {__version__}; refusing to resume")
            if (changed := library_mismatch(old)) is not None:
                raise InputError(out, None, f"was made under other library versions ({changed}); refusing to resume")
            if old.get("chunk_size") != sweep.spec.chunk_size:
                raise InputError(out, "--chunk-size", f"must stay {old.get('chunk_size')} to resume this sweep")
            old["resumed_utc"] = base_manifest("sweep")["created_utc"]
            return old
    elif out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError(out, None, "exists and is not empty; not overwritten (use a new --out or --overwrite)")
    elif out.exists() and overwrite:
        shutil.rmtree(out)
    _parts_dir(out).mkdir(parents=True, exist_ok=True)
    manifest = sweep_manifest(sweep)
    write_json(manifest_path, manifest)
    return manifest


def merge_parts(out: Path, n_chunks: int, manifest: dict[str, Any]) -> Path:
    """Merge chunk files in run order into results.parquet (one row group per chunk)."""
    target = out / "results.parquet"
    tmp = out / "results.parquet.tmp"
    writer = None
    for i in range(n_chunks):
        table = pq.read_table(_part_path(out, i))
        if writer is None:
            meta = dict(table.schema.metadata or {})
            meta[MANIFEST_KEY] = json.dumps(manifest, default=str).encode()
            writer = pq.ParquetWriter(tmp, table.schema.with_metadata(meta))
        writer.write_table(table.replace_schema_metadata(writer.schema.metadata))
    if writer is not None:
        writer.close()
    os.replace(tmp, target)
    return target


@dataclass
class SweepReport:
    out: Path
    results: Path
    runs: int
    seconds: float
    chunks_run: int

    @property
    def runs_per_second(self) -> float:
        return self.runs / self.seconds if self.seconds > 0 else float("inf")


def run_sweep(
    sweep: Sweep,
    out: Path,
    workers: int | None = None,
    executor_kind: str = "process",
    scheduler: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    keep_parts: bool = False,
) -> SweepReport:
    """Run (or finish) a sweep into ``out``; returns timing. Finished chunks survive interruption."""
    out = Path(out)
    manifest = prepare_output(sweep, out, resume, overwrite)
    if manifest.get("complete") and (out / "results.parquet").exists():
        return SweepReport(out, out / "results.parquet", 0, 0.0, 0)  # resumed a finished sweep
    chunks = sweep.chunks()
    done = {i for i in manifest.get("chunks_done", []) if _part_path(out, i).exists()}
    tasks = make_tasks(sweep, set(range(len(chunks))) - done)
    t0 = time.perf_counter()
    runs_todo = sum(t.stop - t.start for t in tasks)
    if tasks:
        executor, client = make_executor(executor_kind, workers, scheduler)
        bar = _Progress(sweep.total_runs, sweep.total_runs - runs_todo, enabled=progress)
        try:
            with bar:
                futures = {executor.submit(run_chunk, t): t for t in tasks}
                for fut in as_completed(futures):
                    task = futures[fut]
                    _write_part(out, task.index, fut.result())
                    done.add(task.index)
                    manifest["chunks_done"] = sorted(done)
                    write_json(out / "manifest.json", manifest)
                    bar.advance(task.stop - task.start)
        finally:
            if not isinstance(executor, InlineExecutor):
                _shutdown(executor)
            if client is not None:
                client.close()
    seconds = time.perf_counter() - t0
    manifest.update({"complete": True, "elapsed_seconds_last_session": round(seconds, 3),
                     "runs_per_second_last_session": round(runs_todo / seconds, 1) if seconds > 0 else None})
    results = merge_parts(out, len(chunks), {k: v for k, v in manifest.items() if k != "chunks_done"})
    write_json(out / "manifest.json", manifest)
    if not keep_parts:
        shutil.rmtree(_parts_dir(out), ignore_errors=True)
    return SweepReport(out, results, runs_todo, seconds, len(tasks))


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
    """A results table (pandas) and the manifest embedded in it."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.parquet"
    if not path.exists():
        raise InputError(path, None, "results file not found")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(path, None, f"not a readable Parquet file ({exc})") from None
    meta = table.schema.metadata or {}
    manifest = json.loads(meta[MANIFEST_KEY]) if MANIFEST_KEY in meta else {}
    return table.to_pandas(), manifest
