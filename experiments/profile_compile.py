"""Where the cold compile of the rules goes: CPU seconds per compiled function and per compiler stage.

    python experiments/profile_compile.py            # the batch loop's compile (what a first sweep does)
    python experiments/profile_compile.py --model    # then the Mesa model's entry points too

Runs, in a fresh process with an empty numba cache, what the first command of a new installation does
(the first 10 runs of the baseline), and prints: each function numba compiled, with its own CPU seconds
(``self``: its typing, lowering, LLVM optimisation, machine code and cache file, without the functions it
made numba compile first) and with them (``incl``), read from numba's compile events
(``numba.core.event``); then the CPU seconds by stage (numba's typing, its lowering to LLVM IR, the
CPython and C wrappers, LLVM's optimisation of each function and of each finished module, machine code,
writing the cache). CPU seconds, not wall: a busy machine disturbs them less (not at all only when idle).
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Stages:
    """CPU seconds by compiler stage: the innermost stage running gets the time."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()
        self.active: list[list] = []  # [stage, since]

    def time(self, cls: type, name: str, stage: str) -> None:
        original = getattr(cls, name)

        def timed(*args, **kwargs):
            now = time.process_time()
            if self.active:
                self.seconds[self.active[-1][0]] += now - self.active[-1][1]
            self.active.append([stage, now])
            try:
                return original(*args, **kwargs)
            finally:
                end = time.process_time()
                done, since = self.active.pop()
                self.seconds[done] += end - since
                if self.active:
                    self.active[-1][1] = end

        setattr(cls, name, timed)


def child(model: bool) -> None:
    from numba.core import caching, codegen, compiler_machinery, event, lowering, typeinfer

    stages = Stages()
    stages.time(compiler_machinery.PassManager, "run", "numba's other passes")
    stages.time(typeinfer.TypeInferer, "propagate", "typing")
    stages.time(lowering.Lower, "lower", "lowering to LLVM IR")
    stages.time(lowering.Lower, "create_cpython_wrapper", "CPython wrappers")
    stages.time(lowering.Lower, "create_cfunc_wrapper", "C wrappers")
    stages.time(codegen.CPUCodeLibrary, "_optimize_functions", "LLVM: each function")
    stages.time(codegen.CPUCodeLibrary, "_optimize_final_module", "LLVM: each finished module")
    stages.time(codegen.JITCodeLibrary, "_finalize_specific", "LLVM: machine code")
    stages.time(caching.Cache, "save_overload", "writing the cache")
    functions: list[tuple[str, float, float]] = []
    calls: list[list] = []

    class Compiles(event.Listener):
        def on_start(self, ev):
            calls.append([ev.data["dispatcher"].py_func.__qualname__, time.process_time(), 0.0])

        def on_end(self, ev):
            name, start, inner = calls.pop()
            total = time.process_time() - start
            if calls:
                calls[-1][2] += total
            functions.append((name, total - inner, total))

    event.register("numba:compile", Compiles())
    c0, t0 = time.process_time(), time.perf_counter()
    from simulation.core.paths import shipped_scenario
    from simulation.runner import run_batch, run_scenario
    from simulation.world.scenario import load_scenario

    c1 = time.process_time()
    scenario = load_scenario(shipped_scenario("baseline_2018_2021"))
    run_batch(scenario, runs=10)
    if model:
        run_scenario(scenario, steps=1)
    c2, t2 = time.process_time(), time.perf_counter()
    print(f"{'self s':>7} {'incl s':>7}  function (CPU seconds of its compile)")
    for name, own, total in sorted(functions, key=lambda f: -f[1]):
        print(f"{own:7.2f} {total:7.2f}  {name}")
    print(f"\n{len(functions)} compiled functions; CPU seconds by stage:")
    for stage, seconds in stages.seconds.most_common():
        print(f"{seconds:7.2f}  {stage}")
    print(f"\nimports {c1 - c0:.1f} s CPU; the first 10 runs{' and a Mesa month' if model else ''} {c2 - c1:.1f} s CPU; "
          f"{t2 - t0:.1f} s wall in all; load {os.getloadavg()[0]:.1f}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="store_true", help="compile the Mesa model's entry points too")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.model)
        return 0
    print(f"load {os.getloadavg()[0]:.1f}; an empty numba cache in a fresh process:", flush=True)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, str(Path(__file__).resolve()), "--child"] + (["--model"] if args.model else [])
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
