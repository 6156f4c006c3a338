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

The data arrays of ``Params`` named after a registry family are built from the family's declared
shape (``registry.yaml``: a per-actor vector [n], a symmetric or directed pair matrix [n, n]); an
integer family's array holds whole numbers (int8: ladder rungs).
"""

from __future__ import annotations

import numpy as np

from simulation.rules.params import Params, Structure, field_name
from simulation.world.events import EventDrivers
from simulation.world.registry import Registry
from simulation.world.resolve import Resolved

INSTRUMENTS = ("sanctions", "tariffs", "technology_bans", "military_posture")
TRADE_INSTRUMENTS = ("sanctions", "tariffs", "technology_bans")


def behaviour_keys(registry: Registry) -> list[str]:
    """Registry keys of the behaviour record: every role-"model" quantity the rules read (families declared
    ``read_at: build`` are used while building arrays, not by the rules)."""
    return [p.key for p in registry if p.role == "model" and p.read_at == "run"]


def family_arrays(resolved: Resolved) -> dict[str, np.ndarray]:
    """One array per ``Params`` field named after a per-actor or pair family, built from its declared shape.

    Parameters
    ----------
    resolved
        The scenario resolved over the registry (values, with the scenario's overrides).

    Returns
    -------
    dict
        Field name -> array without the run axis: [n] per actor, [n, n] per pair (zero diagonal).
    """
    shapes = resolved.registry.shapes()
    out: dict[str, np.ndarray] = {}
    for name in Params._fields:
        shape = shapes.get(name)
        if shape == "actor":
            out[name] = actor_vector(resolved, name)
        elif shape in ("pair", "directed_pair"):
            out[name] = pair_matrix(resolved, name, directed=shape == "directed_pair")
        else:
            continue
        if resolved.registry.first(name).kind == "integer":
            if np.any(out[name] != np.round(out[name])):
                raise ValueError(f"{name} values must be whole numbers")
            out[name] = out[name].astype(np.int8)
    return out


def actor_vector(resolved: Resolved, family: str) -> np.ndarray:
    """A per-actor family over the scenario's actors [n] (an unlisted actor takes the family's ``unlisted``)."""
    first = resolved.registry.first(family)

    def value(actor: str) -> float:
        key = f"{family}.{actor}"
        return resolved.value(key) if key in resolved or first.unlisted is None else first.unlisted

    return np.array([value(a) for a in resolved.actors], dtype=float)


def pair_matrix(resolved: Resolved, family: str, directed: bool) -> np.ndarray:
    """A pair family over the scenario's actors [n, n], zero on the diagonal."""
    actors = resolved.actors
    m = np.zeros((resolved.n, resolved.n))
    for i, a in enumerate(actors):
        for j, b in enumerate(actors):
            if i != j:
                m[i, j] = resolved.pair_value(family, a, b, directed)
    return m


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
        coordinator=next((c.by for _, c in sc.pressure.all_coordinators()), None),
    )


