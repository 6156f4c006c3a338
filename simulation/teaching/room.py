"""One class's game (``Room``): a shared model, its teams on their own devices, their moves, the clock, and
the file it saves to.

The instructor opens a room on a scenario; teams take seats (``room_seats``) and submit their moves for the
month (with a short "why"), and the instructor advances the clock. Teams that have not moved by then are
played by the model. After each month every team learns what became of each of its requests and what
changed since last month (``room_words``); the room keeps the months as played for the debrief and the
exports (``room_records``). A room saves to a signed JSON file and reloads by replaying the moves from the
same seed, so the state is identical; an edited file is refused (``room_files``).
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation.core.calendar import month_label
from simulation.core.errors import InputError
from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL, Intent
from simulation.drivers.model import AllianceModel
from simulation.teaching.room_files import (
    ROOM_FORMAT,
    content_hash,
    model_version,
    read_room_file,
    saved_world,
    signer_id,
)
from simulation.teaching.room_limits import (
    MAX_TEAM_NAME,
    MAX_TITLE,
    MAX_WHY,
    TIMER_RANGE_S,
    check_room_size,
    clean_text,
    new_code,
)
from simulation.teaching.room_records import RoomRecords, Round
from simulation.teaching.room_seats import RoomSeats, Team
from simulation.teaching.room_words import (
    Feedback,
    LogEntry,
    PartnerChange,
    describe_change,
    describe_month,
    request_feedback,
)
from simulation.teaching.seminar import (
    HumanMove,
    Situation,
    apply_moves,
    check_seed,
    situation,
    validate_move,
)
from simulation.world.scenario import Scenario


@dataclass
class Submission:
    move: HumanMove
    why: str = ""
    serial: int = 0  # bumped by every submit of the seat: every device shows the latest one
    device: str | None = None


class Room(RoomSeats, RoomRecords):
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
        data, warnings = read_room_file(text, source, confirmed)
        try:
            seed, scenario, teams, rounds = saved_world(data, source)
            room = cls(
                scenario,
                str(data.get("scenario_name", "uploaded"))[:80],
                seed,
                code=code,
                title=data.get("title"),
                preset_names=data.get("preset_names") is True,
            )
            room._seat_saved_teams(teams, source)
            for k, rnd in enumerate(rounds):
                room._replay_round(k, rnd, source)
            if data.get("timer_s") is not None:
                room.set_timer(data["timer_s"])
        except InputError as err:
            raise InputError(source, err.field, err.message) from None
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise InputError(source, None, f"not a valid saved room ({type(exc).__name__}: {exc})") from None
        room.warnings = warnings
        return room

    def _seat_saved_teams(self, teams: list[Any], source: str) -> None:
        """Seat a saved room's teams with their own names and seat codes."""
        preset, self.preset_names = self.preset_names, False  # the saved teams keep their names
        for k, t in enumerate(teams):
            if not isinstance(t, dict):
                raise InputError(source, f"teams[{k}]", "must be a mapping")
            self.join(t["name"], t["actor"], seat=t.get("seat"), bot=t.get("bot") is True)
        self.preset_names = preset

    def _replay_round(self, k: int, rnd: Any, source: str) -> None:
        """Replay the saved month ``rounds[k]``: every team's move submitted as saved, then the month played."""
        if not isinstance(rnd, dict) or not isinstance(rnd.get("moves"), dict):
            raise InputError(source, f"rounds[{k}]", "must be a mapping with moves")
        if rnd.get("month") != self.month:
            raise InputError(source, f"rounds[{k}].month", f"expected month {self.month}")
        for actor, m in rnd["moves"].items():
            if not isinstance(m, dict):
                raise InputError(source, f"rounds[{k}].moves.{actor}", "must be a mapping")
            if actor not in self.teams:
                raise InputError(source, f"rounds[{k}].moves.{actor}", "moves for a country no team plays")
            move = HumanMove(dict(m["moves"]), m.get("pressure"), m.get("coordination"))
            problems = self.submit(actor, self.teams[actor].seat, move, m.get("why", ""))
            if problems:
                raise InputError(source, f"rounds[{k}].moves.{actor}", "; ".join(problems))
        # the teams seated that month: restored from the file, so records name who really played
        seated = rnd.get("teams")
        self._replay_advance(seated if isinstance(seated, dict) else None, rnd)

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
