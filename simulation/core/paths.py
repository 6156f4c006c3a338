"""Where shipped files live: the package's data when installed, the checkout's folders otherwise."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from simulation.core.errors import InputError

_CHECKOUT = Path(__file__).resolve().parents[2]


def shipped_dir(kind: str) -> Path:
    """The folder of shipped ``kind`` files ("scenarios", "experiments", ...)."""
    packaged = Path(str(resources.files("simulation").joinpath("data", kind)))
    if packaged.is_dir():
        return packaged
    return _CHECKOUT / kind


def shipped_scenario(name: str) -> Path:
    """The path of the shipped scenario ``name`` (its file stem)."""
    path = shipped_dir("scenarios") / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in shipped_dir("scenarios").glob("*.yaml")))
        raise InputError(None, "reference_scenario", f"no shipped scenario '{name}' (known: {known})")
    return path
