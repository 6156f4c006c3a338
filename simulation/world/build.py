"""Build the rules' ``Params`` from a resolved scenario (the only place arrays are made).

Derivations (each a documented function of registry entries):
- trade dependence ``share[i, j] = trade_usd_bn[i-j] / total_trade_usd_bn[i]`` (in the rules);
- regime affinity ``affinity[i, j] = 1 - |liberal_democracy_index[i] - liberal_democracy_index[j]|``;
- power index ``power[i] = w * gdp[i] / sum(gdp) + (1 - w) * milex[i] / sum(milex)``,
  ``w = power_gdp_weight`` (sums over the scenario's actors);
- pressure indices per target and month: the threat index is the weighted mean of the four
  instruments (``instrument_threat_weight``), the trade index the mean of sanctions, tariffs
  and technology bans (the instruments that cut trade).
Pairs no one lists take ``unlisted_pair_default.<family>``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from simulation.rules.params import POLICY_RULES, Params, Structure, field_name
from simulation.world.events import EventDrivers
from simulation.world.registry import Registry
from simulation.world.resolve import Resolved

INSTRUMENTS = ("sanctions", "tariffs", "technology_bans", "military_posture")
TRADE_INSTRUMENTS = ("sanctions", "tariffs", "technology_bans")
#: Behavioural families used while building arrays, not by the rules at run time.
BUILD_TIME_FAMILIES = (
    "unlisted_pair_default",
    "instrument_threat_weight",
    "pandemic_summit_reduction",
    "power_gdp_weight",
)


def behaviour_keys(registry: Registry) -> list[str]:
    """Registry keys of the behaviour record: every role-"model" quantity the rules read."""
    return [p.key for p in registry if p.role == "model" and p.family not in BUILD_TIME_FAMILIES]


def behaviour_dtype(registry: Registry) -> np.dtype:
    return np.dtype([(field_name(k), np.float64) for k in behaviour_keys(registry)])


def behaviour_record(resolved: Resolved) -> np.ndarray:
    """The behaviour record [1] of a resolved scenario."""
    keys = behaviour_keys(resolved.registry)
    rec = np.zeros(1, dtype=behaviour_dtype(resolved.registry))
    for key in keys:
        rec[field_name(key)] = resolved.value(key)
    return rec


def _schedule(segments, steps: int, value_of) -> np.ndarray:
    """Piecewise-constant schedule: each segment holds from its from_step to the next one."""
    out = np.zeros(steps)
    for k, seg in enumerate(segments):
        end = segments[k + 1].from_step if k + 1 < len(segments) else steps
        if seg.from_step < steps:
            out[seg.from_step : min(end, steps)] = value_of(seg)
    return out


def structure(resolved: Resolved) -> Structure:
    sc = resolved.scenario
    return Structure(
        actors=resolved.actors,
        steps=sc.steps,
        start=sc.start,
        focal_pair=resolved.focal_pair,
        pressurer=sc.pressure.by,
        coordinator=sc.pressure.coordinated_by,
    )


def build_params(resolved: Resolved) -> Params:
    """The rules' arrays for one resolved scenario (leading run axis 1)."""
    sc = resolved.scenario
    actors = resolved.actors
    n, T = resolved.n, sc.steps
    value = resolved.value

    def actor_vec(family: str) -> np.ndarray:
        return np.array([value(f"{family}.{a}") for a in actors], dtype=float)

    def pair_matrix(family: str, directed: bool) -> np.ndarray:
        m = np.zeros((n, n))
        for i, a in enumerate(actors):
            for j, b in enumerate(actors):
                if i != j:
                    m[i, j] = resolved.pair_value(family, a, b, directed)
        return m

    gdp = actor_vec("gdp_usd_bn")
    milex = actor_vec("military_spending_usd_bn")
    w_gdp = value("power_gdp_weight")
    power = w_gdp * gdp / gdp.sum() + (1.0 - w_gdp) * milex / milex.sum()
    ldi = actor_vec("liberal_democracy_index")
    level0 = pair_matrix("initial_level", directed=False)
    if np.any(level0 != np.round(level0)):
        raise ValueError("initial_level values must be whole ladder levels")

    # ---- pressure and coordination
    inst_w = np.array([value(f"instrument_threat_weight.{k}") for k in INSTRUMENTS])
    # all weights zero: equal weights (the registry's own assumption)
    inst_w = inst_w / inst_w.sum() if inst_w.sum() > 0 else np.full(len(INSTRUMENTS), 1 / len(INSTRUMENTS))
    pressure_threat = np.zeros((T, n))
    pressure_trade = np.zeros((T, n))
    for target, segments in sc.pressure.targets.items():
        k = actors.index(target)
        pressure_threat[:, k] = _schedule(
            segments, T, lambda s: float(np.dot(inst_w, [getattr(s, x) for x in INSTRUMENTS]))
        )
        pressure_trade[:, k] = _schedule(
            segments, T, lambda s: float(np.mean([getattr(s, x) for x in TRADE_INSTRUMENTS]))
        )
    coordination = np.zeros((T, n))
    for k, target in enumerate(actors):
        coordination[:, k] = _schedule(sc.pressure.coordination_for(target), T, lambda s: s.level)

    # ---- scheduled events
    drivers = EventDrivers.empty(actors, T, value, resolved.__contains__)
    for event in sc.events:
        event.apply(drivers)
    crisis, rapport_factor = drivers.crisis, drivers.rapport_factor
    aggression, aggression_stake = drivers.aggression, drivers.aggression_stake

    E = len(sc.random_events)
    random_pairs = np.zeros((E, 2), dtype=np.int64)
    probability = np.zeros(E)
    duration = np.zeros(E, dtype=np.int32)
    intensity = np.zeros(E)
    for e, ev in enumerate(sc.random_events):
        random_pairs[e] = (actors.index(ev.between[0]), actors.index(ev.between[1]))
        probability[e] = ev.probability_per_step
        duration[e] = ev.duration_steps
        intensity[e] = ev.intensity
    with np.errstate(divide="ignore"):
        cutoff = ndtri(probability)

    policy = sc.pressure.policy
    coord_actor = sc.pressure.coordinated_by
    fa, fb = resolved.focal_index
    roles = np.array(
        [
            actors.index(sc.pressure.by),
            -1 if coord_actor is None else actors.index(coord_actor),
            fa,
            fb,
            POLICY_RULES.index(policy.rule),
            -1 if policy.wedge_target is None else actors.index(policy.wedge_target),
        ],
        dtype=np.int64,
    )
    one = lambda x: np.ascontiguousarray(x)[None]  # noqa: E731  (leading run axis of 1)
    return Params(
        behaviour=behaviour_record(resolved),
        power=one(power),
        status_concern=one(actor_vec("status_concern")),
        trade_vulnerability=one(actor_vec("trade_vulnerability")),
        total_trade_usd_bn=one(actor_vec("total_trade_usd_bn")),
        threat=one(pair_matrix("threat", directed=True)),
        trade_usd_bn=one(pair_matrix("trade_usd_bn", directed=False)),
        arms_export_share=one(pair_matrix("arms_export_share", directed=True)),
        affinity=one(1.0 - np.abs(ldi[:, None] - ldi[None, :]) - np.eye(n)),
        rapport=one(pair_matrix("rapport", directed=False)),
        mistrust=one(pair_matrix("mistrust", directed=True)),
        initial_level=one(level0.astype(np.int8)),
        pressure_threat=one(pressure_threat),
        pressure_trade=one(pressure_trade),
        coordination=one(coordination),
        crisis=one(crisis),
        rapport_factor=one(rapport_factor),
        aggression=one(aggression),
        aggression_stake=one(aggression_stake),
        coordination_follows=np.array([policy.coordination_follows]),
        random_pairs=random_pairs,
        random_cutoff=one(cutoff),
        random_duration=one(duration),
        random_intensity=one(intensity),
        roles=roles,
    )
