"""Classroom rooms: one shared model, several teams on their own devices, one projector.

A ``Room`` is a plain Python object (no UI): the instructor opens it on a scenario, teams join
with a team name and an actor that is still free, each team submits its moves for the month
(with a short "why"), and the instructor advances the clock. Teams that have not moved by then
are played by the model. After each month every team learns what became of each of its
requests (``Feedback``) and the room's event log words wishes, refusals and changes
differently (``describe_month``). A room saves to JSON (moves, team names, reasons, seed) and
reloads by replaying the moves from the same seed, so the state is identical.

The dashboard keeps rooms in a ``RoomRegistry`` (one per server process, keyed by a short code)
and only renders what a room says; every limit is checked here, on the server.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.core.calendar import month_label
from simulation.core.errors import InputError
from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL, Intent
from simulation.drivers.model import AllianceModel
from simulation.teaching.seminar import HumanMove, Situation, apply_moves, debrief, situation, validate_move
from simulation.world.scenario import Scenario, parse_scenario

ROOM_FORMAT = "alliance-sim room 1"
#: Limits checked on the server, whatever the browser sends.
MAX_TEAM_NAME = 40
MAX_WHY = 300
MAX_ROOM_BYTES = 2_000_000
MAX_ROOMS = 20
MAX_DEBRIEF_RUNS = 2000
TIMER_RANGE_S = (10, 900)
#: Codes use letters that cannot be confused when read off a projector (no I, L, O, 0, 1).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
_TEAM_NAME = re.compile(r"^[\w .,'()&+-]{1,40}$", re.UNICODE)


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
) -> Feedback:
    """One request's fate, from both sides' requests and the levels before and after the month.

    Raising needs both sides; either side can lower; a formal alliance needs consent held for
    ``treaty_months`` months in a row (004: an alliance is negotiated, not flipped).
    ``partner_reason`` is the partner team's "why" when a person plays the partner.
    """
    now = LEVEL_LABELS[after]
    why = f' Their reason: "{partner_reason}"' if partner_reason else ""
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


# --------------------------------------------------------------------------- the room


@dataclass
class Team:
    name: str
    actor: str
    joined_at: float
    seat: str  # a secret a browser keeps to get its seat back after a reconnect


@dataclass
class Submission:
    move: HumanMove
    why: str = ""


@dataclass
class Round:
    """One month as played: who moved, what they asked, why, and who the model played."""

    month: int
    moves: dict[str, dict[str, Any]]  # actor -> {"moves", "pressure", "coordination", "why", "team"}
    model_played: list[str]  # teams' actors the model played because they had not moved


def clean_text(text: Any, limit: int, what: str) -> str:
    """A one-line text of at most ``limit`` characters (control characters dropped)."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise InputError(None, what, "must be text")
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    if len(text) > limit:
        raise InputError(None, what, f"is {len(text)} characters long (allowed: up to {limit})")
    return text


