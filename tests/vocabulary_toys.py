"""Toy vocabulary for the tests of the declarations (a family, a term, a policy rule): a registry with a toy
family added, and the patch that makes it the package's registry for the CLI."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from simulation.world import registry as registry_module

TOY_FAMILY = """
  - family: revisionism
    unit: index 0-1
    description: How much an actor wants to change the international order (a toy family of the tests).
    role: input
    shape: actor
    bounds: [0, 1]
    entries:
{entries}
"""


def shipped_registry_text() -> str:
    return resources.files("simulation").joinpath("data/registry.yaml").read_text("utf-8")


def toy_registry_file(tmp_path: Path, extra: str) -> Path:
    """The shipped registry with ``extra`` (YAML of more families) appended, written under ``tmp_path``."""
    path = tmp_path / "registry.yaml"
    path.write_text(shipped_registry_text().rstrip("\n") + "\n" + extra, "utf-8")
    return path


def revisionism_family(values: dict[str, float]) -> str:
    entries = "\n".join(
        f"      - of: {actor}\n        value: {v}\n        range: [{v}, {v}]\n        sources:\n"
        f'          - assumption: "A toy value for the tests."'
        for actor, v in values.items()
    )
    return TOY_FAMILY.format(entries=entries)


def use_registry(monkeypatch: pytest.MonkeyPatch, path: Path) -> registry_module.Registry:
    """Make ``path`` the package's registry (what ``default_registry()`` returns) for one test."""
    toy = registry_module.Registry.from_file(path)
    registry_module.default_registry.cache_clear()
    monkeypatch.setattr(registry_module.Registry, "from_file", classmethod(lambda cls, p=None: toy))
    return toy


#: A new behavioural parameter with a range: calibrated, but not in the shipped posterior yet.
TOY_GAIN = """
  - family: toy_gain
    unit: utility per unit
    description: A toy behavioural parameter of the tests, added after the calibration.
    role: model
    shape: scalar
    bounds: [0, 1]
    entries:
      - value: 0.5
        range: [0.1, 0.9]
        sources:
          - assumption: "A toy value for the tests."
"""
