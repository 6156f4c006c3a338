"""Resolve a scenario and the registry into the arrays the rules work on.

Derivations (each a documented function of registry entries):
- trade dependence ``trade_share[i, j] = trade_usd_bn[i-j] / total_trade_usd_bn[i]``;
- arms stake ``arms_share[i, j] = arms_export_share[i->j]`` (enters economic stake with
  ``arms_stake_weight``);
- regime affinity ``affinity[i, j] = 1 - |liberal_democracy_index[i] - liberal_democracy_index[j]|``;
- power index ``power[i] = w * gdp[i]/sum(gdp) + (1 - w) * milex[i]/sum(milex)``,
  ``w = power_gdp_weight`` (sums over the scenario's actors);
- pressure indices per target and month: the threat index is the weighted mean of the four
  instruments (``instrument_threat_weight``); the trade index is the mean of sanctions,
  tariffs and technology bans (the instruments that cut trade).
Pairs the registry does not list take ``unlisted_pair_default.<family>``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .registry import Registry, default_registry
from .scenario import (
    ACTOR_FAMILIES,
    BorderCrisis,
    LeaderChange,
    Pandemic,
    Scenario,
)
from .state import MAX_LEVEL

INSTRUMENTS = ("sanctions", "tariffs", "technology_bans", "military_posture")
TRADE_INSTRUMENTS = ("sanctions", "tariffs", "technology_bans")


@dataclass(frozen=True)
class Weights:
    """Behavioural parameters of the rules (scalars, one world)."""

    shared_threat: float
    economic_stake: float
    affinity: float
    rapport: float
    entrapment: float
    exposure: float
    status: float
    mistrust: float
    noise_sd: float
    hysteresis: float
    treaty_consent_steps: int
    pressure_threat_gain: float
    coordination_threat_share: float
    pressure_trade_cut: float
    trade_diversion_share: float
    bloc_threat_gain: float
    arms_stake_weight: float


@dataclass(frozen=True)
class World:
    """Everything a run needs besides its seed: static arrays and per-month drivers."""

    actors: tuple[str, ...]
    steps: int
    start: str
    # per actor [n]
    power: np.ndarray
    status_concern: np.ndarray
    trade_vulnerability: np.ndarray
    total_trade_usd_bn: np.ndarray
    # per pair [n, n]
    trade_usd_bn: np.ndarray
    arms_share: np.ndarray
    threat: np.ndarray
    mistrust: np.ndarray
    affinity: np.ndarray
    rapport: np.ndarray
    initial_level: np.ndarray
    # ladder thresholds [MAX_LEVEL + 1]; thresholds[0] is unused (-inf)
    thresholds: np.ndarray
    # drivers over months
    pressure_threat: np.ndarray  # [T, n] threat index of pressure on each target
    pressure_trade: np.ndarray  # [T, n] trade index of pressure on each target
    coordination: np.ndarray  # [T]
    threat_shock: np.ndarray  # [T, n, n] additive (scheduled border crises)
    rapport_factor: np.ndarray  # [T, n, n] multiplicative (pandemics, leader changes)
    # random events
    random_pairs: np.ndarray  # [E, 2] actor indices
    random_probability: np.ndarray  # [E]
    random_duration: np.ndarray  # [E] int
    random_shock: np.ndarray  # [E] threat rise while active
    # who pressures, who coordinates (-1: nobody)
    pressurer: int
    coordinator: int
    weights: Weights

    @property
    def n(self) -> int:
        return len(self.actors)

    def index(self, name: str) -> int:
        return self.actors.index(name)


def _pair_value(reg: Registry, family: str, a: str, b: str, directed: bool) -> float:
    default = reg.value(f"unlisted_pair_default.{family}")
    if directed:
        return reg.get(f"{family}.{a}->{b}", default)
    for key in (f"{family}.{a}-{b}", f"{family}.{b}-{a}"):
        if key in reg:
            return reg.value(key)
    return default


def _scalar_overrides(scenario: Scenario, registry: Registry) -> Registry:
    known = {k: v for k, v in scenario.parameters.items() if k in registry}
    return registry.with_values(known) if known else registry


def _lookup(scenario: Scenario, reg: Registry, key: str, default: float | None = None) -> float:
    if key in scenario.parameters:
        return scenario.parameters[key]
    if default is None:
        return reg.value(key)
    return reg.get(key, default)


def _schedule(segments, steps: int, value_of) -> np.ndarray:
    """Piecewise-constant schedule: each segment holds from its from_step to the next one."""
    out = np.zeros(steps)
    for k, seg in enumerate(segments):
        end = segments[k + 1].from_step if k + 1 < len(segments) else steps
        if seg.from_step < steps:
            out[seg.from_step : min(end, steps)] = value_of(seg)
    return out


def build_world(scenario: Scenario, registry: Registry | None = None) -> World:
    """Resolve ``scenario`` against ``registry`` (default: the shipped registry)."""
    base = registry if registry is not None else default_registry()
    reg = _scalar_overrides(scenario, base)
    actors = tuple(scenario.actors)
    n = len(actors)
    T = scenario.steps

    def actor_vec(family: str) -> np.ndarray:
        return np.array([_lookup(scenario, reg, f"{family}.{a}") for a in actors], dtype=float)

    gdp = actor_vec("gdp_usd_bn")
    milex = actor_vec("military_spending_usd_bn")
    w_gdp = reg.value("power_gdp_weight")
    power = w_gdp * gdp / gdp.sum() + (1.0 - w_gdp) * milex / milex.sum()
    ldi = actor_vec("liberal_democracy_index")
    assert set(ACTOR_FAMILIES) >= {"gdp_usd_bn", "status_concern"}

    def pair_matrix(family: str, directed: bool) -> np.ndarray:
        m = np.zeros((n, n))
        for i, a in enumerate(actors):
            for j, b in enumerate(actors):
                if i == j:
                    continue
                key_d = f"{family}.{a}->{b}"
                keys = [key_d] if directed else [f"{family}.{a}-{b}", f"{family}.{b}-{a}"]
                override = next((scenario.parameters[k] for k in keys if k in scenario.parameters), None)
                m[i, j] = override if override is not None else _pair_value(reg, family, a, b, directed)
        return m

    level0 = pair_matrix("initial_level", directed=False)
    if np.any(level0 != np.round(level0)):
        raise ValueError("initial_level values must be whole ladder levels")

    thresholds = np.array(
        [
            -np.inf,
            reg.value("threshold.normal"),
            reg.value("threshold.partnership"),
            reg.value("threshold.strategic_partnership"),
            reg.value("threshold.entente"),
            reg.value("threshold.formal_alliance"),
        ]
    )
    assert len(thresholds) == MAX_LEVEL + 1

    # ---- pressure drivers
    inst_w = np.array([reg.value(f"instrument_threat_weight.{k}") for k in INSTRUMENTS])
    # all weights zero: fall back to equal weights (the registry's own assumption)
    inst_w = inst_w / inst_w.sum() if inst_w.sum() > 0 else np.full(len(INSTRUMENTS), 1 / len(INSTRUMENTS))
    pressure_threat = np.zeros((T, n))
    pressure_trade = np.zeros((T, n))
    for target, segments in scenario.pressure.targets.items():
        k = actors.index(target)
        pressure_threat[:, k] = _schedule(
            segments, T, lambda s: float(np.dot(inst_w, [getattr(s, x) for x in INSTRUMENTS]))
        )
        pressure_trade[:, k] = _schedule(
            segments, T, lambda s: float(np.mean([getattr(s, x) for x in TRADE_INSTRUMENTS]))
        )
    coordination = _schedule(scenario.pressure.coordination, T, lambda s: s.level)

    # ---- scheduled events
    threat_shock = np.zeros((T, n, n))
    rapport_factor = np.ones((T, n, n))
    crisis_threat = reg.value("border_crisis_threat")
    for event in scenario.events:
        if isinstance(event, BorderCrisis):
            a, b = actors.index(event.between[0]), actors.index(event.between[1])
            sl = slice(event.from_step, min(event.from_step + event.duration_steps, T))
            threat_shock[sl, a, b] += crisis_threat * event.intensity
            threat_shock[sl, b, a] += crisis_threat * event.intensity
        elif isinstance(event, Pandemic):
            cut = (
                reg.value("pandemic_summit_reduction")
                if event.summit_reduction is None
                else event.summit_reduction
            )
            sl = slice(event.from_step, min(event.from_step + event.duration_steps, T))
            rapport_factor[sl] *= 1.0 - cut
        elif isinstance(event, LeaderChange):
            a = actors.index(event.actor)
            rapport_factor[event.at_step :, a, :] *= event.rapport_multiplier
            rapport_factor[event.at_step :, :, a] *= event.rapport_multiplier

    E = len(scenario.random_events)
    random_pairs = np.zeros((E, 2), dtype=np.int64)
    random_probability = np.zeros(E)
    random_duration = np.zeros(E, dtype=np.int64)
    random_shock = np.zeros(E)
    for e, ev in enumerate(scenario.random_events):
        random_pairs[e] = (actors.index(ev.between[0]), actors.index(ev.between[1]))
        random_probability[e] = ev.probability_per_step
        random_duration[e] = ev.duration_steps
        random_shock[e] = crisis_threat * ev.intensity

    weights = Weights(
        shared_threat=reg.value("weight.shared_threat"),
        economic_stake=reg.value("weight.economic_stake"),
        affinity=reg.value("weight.affinity"),
        rapport=reg.value("weight.rapport"),
        entrapment=reg.value("weight.entrapment"),
        exposure=reg.value("weight.exposure"),
        status=reg.value("weight.status"),
        mistrust=reg.value("weight.mistrust"),
        noise_sd=reg.value("decision_noise_sd"),
        hysteresis=reg.value("hysteresis"),
        treaty_consent_steps=int(round(reg.value("treaty_consent_steps"))),
        pressure_threat_gain=reg.value("pressure_threat_gain"),
        coordination_threat_share=reg.value("coordination_threat_share"),
        pressure_trade_cut=reg.value("pressure_trade_cut"),
        trade_diversion_share=reg.value("trade_diversion_share"),
        bloc_threat_gain=reg.value("bloc_threat_gain"),
        arms_stake_weight=reg.value("arms_stake_weight"),
    )
    coord = scenario.pressure.coordinated_by
    return World(
        actors=actors,
        steps=T,
        start=scenario.start,
        power=power,
        status_concern=actor_vec("status_concern"),
        trade_vulnerability=actor_vec("trade_vulnerability"),
        total_trade_usd_bn=actor_vec("total_trade_usd_bn"),
        trade_usd_bn=pair_matrix("trade_usd_bn", directed=False),
        arms_share=pair_matrix("arms_export_share", directed=True),
        threat=pair_matrix("threat", directed=True),
        mistrust=pair_matrix("mistrust", directed=True),
        affinity=1.0 - np.abs(ldi[:, None] - ldi[None, :]) - np.eye(n),
        rapport=pair_matrix("rapport", directed=False),
        initial_level=level0.astype(np.int8),
        thresholds=thresholds,
        pressure_threat=pressure_threat,
        pressure_trade=pressure_trade,
        coordination=coordination,
        threat_shock=threat_shock,
        rapport_factor=rapport_factor,
        random_pairs=random_pairs,
        random_probability=random_probability,
        random_duration=random_duration,
        random_shock=random_shock,
        pressurer=actors.index(scenario.pressure.by),
        coordinator=-1 if coord is None else actors.index(coord),
        weights=weights,
    )


def world_fields() -> list[str]:
    return [f.name for f in fields(World)]
