"""State containers: the alignment ladder, intents and the per-run state arrays."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class AlignmentLevel(IntEnum):
    """The alignment ladder of a pair, from estrangement to a formal alliance."""

    ESTRANGED = 0
    NORMAL = 1
    PARTNERSHIP = 2
    STRATEGIC_PARTNERSHIP = 3
    ENTENTE = 4
    FORMAL_ALLIANCE = 5

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").lower()


MAX_LEVEL = int(AlignmentLevel.FORMAL_ALLIANCE)
LEVEL_LABELS = tuple(level.label for level in AlignmentLevel)


class Intent(IntEnum):
    """What an actor wants for one relationship this step."""

    LOWER = -1
    HOLD = 0
    RAISE = 1


@dataclass(frozen=True)
class State:
    """State of B runs at one step. ``level`` is symmetric with a zero diagonal."""

    step: int
    level: np.ndarray  # [B, n, n] int8
    consent_streak: np.ndarray  # [B, n, n] int16: months both sides have wanted a formal alliance
    event_timer: np.ndarray  # [B, E] int32: months left of each random event (0 = inactive)

    @classmethod
    def initial(cls, initial_level: np.ndarray, runs: int, random_events: int) -> State:
        level = np.broadcast_to(initial_level, (runs, *initial_level.shape[-2:])).astype(np.int8)
        return cls(
            step=0,
            level=level.copy(),
            consent_streak=np.zeros(level.shape, dtype=np.int16),
            event_timer=np.zeros((runs, random_events), dtype=np.int32),
        )
