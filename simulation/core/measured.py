"""What this machine measured: sweep speed and the compile time, kept in the user's cache for estimates.

Estimates come from measurements on this machine, never from a constant measured elsewhere: every sweep
records how long its runs took (``remember_sweep``), and every compile of the rules how long it took
(``remember_compile``). They are kept in ``measured.json`` in the user's cache folder
(``$ALLIANCE_SIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/alliance-sim``, else ``~/.cache/alliance-sim``), one
entry per machine (host name and core count). Until something is measured the estimates use cautious
defaults and say so. A cache that cannot be read or written is ignored: an estimate never stops a command.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

#: Until a sweep is measured here: seconds of fixed cost (threads, inputs, merge) and run-months per second
#: per worker. Cautious: about a third of what a 2-core machine under load measured (a 48-month run: ~500/s).
DEFAULT_SWEEP_FIXED_SECONDS = 3.0
DEFAULT_RUN_MONTHS_PER_SECOND = 24_000.0
#: Until a compile is measured here: seconds on one idle core for the batch loop from an empty cache
#: (``experiments/profile_compile.py``: 10-14 s of CPU on the 2-core machine of the README, measured
#: under load 4-10). Rounded up for slower machines; the first compile measured here replaces it.
DEFAULT_COMPILE_SECONDS = 20.0
#: Sweeps kept for the fit (the most recent).
KEEP = 20


def cache_file() -> Path:
    base = os.environ.get("ALLIANCE_SIM_CACHE_DIR")
    if base:
        return Path(base) / "measured.json"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg else Path.home() / ".cache"
    return root / "alliance-sim" / "measured.json"


def _machine() -> str:
    return f"{platform.node() or 'this machine'} ({os.cpu_count() or 1} cores)"


def _read_all() -> dict:
    try:
        data = json.loads(cache_file().read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _mine() -> dict:
    entry = _read_all().get(_machine())
    return entry if isinstance(entry, dict) else {}


def _write(update: dict) -> None:
    data = _read_all()
    entry = data.get(_machine()) if isinstance(data.get(_machine()), dict) else {}
    entry.update(update)
    data[_machine()] = entry
    path = cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: no estimate is worth failing a command for


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_stretch() -> float:
    """How much slower one core is now than idle: (1-minute load + 1) / cores, at least 1."""
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):
        load = 0.0
    return max(1.0, (load + 1.0) / max(cores(), 1))


# --------------------------------------------------------------------------- sweeps


@dataclass(frozen=True)
class SweepEstimate:
    seconds: float
    measured: bool  # False: the cautious default (nothing measured here yet)
    runs_per_second: float  # per worker, for a run of the sweep's length, as the estimate assumes

    def words(self) -> str:
        if self.measured:
            return f"from this machine's measured sweeps: {self.runs_per_second:,.0f} runs/s per worker"
        return f"a cautious default of {self.runs_per_second:,.0f} runs/s per worker: no sweep measured here yet"


def remember_sweep(runs: int, months: int, workers: int, seconds: float) -> None:
    """Record a finished sweep session: ``runs`` runs of ``months`` months on ``workers`` busy workers."""
    if runs <= 0 or seconds <= 0 or months <= 0:
        return
    entry = {"run_months": runs * months, "workers": max(1, workers), "seconds": round(seconds, 3),
             "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}  # fmt: skip
    history = [h for h in _mine().get("sweeps", []) if isinstance(h, dict)][-(KEEP - 1) :]
    _write({"sweeps": [*history, entry]})


def _fit(history: list[dict]) -> tuple[float, float] | None:
    """(fixed seconds, seconds per run-month per worker) from the recorded sweeps, or None."""
    rows = [(h["run_months"] / h["workers"], h["seconds"]) for h in history
            if isinstance(h.get("run_months"), int | float) and isinstance(h.get("seconds"), int | float)
            and isinstance(h.get("workers"), int) and h["run_months"] > 0 and h["seconds"] > 0]  # fmt: skip
    if not rows:
        return None
    xs = [x for x, _ in rows]
    if len(rows) >= 2 and max(xs) > 2 * min(xs):  # sizes far enough apart to tell the fixed cost from the rate
        n = len(rows)
        mx, my = sum(xs) / n, sum(y for _, y in rows) / n
        sxx = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in rows) / sxx
        fixed = my - slope * mx
        if slope > 0 and fixed >= 0:
            return fixed, slope
    x, y = rows[-1]  # the last one alone: the default fixed cost (at most half of it), the rest is the rate
    fixed = min(DEFAULT_SWEEP_FIXED_SECONDS, 0.5 * y)
    return fixed, (y - fixed) / x


def estimate_sweep(runs: int, months: int, workers: int) -> SweepEstimate:
    """Seconds for ``runs`` runs of ``months`` months on ``workers`` workers (those that can be busy)."""
    workers = max(1, workers)
    fit = _fit(_mine().get("sweeps", []))
    measured = fit is not None
    fixed, per = fit if fit else (DEFAULT_SWEEP_FIXED_SECONDS, 1.0 / DEFAULT_RUN_MONTHS_PER_SECOND)
    seconds = (fixed + runs * months * per / workers) if runs > 0 else 0.0
    return SweepEstimate(seconds, measured, 1.0 / (per * months) if per > 0 else float("inf"))


# --------------------------------------------------------------------------- compiling the rules


def remember_compile(kind: str, seconds: float) -> None:
    """Record a compile of the rules (``kind`` "batch", "model" or "all") that took ``seconds`` now; stored
    as idle-core seconds (divided by the load stretch at the time)."""
    if seconds > 0:
        compiles = _mine().get("compile", {})
        compiles = compiles if isinstance(compiles, dict) else {}
        _write({"compile": {**compiles, kind: round(seconds / load_stretch(), 2)}})


def estimate_compile(kind: str) -> tuple[float, bool]:
    """(seconds, measured here?) for compiling the rules of ``kind`` now (stretched by the load)."""
    compiles = _mine().get("compile", {})
    compiles = compiles if isinstance(compiles, dict) else {}
    for key in (kind, "all"):  # "all" compiles every kind: an upper bound
        if isinstance(compiles.get(key), int | float) and compiles[key] > 0:
            return compiles[key] * load_stretch(), True
    return DEFAULT_COMPILE_SECONDS * load_stretch(), False
