"""A checksum of the engine's numbers, to show that a change to how the rules are compiled or run
changed nothing: run it before and after, and compare the last line.

    python experiments/engine_checksum.py

Hashes, for every shipped scenario, 600 posterior-predictive runs (levels every month and the
focal pair's trade) on the threaded and the one-thread paths, and a 48-month run of the Mesa
model. The figures depend only on the rules, the scenarios and the posterior, not on the
machine's load or the number of threads.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from simulation.core.paths import shipped_scenario
    from simulation.drivers.engine import simulate
    from simulation.drivers.inputs import prepare_inputs
    from simulation.drivers.model import AllianceModel
    from simulation.runner import replicate_seeds
    from simulation.world.scenario import load_scenario

    total = hashlib.sha256()
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        seeds = replicate_seeds(11, 600)
        inputs = prepare_inputs(load_scenario(path), seeds, "posterior")
        params, reference, shape = inputs.params, inputs.reference, inputs.structure
        for parallel in (True, False):
            result = simulate(params, seeds, shape.steps, reference, parallel=parallel)
            digest = hashlib.sha256(result.levels.tobytes() + result.focal_trade.tobytes()).hexdigest()[:16]
            total.update(digest.encode())
        print(f"{path.stem:<28} {digest}")
    model = AllianceModel(load_scenario(shipped_scenario("baseline_2018_2021")), seed=5)
    model.run_for(48)
    levels = model.levels_array()
    print(f"{'Mesa model, seed 5':<28} {hashlib.sha256(levels.tobytes()).hexdigest()[:16]}")
    total.update(levels.tobytes())
    print(f"all: {total.hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
