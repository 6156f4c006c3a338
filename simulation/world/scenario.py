"""Scenario files: the pydantic schema, safe YAML loading and dotted-path overrides.

A scenario is data only (``yaml.safe_load``; nothing is executed). It names the actors,
US pressure on each target over time, EU coordination with the US over time, scheduled
and random events, and overrides of registry parameters (which is also how a user adds
an actor: give ``gdp_usd_bn.Japan`` and the other per-actor values).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
import types
import typing
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
)

from simulation.core.errors import InputError, format_loc
from simulation.core.io import load_yaml
from simulation.core.paths import shipped_dir
from simulation.core.resources import resolve_ref
from simulation.world import events as _events
from simulation.world import policies as _policies
from simulation.world.fields import ActorName, Fraction, Step, Strict
from simulation.world.registry import Registry, default_registry, split_pair

#: The family lists a scenario's checks use are read from the registry's declarations (each family's
#: ``shape``): ``ACTOR_FAMILIES`` (per-actor families every actor needs), ``SYMMETRIC_PAIR_FAMILIES``
#: and ``DIRECTED_PAIR_FAMILIES`` of the shipped registry, computed when first asked for.
_DERIVED_LISTS = {
    "ACTOR_FAMILIES": lambda reg: reg.required_actor_families(),
    "SYMMETRIC_PAIR_FAMILIES": lambda reg: reg.families_of_shape("pair"),
    "DIRECTED_PAIR_FAMILIES": lambda reg: reg.families_of_shape("directed_pair"),
}


def __getattr__(name: str) -> tuple[str, ...]:
    """The family lists of the shipped registry (``ACTOR_FAMILIES``, ...), derived from its shapes."""
    if name in _DERIVED_LISTS:
        return _DERIVED_LISTS[name](default_registry())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_Strict = Strict


@functools.cache
def scenario_defaults() -> dict[str, Any]:
    """Defaults a scenario may omit (actors, focal pair, roles), declared once in data/defaults.yaml."""
    text = resources.files("simulation").joinpath("data/defaults.yaml").read_text("utf-8")
    return yaml.safe_load(text)


# --------------------------------------------------------------------------- schedules


class PressureSegment(_Strict):
    """US pressure on one target from ``from_step`` until the next segment."""

    from_step: Step = Field(0, description="First month (0 = scenario start) this segment applies.")
    sanctions: Fraction = Field(0.0, description="Financial and individual sanctions, 0 none to 1 maximal.")
    tariffs: Fraction = Field(0.0, description="Share of the target's exports to the US under tariffs, 0-1.")
    technology_bans: Fraction = Field(0.0, description="Export controls and technology bans, 0-1.")
    military_posture: Fraction = Field(0.0, description="Forward military posture aimed at the target, 0-1.")
    source: str | None = Field(None, description="Where these numbers come from (document quote or rationale).")


class LevelSegment(_Strict):
    """A 0-1 level (e.g. EU coordination with the US) from ``from_step`` on."""

    from_step: Step = Field(0, description="First month this level applies.")
    level: Fraction = Field(description="Level from 0 (none) to 1 (full).")
    source: str | None = Field(None, description="Where this number comes from.")


def _constant_pressure(value: Any) -> Any:
    """A bare number means that level on every instrument for the whole run."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        v = float(value)
        return [{"from_step": 0, "sanctions": v, "tariffs": v, "technology_bans": v, "military_posture": v}]
    return value


