"""Worlds stacked along a leading run axis, the form the rules consume.

A batch may mix design points (a sweep): each run b uses world ``index[b]``. When every
run shares one world, arrays keep a leading axis of 1 and broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rules.events import outbreak_cutoffs
from .rules.utility import TERMS
from .world import World


@dataclass(frozen=True)
class Params:
    actors: tuple[str, ...]
    steps: int
    pressurer: int
    coordinator: int
    random_pairs: np.ndarray  # [E, 2]
    # static per run (leading axis B or 1)
    threat: np.ndarray
    trade_usd_bn: np.ndarray
    total_trade_usd_bn: np.ndarray
    arms_share: np.ndarray
    affinity: np.ndarray
    rapport: np.ndarray
    mistrust: np.ndarray
    power: np.ndarray
    status_concern: np.ndarray
    trade_vulnerability: np.ndarray
    initial_level: np.ndarray
    thresholds: np.ndarray  # [B, L+1]
    term_weights: np.ndarray  # [B, K]
    noise_sd: np.ndarray  # [B]
    hysteresis: np.ndarray
    treaty_steps: np.ndarray
    pressure_threat_gain: np.ndarray
    coordination_threat_share: np.ndarray
    pressure_trade_cut: np.ndarray
    trade_diversion_share: np.ndarray
    bloc_threat_gain: np.ndarray
    arms_stake_weight: np.ndarray
    # drivers (leading axis B or 1, then T)
    pressure_threat: np.ndarray  # [B, T, n]
    pressure_trade: np.ndarray  # [B, T, n]
    coordination: np.ndarray  # [B, T]
    threat_shock: np.ndarray  # [B, T, n, n]
    rapport_factor: np.ndarray  # [B, T, n, n]
    random_cutoffs: np.ndarray  # [B, E]
    random_duration: np.ndarray  # [B, E]
    random_shock: np.ndarray  # [B, E]

    @property
    def n(self) -> int:
        return len(self.actors)

    @property
    def random_events(self) -> int:
        return int(self.random_pairs.shape[0])

    @classmethod
    def from_worlds(cls, worlds: list[World], index: np.ndarray | None = None) -> Params:
        """Stack ``worlds``; run b uses ``worlds[index[b]]`` (index None: one shared world)."""
        first = worlds[0]
        for w in worlds[1:]:
            if (
                w.actors != first.actors
                or w.steps != first.steps
                or w.pressurer != first.pressurer
                or w.coordinator != first.coordinator
                or not np.array_equal(w.random_pairs, first.random_pairs)
            ):
                raise ValueError("worlds in one batch must share actors, steps, roles and random events")

        def gather(values: list[np.ndarray]) -> np.ndarray:
            stacked = np.stack([np.asarray(v, dtype=float) for v in values])
            return stacked if index is None else stacked[index]

        def get(name: str) -> np.ndarray:
            return gather([getattr(w, name) for w in worlds])

        def weight(name: str) -> np.ndarray:
            return gather([getattr(w.weights, name) for w in worlds])

        if index is None and len(worlds) != 1:
            raise ValueError("several worlds need an index")
        return cls(
            actors=first.actors,
            steps=first.steps,
            pressurer=first.pressurer,
            coordinator=first.coordinator,
            random_pairs=first.random_pairs,
            threat=get("threat"),
            trade_usd_bn=get("trade_usd_bn"),
            total_trade_usd_bn=get("total_trade_usd_bn"),
            arms_share=get("arms_share"),
            affinity=get("affinity"),
            rapport=get("rapport"),
            mistrust=get("mistrust"),
            power=get("power"),
            status_concern=get("status_concern"),
            trade_vulnerability=get("trade_vulnerability"),
            initial_level=get("initial_level").astype(np.int8),
            thresholds=get("thresholds"),
            term_weights=gather([[getattr(w.weights, t) for t in TERMS] for w in worlds]),
            noise_sd=weight("noise_sd"),
            hysteresis=weight("hysteresis"),
            treaty_steps=weight("treaty_consent_steps").astype(np.int16),
            pressure_threat_gain=weight("pressure_threat_gain"),
            coordination_threat_share=weight("coordination_threat_share"),
            pressure_trade_cut=weight("pressure_trade_cut"),
            trade_diversion_share=weight("trade_diversion_share"),
            bloc_threat_gain=weight("bloc_threat_gain"),
            arms_stake_weight=weight("arms_stake_weight"),
            pressure_threat=get("pressure_threat"),
            pressure_trade=get("pressure_trade"),
            coordination=get("coordination"),
            threat_shock=get("threat_shock"),
            rapport_factor=get("rapport_factor"),
            random_cutoffs=gather([outbreak_cutoffs(w.random_probability) for w in worlds]),
            random_duration=get("random_duration").astype(np.int32),
            random_shock=get("random_shock"),
        )
