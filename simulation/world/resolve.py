"""Resolve a scenario over the registry, once, into the object everything downstream reads.

World building, explanations, handouts, the dashboard and the seminar all read a
``Resolved``: the scenario, the registry with the scenario's overrides applied, and the
provenance of every value ("set by the scenario" or the registry's own sources). There is
no other place where a scenario's ``parameters:`` are looked up.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from functools import cached_property

from simulation.core.paths import shipped_scenario
from simulation.world.registry import DocumentSource, Parameter, Registry, default_registry
from simulation.world.scenario import Scenario, check_required_values, load_scenario

#: Provenance of a value the scenario file sets.
SET_BY_SCENARIO = "set by the scenario"


@dataclass(frozen=True)
class Resolved:
    """A scenario resolved over a registry: values, provenance and overrides, in one object."""

    scenario: Scenario
    registry: Registry  # the registry with the scenario's overrides applied
    overrides: dict[str, float] = field(default_factory=dict)  # keys set outside the registry (incl. new ones)
    origin: dict[str, str] = field(default_factory=dict)  # who set each override
    base: Registry | None = None  # the registry before any override
    values: dict[str, float] = field(default_factory=dict)  # overrides from outside the scenario

    @cached_property
    def reference(self) -> Resolved:
        """The resolved reference scenario whose month-0 inputs define the resting point (else self).

        Shipped scenarios name one (the baseline names itself), so a sweep or variant built on a
        scenario keeps the documented world as its resting point: what it changes is a cause.
        """
        name = self.scenario.reference_scenario
        if name is None:
            return self
        ref = _shipped(name)
        if ref.actors != self.scenario.actors:
            raise ValueError(f"reference scenario {name} has other actors than the scenario")
        if ref == self.scenario:  # the scenario is its own reference (the baseline names itself)
            return self
        return resolve(ref, self.base, self.values or None)

    def overlay(self, values: dict[str, float], origin: str) -> Resolved:
        """This resolution with more values laid over it (a run's behavioural values); the scenario is
        not resolved again."""
        values = {k: float(v) for k, v in values.items()}
        known = {k: v for k, v in values.items() if k in self.registry}
        return replace(
            self,
            registry=self.registry.with_values(known) if known else self.registry,
            overrides={**self.overrides, **values},
            origin={**self.origin, **dict.fromkeys(values, origin)},
            values={**self.values, **values},
        )

    @property
    def actors(self) -> tuple[str, ...]:
        return tuple(self.scenario.actors)

    @property
    def n(self) -> int:
        return len(self.scenario.actors)

    @property
    def steps(self) -> int:
        return self.scenario.steps

    @property
    def start(self) -> str:
        return self.scenario.start

    def index(self, actor: str) -> int:
        return self.actors.index(actor)

    @cached_property
    def focal_pair(self) -> tuple[str, str]:
        """The pair whose alliance the outcomes track (Russia-China unless the scenario says otherwise)."""
        a, b = self.scenario.focal_pair
        return a, b

    @property
    def focal_index(self) -> tuple[int, int]:
        return self.index(self.focal_pair[0]), self.index(self.focal_pair[1])

    # ---- values
    def __contains__(self, key: str) -> bool:
        return key in self.overrides or key in self.registry

    def value(self, key: str) -> float:
        if key in self.overrides:
            return self.overrides[key]
        return self.registry.value(key)

    def pair_key(self, family: str, a: str, b: str, directed: bool) -> str | None:
        """The key that holds ``family`` for the pair (a, b), or None (the unlisted-pair default applies)."""
        keys = [f"{family}.{a}->{b}"] if directed else [f"{family}.{a}-{b}", f"{family}.{b}-{a}"]
        return next((k for k in keys if k in self), None)

    def pair_value(self, family: str, a: str, b: str, directed: bool) -> float:
        key = self.pair_key(family, a, b, directed)
        if key is None:
            return self.value(f"unlisted_pair_default.{family}")
        return self.value(key)

    # ---- provenance
    def provenance(self, key: str) -> str:
        """Where a value comes from: the scenario, or the registry's first document quote (else first source)."""
        reg = self.base or self.registry
        p: Parameter | None = reg[key] if key in reg else None  # noqa: SIM401 (Registry.get returns a value)
        documented = None
        if p is not None:
            docs = [s for s in p.sources if isinstance(s, DocumentSource)]
            documented = (docs[0] if docs else p.sources[0]).cite()
        if key in self.overrides:
            who = self.origin.get(key, SET_BY_SCENARIO)
            if who != SET_BY_SCENARIO and p is not None:
                return f"{who}; registry {p.value:g}: {documented}"
            return who
        return documented or ""

    def cite(self, key: str) -> str:
        """'key = value [provenance]', with the value the run uses."""
        return f"{key} = {self.value(key):g} [{self.provenance(key)}]"


@functools.lru_cache(maxsize=64)
def _shipped(name: str) -> Scenario:
    return load_scenario(shipped_scenario(name))


def resolve(
    scenario: Scenario,
    registry: Registry | None = None,
    values: dict[str, float] | None = None,
    values_origin: str = "set by the sweep design",
) -> Resolved:
    """Resolve ``scenario`` over ``registry`` (default: the shipped one).

    Parameters
    ----------
    scenario
        A validated scenario.
    registry
        The registry (default: the shipped one).
    values
        Further overrides by registry key (a sweep point, a posterior draw); they win over the
        scenario's own ``parameters:``.
    values_origin
        How explanations name the origin of ``values``.

    Returns
    -------
    Resolved
        Values, provenance and overrides in one object.

    Notes
    -----
    A scenario checked against another registry is checked again here for the values this one's per-actor
    families need (a one-line ``InputError``, never a ``KeyError`` while building).
    """
    base = registry if registry is not None else default_registry()
    if registry is not None:
        check_required_values(scenario, base, None)
    overrides = {k: float(v) for k, v in scenario.parameters.items()}
    origin = dict.fromkeys(overrides, SET_BY_SCENARIO)
    if scenario.pressure.policy.gain is not None:
        overrides["policy_gain"] = float(scenario.pressure.policy.gain)
        origin["policy_gain"] = "set by the scenario (pressure.policy.gain)"
    if values:
        overrides.update({k: float(v) for k, v in values.items()})
        origin.update(dict.fromkeys(values, values_origin))
    known = {k: v for k, v in overrides.items() if k in base}
    reg = base.with_values(known) if known else base
    return Resolved(
        scenario=scenario, registry=reg, overrides=overrides, origin=origin, base=base, values=dict(values or {})
    )
