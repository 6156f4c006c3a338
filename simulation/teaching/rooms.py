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
restore is bounded in size and runs outside the registry's lock. Every limit is checked here, on
the server, whatever the browser sends.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import math
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulation._version import __version__
from simulation.core.calendar import month_label
from simulation.core.errors import InputError
from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL, Intent
from simulation.drivers.model import AllianceModel
from simulation.rules.terms import TERMS
from simulation.teaching.seminar import (
    HumanMove,
    Situation,
    apply_moves,
    check_seed,
    debrief,
    situation,
    validate_move,
)
from simulation.world.scenario import Scenario, parse_scenario

ROOM_FORMAT = "alliance-sim room 3"
#: Saved with a plain sha256 of its content (anyone can recompute it): restored only after the instructor
#: confirms, and signed from then on (an explicit migration).
UNSIGNED_ROOM_FORMAT = "alliance-sim room 2"
#: Saved with no check at all: refused.
OLD_ROOM_FORMATS = ("alliance-sim room 1",)
#: Where the secret that signs room files is kept (a folder); default: the user's configuration folder.
CONFIG_ENV = "ALLIANCE_SIM_CONFIG_DIR"
SIGNING_KEY_FILE = "room-signing.key"
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
#: A team's device counts as connected if its page checked in this recently.
CONNECTED_S = 10.0
#: Codes use letters that cannot be confused when read off a projector (no I, L, O, 0, 1).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
SEAT_CODE_LENGTH = 6
_TEAM_NAME = re.compile(r"^[\w .,'()&+-]{1,40}$", re.UNICODE)
_SEAT_CODE = re.compile(f"^[{CODE_ALPHABET}]{{{SEAT_CODE_LENGTH}}}$")
#: Anonymised team names an instructor can hand out instead of the names teams type.
PRESET_NAMES = (
    "Amber", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbour", "Indigo", "Juniper",
    "Kestrel", "Lagoon",
)  # fmt: skip
MOVE_ORDER = ("raise", "hold", "lower")


def model_version() -> str:
    """The package's version (the one a saved room is replayed with)."""
    return __version__


def possible_moves(level: int) -> tuple[str, ...]:
    """The moves a side can make at ``level``: no raise above a formal alliance, no lower below estranged."""
    return tuple(
        m for m in MOVE_ORDER if not (m == "raise" and level >= MAX_LEVEL) and not (m == "lower" and level <= 0)
    )


def glossary() -> list[dict[str, str]]:
    """Every utility term in plain words (its declared ``meaning``), with its sign and the document it rests on
    (from rules.terms)."""
    from simulation.core.references import in_words

    return [
        {
            "term": t.label,
            "effect": "pulls closer" if t.sign > 0 else "holds back",
            "when": "every month" if t.rung == "every" else "only when signing or keeping a formal alliance",
            "meaning": t.meaning or t.label,
            "source": in_words(t.rests_on),
        }
        for t in TERMS
    ]


# --------------------------------------------------------------------------- what became of a request


@dataclass(frozen=True)
class Feedback:
    """What became of one team's request towards one partner this month."""

    partner: str
    request: str  # raise / hold / lower: what the team asked for
    status: str  # done / refused / waiting / lowered / held / not possible
    text: str  # a sentence for the team


def request_feedback(
    actor: str,
    partner: str,
    request: str,
    partner_request: str,
    before: int,
    after: int,
    consent_months: int,
    treaty_months: int,
    partner_reason: str | None = None,
    model_reason: str | None = None,
) -> Feedback:
    """One request's fate, from both sides' requests and the levels before and after the month.

    Raising needs both sides; either side can lower; a formal alliance needs consent held for
    ``treaty_months`` months in a row (004: an alliance is negotiated, not flipped).
    ``partner_reason`` is the partner team's "why" when a person plays the partner;
    ``model_reason`` the largest utility terms behind the partner's choice when the model plays it.
    """
    now = LEVEL_LABELS[after]
    why = f' Their reason: "{partner_reason}"' if partner_reason else ""
    if not why and model_reason:
        why = f" The model plays {partner}; what weighed most for it: {model_reason}."
    if request == "raise":
        if after > before:
            return Feedback(partner, request, "done", f"Done: {partner} agreed; you are now at {now}.")
        if after < before:
            return Feedback(
                partner,
                request,
                "lowered",
                f"Lowered by the other side: you asked to raise, but {partner} lowered your ties to {now}.{why}",
            )
        if before == MAX_LEVEL - 1 and partner_request == "raise":
            return Feedback(
                partner,
                request,
                "waiting",
                f"Waiting for treaty consent: both sides want a formal alliance; consent held "
                f"{consent_months} of {treaty_months} months (still {now}).",
            )
        return Feedback(
            partner, request, "refused", f"Refused by {partner}: it did not agree to move above {now}.{why}"
        )
    if request == "lower":
        if after < before:
            return Feedback(partner, request, "done", f"Done: you lowered your ties with {partner} to {now}.")
        return Feedback(partner, request, "not possible", f"Not possible: ties with {partner} are already {now}.")
    if after < before:
        return Feedback(
            partner, request, "lowered", f"Lowered by the other side: {partner} lowered your ties to {now}.{why}"
        )
    if after > before:  # cannot happen under consent; said plainly if it ever does
        return Feedback(partner, request, "done", f"Raised to {now}.")
    return Feedback(partner, request, "held", f"Held at {now}.")


# --------------------------------------------------------------------------- the event log


@dataclass(frozen=True)
class LogEntry:
    """One line of the room's event log. ``kind``: change, refusal, treaty (waiting) or wish."""

    month: int
    date: str
    kind: str
    pair: tuple[str, str]
    text: str