class Room:
    """One class's game: a shared model, its teams, their moves and what became of them."""

    def __init__(
        self, scenario: Scenario, scenario_name: str, seed: int = 0, code: str | None = None, title: str | None = None
    ):
        self.scenario = scenario
        self.scenario_name = scenario_name
        self.seed = int(seed)
        self.code = code or new_code()
        self.instructor_key = secrets.token_urlsafe(9)  # opens the clock controls; never saved
        self.title = title or scenario.title
        self.model = AllianceModel(scenario, seed=self.seed)
        self.treaty_months = int(round(self.model.resolved.value("treaty_consent_steps")))
        self.teams: dict[str, Team] = {}  # by actor
        self.pending: dict[str, Submission] = {}
        self.rounds: list[Round] = []
        self.log: list[LogEntry] = []
        self.feedback: dict[str, list[Feedback]] = {}  # by actor, for the last month
        self.timer_s: int | None = None
        self.deadline: float | None = None
        self.version = 0  # bumped on every change: views poll it
        self.lock = threading.RLock()
        self.created = time.time()
        self._cache: dict[str, tuple[tuple[int, Any], Any]] = {}

    def cached(self, name: str, compute, extra: Any = None):
        """``compute()`` once per room version (and ``extra``): every session following the room shares it."""
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
        self.version += 1

    # ---- joining
    def join(self, team_name: Any, actor: Any, seat: str | None = None) -> Team:
        """Seat a team on a free actor; the same team name (or its seat secret) gets its seat back."""
        name = clean_text(team_name, MAX_TEAM_NAME, "team name")
        if not name or not _TEAM_NAME.match(name):
            raise InputError(None, "team name", "give 1 to 40 letters, digits, spaces or . , ' ( ) & + -")
        with self.lock:
            if actor not in self.actors:
                raise InputError(None, "actor", f"'{actor}' is not in this room (allowed: {', '.join(self.actors)})")
            taken = self.teams.get(actor)
            if taken is not None:
                if (
                    seat is not None and secrets.compare_digest(seat, taken.seat)
                ) or taken.name.casefold() == name.casefold():
                    return taken  # a reconnect: the seat is theirs
                raise InputError(
                    None,
                    "actor",
                    f"{actor} is already played by team '{taken.name}' "
                    f"(free: {', '.join(self.free_actors()) or 'none'})",
                )
            for other in self.teams.values():
                if other.name.casefold() == name.casefold():
                    raise InputError(
                        None,
                        "team name",
                        f"team '{name}' already plays {other.actor}; choose another name or rejoin as that actor",
                    )
            team = Team(name, str(actor), time.time(), secrets.token_urlsafe(16))
            self.teams[team.actor] = team
            self._bump()
            return team

    def leave(self, actor: str) -> None:
        """Free an actor (the instructor's choice; a closed laptop keeps its seat)."""
        with self.lock:
            if self.teams.pop(actor, None) is not None:
                self.pending.pop(actor, None)
                self._bump()

    # ---- moves
    def situation(self, actor: str) -> Situation:
        with self.lock:
            return self.cached(f"situation:{actor}", lambda: situation(self.model, actor), self.month)

    def submit(self, actor: str, seat: str, move: HumanMove, why: Any = "") -> list[str]:
        """Record a team's move for this month (it can change it until the month is played)."""
        why_text = clean_text(why, MAX_WHY, "why")
        with self.lock:
            team = self.teams.get(actor)
            if team is None or not isinstance(seat, str) or not secrets.compare_digest(seat, team.seat):
                return [f"{actor} is not your team's actor in this room"]
            problems = validate_move(self.model, actor, move)
            if not problems:
                self.pending[actor] = Submission(move, why_text)
                self._bump()
            return problems

    def withdraw(self, actor: str, seat: str) -> None:
        with self.lock:
            team = self.teams.get(actor)
            if team is not None and secrets.compare_digest(seat, team.seat) and self.pending.pop(actor, None):
                self._bump()

    # ---- the clock
    def set_timer(self, seconds: int | None) -> None:
        """Advance automatically ``seconds`` after each month starts (None: only by hand)."""
        with self.lock:
            if seconds is not None:
                lo, hi = TIMER_RANGE_S
                if not isinstance(seconds, int | float) or not lo <= seconds <= hi:
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
        with self.lock:
            if self.deadline is None or self.finished or (time.time() if now is None else now) < self.deadline:
                return False
            self.advance()
            return True

    def advance(self) -> list[LogEntry]:
        """Play one month: submitted moves for their teams, the model for everyone else."""
        with self.lock:
            if self.finished:
                raise InputError(None, "advance", "the game is over")
            month = self.month
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
                )
            )
            self.feedback = self._feedback(record.intent, before, record.level_after, record.consent_months)
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
            if self.timer_s is not None and not self.finished:
                self.deadline = time.time() + self.timer_s
            elif self.finished:
                self.deadline = None
            self._bump()
            return entries

    def _feedback(
        self, intent: np.ndarray, before: np.ndarray, after: np.ndarray, consent: np.ndarray
    ) -> dict[str, list[Feedback]]:
        actors = self.actors
        reasons = {a: s.why for a, s in self.pending.items() if s.why}
        out: dict[str, list[Feedback]] = {}
        for actor in self.teams:
            i = actors.index(actor)
            items = []
            for j, partner in enumerate(actors):
                if j == i:
                    continue
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
                        reasons.get(partner) if partner in self.teams else None,
                    )
                )
            out[actor] = items
        return out

    # ---- what the projector shows
    def levels(self) -> np.ndarray:
        """Level trajectory [months + 1, n, n]."""
        return self.cached("levels", self.model.levels_array)

    def pressure_now(self) -> dict[str, float]:
        return self.situation(self.actors[0]).pressure

    def coordination_now(self) -> float | None:
        return self.situation(self.actors[0]).coordination

    # ---- debrief and export
    def debrief(self, runs: int = 500) -> dict[str, Any]:
        if not isinstance(runs, int) or not 50 <= runs <= MAX_DEBRIEF_RUNS:
            raise InputError(None, "runs", f"{runs} is out of range (allowed: 50 to {MAX_DEBRIEF_RUNS})")
        with self.lock:
            return debrief(self.scenario, self.model, runs)

    def rows(self) -> list[dict[str, Any]]:
        """One row per month, actor and partner: who played, the request, the outcome, the reason."""
        levels = self.levels()
        by_month = {r.month: r for r in self.rounds}
        decisions = self.model.datacollector.get_table_dataframe("decisions")
        out = []
        for row in decisions.itertuples(index=False):
            rnd = by_month.get(int(row.step))
            played = rnd.moves.get(row.actor) if rnd is not None else None
            team = self.teams.get(row.actor)
            out.append(
                {
                    "month": int(row.step),
                    "date": month_label(self.model.start, int(row.step)),
                    "actor": row.actor,
                    "team": played["team"] if played else (team.name if team else ""),
                    "played_by": "team" if played else "model",
                    "partner": row.partner,
                    "request": row.intent,
                    "partner_request": row.partner_intent,
                    "level_before": LEVEL_LABELS[int(row.level_before)],
                    "level_after": LEVEL_LABELS[int(row.level_after)],
                    "why": played["why"] if played else "",
                }
            )
        assert len(levels) == self.month + 1
        return out

    def export_csv(self) -> str:
        rows = self.rows()
        buf = io.StringIO()
        columns = [
            "month",
            "date",
            "actor",
            "team",
            "played_by",
            "partner",
            "request",
            "partner_request",
            "level_before",
            "level_after",
            "why",
        ]
        writer = csv.DictWriter(buf, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()

    def export_json(self) -> str:
        data = self.to_dict()
        data["decisions"] = self.rows()
        data["event_log"] = [
            {"month": e.month, "date": e.date, "kind": e.kind, "pair": list(e.pair), "text": e.text} for e in self.log
        ]
        return json.dumps(data, indent=1)

    # ---- save and reload
    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "format": ROOM_FORMAT,
                "code": self.code,
                "title": self.title,
                "seed": self.seed,
                "scenario_name": self.scenario_name,
                "scenario": self.scenario.model_dump(mode="json", exclude_none=True),
                "teams": [{"name": t.name, "actor": t.actor} for t in self.teams.values()],
                "rounds": [{"month": r.month, "moves": r.moves, "model_played": r.model_played} for r in self.rounds],
                "timer_s": self.timer_s,
            }

    def save_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "uploaded room", code: str | None = None) -> Room:
        """A room from its saved JSON, replayed move by move; any problem is one InputError line."""
        if len(text) > MAX_ROOM_BYTES:
            raise InputError(source, None, f"too large for a saved room (limit {MAX_ROOM_BYTES // 1_000_000} MB)")
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise InputError(source, None, f"not a saved room ({type(exc).__name__})") from None
        if not isinstance(data, dict) or data.get("format") != ROOM_FORMAT:
            raise InputError(source, "format", f"not a saved alliance-sim room (expected format '{ROOM_FORMAT}')")
        try:
            scenario = parse_scenario(data["scenario"], source)
            room = cls(
                scenario,
                str(data.get("scenario_name", "uploaded")),
                int(data["seed"]),
                code=code,
                title=data.get("title"),
            )
            seats = {}
            for t in data["teams"]:
                seats[t["actor"]] = room.join(t["name"], t["actor"]).seat
            for k, rnd in enumerate(data["rounds"]):
                if rnd["month"] != room.month:
                    raise InputError(source, f"rounds[{k}].month", f"expected month {room.month}")
                for actor, m in rnd["moves"].items():
                    if actor not in seats:
                        seats[actor] = room.join(m.get("team") or actor, actor).seat
                    move = HumanMove(dict(m["moves"]), m.get("pressure"), m.get("coordination"))
                    problems = room.submit(actor, seats[actor], move, m.get("why", ""))
                    if problems:
                        raise InputError(source, f"rounds[{k}].moves.{actor}", "; ".join(problems))
                room.advance()
            if data.get("timer_s") is not None:
                room.set_timer(data["timer_s"])
        except InputError as err:
            raise InputError(source, err.field, err.message) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(source, None, f"not a valid saved room ({type(exc).__name__}: {exc})") from None
        return room