def _constant_level(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [{"from_step": 0, "level": float(value)}]
    return value


PressureSchedule = Annotated[list[PressureSegment], BeforeValidator(_constant_pressure), Field(min_length=1)]
LevelSchedule = Annotated[list[LevelSegment], BeforeValidator(_constant_level), Field(min_length=1)]


#: How the pressurer's pressure responds to the focal pair: any registered rule (simulation/world/policies.py),
#: told apart by its ``rule`` (``schedule`` when left out).
Policy = _policies.policy_union()


Coordination = LevelSchedule | dict[ActorName, LevelSchedule]


def _coordination_for(coordination: Coordination, target: str) -> list[LevelSegment]:
    if isinstance(coordination, dict):
        return coordination.get(target, [LevelSegment(from_step=0, level=0.0)])
    return coordination


class Coordinator(_Strict):
    """An actor that joins the pressurer's pressure, per target, with its own level and its own share of the
    pressurer's policy reaction ("Japan joins the US in pressing China")."""

    by: ActorName = Field(description="The coordinating actor.")
    coordination: Coordination = Field(
        description="Its coordination with the pressure, 0-1: one schedule for every target, or one per target."
    )
    follows: Fraction = Field(0.0, description="Share of the pressurer's policy reaction it copies.")

    def coordination_for(self, target: str) -> list[LevelSegment]:
        """The coordination schedule that applies to pressure on ``target``."""
        return _coordination_for(self.coordination, target)


class Pressure(_Strict):
    """Pressure by one actor (the US) on targets, and coordination of others (the EU, ...) with it."""

    by: ActorName = Field(
        default_factory=lambda: scenario_defaults()["pressure_by"], description="The actor applying pressure."
    )
    coordinated_by: ActorName | None = Field(
        default_factory=lambda: scenario_defaults()["coordinated_by"],
        description="The actor whose coordination amplifies the pressure (or null).",
    )
    targets: dict[ActorName, PressureSchedule] = Field(
        default_factory=dict,
        description="Target actor -> schedule: a number (all instruments at that level) or segments.",
    )
    coordination: LevelSchedule | dict[ActorName, LevelSchedule] = Field(
        default_factory=lambda: [LevelSegment(from_step=0, level=0.0)],
        description=(
            "Coordination of `coordinated_by` with `by`, 0-1: one schedule for every target (a number or "
            "segments), or a schedule per target (the EU followed the US on Russia far more than on China)."
        ),
    )
    coordinators: list[Coordinator] = Field(
        default_factory=list,
        description="More coordinating actors, each with its own coordination per target (beside coordinated_by).",
    )
    policy: Policy = Field(
        default_factory=lambda: _policies.Schedule(),
        description="How the pressure responds to what the pressurer sees (default: it follows the schedules).",
    )

    def coordination_for(self, target: str) -> list[LevelSegment]:
        """The coordination schedule of ``coordinated_by`` that applies to pressure on ``target``."""
        return _coordination_for(self.coordination, target)

    def all_coordinators(self) -> list[tuple[str, Coordinator]]:
        """Every coordinating actor with the field its schedule is written under: ``coordinated_by`` first
        (its coordination and ``policy.coordination_follows``), then ``coordinators``."""
        out = []
        if self.coordinated_by is not None:
            first = Coordinator.model_construct(
                by=self.coordinated_by, coordination=self.coordination, follows=self.policy.coordination_follows
            )
            out.append(("pressure.coordination", first))
        out += [(f"pressure.coordinators[{i}].coordination", c) for i, c in enumerate(self.coordinators)]
        return out


# --------------------------------------------------------------------------- events


#: A scheduled event: any registered kind (simulation/world/events.py), told apart by its ``kind``.
Event = _events.event_union()


class RandomBorderCrisis(_Strict):
    """A border crisis that may break out in any month with a fixed probability."""

    kind: Literal["border_crisis"]
    between: tuple[ActorName, ActorName]
    probability_per_step: Fraction = Field(description="Chance of an outbreak in a month with none ongoing.")
    duration_steps: Annotated[int, Field(ge=1, le=10_000)]
    intensity: Annotated[float, Field(ge=0.0, le=3.0)] = 1.0
    note: str | None = None


# --------------------------------------------------------------------------- scenario


class Scenario(_Strict):
    """One scenario: actors, pressure and coordination schedules, events, parameter overrides."""

    title: Annotated[str, Field(min_length=1, max_length=200)] = Field(description="Human title.")
    description: str = Field("", description="The story of the scenario (used in handouts).")
    start: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = Field(
        "2018-01", description="Calendar month of step 0 (YYYY-MM); one step is one month."
    )
    steps: Annotated[int, Field(ge=1, le=600)] = Field(48, description="Number of monthly steps.")
    actors: Annotated[list[ActorName], Field(min_length=2, max_length=30)] = Field(
        default_factory=lambda: list(scenario_defaults()["actors"]),
        description="The actors; any name with its per-actor parameters in the registry or below.",
    )
    focal_pair: tuple[ActorName, ActorName] = Field(
        default_factory=lambda: tuple(scenario_defaults()["focal_pair"]),
        description="The pair whose alliance the outcomes, plots and reports track.",
    )
    reference_scenario: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]{1,80}$")] | None = Field(
        None,
        description=(
            "A shipped scenario whose month-0 inputs define each pair's resting point (a counterfactual "
            "names the baseline it departs from); default: this scenario itself."
        ),
    )
    pressure: Pressure = Field(default_factory=Pressure, description="US pressure and EU coordination.")
    events: list[Event] = Field(
        default_factory=list, description="Scheduled events (kinds: simulation/world/events.py)."
    )
    random_events: list[RandomBorderCrisis] = Field(
        default_factory=list, description="Events that may occur at random."
    )
    parameters: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = Field(
        default_factory=dict,
        description="Registry values to override, by key (e.g. status_concern.Russia: 0.95).",
    )
    discussion_questions: list[str] = Field(default_factory=list, description="For seminar handouts.")


