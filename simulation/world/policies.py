"""Policy rules as plug-ins: one class per rule, registered in one place (as event kinds are).

A rule is how a strategic pressurer's pressure on the focal pair responds to the pair's alignment. Each
rule is a pydantic model (its YAML schema under ``pressure.policy``, told apart by ``rule``) that also says

- its compiled reaction (``reaction``): the change of the pressure on each focal member k in a month is
  ``gain * (on_signal * signal + on_aggression * aggression[k])``, ``signal`` the pair's rise since the
  start (``(level[a, b] - initial_level[a, b]) / 5``), with one row of coefficients for the member the rule
  courts (``courted``) and one for the other. ``rules/kernels.py``'s ``apply_policy`` computes this one
  formula for every rule: a new rule needs no kernel edit and no compile of its own, and no rule can be
  mistaken for another (there is no dispatch on a rule's name or number);
- any cross-check pydantic cannot express (``check``), e.g. that the courted member is in the focal pair;
- how it reads in words (``describe``: handouts, explanations).

Adding a rule is one class here (or in a user's module) with ``@register_policy``, plus its test: see
docs/adding-a-policy-rule.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, ClassVar, Literal, NoReturn, Union, get_args

from pydantic import Discriminator, Field, Tag

from simulation.world.fields import ActorName, Fraction, Strict

#: A cross-check's way to refuse: ``fail(field_suffix, message)`` raises a one-line InputError naming the
#: scenario file and ``pressure.policy.<field_suffix>``.
Fail = Callable[[str, str], NoReturn]
#: Coefficients of a reaction: (on_signal, on_aggression) for the courted member, then for the other one.
Reaction = tuple[tuple[float, float], tuple[float, float]]
#: No reaction: the pressure follows the scenario's schedules.
NO_REACTION: Reaction = ((0.0, 0.0), (0.0, 0.0))


class PolicyRule(Strict):
    """Base of every policy rule. Subclasses declare ``rule: Literal["..."]``, ``reaction`` and their fields."""

    gain: Annotated[float, Field(ge=0.0, le=5.0)] | None = Field(
        None, description="Pressure change per unit alignment change of the focal pair (default: registry policy_gain)."
    )
    coordination_follows: Fraction = Field(
        0.0, description="Share of the pressurer's reaction the coordinating actors copy in their coordination."
    )
    #: The compiled reaction's coefficients (see the module's docstring).
    reaction: ClassVar[Reaction] = NO_REACTION

    @property
    def reacts(self) -> bool:
        """Whether pressure responds at all (a rule without reaction leaves the schedules as written)."""
        return self.reaction != NO_REACTION

    def courted(self) -> str | None:
        """The focal member the rule treats apart (first row of ``reaction``), or None when both are alike.

        Returns
        -------
        str or None
            The courted member's name, or None.
        """
        return None

    def check(self, focal_pair: tuple[str, str], fail: Fail) -> None:
        """Cross-checks beyond the fields' own bounds (default: none).

        Parameters
        ----------
        focal_pair
            The scenario's focal pair (a, b).
        fail
            Call ``fail(field_suffix, message)`` to refuse the scenario with one line naming
            ``pressure.policy.<field_suffix>``.
        """

    def describe(self) -> str:
        """The rule in words (handouts, explanations).

        Returns
        -------
        str
            E.g. ``"a wedge: pressure on China rises as Russia and China align, Russia is courted"``.
        """
        raise NotImplementedError

    def response(self, focal_pair: tuple[str, str]) -> list[list[float]]:
        """The reaction's rows for focal members a and b (the courted member gets the first row).

        Parameters
        ----------
        focal_pair
            The scenario's focal pair (a, b).

        Returns
        -------
        list
            ``[[on_signal, on_aggression] for a, [...] for b]``: the rules' ``policy_response``.
        """
        courted = self.courted()
        first, other = self.reaction
        return [list(first if member == courted or courted is None else other) for member in focal_pair]


#: Every registered rule, by its ``rule`` tag, in registration order.
POLICY_RULES: dict[str, type[PolicyRule]] = {}
_listeners: list[Callable[[], None]] = []


def rule_of(cls: type[PolicyRule]) -> str:
    (tag,) = get_args(cls.model_fields["rule"].annotation)
    return tag


def register_policy(cls: type[PolicyRule]) -> type[PolicyRule]:
    """Register a rule (a class decorator). Scenario files accept it from then on.

    Parameters
    ----------
    cls
        A subclass of ``PolicyRule`` declaring ``rule: Literal["<tag>"]`` and its ``reaction``.

    Returns
    -------
    type
        ``cls`` itself (so it works as a decorator).
    """
    POLICY_RULES[rule_of(cls)] = cls
    for listener in _listeners:
        listener()
    return cls


def unregister_policy(cls: type[PolicyRule]) -> None:
    """Remove a rule registered by a user's module (its scenarios then fail validation)."""
    POLICY_RULES.pop(rule_of(cls), None)
    for listener in _listeners:
        listener()