def new_code(taken: set[str] | frozenset[str] = frozenset()) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            return code


@dataclass
class RoomRegistry:
    """The rooms of one server process, by code. Sessions look rooms up here; nothing else holds them."""

    max_rooms: int = MAX_ROOMS
    rooms: dict[str, Room] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _check_space(self) -> None:
        if len(self.rooms) >= self.max_rooms:
            raise InputError(None, "room", f"this server already runs {self.max_rooms} rooms: close one first")

    def open(self, scenario: Scenario, scenario_name: str, seed: int = 0) -> Room:
        with self.lock:
            self._check_space()
            room = Room(scenario, scenario_name, seed, code=new_code(set(self.rooms)))
            self.rooms[room.code] = room
            return room

    def restore(self, text: str | bytes, source: str = "uploaded room") -> Room:
        with self.lock:
            self._check_space()
            room = Room.from_json(text, source, code=new_code(set(self.rooms)))
            self.rooms[room.code] = room
            return room

    def instructor_room(self, code: Any, key: Any) -> Room | None:
        """The room if ``key`` is its instructor key (else None)."""
        room = self.get(code)
        if room is None or not isinstance(key, str) or not secrets.compare_digest(key, room.instructor_key):
            return None
        return room

    def get(self, code: Any) -> Room | None:
        if not isinstance(code, str):
            return None
        return self.rooms.get(code.strip().upper())

    def close(self, code: str) -> None:
        with self.lock:
            self.rooms.pop(code, None)
