"""Scheduled events as plug-ins: one class per kind, registered in one place.

A kind is a pydantic model (its YAML schema: fields, bounds, descriptions) that also says

- which actors it names (``actor_fields``), checked against the scenario's actors, and any other
  cross-check (``check``);
- how it becomes driver arrays (``apply``: it writes into :class:`EventDrivers`, the arrays the
  rules read month by month);
- how it reads in words (``describe``: handouts, the dashboard's switches, explanations).

Validation, building and handouts loop over ``scenario.events`` and call these methods; nothing
else in the package names a kind. Adding a kind is one class here (or in a user's module) with
``@register_event``, plus its test: see docs/adding-an-event-kind.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal, NoReturn, Union, get_args

import numpy as np
from pydantic import Field

from simulation.world.fields import ActorName, Fraction, Step, Strict

#: A cross-check's way to refuse: ``fail(field_suffix, message)`` raises a one-line InputError
#: naming the scenario file and ``events[i].<field_suffix>``.
Fail = Callable[[str, str], NoReturn]


@dataclass
class EventDrivers:
    """The arrays scheduled events write into (T months, n actors), and what they may read."""

    actors: tuple[str, ...]
    steps: int
    value: Callable[[str], float]  # a resolved registry value by key
    has: Callable[[str], bool]  # whether the resolved registry has that key
    crisis: np.ndarray  # [T, n, n] intensity of a border crisis between i and j
    rapport_factor: np.ndarray  # [T, n, n] factor on leader rapport
    aggression: np.ndarray  # [T, n] intensity of i's aggression against a third party
    aggression_stake: np.ndarray  # [T, n, n] k's stake in the order j's aggression breaks, times intensity

    @classmethod
    def empty(cls, actors: Sequence[str], steps: int, value, has) -> EventDrivers:
        n = len(actors)
        return cls(
            actors=tuple(actors),
            steps=steps,
            value=value,
            has=has,
            crisis=np.zeros((steps, n, n)),
            rapport_factor=np.ones((steps, n, n)),
            aggression=np.zeros((steps, n)),
            aggression_stake=np.zeros((steps, n, n)),
        )

    def index(self, actor: str) -> int:
        return self.actors.index(actor)

    def months(self, start: int, duration: int | None = None) -> slice:
        """Months ``start`` to ``start + duration`` (or to the end), clipped to the horizon."""
        end = self.steps if duration is None else min(start + duration, self.steps)
        return slice(start, end)


class EventKind(Strict):
    """Base of every scheduled event kind. Subclasses declare ``kind: Literal["..."]`` and their fields."""

    #: Fields holding actor names (a name, or a tuple/dict of names), checked against the scenario's actors.
    actor_fields: ClassVar[tuple[str, ...]] = ()

    @property
    def start_step(self) -> int:
        """The month the event starts (checked against the horizon)."""
        return self.from_step  # type: ignore[attr-defined]

    def named_actors(self) -> list[tuple[str, str]]:
        """(field, actor name) of every actor the event names."""
        out = []
        for name in self.actor_fields:
            value = getattr(self, name)
            if isinstance(value, str):
                out.append((name, value))
            elif isinstance(value, dict):
                out += [(f"{name}.{k}", k) for k in value]
            else:
                out += [(name, v) for v in value]
        return out

    def check(self, actors: Sequence[str], fail: Fail) -> None:
        """Cross-checks beyond actor names and the horizon (default: none)."""

    def apply(self, d: EventDrivers) -> None:
        """Write this event into the driver arrays."""
        raise NotImplementedError

    def describe(self) -> str:
        """The event in words, without its note (handouts, the dashboard, explanations)."""
        raise NotImplementedError

    def label(self) -> str:
        """A short label (the dashboard's switch): the kind and the actors it names."""
        names = [actor for _, actor in self.named_actors()]
        return " ".join([self.kind.replace("_", " "), "-".join(names)]).strip()  # type: ignore[attr-defined]

    def in_words(self) -> str:
        note = getattr(self, "note", None)
        return f"{self.describe()}{(': ' + note) if note else ''}"


#: Every registered kind, by its ``kind`` tag, in registration order.
EVENT_KINDS: dict[str, type[EventKind]] = {}
_listeners: list[Callable[[], None]] = []


def kind_of(cls: type[EventKind]) -> str:
    (tag,) = get_args(cls.model_fields["kind"].annotation)
    return tag


def register_event(cls: type[EventKind]) -> type[EventKind]:
    """Register a kind (a class decorator). Scenario files accept it from then on."""
    EVENT_KINDS[kind_of(cls)] = cls
    for listener in _listeners:
        listener()
    return cls


def unregister_event(cls: type[EventKind]) -> None:
    """Remove a kind registered by a user's module (its scenarios then fail validation)."""
    EVENT_KINDS.pop(kind_of(cls), None)
    for listener in _listeners:
        listener()


def on_registry_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever the set of kinds changes (the scenario schema rebuilds itself)."""
    _listeners.append(listener)


def event_union():
    """The discriminated union of the registered kinds (the type of a scenario's ``events`` items)."""
    kinds = tuple(EVENT_KINDS.values())
    member = kinds[0] if len(kinds) == 1 else Union[kinds]  # noqa: UP007 (a union built from a tuple)
    return Annotated[member, Field(discriminator="kind")]


# --------------------------------------------------------------------------- the shipped kinds

Duration = Annotated[int, Field(ge=1, le=10_000)]
Intensity = Annotated[float, Field(ge=0.0, le=3.0)]


@register_event
class BorderCrisis(EventKind):
    """A border crisis: both sides' threat perception of each other rises for a while."""

    kind: Literal["border_crisis"]
    between: tuple[ActorName, ActorName] = Field(description="The two actors in the crisis.")
    from_step: Step = Field(description="Month the crisis starts.")
    duration_steps: Duration = Field(description="How many months it lasts.")
    intensity: Intensity = Field(
        1.0, description="Multiplier of the registry's border_crisis_threat (1 = a deadly clash)."
    )
    note: str | None = Field(None, description="What the event stands for.")
    actor_fields: ClassVar[tuple[str, ...]] = ("between",)

    def check(self, actors: Sequence[str], fail: Fail) -> None:
        if self.between[0] == self.between[1]:
            fail("between", "a crisis needs two different actors")

    def apply(self, d: EventDrivers) -> None:
        a, b = d.index(self.between[0]), d.index(self.between[1])
        months = d.months(self.from_step, self.duration_steps)
        d.crisis[months, a, b] += self.intensity
        d.crisis[months, b, a] += self.intensity

    def describe(self) -> str:
        return (
            f"{self.between[0]}-{self.between[1]} border crisis for {self.duration_steps} months "
            f"(intensity {self.intensity:g})"
        )


@register_event
class Pandemic(EventKind):
    """A pandemic that halts summitry: leader rapport counts for less while it lasts."""

    kind: Literal["pandemic"]
    from_step: Step = Field(description="Month summits stop.")
    duration_steps: Duration = Field(description="How many months.")
    summit_reduction: Fraction | None = Field(
        None, description="Share of rapport lost (default: registry pandemic_summit_reduction)."
    )
    note: str | None = None

    def apply(self, d: EventDrivers) -> None:
        cut = d.value("pandemic_summit_reduction") if self.summit_reduction is None else self.summit_reduction
        d.rapport_factor[d.months(self.from_step, self.duration_steps)] *= 1.0 - cut

    def describe(self) -> str:
        return f"pandemic halts summits for {self.duration_steps} months"


@register_event
class LeaderChange(EventKind):
    """A new leader: that actor's personal rapport with everyone is rescaled from then on."""

    kind: Literal["leader_change"]
    actor: ActorName = Field(description="Actor whose leader changes.")
    at_step: Step = Field(description="Month of the change.")
    rapport_multiplier: Intensity = Field(
        0.5, description="Factor on the actor's rapport with every partner (0.5 halves it)."
    )
    note: str | None = None
    actor_fields: ClassVar[tuple[str, ...]] = ("actor",)

    @property
    def start_step(self) -> int:
        return self.at_step

    def apply(self, d: EventDrivers) -> None:
        a = d.index(self.actor)
        d.rapport_factor[self.at_step :, a, :] *= self.rapport_multiplier
        d.rapport_factor[self.at_step :, :, a] *= self.rapport_multiplier

    def describe(self) -> str:
        return f"new leader in {self.actor}"


@register_event
class Aggression(EventKind):
    """A war or annexation by an actor against a third party (which need not be an actor of the model).

    Others' threat perception of the aggressor rises while it lasts, most for those with a stake in
    the order it breaks (registry ``order_stake``, or ``stake`` here), and underwriting the
    aggressor in a treaty becomes costlier for its partners (004: Beijing "sees Russian
    brinkmanship in the region as an unnecessary obstacle").
    """

    kind: Literal["aggression"]
    by: ActorName = Field(description="The aggressor.")
    against: Annotated[str, Field(min_length=1, max_length=60)] = Field(
        description="The victim (any name: Georgia, Ukraine, ...)."
    )
    from_step: Step = Field(description="Month the aggression starts.")
    duration_steps: Duration = Field(description="How many months it lasts.")
    intensity: Intensity = Field(1.0, description="1 = an annexation or short war; scales the threat rise.")
    stake: dict[ActorName, Fraction] = Field(
        default_factory=dict, description="Per-actor stake in the broken order for this event (default: registry)."
    )
    note: str | None = None
    actor_fields: ClassVar[tuple[str, ...]] = ("by", "stake")

    def check(self, actors: Sequence[str], fail: Fail) -> None:
        if self.against == self.by:
            fail("against", f"an actor cannot be the victim of its own aggression ({self.by})")

    def order_stake(self, d: EventDrivers, actor: str) -> float:
        """An actor's stake in the order this aggression breaks: the event's own figure, else the
        registry's ``order_stake``; an actor the registry does not list (one a user adds) has none
        unless the scenario gives it."""
        if actor in self.stake:
            return self.stake[actor]
        key = f"order_stake.{actor}"
        return d.value(key) if d.has(key) else 0.0

    def apply(self, d: EventDrivers) -> None:
        a = d.index(self.by)
        months = d.months(self.from_step, self.duration_steps)
        d.aggression[months, a] += self.intensity
        # what the aggression took stands after the fighting: a share of the threat it raised outlasts it
        after = d.months(months.stop)
        lasting = d.value("aggression_lasting_share")
        for k, other in enumerate(d.actors):
            if k != a:
                stake = self.intensity * self.order_stake(d, other)
                d.aggression_stake[months, k, a] += stake
                d.aggression_stake[after, k, a] += lasting * stake

    def describe(self) -> str:
        return (
            f"{self.by}'s war or annexation against {self.against} for {self.duration_steps} months "
            f"(intensity {self.intensity:g})"
        )
