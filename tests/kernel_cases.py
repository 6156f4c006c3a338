"""Small hand-built inputs for the compiled rules, shared by the rule, term and property tests.

``make_params`` builds a ``Params`` for n actors with every array zero (or neutral) unless a
case sets it; arrays are given without the leading run axis and get it here, with the dtypes
and layout ``build_params`` uses, so the kernels compile once for both. ``behaviour`` builds the
behaviour record with every field zero unless set, so a case depends only on what it names.
``month`` runs the rules of one month up to the desires, as ``compute_anchor`` does.
"""

from __future__ import annotations

import functools

import numpy as np

from simulation.rules import kernels as K
from simulation.rules.params import Params, Scratch, field_name, new_scratch

_DTYPES = {"initial_level": np.int8, "random_duration": np.int32, "random_pairs": np.int64, "roles": np.int64}
#: Arrays without a leading run axis (shared by every run).
_SHARED = ("random_pairs", "roles", "policy_response")


@functools.cache
def behaviour_dtype() -> np.dtype:
    from simulation.world.build import behaviour_dtype as dtype
    from simulation.world.registry import default_registry

    return dtype(default_registry())


def behaviour(**values: float) -> np.ndarray:
    """A behaviour record [1], every field 0 unless given (by field name or registry key)."""
    rec = np.zeros(1, dtype=behaviour_dtype())
    for name, value in values.items():
        rec[field_name(name)] = value
    return rec


def make_params(n: int, steps: int = 2, **arrays) -> Params:
    """Params for n actors and ``steps`` months: zero data, no pressure, no events, no policy.

    Roles default to: pressurer 0, no coordinator, focal pair (1, 2) (or (0, 1) for n = 2),
    no policy reaction, no courted member.
    """
    focal = (1, 2) if n >= 3 else (0, 1)
    default = {
        "behaviour": behaviour(),
        "power": np.ones(n),
        "status_concern": np.zeros(n),
        "trade_vulnerability": np.zeros(n),
        "total_trade_usd_bn": np.full(n, 100.0),
        "threat": np.zeros((n, n)),
        "trade_usd_bn": np.zeros((n, n)),
        "arms_export_share": np.zeros((n, n)),
        "affinity": np.zeros((n, n)),
        "rapport": np.zeros((n, n)),
        "mistrust": np.zeros((n, n)),
        "initial_level": np.zeros((n, n)),
        "pressure_threat": np.zeros((steps, n)),
        "pressure_trade": np.zeros((steps, n)),
        "coordination": np.zeros((steps, n, n)),
        "crisis": np.zeros((steps, n, n)),
        "rapport_factor": np.ones((steps, n, n)),
        "aggression": np.zeros((steps, n)),
        "aggression_stake": np.zeros((steps, n, n)),
        "coordination_follows": np.zeros(n),
        "policy_response": np.zeros((2, 2)),
        "random_pairs": np.zeros((0, 2)),
        "random_cutoff": np.zeros(0),
        "random_duration": np.zeros(0),
        "random_intensity": np.zeros(0),
        "roles": np.array([0, -1, focal[0], focal[1], 0, -1]),
    }
    unknown = set(arrays) - set(default)
    if unknown:
        raise TypeError(f"unknown Params fields {sorted(unknown)}")
    default.update(arrays)
    out = {}
    for name, value in default.items():
        if name == "behaviour":
            out[name] = value
            continue
        a = np.asarray(value, dtype=_DTYPES.get(name, np.float64))
        out[name] = np.ascontiguousarray(a if name in _SHARED else a[None])
    return Params(**out)


def beh(p: Params, b: int = 0):
    """Run b's behaviour record (a numpy record, as the kernels receive it)."""
    return p.behaviour[b if p.behaviour.shape[0] > 1 else 0]


def noise_index(n: int, i: int, j: int) -> int:
    """Position of the decision noise of ordered pair (i, j) in a month's draws (diagonal skipped)."""
    return i * (n - 1) + (j if j < i else j - 1)


def month(p: Params, t: int = 0, level: np.ndarray | None = None, anchor: np.ndarray | None = None,
          z: np.ndarray | None = None, b: int = 0, all_rungs: bool = False) -> Scratch:  # fmt: skip
    """One month of the rules up to the desires (policy, threat, trade, terms, desire), no events;
    ``z`` the month's standard normals for decision noise (default none)."""
    n = p.initial_level.shape[-1]
    level = p.initial_level[b if p.initial_level.shape[0] > 1 else 0].copy() if level is None else level
    rec = beh(p, b)
    s = new_scratch(n)
    timer = np.zeros(p.random_pairs.shape[0], dtype=np.int32)
    K.apply_policy(p, b, t, level, rec, s.pressure_threat, s.pressure_trade, s.coordination)
    K.perceive_threat(p, b, t, level, timer, rec, s.pressure_threat, s.coordination, s.threat)
    K.divert_trade(p, b, level, rec, s.pressure_trade, s.coordination, s.trade, s.share, s.cut)
    K.weigh_terms(p, b, t, level, rec, s.threat, s.share, s.terms, all_rungs)
    K.form_desire(s.terms, K.term_weights(rec), np.zeros((n, n)) if anchor is None else anchor,
                  np.zeros(n * (n - 1)) if z is None else z, rec["decision_noise_sd"], s.desire,
                  s.treaty_desire)  # fmt: skip
    return s


@functools.cache
def shipped(name: str, **values: float) -> Params:
    """build_params of a shipped scenario (values: registry overrides by key)."""
    from simulation.world.build import build_params
    from simulation.world.resolve import resolve
    from tests.conftest import scenario

    return build_params(resolve(scenario(name), values=values or None))
