"""Shared fixtures: paths, the registry, scenario loading, batch outcomes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# what the tool measures (sweep speed, compile time) goes to a scratch cache, never the user's
os.environ.setdefault("ALLIANCE_SIM_CACHE_DIR", tempfile.mkdtemp(prefix="alliance-sim-measured-"))

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
EXPERIMENTS = ROOT / "experiments"

# the tests (and the servers they start) keep their room-signing key in a temporary configuration folder,
# never in the user's own
os.environ.setdefault("ALLIANCE_SIM_CONFIG_DIR", tempfile.mkdtemp(prefix="alliance-sim-config-"))


def seeds_dir() -> Path | None:
    """The folder of source documents: $ALLIANCE_SIM_SEEDS or ../shared/seeds beside the checkout."""
    env = os.environ.get("ALLIANCE_SIM_SEEDS")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "seeds")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def seeds() -> Path:
    found = seeds_dir()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("the source documents (../shared/seeds) are missing in CI")
        pytest.skip("source documents not found (set ALLIANCE_SIM_SEEDS)")
    return found


@pytest.fixture(scope="session")
def registry():
    from simulation.world.registry import default_registry

    return default_registry()


def scenario(name: str, **overrides):
    from simulation.world.scenario import apply_overrides, load_scenario

    sc = load_scenario(SCENARIOS / f"{name}.yaml")
    return apply_overrides(sc, overrides) if overrides else sc


def outcomes(sc, seeds):
    from simulation.runner import run_batch

    return run_batch(sc, seeds)


#: The fixed seed list of the behaviour tests (400 runs per scenario).
BEHAVIOUR_SEEDS = list(range(1000, 1400))


def wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson 95% score interval for a binomial proportion."""
    from simulation.core.stats import proportion

    _, lo, hi = proportion(successes, n)
    return lo, hi
