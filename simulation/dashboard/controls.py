"""Dashboard controls generated from the Scenario schema and the registry.

Bounds, defaults and descriptions are read from the pydantic field definitions and the
registry entries; nothing is restated here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import annotated_types
import numpy as np

from simulation.world.registry import default_registry
from simulation.world.scenario import (
    ACTOR_FAMILIES,
    DIRECTED_PAIR_FAMILIES,
    SYMMETRIC_PAIR_FAMILIES,
    LevelSegment,
    PressureSegment,
    Scenario,
)

#: Registry parameters offered as sliders (their bounds, values and descriptions come from the registry).
PARAMETER_SLIDERS = (
    "status_concern.Russia",
    "status_concern.China",
    "trade_vulnerability.China",
    "rapport.China-Russia",
    "mistrust.Russia->China",
    "weight.shared_threat",
    "weight.exposure",
    "threshold.formal_alliance",
    "decision_noise_sd",
)


@dataclass(frozen=True)
class SliderSpec:
    path: str  # dotted override path into the scenario
    label: str
    min: float
    max: float
    step: float
    value: float  # the scenario's own value (shown until moved)
    description: str


def field_bounds(model: type, name: str) -> tuple[float, float, str]:
    """(min, max, description) of a numeric pydantic field, from its constraints."""
    info = model.model_fields[name]
    lo, hi = -np.inf, np.inf
    for meta in info.metadata:
        if isinstance(meta, annotated_types.Ge | annotated_types.Gt):
            lo = float(getattr(meta, "ge", getattr(meta, "gt", lo)))
        if isinstance(meta, annotated_types.Le | annotated_types.Lt):
            hi = float(getattr(meta, "le", getattr(meta, "lt", hi)))
        if isinstance(meta, annotated_types.Interval):
            lo = float(meta.ge if meta.ge is not None else lo)
            hi = float(meta.le if meta.le is not None else hi)
    return lo, hi, info.description or name


INSTRUMENT_FIELDS = tuple(
    name for name, f in PressureSegment.model_fields.items() if name not in ("from_step", "source")
)


def pressure_sliders(scenario: Scenario) -> list[SliderSpec]:
    """One slider per pressure target (all instruments at one level), and EU coordination."""
    from simulation.rules.params import ROLE_PRESSURER
    from simulation.world.build import build_params
    from simulation.world.resolve import resolve

    params = build_params(resolve(scenario))
    lo, hi, _ = field_bounds(PressureSegment, "sanctions")
    specs = []
    for k, actor in enumerate(scenario.actors):
        if k == int(params.roles[ROLE_PRESSURER]):
            continue
        current = float(params.pressure_threat[0, 0, k])
        if actor not in scenario.pressure.targets and actor not in scenario.focal_pair:
            continue
        specs.append(
            SliderSpec(
                f"pressure.targets.{actor}",
                f"{scenario.pressure.by} pressure on {actor}",
                lo,
                hi,
                0.05,
                round(current, 2),
                "Sets "
                + ", ".join(f.replace("_", " ") for f in INSTRUMENT_FIELDS)
                + f" to one level for the whole run, from {lo:g} (none) to {hi:g} (maximal); the scenario's own "
                f"schedule starts at {current:.2f}.",
            )
        )
    if scenario.pressure.coordinated_by is not None:
        lo, hi, desc = field_bounds(LevelSegment, "level")
        specs.append(
            SliderSpec(
                "pressure.coordination",
                f"{scenario.pressure.coordinated_by} coordination with {scenario.pressure.by}",
                lo,
                hi,
                0.05,
                round(float(params.coordination[0, 0].max()), 2),
                desc,
            )
        )
    return specs


def parameter_sliders(scenario: Scenario) -> list[SliderSpec]:
    reg = default_registry()
    specs = []
    for key in PARAMETER_SLIDERS:
        if key not in reg:
            continue
        p = reg[key]
        if not _actors_present(p.family, p.of, scenario.actors):
            continue
        value = scenario.parameters.get(key, p.value)
        lo, hi = max(p.min, p.low - (p.high - p.low)), min(p.max, p.high + (p.high - p.low))
        if not lo < hi:
            lo, hi = p.min, p.max
        specs.append(
            SliderSpec(
                f"parameters.{key}",
                key,
                lo,
                hi,
                round((hi - lo) / 50, 4),
                value,
                f"{p.description} Documented range {p.low:g} to {p.high:g} ({p.unit}).",
            )
        )
    return specs


def _actors_present(family: str, of: str | None, actors: list[str]) -> bool:
    """Whether a registry entry's actor(s) take part in the scenario (scalars always do)."""
    if of is None or family not in ACTOR_FAMILIES + SYMMETRIC_PAIR_FAMILIES + DIRECTED_PAIR_FAMILIES:
        return True
    return all(part in actors for part in re.split(r"->|-", of))


def event_switches(scenario: Scenario) -> list[tuple[int, str]]:
    """(index, label) of each scheduled event, to switch off."""
    return [(k, ev.label()) for k, ev in enumerate(scenario.events)]
