"""The batch engine: many runs at once through the same compiled rules as the Mesa model.

Run b's random draws come only from its own seed (the counter-based stream of
``rules/rng.py``), so a run's trajectory does not depend on the batch, chunk or worker it
lands in, and equals the Mesa model's run with that seed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["BatchResult", "Scratch", "new_scratch", "noise_width", "set_threads", "simulate", "threads"]

import numpy as np

from simulation.drivers.compiled import announce_compile
from simulation.rules.kernels import BLOCK_RUNS, run_runs
from simulation.rules.params import Params, Scratch, new_scratch, new_work

_threads: int | None = None
_this_thread = threading.local()  # .count: this thread's own setting (the sweep's chunk threads use 1)


def threads() -> int:
    """Threads a batch runs on: this thread's ``set_threads(..., this_thread=True)``, else
    ``set_threads``, else ``ALLIANCE_SIM_THREADS``, else the usable cores."""
    own = getattr(_this_thread, "count", None)
    if own is not None:
        return own
    if _threads is not None:
        return _threads
    env = os.environ.get("ALLIANCE_SIM_THREADS") or os.environ.get("NUMBA_NUM_THREADS")
    if env is not None and env.strip().isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def set_threads(count: int | None, this_thread: bool = False) -> None:
    """Run batches on ``count`` threads (None: back to the default), in this process or, with
    ``this_thread``, in the calling thread only. Sweep workers use 1: the worker processes (or
    threads) are the parallelism."""
    global _threads
    value = None if count is None else max(1, int(count))
    if this_thread:
        _this_thread.count = value
    else:
        _threads = value


def noise_width(n: int, random_events: int) -> int:
    """Standard normal draws per run and month: one per ordered actor pair, one per random event."""
    return n * (n - 1) + random_events


def _compile_timed(args: tuple) -> None:
    """Compile the batch loop for these arguments' types now, before any run, and record how long it took on
    this machine (``core.measured``: the next compile notice here says it)."""
    import time

    from simulation.core.measured import remember_compile

    t0 = time.perf_counter()
    run_runs.compile(tuple(run_runs.typeof_pyval(a) for a in args))
    remember_compile("batch", time.perf_counter() - t0)


class BatchResult(NamedTuple):
    levels: np.ndarray  # [B, T + 1, n, n] int8
    focal_trade: np.ndarray  # [B, T] USD bn, the focal pair's trade each month


def simulate(
    params: Params,
    seeds: Sequence[int] | np.ndarray,
    steps: int,
    reference: Params | None = None,
    parallel: bool = True,
) -> BatchResult:
    """Run ``len(seeds)`` runs of ``steps`` months. ``reference`` sets the resting point (default: params).

    ``parallel``: spread blocks of ``BLOCK_RUNS`` runs over ``threads()`` threads (the compiled loop
    releases the GIL; results are identical either way, since run b's draws come only from
    seeds[b]); worker processes that already run in parallel pass False.
    """
    seeds = np.ascontiguousarray(np.asarray(seeds, dtype=np.int64))
    if seeds.size and seeds.min() < 0:
        raise ValueError("seeds must be non-negative")
    n = params.initial_level.shape[-1]
    if params.pressure_threat.shape[1] < steps:
        raise ValueError(
            f"the scenario defines drivers for {params.pressure_threat.shape[1]} months, asked for {steps}"
        )
    B = seeds.shape[0]
    levels = np.empty((B, steps + 1, n, n), dtype=np.int8)
    focal_trade = np.empty((B, steps))
    ref = params if reference is None else reference
    events = params.random_pairs.shape[0]
    width = noise_width(n, events)
    count = min(threads() if parallel else 1, (B + BLOCK_RUNS - 1) // BLOCK_RUNS)
    if announce_compile("batch"):
        _compile_timed((params, ref, seeds, 0, B, steps, levels, focal_trade, new_work(n, events, width, steps)))
    if count <= 1:
        if B:
            run_runs(params, ref, seeds, 0, B, steps, levels, focal_trade, new_work(n, events, width, steps))
        return BatchResult(levels, focal_trade)
    from concurrent.futures import ThreadPoolExecutor

    blocks = iter([(k, min(B, k + BLOCK_RUNS)) for k in range(0, B, BLOCK_RUNS)])
    lock = threading.Lock()

    def run_share(_: int) -> None:  # one thread: the next block left, until none is, on its own working arrays
        w = new_work(n, events, width, steps)
        while True:
            with lock:
                block = next(blocks, None)
            if block is None:
                return
            run_runs(params, ref, seeds, block[0], block[1], steps, levels, focal_trade, w)

    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="alliance-sim-batch") as pool:
        for done in [pool.submit(run_share, w) for w in range(count)]:
            done.result()
    return BatchResult(levels, focal_trade)
