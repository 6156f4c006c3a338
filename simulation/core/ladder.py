"""The alignment ladder and intents (the run state itself is a few arrays: see model.py and engine.py)."""

from __future__ import annotations

from enum import IntEnum


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
