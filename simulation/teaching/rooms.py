"""Classroom rooms: one shared model, several teams on their own devices, one projector.

A ``Room`` is a plain Python object (no UI): the instructor opens it on a scenario, teams join
with a team name and a country that is still free (by name; a taken country is refused) and get a
short seat code that brings their seat back on any device, also after a restore. Each team
submits its moves for the month (with a short "why"), and the instructor advances the clock.
Teams that have not moved by then are played by the model. After each month every team learns
what became of each of its requests (``Feedback``), with the model's reasons when a model-played
country refused and what changed in threat, trade and the largest utility terms since last month
(``PartnerChange``); the room's event log words wishes, refusals and changes differently
(``describe_month``). A room saves to JSON (moves, team names, reasons, seat codes, seed, the
model version and a content hash) and reloads by replaying the moves from the same seed, so the
state is identical; an edited file is refused.

The dashboard keeps rooms in a ``RoomRegistry`` (one per server process, keyed by a short code):
opening, restoring, advancing and closing need the instructor's key, idle rooms expire, and a
restore is bounded in size and runs outside the registry's lock. Every limit is checked on the
server (``room_limits``), whatever the browser sends.

The parts live beside this module, by concern: ``room`` (the ``Room`` itself: its model, moves, clock and
save/restore), ``room_seats`` (joining, seat codes, devices), ``room_words`` (feedback, the event log and
what changed, in words), ``room_records`` (the debrief and the CSV/JSON exports), ``room_files`` (the saved
file's format, signature and signing key) and ``room_limits`` (the limits the server checks). Their public
names are importable from here too.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from simulation.core.errors import InputError
from simulation.teaching.room import Room, Submission
from simulation.teaching.room_files import (
    CONFIG_ENV,
    CONFIRM_NOTE,
    OLD_ROOM_FORMATS,
    ROOM_FORMAT,
    SIGNING_KEY_FILE,
    UNSIGNED_ROOM_FORMAT,
    NeedsConfirmation,
    check_signature,
    config_dir,
    content_hash,
    model_version,
    plain_hash,
    read_room_file,
    saved_world,
    signer_id,
    signing_key,
)
from simulation.teaching.room_limits import (
    CODE_ALPHABET,
    CODE_LENGTH,
    MAX_DEBRIEF_RUNS,
    MAX_ROOM_ACTORS,
    MAX_ROOM_BYTES,
    MAX_ROOM_MONTHS,
    MAX_ROOMS,
    MAX_TEAM_NAME,
    MAX_TITLE,
    MAX_WHY,
    ROOM_IDLE_S,
    SEAT_CODE_LENGTH,
    TIMER_RANGE_S,
    check_room_size,
    clean_text,
    new_code,
)
from simulation.teaching.room_records import RoomRecords, Round, discussion_questions
from simulation.teaching.room_seats import CONNECTED_S, PRESET_NAMES, RoomSeats, Team
from simulation.teaching.room_words import (
    MOVE_ORDER,
    Feedback,
    LogEntry,
    PartnerChange,
    describe_change,
    describe_month,
    glossary,
    possible_moves,
    request_feedback,
)
from simulation.world.scenario import Scenario

__all__ = [
    "CODE_ALPHABET", "CODE_LENGTH", "CONFIG_ENV", "CONFIRM_NOTE", "CONNECTED_S", "KEY_MESSAGE", "MAX_DEBRIEF_RUNS",
    "MAX_ROOMS", "MAX_ROOM_ACTORS", "MAX_ROOM_BYTES", "MAX_ROOM_MONTHS", "MAX_TEAM_NAME", "MAX_TITLE", "MAX_WHY",
    "MOVE_ORDER", "OLD_ROOM_FORMATS", "PRESET_NAMES", "ROOM_FORMAT", "ROOM_IDLE_S", "SEAT_CODE_LENGTH",
    "SIGNING_KEY_FILE", "TIMER_RANGE_S", "UNSIGNED_ROOM_FORMAT", "Feedback", "LogEntry", "NeedsConfirmation",
    "PartnerChange", "Room", "RoomRecords", "RoomRegistry", "RoomSeats", "Round", "Submission", "Team",
    "check_room_size", "check_signature", "clean_text", "config_dir", "content_hash", "describe_change",
    "describe_month", "discussion_questions", "glossary", "model_version", "new_code", "plain_hash",
    "possible_moves", "read_room_file", "request_feedback", "saved_world", "signer_id", "signing_key",
]  # fmt: skip

KEY_MESSAGE = "the instructor's key is missing or wrong (it is in the link the server printed when it started)"


@dataclass
class RoomRegistry:
    """The rooms of one server process, by code. Sessions look rooms up here; nothing else holds them.

    Opening, restoring, advancing and closing need the server's instructor key; rooms idle for
    ``idle_s`` are closed; a restore replays outside the lock (one at a time), so a big file
    never stops other rooms.
    """

    max_rooms: int = MAX_ROOMS
    instructor_key: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    idle_s: float = ROOM_IDLE_S
    rooms: dict[str, Room] = field(default_factory=dict)
    #: old code -> new code, for rooms a restore superseded: their pages and links go to the new room
    moved: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    restoring: threading.Lock = field(default_factory=threading.Lock)
    _last_expiry: float = 0.0

    def is_instructor(self, key: Any) -> bool:
        return isinstance(key, str) and len(key) < 200 and secrets.compare_digest(key, self.instructor_key)

    def check_key(self, key: Any) -> None:
        if not self.is_instructor(key):
            raise InputError(None, "key", KEY_MESSAGE)

    def expire(self, now: float | None = None) -> list[str]:
        """Close the rooms idle for longer than ``idle_s``; returns their codes."""
        now = time.time() if now is None else now
        with self.lock:
            old = [c for c, r in self.rooms.items() if now - r.last_active > self.idle_s]
            for c in old:
                del self.rooms[c]
            return old

    def _check_space(self) -> None:
        if len(self.rooms) >= self.max_rooms:
            raise InputError(None, "room", f"this server already runs {self.max_rooms} rooms: close one first")

    def _add(self, room: Room) -> Room:
        with self.lock:
            self._check_space()
            if room.code in self.rooms:
                room.code = new_code(set(self.rooms))
            self.rooms[room.code] = room
            return room

    def open(
        self, scenario: Scenario, scenario_name: str, seed: Any = 0, key: Any = None, preset_names: bool = False
    ) -> Room:
        self.check_key(key)
        self.expire()
        with self.lock:
            self._check_space()
            code = new_code(set(self.rooms))
        return self._add(Room(scenario, scenario_name, seed, code=code, preset_names=preset_names))

    def restore(
        self, text: str | bytes, source: str = "uploaded room", key: Any = None, confirmed: bool = False
    ) -> Room:
        self.check_key(key)
        self.expire()
        with self.lock:
            self._check_space()
            code = new_code(set(self.rooms))
        if not self.restoring.acquire(blocking=False):
            raise InputError(source, None, "another room is being restored: try again in a moment")
        try:
            room = Room.from_json(text, source, code=code, confirmed=confirmed)
        finally:
            self.restoring.release()
        return self._add(room)

    def open_by_link(
        self, scenario: Scenario, scenario_name: str, key: Any = None, preset_names: bool = False
    ) -> tuple[Room, bool]:
        """The instructor's link: the room it opened before if that room is still open and not over (the link
        opened again, a reload, a second tab), else a new room. Returns the room and whether it is new."""
        self.check_key(key)
        with self.lock:
            for room in sorted(self.rooms.values(), key=lambda r: -r.created):
                if room.opened_by_link and room.scenario_name == scenario_name and not room.finished:
                    return room, False
        room = self.open(scenario, scenario_name, 0, key=key, preset_names=preset_names)
        room.opened_by_link = True
        return room, True

    def supersede(self, text: str | bytes, room: Room) -> str | None:
        """After a restore: the open room the file was saved from (same code) gives way to ``room``. Its pages
        are told where to go (``superseded_by``), its code leads to the new room; returns the old code."""
        try:
            old_code = json.loads(text).get("code")
        except (ValueError, AttributeError, RecursionError):
            return None
        with self.lock:
            old = self.rooms.get(old_code) if isinstance(old_code, str) else None
            if old is None or old is room:
                return None
            del self.rooms[old.code]
            self.moved[old.code] = room.code
        with old.lock:
            old.superseded_by = room.code
            old._bump()
        room.warnings.append(f"This restore replaces room {old.code}: its pages were sent here.")
        return old.code

    def moved_to(self, code: Any) -> str | None:
        """The code of the room that superseded ``code`` (following a chain of restores), or None."""
        if not isinstance(code, str):
            return None
        seen, code = set(), code.strip().upper()
        while code in self.moved and code not in seen:
            seen.add(code)
            code = self.moved[code]
        return code if seen and code in self.rooms else None

    def advance(self, code: Any, key: Any) -> list[LogEntry]:
        self.check_key(key)
        room = self.get(code)
        if room is None:
            raise InputError(None, "room", "no open room with this code")
        return room.advance()

    def instructor_room(self, code: Any, key: Any) -> Room | None:
        """The room if ``key`` is the instructor's key (else None)."""
        room = self.get(code)
        return room if room is not None and self.is_instructor(key) else None

    def get(self, code: Any) -> Room | None:
        now = time.time()
        if now - self._last_expiry > 60:  # idle rooms close even when nobody opens a new one
            self._last_expiry = now
            self.expire(now)
        if not isinstance(code, str) or len(code) > 40:
            return None
        return self.rooms.get(code.strip().upper())

    def close(self, code: Any, key: Any = None) -> None:
        self.check_key(key)
        with self.lock:
            if isinstance(code, str):
                self.rooms.pop(code.strip().upper(), None)
