"""The one parameter container the rules read: ``Params``, with one name per quantity (the registry's).

Everything a run needs besides its seed, as arrays with a leading run axis R (1 when every
run shares it, B when runs differ, as in a sweep or a posterior-predictive batch):

- ``behaviour``: a record array [R] holding every behavioural registry quantity (role
  "model"), each field named after its registry key with "." written "__"
  (``weight.shared_threat`` -> ``weight__shared_threat``). Adding a behavioural parameter
  to the registry adds its field here with no code; the rule that uses it reads it by name.
- data arrays named after their registry families (``threat``, ``trade_usd_bn``, ...) and the
  derived quantities of ``simulation/world/build.py`` (``power``, ``affinity``);
- drivers over months (pressure, coordination per target, events).

``Structure`` holds what is not an array: actor names, roles, focal pair, horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from simulation.core.ladder import AlignmentLevel
from simulation.rules.terms import TERMS


def field_name(key: str) -> str:
    """The record field of a registry key: ``weight.shared_threat`` -> ``weight__shared_threat``."""
    return key.replace(".", "__").replace("-", "_").replace(">", "")


class Params(NamedTuple):
    behaviour: np.ndarray  # record [R]
    # per actor [R, n]
    power: np.ndarray
    status_concern: np.ndarray
    trade_vulnerability: np.ndarray
    total_trade_usd_bn: np.ndarray
    # per pair [R, n, n]
    threat: np.ndarray
    trade_usd_bn: np.ndarray
    arms_export_share: np.ndarray
    affinity: np.ndarray
    rapport: np.ndarray
    mistrust: np.ndarray
    initial_level: np.ndarray  # int8
    # drivers [R, T, ...]
    pressure_threat: np.ndarray  # [R, T, n] threat index of the pressure on each target
    pressure_trade: np.ndarray  # [R, T, n] trade index of the pressure on each target
    coordination: np.ndarray  # [R, T, n, n] [t, c, k]: coordinator c's coordination with the pressure on k
    crisis: np.ndarray  # [R, T, n, n] intensity of scheduled border crises
    rapport_factor: np.ndarray  # [R, T, n, n] summitry (pandemics, leader changes)
    aggression: np.ndarray  # [R, T, n] intensity of ongoing aggression by each actor
    aggression_stake: np.ndarray  # [R, T, n, n] [t, k, a]: k's stake times a's aggression intensity
    coordination_follows: np.ndarray  # [R, n] share of a policy reaction each coordinator copies (0: none)
    policy_response: np.ndarray  # [2, 2] the policy's reaction: (on signal, on aggression) for focal a, focal b
    # random events
    random_pairs: np.ndarray  # [E, 2] int64
    random_cutoff: np.ndarray  # [R, E] normal quantile of the per-month outbreak probability
    random_duration: np.ndarray  # [R, E] int32
    random_intensity: np.ndarray  # [R, E]
    # roles, int64: pressurer, first coordinator (-1 none; every coordinator has a row in ``coordination``),
    # focal a, focal b, whether the policy reacts (0/1),
    # the focal member the policy courts (-1 none)
    roles: np.ndarray


#: The monthly drivers [R, T, ...] of Params, declared once by what the month memo does with them: the
#: pressure schedules pass through ``apply_policy`` and the memo compares their result every month; the
#: scheduled drivers are compared month against month once per run (``kernels.mark_steady_months``). A driver
#: added to Params must be listed here, or ``tests/test_rules.py`` fails (a driver the memo does not see would
#: silently reuse last month's terms).
POLICY_DRIVERS = ("pressure_threat", "pressure_trade", "coordination")
SCHEDULED_DRIVERS = ("crisis", "rapport_factor", "aggression", "aggression_stake")

#: Positions in ``roles``. The policy rules themselves are plug-ins (simulation/world/policies.py): the rules
#: read a rule's reaction as coefficients (``policy_response``), never its name.
ROLE_PRESSURER, ROLE_COORDINATOR, ROLE_FOCAL_A, ROLE_FOCAL_B, ROLE_POLICY, ROLE_COURTED = range(6)


@dataclass(frozen=True)
class Structure:
    """What a batch shares that is not an array: names, horizon, calendar."""

    actors: tuple[str, ...]
    steps: int
    start: str
    focal_pair: tuple[str, str]
    pressurer: str
    coordinator: str | None

    @property
    def n(self) -> int:
        return len(self.actors)

    def index(self, actor: str) -> int:
        return self.actors.index(actor)

    @property
    def focal_index(self) -> tuple[int, int]:
        return self.index(self.focal_pair[0]), self.index(self.focal_pair[1])


N_TERMS = len(TERMS)
#: The ladder's top rung (formal alliance) and the rung where the treaty terms start to count: one home,
#: the ladder of simulation/core/ladder.py.
MAX_LEVEL = int(AlignmentLevel.FORMAL_ALLIANCE)
ENTENTE = int(AlignmentLevel.ENTENTE)


class Scratch(NamedTuple):
    """One month of one run, as the rules leave it (for explanations and data collection)."""

    pressure_threat: np.ndarray  # [n]
    pressure_trade: np.ndarray  # [n]
    coordination: np.ndarray  # [n, n] coordinator c's coordination with the pressure on k
    threat: np.ndarray  # [n, n]
    trade: np.ndarray  # [n, n] USD bn
    share: np.ndarray  # [n, n]
    terms: np.ndarray  # [n, n, K]
    desire: np.ndarray  # [n, n]
    treaty_desire: np.ndarray  # [n, n]
    intent: np.ndarray  # [n, n] int8
    cut: np.ndarray  # [n, n] share of trade cut by pressure (working array)


def new_scratch(n: int) -> Scratch:
    """Working arrays for one run (plain numpy: nothing to compile)."""
    return Scratch(
        np.zeros(n), np.zeros(n), np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n)),
        np.zeros((n, n, N_TERMS)), np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n), dtype=np.int8),
        np.zeros((n, n)),
    )  # fmt: skip


class Memo(NamedTuple):
    """What last month's threat, trade and terms were computed from, so that an unchanged month reuses them.

    A month whose inputs (levels, active random events, pressure and coordination after the
    policy, and the month's crisis, summitry and aggression drivers) equal those of the month
    the terms were computed in gets the same threat, trade and terms: recomputing them would
    give the same numbers, bit for bit. The batch engine keeps one per run; the Mesa model
    recomputes every month, and the parity test compares the two.
    """

    level: np.ndarray  # [n, n] int8
    active: np.ndarray  # [E] bool: random events under way
    pressure_threat: np.ndarray  # [n]
    pressure_trade: np.ndarray  # [n]
    coordination: np.ndarray  # [n, n]
    valid: np.ndarray  # [1] bool: False at the start of a run (nothing to reuse)
    steady: np.ndarray  # [T] bool: month t's scheduled drivers equal month t - 1's (kernels.mark_steady_months)


def new_memo(n: int, events: int, steps: int) -> Memo:
    """An empty memo (nothing to reuse) for runs of ``steps`` months."""
    return Memo(np.zeros((n, n), dtype=np.int8), np.zeros(events, dtype=np.bool_), np.zeros(n), np.zeros(n),
                np.zeros((n, n)), np.zeros(1, dtype=np.bool_), np.zeros(steps, dtype=np.bool_))  # fmt: skip


class Work(NamedTuple):
    """Every working array of one run of the batch loop, allocated once per block of runs (the loop
    itself allocates nothing)."""

    s: Scratch
    memo: Memo
    level: np.ndarray  # [n, n] int8
    streak: np.ndarray  # [n, n] int16: months both sides have wanted a treaty
    timer: np.ndarray  # [E] int32: months left of each random event
    anchor: np.ndarray  # [n, n]
    th: np.ndarray  # [6] the ladder's bars
    weights: np.ndarray  # [K] signed term weights
    z: np.ndarray  # [width] the month's standard normals
    mask: np.ndarray  # [n, n] bool: no player overrides in a batch
    chosen: np.ndarray  # [n, n] int8
    zero: np.ndarray  # [n, n] zeros (the anchor's own desire has no anchor)
    quiet: np.ndarray  # [n * (n - 1)] zeros (nor noise)


def new_work(n: int, events: int, width: int, steps: int) -> Work:
    """Working arrays for a block of runs of n actors, ``events`` random events, ``width`` normals a month
    and ``steps`` months (one per thread of the batch engine: the compiled loop allocates nothing)."""
    return Work(new_scratch(n), new_memo(n, events, steps), np.zeros((n, n), dtype=np.int8),
                np.zeros((n, n), dtype=np.int16), np.zeros(events, dtype=np.int32), np.zeros((n, n)),
                np.zeros(MAX_LEVEL + 1), np.zeros(N_TERMS), np.zeros(width), np.zeros((n, n), dtype=np.bool_),
                np.zeros((n, n), dtype=np.int8), np.zeros((n, n)), np.zeros(n * (n - 1)))  # fmt: skip