def describe_month(
    actors: tuple[str, ...],
    intent: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    consent_months: np.ndarray,
    treaty_months: int,
    month: int,
    start: str,
) -> list[LogEntry]:
    """The month in words, pair by pair: changes, refusals and treaty talks, never a raise that ended lower.

    A change names who moved it and, when the other side wanted the opposite, that wish; a
    request that went nowhere is a refusal, not a change.
    """
    date = month_label(start, month)
    entries: list[LogEntry] = []
    n = len(actors)
    for i in range(n):
        for j in range(i + 1, n):
            a, b = actors[i], actors[j]
            wa, wb = int(intent[i, j]), int(intent[j, i])
            lb, la = int(before[i, j]), int(after[i, j])

            def add(kind: str, text: str, pair: tuple[str, str] = (a, b)) -> None:
                entries.append(LogEntry(month, date, kind, pair, text))

            if la > lb:
                add("change", f"{a} and {b} raised their ties to {LEVEL_LABELS[la]} (both asked for it).")
            elif la < lb:
                lowerers = [x for x, w in ((a, wa), (b, wb)) if w == Intent.LOWER]
                who = " and ".join(lowerers) or "One side"
                other = [x for x, w in ((a, wa), (b, wb)) if w == Intent.RAISE]
                text = f"{who} lowered ties with {b if lowerers == [a] else a} to {LEVEL_LABELS[la]}"
                if len(lowerers) == 2:
                    text = f"{a} and {b} both lowered their ties to {LEVEL_LABELS[la]}"
                text += f" ({other[0]} had asked to raise them)." if other else "."
                add("change", text)
            elif wa == Intent.RAISE and wb == Intent.RAISE and lb == MAX_LEVEL - 1:
                add(
                    "treaty",
                    f"{a} and {b} both want a formal alliance: treaty consent held "
                    f"{int(consent_months[i, j])} of {treaty_months} months (still {LEVEL_LABELS[lb]}).",
                )
            elif Intent.RAISE in (wa, wb) and lb < MAX_LEVEL:
                asker, refuser = (a, b) if wa == Intent.RAISE else (b, a)
                add(
                    "refusal",
                    f"{asker} asked to raise ties with {refuser} above {LEVEL_LABELS[lb]}; "
                    f"{refuser} refused (no change).",
                )
    return entries


# --------------------------------------------------------------------------- what changed since last month


@dataclass(frozen=True)
class PartnerChange:
    """What moved between two months for one actor towards one partner, in plain words."""

    partner: str
    threat_before: float
    threat_after: float
    trade_before: float
    trade_after: float
    text: str


def _direction(before: float, after: float, tolerance: float) -> str:
    if after > before + tolerance:
        return "rose"
    if after < before - tolerance:
        return "fell"
    return "held"


def describe_change(before: Situation, after: Situation) -> dict[str, PartnerChange]:
    """For each partner: the change in how much the actor fears it, its share of trade and the largest terms."""
    prior = {v.partner: v for v in before.partners}
    out = {}
    for v in after.partners:
        b = prior.get(v.partner)
        if b is None:
            continue
        threat = _direction(b.threat_to_me, v.threat_to_me, 0.005)
        trade = _direction(b.trade_share, v.trade_share, 0.0005)
        parts = []
        if threat != "held":
            parts.append(f"your fear of {v.partner} {threat} from {b.threat_to_me:.2f} to {v.threat_to_me:.2f}")
        if trade != "held":
            parts.append(f"its share of your trade {trade} from {b.trade_share:.1%} to {v.trade_share:.1%}")
        if not parts:
            parts.append(f"threat ({v.threat_to_me:.2f}) and trade ({v.trade_share:.1%}) held")
        if v.reasons:
            was = dict(b.reasons)
            words = []
            for label, value in v.reasons[:2]:
                side = "pulls you closer" if value > 0 else "holds you back"
                moved = label in was and abs(was[label] - value) >= 0.005
                words.append(f"{label} {side} ({value:+.2f}{f', was {was[label]:+.2f}' if moved else ''})")
            parts.append("weighing most: " + "; ".join(words))
        out[v.partner] = PartnerChange(
            v.partner, b.threat_to_me, v.threat_to_me, b.trade_share, v.trade_share, "; ".join(parts) + "."
        )
    return out


# --------------------------------------------------------------------------- the room


@dataclass
class Team:
    name: str
    actor: str
    joined_at: float
    seat: str  # the seat code: brings the seat back on any device (shown to the team only)
    bot: bool = False  # a rehearsal team played by the model's advice
    devices: dict[str, float] = field(default_factory=dict)  # device id -> last time its page checked in


@dataclass
class Submission:
    move: HumanMove
    why: str = ""
    serial: int = 0  # bumped by every submit of the seat: every device shows the latest one
    device: str | None = None


@dataclass
class Round:
    """One month as played: who moved, what they asked, why, and who the model played."""

    month: int
    moves: dict[str, dict[str, Any]]  # actor -> {"moves", "pressure", "coordination", "why", "team"}
    model_played: list[str]  # teams' actors the model played because they had not moved
    teams: dict[str, str] = field(default_factory=dict)  # actor -> the team seated that month
    advice: dict[str, dict[str, str]] = field(default_factory=dict)  # actor -> partner -> the model's advice


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