def build_params(resolved: Resolved) -> Params:
    """The rules' arrays for one resolved scenario (leading run axis 1).

    Parameters
    ----------
    resolved
        The scenario resolved over the registry.

    Returns
    -------
    Params
        Every array the rules read, each with a leading run axis of 1.
    """
    sc = resolved.scenario
    actors = resolved.actors
    n = resolved.n
    value = resolved.value
    gdp = actor_vector(resolved, "gdp_usd_bn")
    milex = actor_vector(resolved, "military_spending_usd_bn")
    w_gdp = value("power_gdp_weight")
    power = w_gdp * gdp / gdp.sum() + (1.0 - w_gdp) * milex / milex.sum()
    ldi = actor_vector(resolved, "liberal_democracy_index")
    pressure_threat, pressure_trade, coordination = pressure_drivers(resolved)
    drivers = EventDrivers.empty(actors, sc.steps, value, resolved.__contains__)
    for event in sc.events:
        event.apply(drivers)
    random_pairs, cutoff, duration, intensity = random_event_arrays(resolved)
    policy = sc.pressure.policy
    one = lambda x: np.ascontiguousarray(x)[None]  # noqa: E731  (leading run axis of 1)
    return Params(
        behaviour=behaviour_record(resolved),
        power=one(power),
        affinity=one(1.0 - np.abs(ldi[:, None] - ldi[None, :]) - np.eye(n)),
        **{name: one(array) for name, array in family_arrays(resolved).items()},
        pressure_threat=one(pressure_threat),
        pressure_trade=one(pressure_trade),
        coordination=one(coordination),
        crisis=one(drivers.crisis),
        rapport_factor=one(drivers.rapport_factor),
        aggression=one(drivers.aggression),
        aggression_stake=one(drivers.aggression_stake),
        coordination_follows=one(coordination_follows(resolved)),
        policy_response=np.array(policy.response(resolved.focal_pair), dtype=float),
        random_pairs=random_pairs,
        random_cutoff=one(cutoff),
        random_duration=one(duration),
        random_intensity=one(intensity),
        roles=roles(resolved),
    )


def pressure_drivers(resolved: Resolved) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scheduled pressure (threat and trade indices) per month and target [T, n], and each coordinator's
    coordination with it [T, c, k] (zero rows for actors that do not coordinate)."""
    sc = resolved.scenario
    actors, T, n = resolved.actors, sc.steps, resolved.n
    inst_w = np.array([resolved.value(f"instrument_threat_weight.{k}") for k in INSTRUMENTS])
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
    coordination = np.zeros((T, n, n))
    for _, coordinator in sc.pressure.all_coordinators():
        c = actors.index(coordinator.by)
        for k, target in enumerate(actors):
            coordination[:, c, k] = _schedule(coordinator.coordination_for(target), T, lambda s: s.level)
    return pressure_threat, pressure_trade, coordination


def coordination_follows(resolved: Resolved) -> np.ndarray:
    """The share of the policy's reaction each actor copies into its coordination [n] (0: not a coordinator)."""
    out = np.zeros(resolved.n)
    for _, coordinator in resolved.scenario.pressure.all_coordinators():
        out[resolved.index(coordinator.by)] = coordinator.follows
    return out


def random_event_arrays(resolved: Resolved) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Random events: their pairs [E, 2], outbreak cutoffs (normal quantiles), durations and intensities [E]."""
    events = resolved.scenario.random_events
    actors = resolved.actors
    E = len(events)
    random_pairs = np.zeros((E, 2), dtype=np.int64)
    probability = np.zeros(E)
    duration = np.zeros(E, dtype=np.int32)
    intensity = np.zeros(E)
    for e, ev in enumerate(events):
        random_pairs[e] = (actors.index(ev.between[0]), actors.index(ev.between[1]))
        probability[e] = ev.probability_per_step
        duration[e] = ev.duration_steps
        intensity[e] = ev.intensity
    if E:
        # imported here, not at import time: scipy takes a second to import, and few scenarios need it
        from scipy.special import ndtri

        with np.errstate(divide="ignore"):
            cutoff = ndtri(probability)
    else:
        cutoff = np.zeros(0)
    return random_pairs, cutoff, duration, intensity


def roles(resolved: Resolved) -> np.ndarray:
    """The actors' roles, whether the policy reacts and the member it courts, int64 in the order of
    ``params.ROLE_*``."""
    sc = resolved.scenario
    actors = resolved.actors
    policy = sc.pressure.policy
    coordinators = sc.pressure.all_coordinators()
    coord_actor = coordinators[0][1].by if coordinators else None
    fa, fb = resolved.focal_index
    return np.array(
        [
            actors.index(sc.pressure.by),
            -1 if coord_actor is None else actors.index(coord_actor),
            fa,
            fb,
            1 if policy.reacts else 0,
            -1 if policy.courted() is None else actors.index(policy.courted()),
        ],
        dtype=np.int64,
    )
