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

from simulation.core.calendar import month_label
from simulation.core.ladder import LEVEL_LABELS, MAX_LEVEL, Intent
from simulation.drivers.model import AllianceModel
from simulation.reporting.explain import TERM_LABELS
from simulation.rules.kernels import term_weights
from simulation.rules.params import ROLE_COORDINATOR, ROLE_PRESSURER
from simulation.rules.terms import TERMS, TREATY_ONLY
from simulation.world.scenario import Scenario, parse_scenario

#: A saved session larger than this is refused before it is read.
MAX_SESSION_BYTES = 5_000_000

#: Seeds are whole numbers that fit an int64 (R and Parquet read larger ones as doubles).
MAX_SEED = 2**63 - 1

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


def check_seed(value: Any, source: Any = None, field: str = "seed") -> int:
    """A seed read from a file: a whole number from 0 to 2**63 - 1, else one line naming file and field.

    ``true``, ``1.7``, ``1e308``, ``Infinity`` and ``2**64`` are refused, never rounded or wrapped.
    """
    from simulation.core.errors import InputError

    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= int(value) <= MAX_SEED:
        shown = repr(value) if len(repr(value)) <= 30 else repr(value)[:27] + "..."
        raise InputError(source, field, f"{shown} is not a seed (allowed: a whole number from 0 to 2**63 - 1)")
    return int(value)


def pressurer_of(model: AllianceModel) -> str:
    return model.actors[int(model.params.roles[ROLE_PRESSURER])]


def coordinator_of(model: AllianceModel) -> str | None:
    k = int(model.params.roles[ROLE_COORDINATOR])
    return model.actors[k] if k >= 0 else None


def situation(model: AllianceModel, actor: str) -> Situation:
    """What a player of ``actor`` sees before choosing (the advice is the noise-free rule)."""
    actors = model.actors
    i = actors.index(actor)
    advice = model.advice()
    weights = term_weights(model.params.behaviour[0])
    total = model.params.total_trade_usd_bn[0]
    views = []
    for j, partner in enumerate(actors):
        if j == i:
            continue
        level = int(model.level[i, j])
        contrib = advice.terms[i, j] * weights
        if level < MAX_LEVEL - 1:  # treaty terms weigh only on signing or keeping a formal alliance
            contrib[list(TREATY_ONLY)] = 0.0
        order = np.argsort(-np.abs(contrib))[:3]
        views.append(
            PartnerView(
                partner=partner,
                level=LEVEL_LABELS[level],
                threat_to_me=float(advice.threat[i, j]),
                my_threat_to_them=float(advice.threat[j, i]),
                trade_share=float(advice.trade[i, j] / total[i]) if total[i] > 0 else 0.0,
                advice=Intent(int(advice.intent[i, j])).name.lower(),
                desire=float(advice.desire[i, j]),
                reasons=[(TERM_LABELS[TERMS[k].name], float(contrib[k])) for k in order if contrib[k] != 0.0],
            )
        )
    t = min(model.month, model.horizon - 1)
    pressurer, coordinator = pressurer_of(model), coordinator_of(model)
    p = actors.index(pressurer)
    coordination = model.params.coordination[0, t, max(int(model.params.roles[ROLE_COORDINATOR]), 0)]
    pressured = [k for k in range(len(actors)) if k != p]
    return Situation(
        actor=actor,
        step=model.month,
        date=month_label(model.start, model.month),
        partners=views,
        controls_pressure=actor == pressurer,
        controls_coordination=actor == coordinator,
        pressure={actors[k]: float(model.params.pressure_threat[0, t, k]) for k in pressured},
        coordination=float(coordination[pressured].max()) if coordinator is not None else None,
    )


def validate_move(model: AllianceModel, actor: str, move: HumanMove) -> list[str]:
    """Problems with a move, as messages for the player (empty if it is allowed)."""
    problems = []
    if model.month >= model.horizon:
        return ["the game is over"]
    actors = model.actors
    if not isinstance(move.moves, dict):
        return ["moves must map partners to raise, hold or lower"]
    for partner, word in move.moves.items():
        if partner not in actors or partner == actor:
            allowed = ", ".join(a for a in actors if a != actor)
            problems.append(f"unknown partner '{partner}' (allowed: {allowed})")
            continue
        if word not in MOVE_WORDS:
            problems.append(f"{partner}: '{word}' is not a move (use raise, hold or lower)")
            continue
        level = model.level_of(actor, partner)
        if word == "raise" and level >= MAX_LEVEL:
            problems.append(f"{partner}: already a formal alliance, cannot raise")
        if word == "lower" and level <= 0:
            problems.append(f"{partner}: already estranged, cannot lower")
    pressurer, coordinator = pressurer_of(model), coordinator_of(model)
    if move.pressure:
        if actor != pressurer:
            problems.append(f"only {pressurer} sets pressure")
        for target, level in move.pressure.items():
            if target not in actors or target == actor:
                problems.append(f"pressure: unknown target '{target}'")
            elif not isinstance(level, int | float) or not 0.0 <= level <= 1.0:
                problems.append(f"pressure on {target}: {level} is out of range (allowed: 0 to 1)")
    if move.coordination is not None:
        if actor != coordinator:
            problems.append("only the coordinating actor sets coordination")
        elif not isinstance(move.coordination, int | float) or not 0.0 <= move.coordination <= 1.0:
            problems.append(f"coordination {move.coordination} is out of range (allowed: 0 to 1)")
    return problems


