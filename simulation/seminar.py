"""Seminar mode: students play some of the actors; the model plays the rest.

Each round (one month) every human player sees their situation (threats, trade, the
model's own advice with its utility terms) and chooses, for each partner, to raise, hold or
lower the relationship; the player of the pressuring actor (the US) also sets the pressure
on each target, and the player of the coordinating actor (the EU) its coordination. The
rules then run as usual with the humans' intents in place of the model's: bilateral
consent still applies (a human's raise needs the partner's). A session saves to JSON and
reloads by replaying its moves from the same seed, so the state is identical.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .explain import TERM_LABELS, month_label
from .model import AllianceModel
from .rules.utility import SIGNS, TERMS
from .scenario import Scenario, parse_scenario
from .state import LEVEL_LABELS, MAX_LEVEL, Intent

MOVE_WORDS = {"raise": Intent.RAISE, "hold": Intent.HOLD, "lower": Intent.LOWER}


@dataclass
class PartnerView:
    partner: str
    level: str
    threat_to_me: float  # my perception of the partner
    my_threat_to_them: float  # their perception of me
    trade_share: float  # share of my trade with them
    advice: str  # raise / hold / lower
    desire: float
    reasons: list[tuple[str, float]]  # largest utility terms (label, contribution)

    def reasons_text(self, count: int = 2) -> str:
        """'shared threat +1.58, leader rapport +0.68': the ``count`` largest terms."""
        return ", ".join(f"{label} {value:+.2f}" for label, value in self.reasons[:count])


@dataclass
class Situation:
    actor: str
    step: int
    date: str
    partners: list[PartnerView]
    controls_pressure: bool
    controls_coordination: bool
    pressure: dict[str, float] = field(default_factory=dict)
    coordination: float | None = None


@dataclass
class HumanMove:
    moves: dict[str, str]
    pressure: dict[str, float] | None = None
    coordination: float | None = None


class SeminarSession:
    """One class's game of a scenario with some actors played by people."""

    def __init__(self, scenario: Scenario, humans: list[str], seed: int = 0, title: str | None = None):
        unknown = [h for h in humans if h not in scenario.actors]
        if unknown:
            raise ValueError(f"unknown actor(s) {', '.join(unknown)} (allowed: {', '.join(scenario.actors)})")
        if not humans:
            raise ValueError("a seminar needs at least one human player")
        self.scenario = scenario
        self.humans = list(dict.fromkeys(humans))
        self.seed = int(seed)
        self.title = title or scenario.title
        self.model = AllianceModel(scenario, seed=self.seed)
        self.history: list[dict[str, dict[str, Any]]] = []
        self.pending: dict[str, HumanMove] = {}

    # ---- queries
    @property
    def actors(self) -> tuple[str, ...]:
        return self.model.world.actors

    @property
    def step(self) -> int:
        return self.model.state.step

    @property
    def finished(self) -> bool:
        return self.step >= self.model.world.steps

    def level(self, a: str, b: str) -> int:
        return self.model.level(a, b)

    def situation(self, actor: str) -> Situation:
        """What a human player sees before choosing (the advice is the noise-free rule)."""
        w = self.model.world
        i = w.index(actor)
        advice = self.model.advice()
        weights = self.model.params.term_weights[0] * SIGNS
        share = advice.trade_usd_bn[0] / w.total_trade_usd_bn[:, None]
        views = []
        for j, partner in enumerate(w.actors):
            if j == i:
                continue
            contrib = advice.terms[0, i, j] * weights
            order = np.argsort(-np.abs(contrib))[:3]
            views.append(PartnerView(
                partner=partner,
                level=LEVEL_LABELS[int(self.model.state.level[0, i, j])],
                threat_to_me=float(advice.threat[0, i, j]),
                my_threat_to_them=float(advice.threat[0, j, i]),
                trade_share=float(share[i, j]),
                advice=Intent(int(advice.intent[0, i, j])).name.lower(),
                desire=float(advice.desire[0, i, j]),
                reasons=[(TERM_LABELS[TERMS[k]], float(contrib[k])) for k in order],
            ))
        t = min(self.step, w.steps - 1)
        pressurer = w.actors[w.pressurer]
        coordinator = w.actors[w.coordinator] if w.coordinator >= 0 else None
        return Situation(
            actor=actor, step=self.step, date=month_label(w.start, self.step), partners=views,
            controls_pressure=actor == pressurer, controls_coordination=actor == coordinator,
            pressure={w.actors[k]: float(w.pressure_threat[t, k]) for k in range(w.n) if k != w.pressurer},
            coordination=float(w.coordination[t]) if coordinator is not None else None,
        )

    # ---- moves
    def validate(self, actor: str, move: HumanMove) -> list[str]:
        """Problems with a move, as messages for the player (empty if it is allowed)."""
        problems = []
        if actor not in self.humans:
            return [f"{actor} is played by the model, not by a person"]
        if self.finished:
            return ["the game is over"]
        for partner, word in move.moves.items():
            if partner not in self.actors or partner == actor:
                problems.append(f"unknown partner '{partner}' (allowed: {', '.join(a for a in self.actors if a != actor)})")
                continue
            if word not in MOVE_WORDS:
                problems.append(f"{partner}: '{word}' is not a move (use raise, hold or lower)")
                continue
            level = self.level(actor, partner)
            if word == "raise" and level >= MAX_LEVEL:
                problems.append(f"{partner}: already a formal alliance, cannot raise")
            if word == "lower" and level <= 0:
                problems.append(f"{partner}: already estranged, cannot lower")
        w = self.model.world
        if move.pressure:
            if actor != w.actors[w.pressurer]:
                problems.append(f"only {w.actors[w.pressurer]} sets pressure")
            for target, level in move.pressure.items():
                if target not in self.actors or target == actor:
                    problems.append(f"pressure: unknown target '{target}'")
                elif not 0.0 <= level <= 1.0:
                    problems.append(f"pressure on {target}: {level:g} is out of range (allowed: 0 to 1)")
        if move.coordination is not None:
            if w.coordinator < 0 or actor != w.actors[w.coordinator]:
                problems.append("only the coordinating actor sets coordination")
            elif not 0.0 <= move.coordination <= 1.0:
                problems.append(f"coordination {move.coordination:g} is out of range (allowed: 0 to 1)")
        return problems

    def submit(self, actor: str, move: HumanMove) -> list[str]:
        """Record a player's move for this round; returns problems (and records nothing) if refused."""
        problems = self.validate(actor, move)
        if not problems:
            self.pending[actor] = move
        return problems

    def waiting_for(self) -> list[str]:
        return [h for h in self.humans if h not in self.pending]

    def play_round(self) -> list[str]:
        """Run the month with the humans' moves (unspecified partners: the model's advice). Returns changes."""
        if self.waiting_for():
            raise RuntimeError(f"waiting for {', '.join(self.waiting_for())}")
        if self.finished:
            raise RuntimeError("the game is over")
        w = self.model.world
        n = w.n
        for move in self.pending.values():
            for target, level in (move.pressure or {}).items():
                self.model.set_pressure(target, level)
            if move.coordination is not None:
                self.model.set_coordination(move.coordination)
        advice = self.model.advice()
        mask = np.zeros((n, n), dtype=bool)
        intents = advice.intent[0].copy()
        for actor, move in self.pending.items():
            i = w.index(actor)
            mask[i, :] = True
            mask[i, i] = False
            for partner, word in move.moves.items():
                intents[i, w.index(partner)] = int(MOVE_WORDS[word])
        before = self.model.state.level[0].copy()
        self.model.step_with_intents(mask, intents)
        after = self.model.state.level[0]
        self.history.append({a: {"moves": m.moves, "pressure": m.pressure, "coordination": m.coordination}
                             for a, m in self.pending.items()})
        self.pending = {}
        changes = []
        for i in range(n):
            for j in range(i + 1, n):
                if before[i, j] != after[i, j]:
                    verb = "rose" if after[i, j] > before[i, j] else "fell"
                    changes.append(f"{w.actors[i]}-{w.actors[j]} {verb} to {LEVEL_LABELS[after[i, j]]}")
        return changes

    # ---- debrief
    def debrief(self, runs: int = 500) -> dict[str, Any]:
        """Compare the class's Russia-China path with the model's distribution for the scenario."""
        from .runner import run_batch

        levels = self.model.levels_array()
        out: dict[str, Any] = {"steps_played": self.step}
        if {"Russia", "China"} <= set(self.actors):
            r, c = self.actors.index("Russia"), self.actors.index("China")
            rc = levels[:, r, c]
            hit = np.nonzero(rc >= MAX_LEVEL)[0]
            class_step = int(hit[0]) if len(hit) else None
            model = run_batch(self.scenario, list(range(100_000, 100_000 + runs)))
            p = float(model["rc_alliance"].mean())
            class_mean = float(rc[1:].mean()) if len(rc) > 1 else float(rc[0])
            pct = float((model["rc_mean_level"] < class_mean).mean() + 0.5 * (model["rc_mean_level"] == class_mean).mean())
            when = month_label(self.model.world.start, class_step) if class_step is not None else None
            if class_step is not None:
                text = (f"The class reached a Russia-China alliance at step {class_step} ({when}); "
                        f"the model does so in {p:.0%} of {runs} runs of this scenario.")
            else:
                text = (f"The class did not reach a Russia-China alliance; the model reaches one in "
                        f"{p:.0%} of {runs} runs of this scenario.")
            text += f" The class's average Russia-China alignment is above {pct:.0%} of the model's runs."
            out.update({"class_alliance_step": class_step, "class_alliance_date": when, "model_alliance_share": p,
                        "class_mean_rc_level": class_mean, "class_percentile": pct,
                        "model_final_levels": model["rc_final_level"].value_counts(normalize=True).sort_index().to_dict(),
                        "text": text})
        return out

    # ---- save and reload
    def to_dict(self) -> dict[str, Any]:
        return {"format": "alliance-sim seminar 1", "title": self.title, "seed": self.seed, "humans": self.humans,
                "scenario": self.scenario.model_dump(mode="json", exclude_none=True), "history": self.history}

    def save(self, path: Path) -> Path:
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2), "utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> SeminarSession:
        from .errors import InputError

        path = Path(path)
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise InputError(path, None, "session file not found") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(path, None, f"not a saved seminar session ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != "alliance-sim seminar 1":
            raise InputError(path, "format", "not a saved alliance-sim seminar session")
        session = cls(parse_scenario(data["scenario"], path), data["humans"], data["seed"], data.get("title"))
        for k, round_moves in enumerate(data["history"]):
            for actor, m in round_moves.items():
                problems = session.submit(actor, HumanMove(m["moves"], m.get("pressure"), m.get("coordination")))
                if problems:
                    raise InputError(path, f"history[{k}].{actor}", "; ".join(problems))
            session.play_round()
        return session
