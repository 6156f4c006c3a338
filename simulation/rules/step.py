"""One step of B runs, composed from the rules. The only way the state moves.

Phases (every actor decides simultaneously, on last step's levels):
1. environment: threat perception and trade after pressure, events and feedback;
2. utility: the terms behind each actor's desire for each partner, plus noise;
3. intents: raise / hold / lower from desire and the ladder thresholds;
4. consent: raise needs both sides (a formal alliance, consent held for several steps);
   either side can lower.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..params import Params
from ..state import MAX_LEVEL, State
from . import consent, environment, events, utility


@dataclass(frozen=True)
class StepRecord:
    """What happened in one step, for explanations and data collection."""

    step: int  # the step these decisions were taken in (0-based)
    threat: np.ndarray  # [B, n, n]
    trade_usd_bn: np.ndarray  # [B, n, n]
    terms: np.ndarray  # [B, n, n, K] unweighted, unsigned
    desire: np.ndarray  # [B, n, n]
    intent: np.ndarray  # [B, n, n]
    level_before: np.ndarray
    level_after: np.ndarray
    event_timer: np.ndarray  # [B, E]


def noise_width(n: int, random_events: int) -> int:
    """Standard normal draws per run and step: one per ordered actor pair, one per random event."""
    return n * n + random_events


def advance(
    state: State,
    p: Params,
    z: np.ndarray,
    intent_override: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[State, StepRecord]:
    """Advance B runs by one step. ``z`` holds this step's standard normal draws, [B, noise_width].

    ``intent_override`` = (mask, intents), both [B, n, n]: where mask is set, that intent
    replaces the rule's (actors played by people in a seminar). Consent is resolved as usual.
    """
    t = state.step
    n = p.n
    B = state.level.shape[0]
    nn = n * n
    timer = events.advance_random_events(
        state.event_timer, z[:, nn:], p.random_cutoffs, p.random_duration
    )
    shock = p.threat_shock[:, t] + events.random_event_shock(timer, p.random_pairs, p.random_shock, n)
    thr = environment.perceive_threat(
        p.threat,
        p.pressure_threat[:, t],
        p.coordination[:, t],
        shock,
        state.level,
        p.initial_level,
        p.pressurer,
        p.coordinator,
        p.pressure_threat_gain,
        p.coordination_threat_share,
        p.bloc_threat_gain,
        MAX_LEVEL,
    )
    trade, share = environment.divert_trade(
        p.trade_usd_bn,
        p.total_trade_usd_bn,
        p.pressure_trade[:, t],
        p.coordination[:, t],
        state.level,
        p.pressurer,
        p.coordinator,
        p.pressure_trade_cut,
        p.trade_diversion_share,
        MAX_LEVEL,
    )
    terms = utility.weigh_alignment(
        thr,
        share,
        p.arms_share,
        p.affinity,
        p.rapport * p.rapport_factor[:, t],
        p.mistrust,
        state.level,
        p.power,
        p.status_concern,
        p.trade_vulnerability,
        p.arms_stake_weight,
        MAX_LEVEL,
    )
    noise = z[:, :nn].reshape(B, n, n) * p.noise_sd.reshape(-1, 1, 1)
    want = utility.desire(terms, p.term_weights, noise)
    intent = consent.form_intents(want, state.level, p.thresholds, p.hysteresis)
    if intent_override is not None:
        mask, chosen = intent_override
        intent = np.where(mask, chosen, intent).astype(np.int8)
    level, streak = consent.resolve_consent(
        intent, state.level, state.consent_streak, p.treaty_steps, MAX_LEVEL
    )
    record = StepRecord(
        step=t,
        threat=thr,
        trade_usd_bn=trade,
        terms=terms,
        desire=want,
        intent=intent,
        level_before=state.level,
        level_after=level,
        event_timer=timer,
    )
    return State(step=t + 1, level=level, consent_streak=streak, event_timer=timer), record