def on_policy_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever the set of rules changes (the scenario schema rebuilds itself)."""
    _listeners.append(listener)


def _tag(value: Any) -> str:
    """A policy's rule: ``schedule`` when a file leaves it out (as before rules were plug-ins)."""
    if isinstance(value, dict):
        return str(value.get("rule", "schedule"))
    return str(getattr(value, "rule", "schedule"))


def policy_union():
    """The union of the registered rules, told apart by ``rule`` (the type of ``pressure.policy``)."""
    members = tuple(Annotated[cls, Tag(rule)] for rule, cls in POLICY_RULES.items())
    member = members[0] if len(members) == 1 else Union[members]  # noqa: UP007 (a union built from a tuple)
    return Annotated[member, Discriminator(_tag)]


def check_policy(policy: PolicyRule, focal_pair: Sequence[str], pressurer: str, fail: Fail) -> None:
    """The checks every rule shares, then the rule's own."""
    if pressurer in focal_pair and policy.reacts:
        fail("rule", "a policy rule needs a pressurer outside the focal pair")
    policy.check((focal_pair[0], focal_pair[1]), fail)


# --------------------------------------------------------------------------- the shipped rules


@register_policy
class Schedule(PolicyRule):
    """Pressure follows the scenario's schedules (no reaction)."""

    rule: Literal["schedule"] = "schedule"
    reaction: ClassVar[Reaction] = NO_REACTION

    def describe(self) -> str:
        return "pressure follows the schedule (no reaction to the focal pair)"


@register_policy
class Containment(PolicyRule):
    """Pressure on both rises as the pair draws closer, and on an aggressor ("neo-containment", 004)."""

    rule: Literal["containment"]
    reaction: ClassVar[Reaction] = ((1.0, 1.0), (1.0, 1.0))

    def describe(self) -> str:
        return "containment: pressure on both rises as they draw closer (and on an aggressor)"


@register_policy
class Engagement(PolicyRule):
    """Pressure on both eases as the pair draws closer (inducements)."""

    rule: Literal["engagement"]
    reaction: ClassVar[Reaction] = ((-1.0, 0.0), (-1.0, 0.0))

    def describe(self) -> str:
        return "engagement: pressure on both eases as they draw closer"


@register_policy
class Wedge(PolicyRule):
    """Pressure eases on ``wedge_target`` and rises on its partner as the pair draws closer (the "reverse
    Nixon" 004 says the US should not expect)."""

    rule: Literal["wedge"]
    wedge_target: ActorName = Field(description="The focal-pair member courted with less pressure.")
    reaction: ClassVar[Reaction] = ((-1.0, 0.0), (1.0, 0.0))

    def courted(self) -> str | None:
        return self.wedge_target

    def check(self, focal_pair: tuple[str, str], fail: Fail) -> None:
        if self.wedge_target not in focal_pair:
            fail("wedge_target", f"the wedge rule needs one of the focal pair ({focal_pair[0]}, {focal_pair[1]})")

    def describe(self) -> str:
        return f"wedge: pressure eases on {self.wedge_target} and rises on its partner as they draw closer"
