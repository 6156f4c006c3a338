"""alliance-sim: an agent-based model of great-power alignment (Mesa 3.5).

Python API (for notebooks)::

    from simulation import load_scenario, run_scenario
    result = run_scenario(load_scenario("scenarios/baseline_2018_2021.yaml"), seed=1)
    result.trajectories      # pandas DataFrame: alignment of every pair per month
    result.decisions         # every actor's intent towards every partner, with utility terms
    result.summary()         # dict of headline outcomes
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("alliance-sim")  # the installed metadata is the one source
except _metadata.PackageNotFoundError:  # a checkout used without installing it
    __version__ = "0.0.0+checkout"

from .scenario import Scenario, apply_overrides, load_scenario  # noqa: E402

__all__ = ["Scenario", "__version__", "apply_overrides", "load_scenario", "run_scenario", "run_batch"]


def __getattr__(name: str):
    # Lazy imports: nothing heavy happens at import time.
    if name == "run_scenario":
        from .runner import run_scenario

        return run_scenario
    if name == "run_batch":
        from .runner import run_batch

        return run_batch
    raise AttributeError(name)
