"""A room's limits, checked on the server whatever the browser sends: text lengths, the size of a room's
world (which also bounds the cost of replaying a saved room), how many rooms a server keeps and for how
long, and the codes read off a projector.
"""

from __future__ import annotations

import secrets
from typing import Any

from simulation.core.errors import InputError
from simulation.world.scenario import Scenario

#: Limits checked on the server, whatever the browser sends.
MAX_TEAM_NAME = 40
MAX_TITLE = 120
MAX_WHY = 300
MAX_ROOM_BYTES = 2_000_000
MAX_ROOMS = 20
MAX_DEBRIEF_RUNS = 2000
#: A room's world: at most this many countries and months (a modelling choice for a class; the
#: shipped scenarios have 5 or 6 countries and 48 or 72 months). Replaying a saved room costs about its
#: pair-months, so these bound a restore too (measured in docs/classroom_load.md).
MAX_ROOM_ACTORS = 8
MAX_ROOM_MONTHS = 120
TIMER_RANGE_S = (10, 900)
#: A room nobody has looked at or changed for this long is closed (a class is over by then).
ROOM_IDLE_S = 4 * 3600
#: Codes use letters that cannot be confused when read off a projector (no I, L, O, 0, 1).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
SEAT_CODE_LENGTH = 6


def clean_text(text: Any, limit: int, what: str) -> str:
    """A one-line text of at most ``limit`` characters (control characters dropped)."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise InputError(None, what, "must be text")
    if len(text) > 20 * limit:  # refuse before scanning a huge text
        raise InputError(None, what, f"is {len(text)} characters long (allowed: up to {limit})")
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    if len(text) > limit:
        raise InputError(None, what, f"is {len(text)} characters long (allowed: up to {limit})")
    return text


def check_room_size(scenario: Scenario, source: Any = None) -> None:
    """A room's world is bounded: countries and months (which also bound the cost of a restore)."""
    if len(scenario.actors) > MAX_ROOM_ACTORS:
        raise InputError(
            source, "scenario.actors", f"{len(scenario.actors)} countries (allowed in a room: up to {MAX_ROOM_ACTORS})"
        )
    if scenario.steps > MAX_ROOM_MONTHS:
        raise InputError(
            source, "scenario.steps", f"{scenario.steps} months (allowed in a room: up to {MAX_ROOM_MONTHS})"
        )


def new_code(taken: set[str] | frozenset[str] = frozenset()) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            return code
