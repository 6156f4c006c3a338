"""Levers: a policy as values, as a point of the search's unit cube, and as a scenario.

The search works on one real number in [0, 1] per lever (NSGA-II's simulated binary crossover and
polynomial mutation act on it); a lever decodes it to its value: a range linearly (a whole-number
lever rounded, a continuous one to 4 decimals, which no outcome can tell apart), a list of numbers
or of words by equal slices. Two points that decode to the same values are the same policy, and it
is evaluated once.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import numpy as np

from simulation.core.errors import InputError
from simulation.strategy.spec import SCHEDULE_PARTS, WHOLE_NUMBER_LEVERS, Lever, PolicySearch
from simulation.world.scenario import Scenario, set_path

#: Pressure instruments of a schedule segment (every one set to a lever's level).
INSTRUMENTS = ("sanctions", "tariffs", "technology_bans", "military_posture")

Policy = dict[str, Any]  # lever name -> value (a number or a word)


def is_whole_number(lever: Lever) -> bool:
    return lever.path.rsplit(".", 1)[-1] in WHOLE_NUMBER_LEVERS


def decode_one(lever: Lever, u: float) -> Any:
    """The value of ``lever`` at ``u`` in [0, 1]."""
    u = min(max(float(u), 0.0), 1.0)
    if lever.range is not None:
        value = lever.range.low + u * (lever.range.high - lever.range.low)
        return float(round(value)) if is_whole_number(lever) else round(value, 4)
    items = lever.values if lever.values is not None else lever.choices
    assert items is not None
    return items[min(int(u * len(items)), len(items) - 1)]


def encode_one(lever: Lever, value: Any) -> float:
    """A point of [0, 1] that decodes to ``value`` (the middle of its slice for a list)."""
    if lever.range is not None:
        return (float(value) - lever.range.low) / (lever.range.high - lever.range.low)
    items = list(lever.values if lever.values is not None else lever.choices or [])
    return (items.index(value) + 0.5) / len(items)


#: Levers a policy rule does not read: None under that rule, so that policies differing only there are one.
UNUSED_UNDER = {
    "pressure.policy.wedge_target": ("schedule", "containment", "engagement"),
    "pressure.policy.gain": ("schedule",),
    "pressure.policy.coordination_follows": ("schedule",),
}


def decode(search: PolicySearch, x: np.ndarray) -> Policy:
    """The policy at point ``x`` (levers the chosen rule does not read are None)."""
    levers = search.spec.levers
    policy = {lv.name: decode_one(lv, u) for lv, u in zip(levers, x, strict=True)}
    rule_lever = next((lv for lv in levers if lv.path == "pressure.policy.rule"), None)
    rule = policy[rule_lever.name] if rule_lever is not None else search.base.pressure.policy.rule
    for lv in levers:
        if rule in UNUSED_UNDER.get(lv.path, ()):
            policy[lv.name] = None
    return policy


def policy_key(policy: Policy) -> str:
    """A policy's identity: a hash of its lever values (same values, same key, in any process)."""
    text = json.dumps({k: policy[k] for k in sorted(policy)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _value_at(segments: list[dict[str, Any]], month: int) -> dict[str, float]:
    """Each instrument's level in ``month`` under a schedule (segments sorted by from_step)."""
    current = {k: 0.0 for k in INSTRUMENTS}
    for seg in segments:
        if int(seg.get("from_step", 0)) <= month:
            current = {k: float(seg.get(k, 0.0)) for k in INSTRUMENTS}
    return current


def pressure_schedule(
    segments: list[dict[str, Any]], level: float, start: int, ramp: int, horizon: int
) -> list[dict[str, Any]]:
    """The base schedule until ``start``; from there each instrument moves linearly to ``level``, reached
    ``ramp`` months later (at once when ``ramp`` is 0)."""
    kept = [dict(s) for s in segments if int(s.get("from_step", 0)) < start]
    v0 = _value_at(segments, start)
    if not kept and ramp > 0:  # the ramp starts at month 0: hold the base's month-0 levels there
        kept = [{"from_step": 0, **v0}]
    out = kept
    for m in range(1 if ramp > 0 else 0, ramp + 1):
        month = start + m
        if month >= horizon:
            break
        share = 1.0 if ramp == 0 else m / ramp
        seg: dict[str, Any] = {"from_step": month}
        seg.update({k: round(v0[k] + (level - v0[k]) * share, 6) for k in INSTRUMENTS})
        seg["source"] = "policy search: lever"
        out.append(seg)
    if not out:
        out = [{"from_step": 0, **{k: level for k in INSTRUMENTS}}]
    return out


def scenario_data(search: PolicySearch, policy: Policy, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The scenario mapping of ``policy`` (and of a world's deep-uncertainty values ``extra``)."""
    data = copy.deepcopy(search.base.model_dump(mode="python", exclude_none=True))
    return world_data(search, apply_policy_data(data, search.spec.levers, policy, search.base.steps), extra)


def world_data(search: PolicySearch, data: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A scenario mapping in one world: the deep uncertainty's random events added, its sampled values set."""
    du = search.spec.deep_uncertainty
    if du is not None and du.random_events:
        data["random_events"] = [*data.get("random_events", []), *copy.deepcopy(du.random_events)]
    for path, value in (extra or {}).items():
        set_path(data, path, value)
    return data


def apply_policy_data(data: dict[str, Any], levers: list[Lever], policy: Policy, horizon: int) -> dict[str, Any]:
    """``data`` (a scenario mapping) with the levers set to ``policy``'s values."""
    pressure = data.setdefault("pressure", {})
    schedule: dict[str, dict[str, float]] = {}
    plain: list[tuple[str, Any]] = []
    for lever in levers:
        value = policy[lever.name]
        if value is None:  # not read under the policy's rule
            continue
        parts = lever.path.split(".")
        if len(parts) == 4 and parts[:2] == ["pressure", "targets"] and parts[3] in SCHEDULE_PARTS:
            schedule.setdefault(parts[2], {})[parts[3]] = float(value)
        elif len(parts) == 3 and parts[:2] == ["pressure", "coordination"]:
            coordination = pressure.get("coordination", [{"from_step": 0, "level": 0.0}])
            if not isinstance(coordination, dict):  # one schedule for every target: one per target from here
                targets = set(pressure.get("targets", {})) | set(data.get("focal_pair") or ())
                coordination = {t: copy.deepcopy(coordination) for t in sorted(targets)}
            coordination[parts[2]] = float(value)
            pressure["coordination"] = coordination
        else:
            plain.append((lever.path, value))
    for target, parts_ in schedule.items():
        segments = pressure.setdefault("targets", {}).get(target, [])
        if isinstance(segments, int | float):
            segments = [{"from_step": 0, **{k: float(segments) for k in INSTRUMENTS}}]
        level = parts_.get("level")
        if level is None:
            raise KeyError(f"pressure.targets.{target}.level")
        pressure["targets"][target] = pressure_schedule(
            segments, level, int(parts_.get("start_step", 0)), int(parts_.get("ramp_steps", 0)), horizon
        )
    for path, value in plain:
        set_path(data, path, value)
    policy_rule = pressure.get("policy", {})
    if policy_rule.get("rule", "schedule") != "wedge":
        policy_rule.pop("wedge_target", None)
    return data


def checked_scenario(data: dict[str, Any], source: Any) -> Scenario:
    """``parse_scenario`` without reading the reference scenario's file again: a policy never changes the
    base scenario's ``reference_scenario`` or actors, and the base was checked against it when loaded."""
    from pydantic import ValidationError

    from simulation.world.registry import default_registry
    from simulation.world.scenario import (
        Scenario as ScenarioModel,
    )
    from simulation.world.scenario import (
        check_focal_and_policy,
        check_scenario,
        validation_error_to_input_error,
    )

    try:
        scenario = ScenarioModel.model_validate(data)
    except ValidationError as err:
        raise validation_error_to_input_error(err, ScenarioModel, source) from None
    check_scenario(scenario, default_registry(), source)
    check_focal_and_policy(scenario.model_copy(update={"reference_scenario": None}), source)
    return scenario


def build_scenario(search: PolicySearch, policy: Policy, extra: dict[str, Any] | None = None) -> Scenario:
    return checked_scenario(scenario_data(search, policy, extra), search.source)


def check_levers(search: PolicySearch) -> None:
    """Every lever names a settable path, and every value it can take gives a valid scenario (each lever
    at each of its extremes, the others at their first value); one line naming the lever otherwise."""
    spec, source = search.spec, search.source
    levels = {lv.path.split(".")[2] for lv in spec.levers if _schedule_part(lv) == "level"}
    for k, lever in enumerate(spec.levers):
        part = _schedule_part(lever)
        if lever.path in ("steps", "actors", "focal_pair", "reference_scenario", "start"):
            raise InputError(
                source, f"levers[{k}]", f"{lever.path} is not a lever (it defines the world, not a policy)"
            )
        if part in ("start_step", "ramp_steps") and lever.path.split(".")[2] not in levels:
            target = lever.path.split(".")[2]
            raise InputError(source, f"levers[{k}]", f"needs a lever pressure.targets.{target}.level (where it goes)")
        if lever.choices is not None and lever.path not in ("pressure.policy.rule", "pressure.policy.wedge_target"):
            raise InputError(
                source, f"levers[{k}].choices", "words are for pressure.policy.rule and .wedge_target; give values"
            )
        if is_whole_number(lever) and lever.values is not None and any(v != int(v) for v in lever.values):
            raise InputError(source, f"levers[{k}].values", "a whole-number field (months): give whole numbers")
    first = {lv.name: decode_one(lv, 0.0) for lv in spec.levers}
    for k, lever in enumerate(spec.levers):
        options = (
            [0.0, 1.0]
            if lever.range is not None
            else [encode_one(lever, v) for v in (lever.values or lever.choices or [])]
        )
        for u in options:
            policy = {**first, lever.name: decode_one(lever, u)}
            try:
                build_scenario(search, policy)
            except KeyError as exc:
                raise InputError(source, f"levers[{k}]", f"no such field in the scenario ({exc.args[0]})") from None
            except InputError as err:
                where = err.field or ""
                raise InputError(
                    source, f"levers[{k}]", f"at {policy[lever.name]!r}: {where + ': ' if where else ''}{err.message}"
                ) from None


def _schedule_part(lever: Lever) -> str | None:
    parts = lever.path.split(".")
    if len(parts) == 4 and parts[:2] == ["pressure", "targets"] and parts[3] in SCHEDULE_PARTS:
        return parts[3]
    return None
