"""A run's inputs, prepared once: the one construction path of both drivers.

``prepare_inputs`` resolves the scenario over the registry (once; its reference scenario once, or
not at all when the scenario is its own reference), builds the rules' arrays, and fills in the
behavioural values (registry, posterior median or a posterior draw per run: ``simulation.behaviour``).
The batch engine runs ``RunInputs.params``; the Mesa model is built from the same object
(``AllianceModel.from_inputs``), and its Mesa-style constructor calls this function first. The
runner, calibration, the dashboard, seminars and rooms all go through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation.behaviour import ParameterMode, behaviour_for
from simulation.rules.params import Params, Structure, field_name
from simulation.world.build import behaviour_keys, build_params, structure
from simulation.world.registry import Registry
from simulation.world.resolve import Resolved, resolve
from simulation.world.scenario import Scenario, load_scenario, scenario_defaults


@dataclass(frozen=True)
class RunInputs:
    """Everything a run (or a batch of runs of one scenario) needs, prepared once."""

    resolved: Resolved  # with the behavioural values used, when one set is used (explanations quote them)
    params: Params  # behaviour: one record per run, or one for all
    reference: Params  # the resting point's inputs (the reference scenario's month 0), same behaviour
    structure: Structure
    base_trade: float  # the focal pair's documented trade (the outcomes' trade baseline)
    parameters: str  # which behavioural values, in words


def scenario_from(spec: Scenario | Resolved | str | Path | None) -> Scenario | Resolved:
    """A scenario from what a caller gave: itself, a YAML path or a shipped name (default: the baseline)."""
    if isinstance(spec, Scenario | Resolved):
        return spec
    return load_scenario(scenario_defaults()["scenario"] if spec is None else spec)


def focal_base_trade(resolved: Resolved) -> float:
    a, b = resolved.focal_pair
    return resolved.pair_value("trade_usd_bn", a, b, directed=False) or float("nan")


def with_behaviour(resolved: Resolved, record: np.ndarray, origin: str) -> Resolved:
    """The resolved scenario with the behavioural values a run uses, so explanations quote them (with
    where they come from) rather than the registry's defaults. Not a new resolution: the values are laid
    over the resolved registry, and the reference scenario is kept."""
    values = {}
    for key in behaviour_keys(resolved.registry):
        if key in resolved.overrides:
            continue
        value = float(record[field_name(key)])
        if value != resolved.registry.value(key):
            values[key] = value
    if not values:
        return resolved
    out = resolved.overlay(values, origin)
    ref = resolved.reference  # the same resting point, resolved once (itself, if it was its own)
    out.__dict__["reference"] = out if ref is resolved else ref
    return out


def prepare_inputs(
    scenario: Scenario | Resolved | str | Path | None,
    seeds: Sequence[int] | np.ndarray,
    parameters: ParameterMode | None = None,
    registry: Registry | None = None,
    *,
    behaviour: np.ndarray | None = None,
    behaviour_label: str = "behavioural parameters given to the model",
    draws: np.ndarray | None = None,
) -> RunInputs:
    """Prepare the inputs of runs ``seeds`` of ``scenario``.

    ``parameters``: "posterior" (a draw per run, the default), "point" (the posterior median) or
    "registry"; or give ``behaviour`` (a record array, one row or one per run) and its label.
    ``draws``: with "posterior", the posterior row of each run (default: the one each seed draws).
    """
    spec = scenario_from(scenario)
    resolved = spec if isinstance(spec, Resolved) else resolve(spec, registry)
    params = build_params(resolved)
    seeds = np.asarray(seeds, dtype=np.int64)
    if behaviour is None:
        behaviour, used = behaviour_for(resolved, params, seeds, parameters, draws)
    else:
        used = behaviour_label
    ref = resolved.reference
    own_reference = ref is resolved
    if len(behaviour) == 1:
        resolved = with_behaviour(resolved, behaviour[0], used)
    params = params._replace(behaviour=behaviour)
    reference = params if own_reference else build_params(ref)._replace(behaviour=behaviour)
    return RunInputs(resolved, params, reference, structure(resolved), focal_base_trade(resolved), used)