def apply_moves(model: AllianceModel, moves: dict[str, HumanMove]) -> None:
    """Play one month with ``moves`` in place of the rules' choices for the actors who made them."""
    actors = model.actors
    n = len(actors)
    for move in moves.values():
        for target, level in (move.pressure or {}).items():
            model.set_pressure(target, float(level))
        if move.coordination is not None:
            model.set_coordination(float(move.coordination))
    advice = model.advice()
    mask = np.zeros((n, n), dtype=bool)
    intents = advice.intent.copy()
    for actor, move in moves.items():
        i = actors.index(actor)
        mask[i, :] = True
        mask[i, i] = False
        for partner, word in move.moves.items():
            intents[i, actors.index(partner)] = int(MOVE_WORDS[word])
    model.step_with_intents(mask, intents)


def level_changes(actors: tuple[str, ...], before: np.ndarray, after: np.ndarray) -> list[str]:
    """'Russia-China rose to entente' for every pair whose level changed."""
    changes = []
    for i in range(len(actors)):
        for j in range(i + 1, len(actors)):
            if before[i, j] != after[i, j]:
                verb = "rose" if after[i, j] > before[i, j] else "fell"
                changes.append(f"{actors[i]}-{actors[j]} {verb} to {LEVEL_LABELS[int(after[i, j])]}")
    return changes


#: Runs per parameter set in the debrief's model runs (enough for a set's own chance to mean something).
RUNS_PER_SET = 20