class Room:
    """One class's game: a shared model, its teams, their moves and what became of them."""

    def __init__(
        self,
        scenario: Scenario,
        scenario_name: str,
        seed: Any = 0,
        code: str | None = None,
        title: Any = None,
        preset_names: bool = False,
    ):
        check_room_size(scenario)
        self.scenario = scenario
        self.scenario_name = clean_text(scenario_name, 80, "scenario name") or "scenario"
        self.seed = check_seed(seed, None, "seed")
        self.code = code or new_code()
        self.title = clean_text(title, MAX_TITLE, "title") or scenario.title
        self.preset_names = bool(preset_names)
        self.model = AllianceModel(scenario, seed=self.seed)
        #: the scenario's own pressure and coordination (the levers before any team set them)
        self.schedule = (self.model.params.pressure_threat[0].copy(), self.model.params.coordination[0].copy())
        self.treaty_months = int(round(self.model.resolved.value("treaty_consent_steps")))
        self.teams: dict[str, Team] = {}  # by actor
        self.pending: dict[str, Submission] = {}
        self.drafts: dict[str, str] = {}  # actor -> the "why" being typed (survives a reload)
        self.rounds: list[Round] = []
        self.log: list[LogEntry] = []
        self.feedback: dict[str, tuple[str, list[Feedback]]] = {}  # actor -> (team name, last month's feedback)
        self.changes: dict[str, tuple[str, dict[str, PartnerChange]]] = {}  # actor -> (team, partner -> change)
        self.freed: dict[str, str] = {}  # seat code -> actor, for seats the instructor freed
        self.warnings: list[str] = []  # said on the instructor's console (e.g. a restore from another version)
        self.debrief_result: dict[str, Any] | None = None  # shown on the projector once asked for
        self.debrief_page = 0  # the debrief's page on the projector, stepped from the console
        self.superseded_by: str | None = None  # a restore of this room runs under this code now
        self.opened_by_link = False  # opened with the instructor's link: opening it again returns here
        self.announcement: tuple[str, float] | None = None  # the instructor's message to every team
        self.timer_s: int | None = None
        self.deadline: float | None = None
        self.version = 0  # bumped on every change: views poll it
        self._serial = 0
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self._month_cache: dict[str, tuple[int, Any]] = {}
        self.created = time.time()
        self.last_active = self.created
        self._cache: dict[str, tuple[tuple[int, Any], Any]] = {}

    def cached(self, name: str, compute, extra: Any = None):
        """``compute()`` once per room version (and ``extra``): every session following the room shares it."""
        hit = self._cache.get(name)  # the common case without the lock: 30 pages read at once after a change
        if hit is not None and hit[0] == (self.version, extra):
            return hit[1]
        with self.lock:
            stamp = (self.version, extra)
            hit = self._cache.get(name)
            if hit is not None and hit[0] == stamp:
                return hit[1]
            value = compute()
            self._cache[name] = (stamp, value)
            return value

    # ---- what the room is
    @property
    def actors(self) -> tuple[str, ...]:
        return self.model.actors

    @property
    def month(self) -> int:
        return self.model.month

    @property
    def horizon(self) -> int:
        return self.model.horizon

    @property
    def finished(self) -> bool:
        return self.month >= self.horizon

    @property
    def date(self) -> str:
        return month_label(self.model.start, self.month)

    def free_actors(self) -> list[str]:
        return [a for a in self.actors if a not in self.teams]

    def team_of(self, actor: str) -> Team | None:
        return self.teams.get(actor)

    def submitted(self) -> list[str]:
        return [a for a in self.teams if a in self.pending]

    def waiting_for(self) -> list[str]:
        return [a for a in self.teams if a not in self.pending]

    def _bump(self) -> None:
        with self.lock:
            self.version += 1
            self.last_active = time.time()
            self._changed.notify_all()

    def wait_change(self, seen: int, timeout: float) -> int:
        """Wait until the room's version differs from ``seen`` (at most ``timeout`` seconds); returns it.
        Pages following the room wake at once on a change instead of polling for it."""
        with self.lock:
            self._changed.wait_for(lambda: self.version != seen, timeout)
            return self.version

    def cached_month(self, name: str, compute):
        """``compute()`` once per month (for what changes only when a month is played)."""
        hit = self._month_cache.get(name)
        if hit is not None and hit[0] == self.month:
            return hit[1]
        with self.lock:
            hit = self._month_cache.get(name)
            if hit is not None and hit[0] == self.month:
                return hit[1]
            value = compute()
            self._month_cache[name] = (self.month, value)
            return value

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

    # ---- moves
    def situation(self, actor: str) -> Situation:
        return self.cached_month(f"situation:{actor}", lambda: situation(self.model, actor))

    def last_choices(self, actor: str) -> dict[str, str]:
        """The team's choices of the last month it submitted (its starting point this month)."""
        for rnd in reversed(self.rounds):
            played = rnd.moves.get(actor)
            if played is not None and rnd.teams.get(actor) == getattr(self.teams.get(actor), "name", None):
                return dict(played.get("moves") or {})
            if rnd.teams.get(actor) != getattr(self.teams.get(actor), "name", None):
                return {}
        return {}

    def move_warnings(self, actor: str, moves: dict[str, str]) -> dict[str, str]:
        """Partner -> a warning when the choice would reset treaty consent or break a formal alliance."""
        out = {}
        i = self.actors.index(actor)
        for partner, word in moves.items():
            if partner not in self.actors or partner == actor:
                continue
            j = self.actors.index(partner)
            level = int(self.model.level[i, j])
            consent = int(self.model.streak[i, j])
            if level == MAX_LEVEL and word == "lower":
                out[partner] = (
                    f"Lowering breaks your formal alliance with {partner}: it becomes {LEVEL_LABELS[level - 1]} "
                    "at once, and a new treaty needs consent all over again."
                )
            elif level == MAX_LEVEL - 1 and consent > 0 and word != "raise":
                out[partner] = (
                    f"Treaty consent with {partner} stands at {consent} of {self.treaty_months} months: "
                    f"choosing {word} resets it to 0."
                )
        return out

    def submit(self, actor: str, seat: str, move: HumanMove, why: Any = "", device: str | None = None) -> list[str]:
        """Record a team's move for this month (it can change it until the month is played)."""
        why_text = clean_text(why, MAX_WHY, "why")
        with self.lock:
            if not self.seat_ok(actor, seat):
                return [f"{actor} is not your team's country in this room"]
            problems = validate_move(self.model, actor, move)
            if not problems:
                self._serial += 1
                self.pending[actor] = Submission(move, why_text, self._serial, device)
                self.drafts[actor] = why_text
                self._bump()
            return problems

    def set_draft(self, actor: str, seat: str, why: Any) -> None:
        """Keep the "why" a team is typing on the server, so a reload shows it (not a change: no bump)."""
        text = clean_text(why, MAX_WHY, "why")
        with self.lock:
            if self.seat_ok(actor, seat):
                self.drafts[actor] = text

    def announce(self, text: Any) -> None:
        """A message from the instructor, shown on every team's page (empty: none)."""
        clean = clean_text(text, MAX_WHY, "message")
        with self.lock:
            self.announcement = (clean, time.time()) if clean else None
            self._bump()

    # ---- the clock
    def set_timer(self, seconds: Any) -> None:
        """Advance automatically ``seconds`` after each month starts (None: only by hand)."""
        with self.lock:
            if seconds is not None:
                lo, hi = TIMER_RANGE_S
                if (
                    isinstance(seconds, bool)
                    or not isinstance(seconds, int | float)
                    or not math.isfinite(seconds)
                    or not lo <= seconds <= hi
                ):
                    raise InputError(None, "timer", f"{seconds} s is out of range (allowed: {lo} to {hi} s)")
                seconds = int(seconds)
            self.timer_s = seconds
            self.deadline = None if seconds is None else time.time() + seconds
            self._bump()

    def seconds_left(self, now: float | None = None) -> int | None:
        if self.deadline is None:
            return None
        return max(0, int(round(self.deadline - (time.time() if now is None else now))))

    def tick(self, now: float | None = None) -> bool:
        """Advance if the timer has run out; True if a month was played."""
        deadline = self.deadline
        if deadline is None or (time.time() if now is None else now) < deadline:
            return False  # the common case, without the lock (every page checks once a second)
        with self.lock:
            if self.deadline is None or self.finished or (time.time() if now is None else now) < self.deadline:
                return False
            self.advance()
            return True

    def advance(self) -> list[LogEntry]:
        """Play one month: submitted moves for their teams (rehearsal bots take the advice), the model for the rest."""
        with self.lock:
            if self.finished:
                raise InputError(None, "advance", "the game is over")
            month = self.month
            before_sits = {a: situation(self.model, a) for a in self.actors}
            for actor, team in self.teams.items():
                if team.bot and actor not in self.pending:
                    advice = {v.partner: v.advice for v in before_sits[actor].partners}
                    self.pending[actor] = Submission(HumanMove(advice), "rehearsal: took the model's advice")
            moves = {a: s.move for a, s in self.pending.items()}
            before = self.model.level.copy()
            apply_moves(self.model, moves)
            record = self.model.last_record
            assert record is not None
            self.rounds.append(
                Round(
                    month=month,
                    moves={
                        a: {
                            "team": self.teams[a].name,
                            "moves": s.move.moves,
                            "pressure": s.move.pressure,
                            "coordination": s.move.coordination,
                            "why": s.why,
                        }
                        for a, s in self.pending.items()
                    },
                    model_played=[a for a in self.teams if a not in self.pending],
                    teams={a: t.name for a, t in self.teams.items()},
                    advice={a: {v.partner: v.advice for v in before_sits[a].partners} for a in self.teams},
                )
            )
            self.feedback = self._feedback(
                record.intent, before, record.level_after, record.consent_months, before_sits
            )
            self.changes = {
                a: (t.name, describe_change(before_sits[a], situation(self.model, a))) for a, t in self.teams.items()
            }
            entries = describe_month(
                self.actors,
                record.intent,
                before,
                record.level_after,
                record.consent_months,
                self.treaty_months,
                month,
                self.model.start,
            )
            self.log.extend(entries)
            self.pending = {}
            self.drafts = {}
            self.debrief_result = None
            if self.timer_s is not None and not self.finished:
                self.deadline = time.time() + self.timer_s
            elif self.finished:
                self.deadline = None
            self._bump()
            return entries

    def _feedback(
        self,
        intent: np.ndarray,
        before: np.ndarray,
        after: np.ndarray,
        consent: np.ndarray,
        before_sits: dict[str, Situation],
    ) -> dict[str, tuple[str, list[Feedback]]]:
        actors = self.actors
        reasons = {a: s.why for a, s in self.pending.items() if s.why and not self.teams[a].bot}
        out: dict[str, tuple[str, list[Feedback]]] = {}
        for actor, team in self.teams.items():
            i = actors.index(actor)
            items = []
            for j, partner in enumerate(actors):
                if j == i:
                    continue
                model_reason = None
                if partner not in self.pending or self.teams[partner].bot:
                    view = next(v for v in before_sits[partner].partners if v.partner == actor)
                    model_reason = view.reasons_text(3) or None
                items.append(
                    request_feedback(
                        actor,
                        partner,
                        Intent(int(intent[i, j])).name.lower(),
                        Intent(int(intent[j, i])).name.lower(),
                        int(before[i, j]),
                        int(after[i, j]),
                        int(consent[i, j]),
                        self.treaty_months,
                        reasons.get(partner),
                        model_reason,
                    )
                )
            out[actor] = (team.name, items)
        return out

    def feedback_for(self, actor: str) -> list[Feedback]:
        """Last month's feedback, only for the team that played it (a late joiner starts clean)."""
        team = self.teams.get(actor)
        got = self.feedback.get(actor)
        return got[1] if team is not None and got is not None and got[0] == team.name else []

    def changes_for(self, actor: str) -> dict[str, PartnerChange]:
        team = self.teams.get(actor)
        got = self.changes.get(actor)
        return got[1] if team is not None and got is not None and got[0] == team.name else {}

    # ---- what the projector shows
    def levels(self) -> np.ndarray:
        """Level trajectory [months + 1, n, n]."""
        return self.cached("levels", self.model.levels_array)

    # ---- debrief and export
    def debrief(self, runs: int = 500) -> dict[str, Any]:
        """The class's own game: each team's path, advice against choice, refusals, treaty talks,
        the outcome against the model's distribution and discussion questions from what happened."""
        if isinstance(runs, bool) or not isinstance(runs, int) or not 50 <= runs <= MAX_DEBRIEF_RUNS:
            raise InputError(None, "runs", f"{runs} is out of range (allowed: 50 to {MAX_DEBRIEF_RUNS})")
        with self.lock:
            out = debrief(self.scenario, self.model, runs)
            out["teams"] = self.team_summary()
            out["refusals"] = [
                {"date": e.date, "text": e.text, "reason": self._reason_of(e)} for e in self.log if e.kind == "refusal"
            ]
            out["treaty"] = [{"date": e.date, "text": e.text} for e in self.log if e.kind == "treaty"]
            out["questions"] = discussion_questions(self, out)
            self.debrief_result = out
            self.debrief_page = 0
            self._bump()
            return out

    def show_debrief_page(self, page: int, pages: int) -> int:
        """Step the projector's debrief to ``page`` (kept within 0 .. pages - 1); returns the page shown."""
        with self.lock:
            self.debrief_page = max(0, min(int(page), max(1, pages) - 1))
            self._bump()
            return self.debrief_page

    def _reason_of(self, entry: LogEntry) -> str:
        """The refuser's reason for a refusal in the log: its team's "why", or the model's largest terms."""
        rnd = next((r for r in self.rounds if r.month == entry.month), None)
        m = re.search(r"; (.+) refused", entry.text)
        if rnd is None or m is None:
            return ""
        refuser = m.group(1)
        played = rnd.moves.get(refuser)
        if played is not None and played.get("why"):
            return f'{played.get("team", refuser)}: "{played["why"]}"'
        return f"{refuser} was played by the model"

    def team_summary(self) -> list[dict[str, Any]]:
        """One row per team that played: months it moved, advice taken or not, requests and their fate, reasons."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        by_month = {r.month: r for r in self.rounds}
        decisions = self.model.datacollector.get_table_dataframe("decisions")
        for rnd in self.rounds:
            for actor, name in rnd.teams.items():
                row = rows.setdefault(
                    (name, actor),
                    {
                        "team": name,
                        "country": actor,
                        "months_moved": 0,
                        "months_model_played": 0,
                        "followed_advice": 0,
                        "against_advice": 0,
                        "raises_asked": 0,
                        "raises_done": 0,
                        "raises_refused": 0,
                        "lowered": 0,
                        "decisions": 0,
                        "lever_changes": 0,
                        "levers": {},
                        "reasons": [],
                    },
                )
                played = rnd.moves.get(actor)
                if played is None:
                    row["months_model_played"] += 1
                    continue
                row["months_moved"] += 1
                advice = rnd.advice.get(actor, {})
                row["decisions"] += len(advice) or len(played.get("moves") or {})
                for partner, word in (played.get("moves") or {}).items():
                    if partner in advice:
                        row["followed_advice" if advice[partner] == word else "against_advice"] += 1
                self._count_levers(row, actor, rnd.month, played)
                if played.get("why"):
                    row["reasons"].append(f"{month_label(self.model.start, rnd.month)}: {played['why']}")
        if not decisions.empty:
            for d in decisions.itertuples(index=False):
                rnd = by_month.get(int(d.step))
                if rnd is None or d.actor not in rnd.moves:
                    continue
                row = rows.get((rnd.teams.get(d.actor, ""), d.actor))
                if row is None:
                    continue
                if d.intent == "raise":
                    row["raises_asked"] += 1
                    if int(d.level_after) > int(d.level_before):
                        row["raises_done"] += 1
                    elif d.partner_intent != "raise":
                        row["raises_refused"] += 1
                elif d.intent == "lower" and int(d.level_after) < int(d.level_before):
                    row["lowered"] += 1
        out = []
        i_of = {a: k for k, a in enumerate(self.actors)}
        for (_name, actor), row in rows.items():
            i = i_of[actor]
            row["ties_now"] = "; ".join(
                f"{p} {LEVEL_LABELS[int(self.model.level[i, j])]}" for j, p in enumerate(self.actors) if j != i
            )
            row["reasons"] = " | ".join(row["reasons"])
            row["levers"] = "; ".join(
                f"{name} {first:.2f} -> {last:.2f}" for name, (first, last) in row["levers"].items()
            )
            out.append(row)
        return out

    def _count_levers(self, row: dict[str, Any], actor: str, month: int, played: dict[str, Any]) -> None:
        """A team's pressure and coordination in a month it moved: each lever is a decision (set or
        kept), a value the team set that differs from the month before is a change; the first and
        last values are kept for the summary."""
        structure = self.model.structure
        if actor not in (structure.pressurer, structure.coordinator):
            return
        now, was = self.lever_values(month), self.lever_values(month - 1)
        levers = []
        if actor == structure.pressurer:
            chosen = played.get("pressure") or {}
            levers += [(f"pressure on {a}", v, was["pressure"][a], a in chosen) for a, v in now["pressure"].items()]
        if actor == structure.coordinator and now["coordination"] is not None:
            levers.append(
                ("coordination", now["coordination"], was["coordination"], played.get("coordination") is not None)
            )
        for name, value, before, chosen in levers:
            row["decisions"] += 1
            row["lever_changes"] += chosen and abs(value - before) > 1e-9
            first = row["levers"].get(name, (before, value))[0]
            row["levers"][name] = (first, value)

    def team_summary_csv(self) -> str:
        rows = self.team_summary()
        columns = [
            "team", "country", "months_moved", "months_model_played", "followed_advice", "against_advice",
            "raises_asked", "raises_done", "raises_refused", "lowered", "decisions", "lever_changes", "levers",
            "ties_now", "reasons",
        ]  # fmt: skip
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()

    def rows(self) -> list[dict[str, Any]]:
        """One row per month, actor and partner: who played (the team seated that month), the request, the outcome."""
        levels = self.levels()
        by_month = {r.month: r for r in self.rounds}
        decisions = self.model.datacollector.get_table_dataframe("decisions")
        out = []
        for row in decisions.itertuples(index=False):
            rnd = by_month.get(int(row.step))
            played = rnd.moves.get(row.actor) if rnd is not None else None
            team = rnd.teams.get(row.actor, "") if rnd is not None else ""
            out.append(
                {
                    "month": int(row.step),
                    "date": month_label(self.model.start, int(row.step)),
                    "actor": row.actor,
                    "team": played["team"] if played else team,
                    "played_by": "team" if played else "model",
                    "partner": row.partner,
                    "request": row.intent,
                    "advice": rnd.advice.get(row.actor, {}).get(row.partner, "") if rnd is not None else "",
                    "partner_request": row.partner_intent,
                    "level_before": LEVEL_LABELS[int(row.level_before)],
                    "level_after": LEVEL_LABELS[int(row.level_after)],
                    **self._levers_of(row.actor, row.partner, int(row.step), played),
                    "why": played["why"] if played else "",
                }
            )
        assert len(levels) == self.month + 1
        return out

    def lever_values(self, month: int) -> dict[str, Any]:
        """The levers in effect in ``month`` (month -1: the scenario's own at month 0): the pressurer's
        pressure on each target and the coordination."""
        model = self.model
        t = max(0, min(month, model.horizon - 1))
        pressure, coordination = (
            self.schedule if month < 0 else (model.params.pressure_threat[0], model.params.coordination[0])
        )
        p = self.actors.index(model.structure.pressurer)
        out: dict[str, Any] = {
            "pressure": {a: round(float(pressure[t, k]), 4) for k, a in enumerate(self.actors) if k != p},
            "coordination": None,
        }
        if model.structure.coordinator is not None:
            # coordination[t, c, k]: coordinator c's coordination with the pressure on target k
            coordination = coordination[t][self.actors.index(model.structure.coordinator)]
            out["coordination"] = round(float(max(coordination[k] for k in range(len(self.actors)) if k != p)), 4)
        return out

    def _levers_of(self, actor: str, partner: str, month: int, played: dict[str, Any] | None) -> dict[str, Any]:
        """The lever columns of one row: the pressure on ``partner`` when ``actor`` sets pressure, the
        coordination when it coordinates, and who decided each: ``team`` (set that month), ``team-kept``
        (the team moved and left it as it was) or ``model`` (the team did not move)."""
        out: dict[str, Any] = {"pressure": "", "pressure_by": "", "coordination": "", "coordination_by": ""}
        structure = self.model.structure
        if actor not in (structure.pressurer, structure.coordinator):
            return out
        now = self.lever_values(month)
        set_now = played.get("pressure") or {} if played is not None else {}
        if actor == structure.pressurer and partner in now["pressure"]:
            out["pressure"] = f"{now['pressure'][partner]:.2f}"
            out["pressure_by"] = "model" if played is None else "team" if partner in set_now else "team-kept"
        if actor == structure.coordinator and now["coordination"] is not None:
            out["coordination"] = f"{now['coordination']:.2f}"
            out["coordination_by"] = (
                "model" if played is None else "team" if played.get("coordination") is not None else "team-kept"
            )
        return out

    def export_csv(self) -> str:
        rows = self.rows()
        buf = io.StringIO()
        columns = [
            "month", "date", "actor", "team", "played_by", "partner", "request", "advice", "partner_request",
            "level_before", "level_after", "pressure", "pressure_by", "coordination", "coordination_by", "why",
        ]  # fmt: skip
        writer = csv.DictWriter(buf, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()

    def export_json(self) -> str:
        data = self.to_dict()
        data["decisions"] = self.rows()
        data["team_summary"] = self.team_summary()
        data["event_log"] = [
            {"month": e.month, "date": e.date, "kind": e.kind, "pair": list(e.pair), "text": e.text} for e in self.log
        ]
        return json.dumps(data, indent=1)

    # ---- save and reload
    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            data = {
                "format": ROOM_FORMAT,
                "model_version": model_version(),
                "code": self.code,
                "title": self.title,
                "seed": self.seed,
                "scenario_name": self.scenario_name,
                "preset_names": self.preset_names,
                "scenario": self.scenario.model_dump(mode="json", exclude_none=True),
                "teams": [
                    {"name": t.name, "actor": t.actor, "seat": t.seat, "bot": t.bot} for t in self.teams.values()
                ],
                "rounds": [
                    {
                        "month": r.month,
                        "moves": r.moves,
                        "model_played": r.model_played,
                        "teams": r.teams,
                        "advice": r.advice,
                    }
                    for r in self.rounds
                ],
                "timer_s": self.timer_s,
            }
            data["signer"] = signer_id()
            data["content_hash"] = content_hash(data)
            return data

    def save_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(
        cls, text: str | bytes, source: str = "uploaded room", code: str | None = None, confirmed: bool = False
    ) -> Room:
        """A room from its saved JSON, replayed move by move; any problem is one InputError line.

        Checked before any replay: size, format, signature (an edited file is refused), seed, title,
        countries and months (bounding the replay's cost). A file signed on another computer, or saved
        unsigned by an earlier version, raises :class:`NeedsConfirmation` unless ``confirmed`` (the
        instructor said so in the console); a file from another model version is restored with a warning.
        """
        if len(text) > MAX_ROOM_BYTES:
            raise InputError(source, None, f"too large for a saved room (limit {MAX_ROOM_BYTES // 1_000_000} MB)")
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise InputError(source, None, f"not a saved room ({type(exc).__name__})") from None
        except ValueError as exc:  # Infinity, NaN (json.loads would read them as floats)
            raise InputError(source, None, f"not a saved room ({exc})") from None
        if isinstance(data, dict) and data.get("format") in OLD_ROOM_FORMATS:
            raise InputError(
                source,
                "format",
                f"'{data['format']}' was saved by an early version with no check against edits; it cannot be "
                "restored (play the room again, or restore it with that version)",
            )
        if not isinstance(data, dict) or data.get("format") not in (ROOM_FORMAT, UNSIGNED_ROOM_FORMAT):
            raise InputError(source, "format", f"not a saved alliance-sim room (expected format '{ROOM_FORMAT}')")
        warnings = check_signature(data, source, confirmed)
        if data.get("model_version") != model_version():
            warnings.append(
                f"This room was saved with alliance-sim {str(data.get('model_version'))[:40]} and replayed with "
                f"{model_version()}: if the model changed in between, the world may differ from the one played."
            )
        try:
            seed = check_seed(data.get("seed"), source, "seed")
            raw = data["scenario"]
            if isinstance(raw, dict):  # the room's size, before the scenario is even validated
                if isinstance(raw.get("actors"), list) and len(raw["actors"]) > MAX_ROOM_ACTORS:
                    raise InputError(
                        source,
                        "scenario.actors",
                        f"{len(raw['actors'])} countries (allowed in a room: up to {MAX_ROOM_ACTORS})",
                    )
                if isinstance(raw.get("steps"), int) and raw["steps"] > MAX_ROOM_MONTHS:
                    raise InputError(
                        source, "scenario.steps", f"{raw['steps']} months (allowed in a room: up to {MAX_ROOM_MONTHS})"
                    )
            teams, rounds = data["teams"], data["rounds"]
            if not isinstance(teams, list) or not isinstance(rounds, list):
                raise InputError(source, "teams", "teams and rounds must be lists")
            if not isinstance(data["scenario"], dict):
                raise InputError(source, "scenario", "must be a scenario mapping")
            scenario = parse_scenario(data["scenario"], source)
            check_room_size(scenario, source)
            if len(rounds) > scenario.steps:
                raise InputError(source, "rounds", f"{len(rounds)} months played (the scenario has {scenario.steps})")
            if len(teams) > len(scenario.actors):
                raise InputError(source, "teams", f"{len(teams)} teams (the room has {len(scenario.actors)} countries)")
            room = cls(
                scenario,
                str(data.get("scenario_name", "uploaded"))[:80],
                seed,
                code=code,
                title=data.get("title"),
                preset_names=data.get("preset_names") is True,
            )
            preset, room.preset_names = room.preset_names, False  # the saved teams keep their names
            for k, t in enumerate(teams):
                if not isinstance(t, dict):
                    raise InputError(source, f"teams[{k}]", "must be a mapping")
                room.join(t["name"], t["actor"], seat=t.get("seat"), bot=t.get("bot") is True)
            room.preset_names = preset
            for k, rnd in enumerate(rounds):
                if not isinstance(rnd, dict) or not isinstance(rnd.get("moves"), dict):
                    raise InputError(source, f"rounds[{k}]", "must be a mapping with moves")
                if rnd.get("month") != room.month:
                    raise InputError(source, f"rounds[{k}].month", f"expected month {room.month}")
                for actor, m in rnd["moves"].items():
                    if not isinstance(m, dict):
                        raise InputError(source, f"rounds[{k}].moves.{actor}", "must be a mapping")
                    if actor not in room.teams:
                        raise InputError(source, f"rounds[{k}].moves.{actor}", "moves for a country no team plays")
                    move = HumanMove(dict(m["moves"]), m.get("pressure"), m.get("coordination"))
                    problems = room.submit(actor, room.teams[actor].seat, move, m.get("why", ""))
                    if problems:
                        raise InputError(source, f"rounds[{k}].moves.{actor}", "; ".join(problems))
                # the teams seated that month: restored from the file, so records name who really played
                seated = rnd.get("teams")
                room._replay_advance(seated if isinstance(seated, dict) else None, rnd)
            if data.get("timer_s") is not None:
                room.set_timer(data["timer_s"])
        except InputError as err:
            raise InputError(source, err.field, err.message) from None
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise InputError(source, None, f"not a valid saved room ({type(exc).__name__}: {exc})") from None
        room.warnings = warnings
        return room

    def _replay_advance(self, seated: dict[str, Any] | None, saved: dict[str, Any]) -> None:
        """Advance during a restore, then put back who was seated and which names played (from the file)."""
        bots = {a for a, t in self.teams.items() if t.bot}
        for a in bots:  # a bot's moves are in the file; the replay must not add its own
            self.teams[a].bot = False
        self.advance()
        for a in bots:
            self.teams[a].bot = True
        rnd = self.rounds[-1]
        if seated is not None:
            rnd.teams = {str(a): str(n)[:MAX_TEAM_NAME] for a, n in seated.items() if a in self.actors}
            rnd.model_played = [a for a in rnd.teams if a not in rnd.moves]
            self.feedback = {a: v for a, v in self.feedback.items() if rnd.teams.get(a) == v[0]}
        for actor, m in rnd.moves.items():
            if isinstance(saved["moves"].get(actor), dict) and isinstance(saved["moves"][actor].get("team"), str):
                m["team"] = saved["moves"][actor]["team"][:MAX_TEAM_NAME]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a saved room")


def _canonical(data: dict[str, Any]) -> bytes:
    body = {k: v for k, v in data.items() if k != "content_hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def content_hash(data: dict[str, Any]) -> str:
    """The room file's signature: HMAC-SHA-256 of its content (everything but the signature, in a canonical
    form) under this computer's signing key. Only a holder of the key can make one that verifies."""
    return hmac.new(signing_key(), _canonical(data), hashlib.sha256).hexdigest()


def plain_hash(data: dict[str, Any]) -> str:
    """The unkeyed sha256 that unsigned room files (format 2) carried: it detects accidents, not edits."""
    return hashlib.sha256(_canonical(data)).hexdigest()


class NeedsConfirmation(InputError):
    """A room file that is intact as far as can be told but cannot be verified here (signed on another
    computer, or unsigned): restored only when the instructor confirms it in the console."""


#: What the console says about a file it cannot verify, before the instructor confirms.
CONFIRM_NOTE = "restore it only if you trust where it came from: its moves, seeds and seat codes cannot be checked here"


def check_signature(data: dict[str, Any], source: str, confirmed: bool) -> list[str]:
    """Verify a saved room's signature; returns the console's notes for a confirmed, unverifiable file."""
    given = data.get("content_hash")
    if data["format"] == UNSIGNED_ROOM_FORMAT:
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), plain_hash(data).encode()):
            raise InputError(
                source,
                "content_hash",
                "the file was changed after it was saved (its content hash does not match): restore the file "
                "exactly as it was downloaded",
            )
        if not confirmed:
            raise NeedsConfirmation(
                source, None, f"saved unsigned by an earlier version (format 2); {CONFIRM_NOTE} (confirm to restore)"
            )
        return ["Restored on your confirmation from an unsigned file (format 2); it is signed when you save it."]
    if not isinstance(given, str) or len(given) > 200:
        raise InputError(source, "content_hash", "missing: this file carries no signature; not restored")
    if data.get("signer") == signer_id():
        if not hmac.compare_digest(given.encode(), content_hash(data).encode()):
            raise InputError(
                source,
                "content_hash",
                "the file was changed after it was saved (its signature does not match): restore the file "
                "exactly as it was downloaded",
            )
        return []
    if not confirmed:
        raise NeedsConfirmation(source, None, f"signed on another computer; {CONFIRM_NOTE} (confirm to restore)")
    return ["Restored on your confirmation from a file signed on another computer: it could not be verified here."]


