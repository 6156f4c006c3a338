"""What a room keeps of its game and hands out afterwards: the months as played (``Round``), the debrief
(each team's path, advice against choice, refusals, treaty talks and discussion questions from what
happened), and the exports: one row per month, actor and partner (moves.csv), one row per team
(teams.csv) and everything in one JSON file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.core.calendar import month_label
from simulation.core.errors import InputError
from simulation.core.ladder import LEVEL_LABELS
from simulation.drivers.model import AllianceModel
from simulation.teaching.room_limits import MAX_DEBRIEF_RUNS
from simulation.teaching.room_words import LogEntry
from simulation.teaching.seminar import debrief
from simulation.world.scenario import Scenario


@dataclass
class Round:
    """One month as played: who moved, what they asked, why, and who the model played."""

    month: int
    moves: dict[str, dict[str, Any]]  # actor -> {"moves", "pressure", "coordination", "why", "team"}
    model_played: list[str]  # teams' actors the model played because they had not moved
    teams: dict[str, str] = field(default_factory=dict)  # actor -> the team seated that month
    advice: dict[str, dict[str, str]] = field(default_factory=dict)  # actor -> partner -> the model's advice


def _summary_row(name: str, actor: str) -> dict[str, Any]:
    """A team's summary row before any month is counted."""
    return {
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
    }


class RoomRecords:
    """The records of a room (a part of ``Room``): its rounds and event log, read for the debrief and the
    exports. A change bumps the room's version (``_bump``)."""

    scenario: Scenario
    model: AllianceModel
    #: the scenario's own pressure and coordination (the levers before any team set them)
    schedule: tuple[np.ndarray, np.ndarray]
    treaty_months: int
    actors: tuple[str, ...]
    month: int
    rounds: list[Round]
    log: list[LogEntry]
    debrief_result: dict[str, Any] | None
    debrief_page: int
    lock: threading.RLock

    def _bump(self) -> None:
        raise NotImplementedError

    def levels(self) -> np.ndarray:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

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
        for rnd in self.rounds:
            for actor, name in rnd.teams.items():
                self._count_month(rows.setdefault((name, actor), _summary_row(name, actor)), actor, rnd)
        self._count_requests(rows)
        return [self._finish_row(actor, row) for (_name, actor), row in rows.items()]

    def _count_month(self, row: dict[str, Any], actor: str, rnd: Round) -> None:
        """A team's month: moved or played by the model; its advice taken or not, its levers and its reason."""
        played = rnd.moves.get(actor)
        if played is None:
            row["months_model_played"] += 1
            return
        row["months_moved"] += 1
        advice = rnd.advice.get(actor, {})
        row["decisions"] += len(advice) or len(played.get("moves") or {})
        for partner, word in (played.get("moves") or {}).items():
            if partner in advice:
                row["followed_advice" if advice[partner] == word else "against_advice"] += 1
        self._count_levers(row, actor, rnd.month, played)
        if played.get("why"):
            row["reasons"].append(f"{month_label(self.model.start, rnd.month)}: {played['why']}")

    def _count_requests(self, rows: dict[tuple[str, str], dict[str, Any]]) -> None:
        """The fate of the requests teams made in the months they moved (raises asked, done, refused; lowerings)."""
        by_month = {r.month: r for r in self.rounds}
        decisions = self.model.datacollector.get_table_dataframe("decisions")
        if decisions.empty:
            return
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

    def _finish_row(self, actor: str, row: dict[str, Any]) -> dict[str, Any]:
        """A summary row in words: the team's ties now, its reasons and its levers' first and last values."""
        i = self.actors.index(actor)
        row["ties_now"] = "; ".join(
            f"{p} {LEVEL_LABELS[int(self.model.level[i, j])]}" for j, p in enumerate(self.actors) if j != i
        )
        row["reasons"] = " | ".join(row["reasons"])
        row["levers"] = "; ".join(f"{name} {first:.2f} -> {last:.2f}" for name, (first, last) in row["levers"].items())
        return row

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


def discussion_questions(room: RoomRecords, result: dict[str, Any]) -> list[str]:
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