# --------------------------------------------------------------------------- cross-checks


def check_scenario(scenario: Scenario, registry: Registry, source: str | Path | None) -> None:
    """Checks pydantic cannot express: actor names, the horizon, events' cross-checks, parameter keys and
    bounds (``check_parameters``) and every actor's per-actor values (``check_required_values``).

    Parameters
    ----------
    scenario, registry, source
        The scenario, the registry it is checked against and the file it came from (named in errors).

    Raises
    ------
    InputError
        The first problem, in one line.
    """
    actors = scenario.actors
    allowed = ", ".join(actors)
    if len(set(actors)) != len(actors):
        raise InputError(source, "actors", "actor names must be unique")

    def need_actor(name: str, field: str) -> None:
        if name not in actors:
            raise InputError(source, field, f"unknown actor '{name}' (allowed: {allowed})")

    need_actor(scenario.pressure.by, "pressure.by")
    if scenario.pressure.coordinated_by is not None:
        need_actor(scenario.pressure.coordinated_by, "pressure.coordinated_by")
        if scenario.pressure.coordinated_by == scenario.pressure.by:
            raise InputError(
                source,
                "pressure.coordinated_by",
                f"must differ from pressure.by ({scenario.pressure.by}): an actor cannot coordinate with itself",
            )
    horizon = scenario.steps

    def within_horizon(step: int | None, field: str) -> None:
        if step is not None and step >= horizon:
            raise InputError(
                source, field, f"step {step} is beyond the horizon (allowed: 0 to {horizon - 1}, steps: {horizon})"
            )

    for target, schedule in scenario.pressure.targets.items():
        for k, segment in enumerate(schedule):
            within_horizon(segment.from_step, f"pressure.targets.{target}[{k}].from_step")
    for field, coordinator in scenario.pressure.all_coordinators():
        coordination = coordinator.coordination
        schedules = coordination.items() if isinstance(coordination, dict) else [(None, coordination)]
        for target, schedule in schedules:
            for k, segment in enumerate(schedule):
                name = field + (f".{target}" if target is not None else "")
                within_horizon(segment.from_step, f"{name}[{k}].from_step")
    for i, event in enumerate(scenario.events):
        within_horizon(event.start_step, f"events[{i}].{'at_step' if hasattr(event, 'at_step') else 'from_step'}")
    for target, schedule in scenario.pressure.targets.items():
        need_actor(target, f"pressure.targets.{target}")
        if target == scenario.pressure.by:
            raise InputError(source, f"pressure.targets.{target}", "an actor cannot pressure itself")
        _check_increasing([s.from_step for s in schedule], source, f"pressure.targets.{target}")
    for i, event in enumerate(scenario.events):
        for field, name in event.named_actors():
            need_actor(name, f"events[{i}].{field}")

        def fail(field: str, message: str, i: int = i) -> typing.NoReturn:
            raise InputError(source, f"events[{i}].{field}", message)

        event.check(actors, fail)
    for i, event in enumerate(scenario.random_events):
        for name in event.between:
            need_actor(name, f"random_events[{i}].between")
        if event.between[0] == event.between[1]:
            raise InputError(source, f"random_events[{i}].between", "a crisis needs two different actors")

    check_parameters(scenario, registry, source)
    check_required_values(scenario, registry, source)


