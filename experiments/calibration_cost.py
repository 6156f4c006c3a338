"""What one calibration draw costs: every case of the shipped patterns, ``replicates`` runs each, on the batch engine.

    python experiments/calibration_cost.py [--replicates 24 48] [--repeat 10]

Prints the seconds per draw (one parameter set, every case) at each replicate count and the machine's load, so the
choice between more history-matching waves and an emulator rests on a measurement: a wave of N draws costs about
N x this, and an emulator per pattern pays off only when that is more than fitting and checking it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, nargs="+", default=[24, 48])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    from simulation.calibration.abc import PatternSimulator, priors
    from simulation.calibration.patterns import load_patterns
    from simulation.world.registry import default_registry

    patterns = load_patterns()
    values = {k: default_registry().value(k) for k in priors()}
    print(f"load before: {os.getloadavg()[0]:.1f}; {len(patterns.cases())} cases, {len(patterns.patterns)} patterns")
    for r in args.replicates:
        sim = PatternSimulator(patterns, replicates=r, seed=1)
        sim.values(values)  # compile / warm up
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.repeat):
            sim.values(values)
        wall = (time.perf_counter() - started) / args.repeat
        busy = (time.process_time() - cpu) / args.repeat
        print(f"{r:>4} runs per case: {wall * 1000:.1f} ms per draw (wall), {busy * 1000:.1f} ms of CPU; "
              f"a wave of 2,048 draws about {2048 * busy / 60:.1f} CPU-minutes")  # fmt: skip
    print(f"load after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
