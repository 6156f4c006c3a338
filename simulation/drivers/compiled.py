"""The compiled rules on this machine: whether numba's cache holds them, and preparing them once, visibly.

The rules (``rules/``) are compiled by numba on their first use and cached on disk (beside the
package, or in ``NUMBA_CACHE_DIR``); the cache is keyed to the machine's CPU, so a wheel cannot
ship it. A fresh install therefore compiles once, and every command that may compile says so
once, before it starts (invariant 12: never silent), through the ``simulation.drivers.compiled`` logger
at WARNING level (shown on the terminal and in a redirected log without any set-up; the CLI
prints it as a plain line). ``runner.prepare_rules`` compiles them ahead of time
(``python -m simulation.runner``, run by ``./tasks setup``).

The estimate is the compile time last measured on this machine (``core.measured``, recorded by
``runner.prepare_rules`` and by the batch engine, which compiles its loop before running it when it
announced a compile), else a default, stretched by the machine's load (a compile runs on one core).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from simulation.core.measured import DEFAULT_COMPILE_SECONDS, estimate_compile

log = logging.getLogger(__name__)

#: Seconds to compile every entry point from an empty cache on one idle core until a compile is measured on
#: this machine (``core.measured``: each compile records its time in the user's cache).
COLD_COMPILE_SECONDS = DEFAULT_COMPILE_SECONDS

_announced = False
_settled: set[str] = set()  # kinds known to be compiled or loaded in this process


def _entry_points(kind: str) -> list[Any]:
    """The dispatchers Python calls: ``batch`` (the batch engine) or ``model`` (the Mesa model)."""
    from simulation.rules import kernels, rng

    if kind == "batch":
        return [kernels.run_runs]
    return [kernels.advance_run, kernels.fill_anchor, kernels.fill_thresholds, kernels.fill_term_weights,
            rng.fill_normals, rng.run_key]  # fmt: skip


def _cached(dispatcher: Any) -> bool | None:
    """True when numba's cache holds a compiled version of this function's current code for this
    machine, False when it does not, None when that cannot be told (caching off, another numba)."""
    try:
        cache = dispatcher._cache
        index = cache._cache_file._load_index()  # {} when the file is missing or from another source
        magic = dispatcher.targetctx.codegen().magic_tuple()
        code = hashlib.sha256(dispatcher.py_func.__code__.co_code).hexdigest()
        return any(key[1] == magic and key[2][0] == code for key in index)
    except Exception:  # numba's internals moved, or no cache: say nothing rather than guess
        return None


def rules_ready(kind: str = "batch") -> bool:
    """Whether the rules for ``kind`` ("batch", "model" or "all") load from the cache without compiling."""
    kinds = ("batch", "model") if kind == "all" else (kind,)
    return all(_cached(d) is not False for k in kinds for d in _entry_points(k))


def estimate_seconds() -> float:
    """About how long the cold compile takes here and now: the last compile measured on this machine (else
    the default), stretched by the load (a compile runs on one core)."""
    return estimate_compile("batch")[0]


def compile_message() -> str:
    measured = estimate_compile("batch")[1]
    source = "as measured on this machine" if measured else "not yet measured on this machine"
    return f"preparing the compiled rules (first run only, about {estimate_seconds():,.0f} s, {source})"


def announce_compile(kind: str = "batch", say: Callable[[str], None] | None = None) -> bool:
    """Say once per process, before it happens, that the rules for ``kind`` are about to be compiled
    (through ``say``, default the logger). Returns whether they will be. Checks the cache only until
    it is known (a few ms each time)."""
    global _announced
    if kind in _settled or rules_ready(kind):
        _settled.add(kind)
        return False
    if not _announced:
        _announced = True
        (log.warning if say is None else say)(compile_message())
    _settled.add(kind)  # compiled in this process from here on
    return True