def check_parameters(scenario: Scenario, registry: Registry, source: str | Path | None) -> None:
    """Every key of ``parameters:`` names a registry family in the shape the family declares, with actors
    of the scenario, a value within the family's bounds, and a whole number for an integer family.

    Parameters
    ----------
    scenario, registry, source
        The scenario, the registry it is checked against and the file it came from (named in errors).

    Raises
    ------
    InputError
        One line naming the file, ``parameters.<key>`` and what is allowed.
    """
    actors = scenario.actors
    shapes = registry.shapes()
    for key, value in scenario.parameters.items():
        field = f"parameters.{key}"
        family, _, suffix = key.partition(".")
        if family in shapes and registry.first(family).kind == "integer" and value != int(value):
            raise InputError(source, field, f"expected a whole number, got {value:g}")
        if key in registry:
            param = registry[key]
            if not param.min <= value <= param.max:
                raise InputError(source, field, f"{value:g} is out of range (allowed: {param.min:g} to {param.max:g})")
            continue
        shape = shapes.get(family)
        if shape not in ("actor", "pair", "directed_pair") or not suffix:
            raise InputError(source, field, "unknown parameter (see `alliance-sim params` for the keys)")
        names = [suffix] if shape == "actor" else _pair_names(family, suffix, shape == "directed_pair", source, field)
        for name in names:
            if name not in actors:
                raise InputError(source, field, f"unknown actor '{name}' (allowed: {', '.join(actors)})")
        if len(names) == 2 and names[0] == names[1]:
            form = "A->B" if shape == "directed_pair" else "A-B"
            raise InputError(source, field, f"a pair needs two different actors ({family}.{form})")
        low, high = registry.first(family).min, registry.first(family).max
        if not low <= value <= high:
            raise InputError(source, field, f"{value:g} is out of range (allowed: {low:g} to {high:g})")


def _pair_names(family: str, suffix: str, directed: bool, source: str | Path | None, field: str) -> list[str]:
    """The two actors of a pair key's suffix, in the form the family's shape asks for."""
    pair = split_pair(suffix)
    form = "A->B" if directed else "A-B"
    if pair is None or pair[2] != directed:
        raise InputError(source, field, f"expected {family}.{form} with two actor names")
    return [pair[0], pair[1]]


def check_required_values(scenario: Scenario, registry: Registry, source: str | Path | None) -> None:
    """Every actor has a value of every per-actor family that declares no ``unlisted`` value (from the
    registry or the scenario's ``parameters:``): a new family or a new actor is caught here, at validate.

    Parameters
    ----------
    scenario, registry, source
        The scenario, the registry whose families are required and the file named in errors (or None).

    Raises
    ------
    InputError
        ``parameters: actor 'X' needs a value for family.X (not in the registry)``.
    """
    for actor in scenario.actors:
        for family in registry.required_actor_families():
            key = f"{family}.{actor}"
            if key not in registry and key not in scenario.parameters:
                raise InputError(source, "parameters", f"actor '{actor}' needs a value for {key} (not in the registry)")


def check_focal_and_policy(scenario: Scenario, source: str | Path | None) -> None:
    """Cross-checks of the focal pair, per-target coordination, the policy rule and aggressions."""
    actors = scenario.actors
    allowed = ", ".join(actors)

    def need_actor(name: str, field: str) -> None:
        if name not in actors:
            raise InputError(source, field, f"unknown actor '{name}' (allowed: {allowed})")

    a, b = scenario.focal_pair
    need_actor(a, "focal_pair")
    need_actor(b, "focal_pair")
    if a == b:
        raise InputError(source, "focal_pair", "the focal pair needs two different actors")
    policy = scenario.pressure.policy

    def fail(field: str, message: str) -> typing.NoReturn:
        raise InputError(source, f"pressure.policy.{field}", message)

    _policies.check_policy(policy, (a, b), scenario.pressure.by, fail)
    check_coordination_roles(scenario, source)
    check_reference(scenario, source)


