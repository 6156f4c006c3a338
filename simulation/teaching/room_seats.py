"""A room's seats: a team joins a country that is still free (by name; a taken country is refused) and gets
a short seat code that brings its seat back on any device, also after a restore; its devices check in, so
the instructor sees who is connected; the instructor frees seats and fills empty ones with rehearsal bots.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from simulation.core.errors import InputError
from simulation.teaching.room_limits import CODE_ALPHABET, MAX_TEAM_NAME, SEAT_CODE_LENGTH, clean_text

#: A team's device counts as connected if its page checked in this recently.
CONNECTED_S = 10.0
_TEAM_NAME = re.compile(r"^[\w .,'()&+-]{1,40}$", re.UNICODE)
_SEAT_CODE = re.compile(f"^[{CODE_ALPHABET}]{{{SEAT_CODE_LENGTH}}}$")
#: Anonymised team names an instructor can hand out instead of the names teams type.
PRESET_NAMES = (
    "Amber", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbour", "Indigo", "Juniper",
    "Kestrel", "Lagoon",
)  # fmt: skip


@dataclass
class Team:
    name: str
    actor: str
    joined_at: float
    seat: str  # the seat code: brings the seat back on any device (shown to the team only)
    bot: bool = False  # a rehearsal team played by the model's advice
    devices: dict[str, float] = field(default_factory=dict)  # device id -> last time its page checked in


class RoomSeats:
    """The seats of a room (a part of ``Room``): its teams by country, the seats the instructor freed, and
    the devices following each team. A change bumps the room's version (``_bump``)."""

    actors: tuple[str, ...]
    teams: dict[str, Team]  # by actor
    freed: dict[str, str]  # seat code -> actor, for seats the instructor freed
    pending: dict[str, Any]
    drafts: dict[str, str]
    feedback: dict[str, Any]
    changes: dict[str, Any]
    preset_names: bool
    last_active: float
    lock: threading.RLock

    def _bump(self) -> None:
        raise NotImplementedError

    def free_actors(self) -> list[str]:
        return [a for a in self.actors if a not in self.teams]

    def team_of(self, actor: str) -> Team | None:
        return self.teams.get(actor)

    def touch(self, actor: str | None = None, device: str | None = None, now: float | None = None) -> None:
        """A page following the room checked in (keeps the room alive; a team's device counts as connected)."""
        now = time.time() if now is None else now
        self.last_active = now
        if actor is not None and device is not None:
            team = self.teams.get(actor)
            if team is not None:
                if len(team.devices) > 50:  # forget old devices rather than grow
                    team.devices = {d: t for d, t in team.devices.items() if now - t < CONNECTED_S}
                team.devices[str(device)[:64]] = now

    def devices(self, actor: str, now: float | None = None) -> list[str]:
        """The devices showing this team's seat right now."""
        now = time.time() if now is None else now
        team = self.teams.get(actor)
        if team is None:
            return []
        return [d for d, t in team.devices.items() if now - t < CONNECTED_S]

    def connected(self, now: float | None = None) -> dict[str, int]:
        """Actor -> number of its team's devices connected now (the instructor's seat list)."""
        return {a: len(self.devices(a, now)) for a in self.teams}

    # ---- joining
    def join(self, team_name: Any, actor: Any, seat: str | None = None, bot: bool = False) -> Team:
        """Seat a team on a free country, chosen by name; a taken country is refused with a message.

        A team that lost its page gets its seat back with its seat code (``rejoin``), never by
        typing the same team name (anyone could). With preset names the room names the team.
        """
        with self.lock:
            if not isinstance(actor, str) or actor not in self.actors:
                shown = actor if isinstance(actor, str) and len(actor) <= 40 else repr(actor)[:20]
                raise InputError(None, "country", f"'{shown}' is not in this room (allowed: {', '.join(self.actors)})")
            if self.preset_names and not bot:
                used = {t.name for t in self.teams.values()}
                name = next((f"Team {n}" for n in PRESET_NAMES if f"Team {n}" not in used), f"Team {len(used) + 1}")
            else:
                name = clean_text(team_name, MAX_TEAM_NAME, "team name")
                if not name or not _TEAM_NAME.match(name):
                    raise InputError(None, "team name", "give 1 to 40 letters, digits, spaces or . , ' ( ) & + -")
            taken = self.teams.get(actor)
            if taken is not None:
                free = self.free_actors()
                raise InputError(
                    None,
                    "country",
                    f"{actor} is already played by team '{taken.name}' (still free: {', '.join(free)}). If that is "
                    "your team, use your seat code."
                    if free
                    else f"{actor} is already played by team '{taken.name}', and no country is free: ask the "
                    "instructor to free a seat (a team that joined before gets back in with its seat code).",
                )
            for other in self.teams.values():
                if other.name.casefold() == name.casefold():
                    raise InputError(
                        None,
                        "team name",
                        f"team '{name}' already plays {other.actor}: choose another name, or use your seat code",
                    )
            code = seat if seat is not None and _SEAT_CODE.match(seat) and not self._seat_taken(seat) else None
            team = Team(name, actor, time.time(), code or self._new_seat(), bot=bot)
            self.teams[actor] = team
            # a late joiner does not see the previous team's feedback
            self.feedback.pop(actor, None)
            self.changes.pop(actor, None)
            self.drafts.pop(actor, None)
            self._bump()
            return team

    def _seat_taken(self, seat: str) -> bool:
        return any(t.seat == seat for t in self.teams.values())

    def _new_seat(self) -> str:
        while True:
            seat = "".join(secrets.choice(CODE_ALPHABET) for _ in range(SEAT_CODE_LENGTH))
            if not self._seat_taken(seat) and seat not in self.freed:
                return seat

    def rejoin(self, seat_code: Any) -> Team:
        """The team whose seat code this is (any device, also after a restore)."""
        if not isinstance(seat_code, str) or len(seat_code) > 40:
            raise InputError(None, "seat code", f"give the {SEAT_CODE_LENGTH}-character code your team was shown")
        code = "".join(seat_code.split()).upper()
        with self.lock:
            for team in self.teams.values():
                if not team.bot and secrets.compare_digest(code, team.seat):
                    return team
            if code in self.freed:
                raise InputError(
                    None, "seat code", f"the instructor freed this seat ({self.freed[code]}): join again as a new team"
                )
        raise InputError(None, "seat code", "no seat in this room has that code (check it, or ask the instructor)")

    def seat_ok(self, actor: str, seat: Any) -> bool:
        team = self.teams.get(actor)
        return team is not None and isinstance(seat, str) and secrets.compare_digest(seat, team.seat)

    def leave(self, actor: str) -> None:
        """Free an actor (the instructor's choice; a closed laptop keeps its seat)."""
        with self.lock:
            team = self.teams.pop(actor, None)
            if team is not None:
                self.freed[team.seat] = actor
                self.pending.pop(actor, None)
                self.drafts.pop(actor, None)
                self._bump()

    def fill_with_bots(self) -> list[str]:
        """Rehearsal: seat a model-played team (it takes the model's advice) on every free country."""
        with self.lock:
            seated = []
            for k, actor in enumerate(self.free_actors()):
                self.join(f"Rehearsal bot {k + 1}", actor, bot=True)
                seated.append(actor)
            return seated