def config_dir() -> Path:
    """The folder of the user's alliance-sim configuration (``ALLIANCE_SIM_CONFIG_DIR`` overrides it)."""
    given = os.environ.get(CONFIG_ENV)
    if given:
        return Path(given)
    if os.name == "nt" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "alliance-sim"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "alliance-sim"


_KEYS: dict[str, bytes] = {}
_KEYS_LOCK = threading.Lock()


def signing_key() -> bytes:
    """The secret that signs room files: 32 random bytes kept in the user's configuration folder, made on
    first use with permissions 0600. A key file others can read or that is malformed is one InputError line."""
    path = config_dir() / SIGNING_KEY_FILE
    with _KEYS_LOCK:
        if str(path) in _KEYS:
            return _KEYS[str(path)]
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        except OSError as exc:
            raise InputError(path, None, f"cannot create the room-signing key ({exc.strerror})") from None
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
        try:
            info = os.stat(path)
            text = path.read_text("ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(path, None, f"cannot read the room-signing key ({exc})") from None
        if os.name != "nt" and info.st_mode & 0o077:
            raise InputError(
                path, None, f"the room-signing key is readable by others (mode {info.st_mode & 0o777:o}); chmod 600 it"
            )
        if not re.fullmatch(r"[0-9a-f]{64}", text):
            raise InputError(path, None, "not a room-signing key (64 hex digits); delete it to make a new one")
        _KEYS[str(path)] = bytes.fromhex(text)
        return _KEYS[str(path)]


def signer_id() -> str:
    """Names this computer's signing key in a room file (a hash of it; says nothing about the key)."""
    return hashlib.sha256(b"alliance-sim room signer\0" + signing_key()).hexdigest()[:16]


def discussion_questions(room: Room, result: dict[str, Any]) -> list[str]:
    """Questions for the class, generated from what happened in its own game."""
    qs = []
    a, b = room.model.structure.focal_pair
    share = result.get("model_alliance_share")
    runs = "none of its runs" if share == 0 else "all of its runs" if share == 1 else f"{share:.0%} of its runs"
    if result.get("class_alliance_step") is not None and share is not None:
        qs.append(
            f"Your class brought {a} and {b} to a formal alliance; the model does so in {runs} over the same "
            "months. Which of your choices made the difference, and would the real governments make them?"
        )
    elif share is not None:
        qs.append(
            f"No {a}-{b} alliance in your game; the model reaches one in {runs}. What held the two back, and what "
            "would have had to change?"
        )
    teams = result.get("teams", [])
    against = max(teams, key=lambda t: t["against_advice"], default=None)
    if against is not None and against["against_advice"] > 0:
        qs.append(
            f"{against['team']} ({against['country']}) went against the model's advice "
            f"{_times(against['against_advice'])}. What did the team weigh that the model does not?"
        )
    refusals = result.get("refusals", [])
    if refusals:
        first = refusals[0]
        qs.append(f"In {first['date']}: {first['text']} Was the refusal in the refuser's interest? Why?")
    if result.get("treaty"):
        qs.append(
            f"Treaty talks: a formal alliance needs consent held for {room.treaty_months} months. Why would a "
            "government hesitate to sign even when both sides want closer ties?"
        )
    if not qs:
        qs.append("Nothing changed in your game: is stability what the documents describe for 2018-2021?")
    return qs


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def new_code(taken: set[str] | frozenset[str] = frozenset()) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            return code


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