def check_coordination_roles(scenario: Scenario, source: str | Path | None) -> None:
    """Coordination is an actor's following of the pressurer's pressure on a target: it needs a coordinator,
    each coordinator is named once and is not the pressurer, and a per-target schedule names an actor that can
    be under pressure."""
    pressure = scenario.pressure
    coordination = pressure.coordination
    schedules = coordination.values() if isinstance(coordination, dict) else [coordination]
    if pressure.coordinated_by is None:
        if any(seg.level > 0 for schedule in schedules for seg in schedule):
            raise InputError(
                source,
                "pressure.coordination",
                "is above 0 but pressure.coordinated_by is null: name the coordinating actor or set coordination to 0",
            )
        if pressure.policy.coordination_follows > 0:
            raise InputError(
                source,
                "pressure.policy.coordination_follows",
                "needs a coordinating actor (pressure.coordinated_by is null): set it to 0 or name the coordinator",
            )
    seen: set[str] = set()
    for i, coordinator in enumerate(pressure.coordinators):
        field = f"pressure.coordinators[{i}].by"
        if coordinator.by not in scenario.actors:
            raise InputError(source, field, f"unknown actor '{coordinator.by}' (allowed: {', '.join(scenario.actors)})")
        if coordinator.by == pressure.by:
            raise InputError(
                source, field, f"{pressure.by} is the pressurer (pressure.by); it cannot coordinate with itself"
            )
        if coordinator.by in seen | {pressure.coordinated_by}:
            raise InputError(source, field, f"{coordinator.by} coordinates already; name each coordinator once")
        seen.add(coordinator.by)
    reacting = pressure.policy.reacts
    aggressors = {e.by for e in scenario.events if getattr(e, "kind", None) == "aggression"}
    can_be_pressured = set(pressure.targets) | ((set(scenario.focal_pair) | aggressors) if reacting else set())
    for name, coordinator in pressure.all_coordinators():
        if isinstance(coordinator.coordination, dict):
            _check_targets(scenario, coordinator, name, can_be_pressured, source)
        else:
            _check_increasing([s.from_step for s in coordinator.coordination], source, name)


def _check_targets(scenario: Scenario, coordinator: Coordinator, name: str, allowed: set[str], source) -> None:
    """A coordinator's per-target schedules: targets under pressure, neither the pressurer nor itself."""
    by = scenario.pressure.by
    for target, schedule in coordinator.coordination.items():
        field = f"{name}.{target}"
        if target not in scenario.actors:
            raise InputError(source, field, f"unknown actor '{target}' (allowed: {', '.join(scenario.actors)})")
        _check_increasing([s.from_step for s in schedule], source, field)
        if target == by:
            raise InputError(source, field, f"{by} is the pressurer (pressure.by); coordination is per target")
        if target == coordinator.by:
            raise InputError(source, field, f"{target} is the coordinating actor itself; coordination is per target")
        if target not in allowed:
            targets = ", ".join(sorted(allowed)) or "none"
            raise InputError(
                source, field, f"{target} is not under pressure in this scenario (allowed targets: {targets})"
            )


def check_reference(scenario: Scenario, source: str | Path | None) -> None:
    """The reference scenario (whose month-0 inputs are the resting point) must ship and have the same actors,
    in the same order: its world is this scenario's world before any change."""
    name = scenario.reference_scenario
    if name is None:
        return
    path = shipped_dir("scenarios") / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in shipped_dir("scenarios").glob("*.yaml")))
        raise InputError(source, "reference_scenario", f"no shipped scenario '{name}' (known: {known})")
    ref_actors = read_yaml_mapping(path, "scenario").get("actors", scenario_defaults()["actors"])
    if list(ref_actors) != list(scenario.actors):

        def listing(names: list) -> str:
            shown = ", ".join(map(str, names[:8]))
            return f"{len(names)} ({shown}{', ...' if len(names) > 8 else ''})"

        raise InputError(
            source,
            "reference_scenario",
            f"{name} has the actors {listing(list(ref_actors))}; this scenario has {listing(scenario.actors)} "
            "(a reference needs the same actors in the same order: drop reference_scenario or use another)",
        )


