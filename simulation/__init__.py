"""alliance-sim: an agent-based model of great-power alignment (Mesa 3.5).

Python API (for notebooks)::

    from simulation import AllianceModel     # the Mesa model (mesa.batch_run, SolaraViz)
    from simulation import load_scenario, run_scenario
    result = run_scenario(load_scenario("baseline_2018_2021"), seed=1)
    result.trajectories      # pandas DataFrame: alignment of every pair per month
    result.decisions         # every actor's intent towards every partner, with utility terms
    result.summary()         # dict of headline outcomes

Importing the package (or any module in it) loads nothing heavy: the public names below are
imported on first use, so a worker that needs the engine alone never loads pydantic, pandas'
plotting or Mesa.
"""

from importlib import import_module

from simulation._version import __version__

_PUBLIC = {
    "AllianceModel": "simulation.drivers.model",
    "Scenario": "simulation.world.scenario",
    "apply_overrides": "simulation.world.scenario",
    "load_scenario": "simulation.world.scenario",
    "run_scenario": "simulation.runner",
    "run_batch": "simulation.runner",
}

#: Modules of the public API: ``from simulation import plots`` (figures for notebooks).
_MODULES = {"plots": "simulation.reporting.plots"}

__all__ = ["__version__", *_PUBLIC, *_MODULES]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    if name in _MODULES:
        return import_module(_MODULES[name])
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")