def debrief(scenario: Scenario, model: AllianceModel, runs: int = 500) -> dict[str, Any]:
    """The class's focal-pair path against the model's distribution over the same months.

    The model's runs (``runner.run_batch``) play the same scenario for as many months as the
    class played, so "the model reaches an alliance in x%" speaks of the same stretch of time.
    They are posterior draws x 20 runs each (``runs // 20`` draws, at most the posterior's), so the
    debrief can say how that share varies across the parameter sets the evidence leaves plausible.
    """
    from simulation.core.spread import spread_of
    from simulation.runner import run_batch

    a, b = model.structure.focal_pair
    i, j = model.structure.focal_index
    months = model.month
    out: dict[str, Any] = {"steps_played": months, "focal_pair": f"{a}-{b}"}
    if months == 0:
        out["text"] = "No month has been played yet: nothing to compare."
        return out
    path = model.levels_array()[:, i, j]
    hit = np.nonzero(path >= MAX_LEVEL)[0]
    class_step = int(hit[0]) if len(hit) else None
    same_months = scenario.model_copy(update={"steps": months})
    dist = run_batch(same_months, runs=runs, master_seed=100_000, draws=max(1, runs // RUNS_PER_SET))
    p = float(dist["alliance_reached"].mean())
    spread = spread_of(dist["alliance_reached"].astype(float), dist["draw"]) if "draw" in dist else None
    class_mean = float(path[1:].mean())
    below = float((dist["mean_level"] < class_mean).mean() + 0.5 * (dist["mean_level"] == class_mean).mean())
    class_final = int(path[-1])
    final_share = float((dist["final_level"] == class_final).mean())
    when = month_label(model.start, class_step) if class_step is not None else None
    if class_step is not None:
        text = (
            f"The class reached a {a}-{b} alliance in month {class_step} ({when}); over the same {months} "
            f"months the model reaches one (at any month) in {p:.0%} of {runs} runs."
        )
    else:
        text = (
            f"The class did not reach a {a}-{b} alliance; over the same {months} months the model reaches one "
            f"(at any month) in {p:.0%} of {runs} runs."
        )
    if spread is not None and spread.draws > 1:
        text += (
            f" The model does not know its own parameters exactly: over {spread.draws} parameter sets the evidence "
            f"leaves plausible ({spread.runs_per_draw:g} runs each), that chance is below 5% for "
            f"{spread.share_below:.0%} of them and above 50% for {spread.share_above:.0%} "
            f"(middle set {spread.median:.0%}, 5-95% of sets {spread.q05:.0%} to {spread.q95:.0%})."
        )
    if below >= 0.995:
        where = "closer than in every one of the model's runs"
    elif below <= 0.005:
        where = "less close than in any of the model's runs"
    else:
        where = f"closer than in {below:.0%} of the model's runs and less close than in {1 - below:.0%}"
    text += (
        f" The class ended at {LEVEL_LABELS[class_final]} (as {final_share:.0%} of the model's runs did at the end "
        f"of these months); on average over the months, {a}-{b} were {where}."
    )
    out.update(
        {
            "class_alliance_step": class_step,
            "class_alliance_date": when,
            "model_alliance_share": p,
            "model_alliance_spread": None if spread is None else spread.summary(),
            "class_mean_level": class_mean,
            "class_percentile": below,
            "class_final_level": LEVEL_LABELS[class_final],
            "model_final_levels": {
                LEVEL_LABELS[int(k)]: float(v)
                for k, v in dist["final_level"].value_counts(normalize=True).sort_index().items()
            },
            "runs": runs,
            "parameters": dist.attrs.get("parameters", ""),
            "text": text,
        }
    )
    return out


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
        return self.model.actors

    @property
    def step(self) -> int:
        return self.model.month

    @property
    def finished(self) -> bool:
        return self.step >= self.model.horizon

    def level(self, a: str, b: str) -> int:
        return self.model.level_of(a, b)

    def situation(self, actor: str) -> Situation:
        """What a human player sees before choosing (the advice is the noise-free rule)."""
        return situation(self.model, actor)

    # ---- moves
    def validate(self, actor: str, move: HumanMove) -> list[str]:
        """Problems with a move, as messages for the player (empty if it is allowed)."""
        if actor not in self.humans:
            return [f"{actor} is played by the model, not by a person"]
        return validate_move(self.model, actor, move)

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
        before = self.model.level.copy()
        apply_moves(self.model, self.pending)
        after = self.model.level
        self.history.append(
            {
                a: {"moves": m.moves, "pressure": m.pressure, "coordination": m.coordination}
                for a, m in self.pending.items()
            }
        )
        self.pending = {}
        return level_changes(self.actors, before, after)

    # ---- debrief
    def debrief(self, runs: int = 500) -> dict[str, Any]:
        """Compare the class's focal-pair path with the model's distribution for the scenario."""
        return debrief(self.scenario, self.model, runs)

    # ---- save and reload
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "alliance-sim seminar 1",
            "title": self.title,
            "seed": self.seed,
            "humans": self.humans,
            "scenario": self.scenario.model_dump(mode="json", exclude_none=True),
            "history": self.history,
        }

    def save(self, path: Path) -> Path:
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2), "utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> SeminarSession:
        from simulation.core.errors import InputError

        path = Path(path)
        if not path.is_file():
            raise InputError(path, None, "session file not found (or not a regular file)")
        if path.stat().st_size > MAX_SESSION_BYTES:
            raise InputError(path, None, f"too large for a saved session (limit {MAX_SESSION_BYTES // 1_000_000} MB)")
        try:
            data = json.loads(path.read_text("utf-8"))
        except RecursionError:
            raise InputError(path, None, "malformed JSON: nesting too deep") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(path, None, f"not a saved seminar session ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != "alliance-sim seminar 1":
            raise InputError(path, "format", "not a saved alliance-sim seminar session")
        seed = data.get("seed")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**63 - 1:
            raise InputError(path, "seed", f"expected a whole number from 0 to 2**63-1, got {str(seed)[:40]}")
        humans = data.get("humans")
        if not isinstance(humans, list) or not humans or not all(isinstance(h, str) for h in humans):
            raise InputError(path, "humans", "expected a list of actor names")
        title = data.get("title")
        if title is not None and (not isinstance(title, str) or len(title) > 200):
            raise InputError(path, "title", "expected text of at most 200 characters")
        try:
            seed = check_seed(data.get("seed"), path, "seed")
            session = cls(parse_scenario(data["scenario"], path), data["humans"], seed, data.get("title"))
            history = data["history"]
            if not isinstance(history, list):
                raise TypeError("history must be a list")
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(path, None, f"not a valid saved seminar session ({exc})") from None
        for k, round_moves in enumerate(history):
            try:
                for actor, m in round_moves.items():
                    move = HumanMove(dict(m["moves"]), m.get("pressure"), m.get("coordination"))
                    problems = session.submit(actor, move)
                    if problems:
                        raise InputError(path, f"history[{k}].{actor}", "; ".join(problems))
                session.play_round()
            except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:
                raise InputError(path, f"history[{k}]", f"not a valid round ({exc})") from None
        return session