def _check_increasing(steps: list[int], source: str | Path | None, field: str) -> None:
    if steps[0] != 0:
        raise InputError(source, f"{field}[0].from_step", "the first segment must start at step 0")
    for i in range(1, len(steps)):
        if steps[i] <= steps[i - 1]:
            raise InputError(source, f"{field}[{i}].from_step", "segments must start at increasing steps")


# --------------------------------------------------------------------------- loading


def _unknown_key_hint(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """'allowed: a, b, c' for an extra key at ``loc`` (best effort)."""
    model: Any = root
    for part in loc[:-1]:
        model = _descend(model, part)
        if model is None:
            return ""
    if isinstance(model, type) and issubclass(model, BaseModel):
        return "allowed: " + ", ".join(model.model_fields)
    return ""


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _descend(model: Any, part: Any) -> Any:
    for candidate in _unwrap(model):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            if isinstance(part, str) and part in candidate.model_fields:
                return candidate.model_fields[part].annotation
            if isinstance(part, str):  # discriminator tag of a union member
                for ann in _unwrap(model):
                    if isinstance(ann, type) and issubclass(ann, BaseModel):
                        kind = ann.model_fields.get("kind")
                        if kind is not None and part in typing.get_args(kind.annotation):
                            return ann
        origin = typing.get_origin(candidate)
        if origin in (list, tuple) and isinstance(part, int):
            return typing.get_args(candidate)[0]
        if origin is dict:
            return typing.get_args(candidate)[1]
    return None


def _is_union_tag(part: object) -> bool:
    """pydantic names a union member in an error location by its type (``function-after[...]``,
    ``dict[constrained-str,...]``); field names and keys never hold brackets or parentheses."""
    return isinstance(part, str) and ("[" in part or "(" in part or part.startswith("function-"))


def validation_error_to_input_error(
    err: ValidationError, root: type[BaseModel], source: str | Path | None
) -> InputError:
    errors = err.errors()
    first = errors[0]
    if any(_is_union_tag(part) for part in first["loc"]):
        # a union (a number, a list or a mapping...): report the branch that got furthest into the input
        tagged = [e for e in errors if any(_is_union_tag(part) for part in e["loc"])]
        first = max(tagged, key=lambda e: len([p for p in e["loc"] if not _is_union_tag(p)]))
    raw = tuple(part for part in first["loc"] if not _is_union_tag(part))
    # a policy rule's tag names the member of the union, not a key of the file
    rule = next((b for a, b in zip(raw, raw[1:], strict=False) if a == "policy" and b in _policies.POLICY_RULES), None)
    loc = tuple(part for i, part in enumerate(raw) if not (i > 0 and raw[i - 1] == "policy" and part == rule))
    field = format_loc(loc)
    if first["type"] == "union_tag_invalid" and loc[-1:] == ("policy",):
        allowed = ", ".join(_policies.POLICY_RULES)
        return InputError(source, f"{field}.rule", f"unknown rule '{first['input'].get('rule')}' (allowed: {allowed})")
    if first["type"] == "extra_forbidden":
        policy_fields = _policies.POLICY_RULES[rule].model_fields if rule is not None else None
        hint = "allowed: " + ", ".join(policy_fields) if policy_fields else _unknown_key_hint(root, loc)
        message = f"unknown key '{loc[-1]}'" + (f" ({hint})" if hint else "")
        field = format_loc(loc[:-1])
    elif first["type"] == "missing":
        message = "required field is missing"
    else:
        message = first["msg"]
        value = first.get("input")
        if isinstance(value, int | float | str | bool) and len(repr(value)) < 60:
            message += f" (got {value!r})"
    # the branches of one union are one problem
    more = len([e for e in errors if not any(_is_union_tag(p) for p in e["loc"])])
    more += any(any(_is_union_tag(p) for p in e["loc"]) for e in errors) - 1
    if more:
        message += f" [+{more} more problem{'s' if more > 1 else ''}]"
    return InputError(source, field, message)


def read_yaml_mapping(path: str | Path, what: str) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping, through the input gate (simulation/core/io.py):
    regular files only, a size limit, duplicate keys refused; every failure is one line."""
    data = load_yaml(path, what)
    if not isinstance(data, dict):
        raise InputError(path, None, f"expected a mapping of {what} fields at the top level")
    for key in data:
        if not isinstance(key, str):
            raise InputError(path, None, f"top-level keys must be text, got {key!r}")
    return data


def parse_scenario(
    data: dict[str, Any], source: str | Path | None = None, registry: Registry | None = None
) -> Scenario:
    """Validate a scenario mapping (schema, then cross-checks against the registry).

    Parameters
    ----------
    data
        The scenario as a mapping (a YAML file's contents).
    source
        The file it came from, named in errors.
    registry
        The registry to check parameter keys and per-actor values against (default: the shipped one).

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    InputError
        One line naming the file, the field and what is allowed.
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise validation_error_to_input_error(err, Scenario, source) from None
    except RecursionError:
        raise InputError(source, None, "nesting too deep") from None
    check_scenario(scenario, registry if registry is not None else default_registry(), source)
    check_focal_and_policy(scenario, source)
    return scenario


def scenario_path(ref: str | Path) -> Path:
    """The file a scenario reference names: an existing path, else the shipped scenario of that
    bare name (``baseline_2018_2021``); see ``alliance-sim scenarios``."""
    return resolve_ref(ref, "scenarios")


def load_scenario(path: str | Path, registry: Registry | None = None) -> Scenario:
    """Load and validate a scenario: a YAML file's path, or the bare name of a shipped scenario.

    Parameters
    ----------
    path
        A path, or a shipped scenario's name (``baseline_2018_2021``; see ``alliance-sim scenarios``).
    registry
        The registry to check against (default: the shipped one).

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    InputError
        A missing or malformed file, or a value outside what is allowed (one line).
    """
    path = scenario_path(path)
    return parse_scenario(read_yaml_mapping(path, "scenario"), path, registry)


def scenario_id(path: str | Path) -> str:
    """The file stem is the scenario's id."""
    return Path(path).stem


def scenario_hash(scenario: Scenario) -> str:
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def scenario_json_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "alliance-sim scenario"
    return schema


# --------------------------------------------------------------------------- overrides

_INDEX = re.compile(r"^\d+$")


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted ``path`` in nested dicts/lists (``parameters.<key>`` keeps dots)."""
    if path.startswith("parameters."):
        data.setdefault("parameters", {})[path[len("parameters.") :]] = value
        return
    parts = path.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not _INDEX.match(part) or int(part) >= len(node):
                raise KeyError(path)
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node:
                    node[part] = {}
                node = node[part]
        else:
            raise KeyError(path)


def apply_overrides(
    scenario: Scenario,
    overrides: dict[str, Any],
    source: str | Path | None = None,
    registry: Registry | None = None,
) -> Scenario:
    """A new, validated scenario with values set at dotted paths (used by sweeps and tests).

    Parameters
    ----------
    scenario
        The scenario to start from (not changed).
    overrides
        Dotted path -> value, e.g. ``{"pressure.targets.China": 0.8, "parameters.status_concern.China": 0.6}``.
    source, registry
        Named in errors; the registry to check against (default: the shipped one).

    Returns
    -------
    Scenario
        The new scenario, validated as a file would be.
    """
    data = copy.deepcopy(scenario.model_dump(mode="python", exclude_none=True))
    for path, value in overrides.items():
        try:
            set_path(data, path, value)
        except KeyError:
            raise InputError(source, path, "no such field in the scenario") from None
    return parse_scenario(data, source, registry)


def _rebuild_scenario() -> None:
    """Scenario files accept every registered event kind: rebuild the schema when the set changes."""
    global Event
    Event = _events.event_union()
    Scenario.model_fields["events"].annotation = list[Event]
    Scenario.model_rebuild(force=True)


_events.on_registry_change(_rebuild_scenario)


def _rebuild_pressure() -> None:
    """Scenario files accept every registered policy rule: rebuild the schema when the set changes."""
    global Policy
    Policy = _policies.policy_union()
    # the field keeps its discriminator; the annotation is the union of the rules (each tagged)
    Pressure.model_fields["policy"].annotation = typing.get_args(Policy)[0]
    Pressure.model_rebuild(force=True)
    Scenario.model_rebuild(force=True)


_policies.on_policy_change(_rebuild_pressure)
