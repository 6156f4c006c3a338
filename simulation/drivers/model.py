"""The Mesa model: schedules one run through the shared compiled rules and collects data.

Step order (written once, here):
1. draw this month's standard normals from the run's own counter-based stream;
2. apply the rules to the whole state (``rules.kernels.advance_run``: policy, threat, trade,
   utility terms, intents, consent);
3. each country agent records its decisions and their utility terms;
4. the DataCollector records every pair's alignment and the drivers.

Mesa users can drive it as they would any Mesa model::

    mesa.batch_run(AllianceModel, parameters={"pressure_on_china": [0.2, 0.6]},
                   iterations=3, max_steps=48)

Keyword levers: ``pressure_on_<actor>`` (constant pressure, every instrument, 0-1; the actor
name in lower case) and ``coordination`` (0-1, every target).
"""

from __future__ import annotations

import re
import secrets
from functools import partial
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from simulation.drivers.agents import CountryAgent
from simulation.drivers.compiled import announce_compile
from simulation.drivers.engine import new_scratch, noise_width
from simulation.drivers.inputs import RunInputs, prepare_inputs, scenario_from
from simulation.drivers.records import MonthRecord, _record
from simulation.outcomes import pair_columns
from simulation.rules.kernels import advance_run, compute_anchor, term_weights, thresholds
from simulation.rules.params import ROLE_COORDINATOR, Params, new_memo
from simulation.rules.rng import fill_normals, run_key
from simulation.world.resolve import Resolved
from simulation.world.scenario import Scenario

_LEVER = re.compile(r"^pressure_on_([a-z0-9_ ]+)$")


def pair_level(model: AllianceModel, i: int, j: int) -> int:
    """Reporter: alignment level of pair (i, j). Used through functools.partial (picklable)."""
    return int(model.level[i, j])


def pressure_on(model: AllianceModel, k: int) -> float:
    """Reporter: threat index of the pressure on actor k this month (after any policy rule)."""
    if model.last_record is None:
        return float(model.params.pressure_threat[0, 0, k])
    return float(model.last_record.pressure_threat[k])


def coordination_level(model: AllianceModel) -> float:
    """Reporter: the (first) coordinator's mean coordination over the targets under pressure this month."""
    rec = model.last_record
    c = max(int(model.params.roles[ROLE_COORDINATOR]), 0)  # no coordinator: a row of zeros
    coord = (model.params.coordination[0, 0] if rec is None else rec.coordination)[c]
    pressured = model.params.pressure_threat[0].max(axis=0) > 0
    return float(coord[pressured].mean()) if pressured.any() else 0.0


def apply_levers(scenario: Scenario, levers: dict[str, Any]) -> Scenario:
    """The scenario with Mesa-style scalar levers applied (``pressure_on_<actor>``, ``coordination``)."""
    from simulation.core.errors import InputError
    from simulation.world.scenario import apply_overrides

    overrides: dict[str, Any] = {}
    by_lower = {a.lower(): a for a in scenario.actors}
    for name, value in levers.items():
        if value is None:
            continue
        match = _LEVER.match(name)
        if match and match.group(1) in by_lower:
            overrides[f"pressure.targets.{by_lower[match.group(1)]}"] = float(value)
        elif name == "coordination":
            overrides["pressure.coordination"] = float(value)
        else:
            levers_known = ", ".join([f"pressure_on_{a}" for a in by_lower] + ["coordination"])
            raise InputError(None, name, f"unknown model parameter (allowed: {levers_known})")
    return apply_overrides(scenario, overrides) if overrides else scenario


class AllianceModel(mesa.Model):
    """One stochastic run of a scenario. The seed determines it (with the scenario and version).

    ``spec``: a Scenario, a resolved scenario, a shipped scenario's name or a YAML path
    (default: the shipped baseline). ``seed`` (or ``rng``, as mesa.batch_run passes it): the
    run's seed; None draws a fresh one, recorded in ``model.seed``. ``scenario`` is Mesa's own
    argument (``mesa.experimental.scenarios``) and is passed to Mesa untouched. ``behaviour``:
    the behavioural parameters (a record array); default: one set, the posterior median when a
    calibrated posterior ships (``model.parameters`` says which).
    """

    def __init__(
        self,
        spec: Scenario | Resolved | str | Path | None = None,
        *,
        seed: int | None = None,
        rng: int | None = None,
        scenario: Any = None,
        behaviour: np.ndarray | None = None,
        behaviour_label: str = "behavioural parameters given to the model",
        inputs: RunInputs | None = None,
        **levers: Any,
    ):
        if seed is None and isinstance(rng, int | np.integer):
            seed = int(rng)
        mesa_seed = getattr(scenario, "rng", None)
        if seed is None and isinstance(mesa_seed, int | np.integer):
            seed = int(mesa_seed)  # Mesa's scenario carries the seed (SolaraViz's Reset)
        if seed is None:
            seed = secrets.randbits(62)
        seed = int(seed)  # mesa 3.5 rejects numpy integers
        if seed < 0:
            raise ValueError("seed must be non-negative")
        # with Mesa's scenario, Mesa takes its generator from it (and refuses a second one); the
        # rules draw from this run's own stream, keyed by ``seed`` (rules/rng.py), either way
        if scenario is not None:
            super().__init__(scenario=scenario)
        else:
            super().__init__(rng=seed)
        self.seed = seed
        if inputs is None:
            spec = scenario_from(spec)
            if levers:
                sc = spec.scenario if isinstance(spec, Resolved) else spec
                spec = apply_levers(sc, levers)
            inputs = prepare_inputs(
                spec, [seed], "point", behaviour=behaviour[:1] if behaviour is not None else None,
                behaviour_label=behaviour_label,
            )  # fmt: skip
        elif spec is not None or levers or behaviour is not None:
            raise ValueError("give prepared inputs, or a scenario (with levers and behaviour), not both")
        if len(inputs.params.behaviour) != 1:
            raise ValueError("an explained run takes one behavioural parameter set (prepare with 'point')")
        self.inputs = inputs
        self.resolved: Resolved = inputs.resolved
        self.structure = inputs.structure
        self.parameters = inputs.parameters
        params, reference = inputs.params, inputs.reference
        self.params: Params = params
        n = self.structure.n
        self.anchor = np.zeros((n, n))
        announce_compile("model")
        compute_anchor(reference, 0, params.behaviour[0], self.anchor)
        self.month = 0
        self.level = params.initial_level[0].copy()
        self.streak = np.zeros((n, n), dtype=np.int16)
        self.timer = np.zeros(params.random_pairs.shape[0], dtype=np.int32)
        self._key = np.uint64(run_key(np.int64(seed)))
        self._z = np.zeros(noise_width(n, params.random_pairs.shape[0]))
        self._scratch = new_scratch(n)
        self._intent_override: tuple[np.ndarray, np.ndarray] | None = None
        self.last_record: MonthRecord | None = None
        self.history: list[MonthRecord] = []
        for index, name in enumerate(self.structure.actors):
            CountryAgent(self, name, index)
        reporters: dict[str, object] = {
            col: partial(pair_level, i=i, j=j) for i, j, col in pair_columns(self.structure.actors)
        }
        for k, name in enumerate(self.structure.actors):
            if params.pressure_threat[0, :, k].any() or params.roles[4] != 0:
                reporters[f"pressure_on_{name.lower()}"] = partial(pressure_on, k=k)
        reporters["coordination"] = coordination_level
        self.datacollector = mesa.DataCollector(model_reporters=reporters, tables={"decisions": decision_columns()})
        self.datacollector.collect(self)

    @classmethod
    def from_inputs(cls, inputs: RunInputs, seed: int) -> AllianceModel:
        """The run ``seed`` of prepared inputs (``drivers.inputs.prepare_inputs``): the runner's path."""
        return cls(inputs=inputs, seed=seed)

    # ---- what the model is
    @property
    def actors(self) -> tuple[str, ...]:
        return self.structure.actors

    @property
    def horizon(self) -> int:
        return self.structure.steps

    @property
    def start(self) -> str:
        return self.structure.start

    @property
    def thresholds(self) -> np.ndarray:
        return thresholds(self.params.behaviour[0])

    def level_of(self, a: str, b: str) -> int:
        return int(self.level[self.structure.index(a), self.structure.index(b)])

    def raise_threshold(self, level: int) -> float:
        return float(self.thresholds[level + 1]) if level < len(self.thresholds) - 1 else float("inf")

    def lower_threshold(self, level: int) -> float:
        if level == 0:
            return float("-inf")
        return float(self.thresholds[level] - (level + 1) * self.params.behaviour[0]["hysteresis"])

    @property
    def countries(self) -> dict[str, CountryAgent]:
        return {a.name: a for a in self.agents}

    @property
    def alignment_graph(self):
        """The alignment network now, as a networkx graph (edge attribute ``level``, 0-5)."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(self.structure.actors)
        for i, a in enumerate(self.structure.actors):
            for j in range(i + 1, self.structure.n):
                g.add_edge(a, self.structure.actors[j], level=int(self.level[i, j]))
        return g

    # ---- levers a seminar's human players pull
    def set_pressure(self, target: str, level: float) -> None:
        """Constant pressure (every instrument at ``level``) on ``target`` from this month on."""
        k, t = self.structure.index(target), self.month
        self.params.pressure_threat[0, t:, k] = level
        self.params.pressure_trade[0, t:, k] = level

    def set_coordination(self, level: float, target: str | None = None, by: str | None = None) -> None:
        """Coordination of ``by`` (default: the first coordinator) with the pressurer at ``level`` from this
        month on (one target or all)."""
        t = self.month
        c = int(self.params.roles[ROLE_COORDINATOR]) if by is None else self.structure.index(by)
        if c < 0:
            raise ValueError("this scenario has no coordinating actor")
        if target is None:
            self.params.coordination[0, t:, c, :] = level
        else:
            self.params.coordination[0, t:, c, self.structure.index(target)] = level

    def advice(self) -> MonthRecord:
        """What the rules would do this month without noise (a pure look-ahead; no state changes)."""
        n = self.structure.n
        level, streak, timer = self.level.copy(), self.streak.copy(), self.timer.copy()
        scratch = new_scratch(n)
        z = np.zeros_like(self._z)
        mask = np.zeros((n, n), dtype=np.bool_)
        beh = self.params.behaviour[0]
        advance_run(self.params, 0, self.month, level, streak, timer, self.anchor, thresholds(beh), term_weights(beh),
                    z, mask, mask.astype(np.int8), scratch, new_memo(n, len(timer), 0))  # fmt: skip
        return _record(self.month, self.level.copy(), level, scratch, streak)

    def step_with_intents(self, mask: np.ndarray, intents: np.ndarray) -> None:
        """One step in which ``intents`` replace the rules' choices where ``mask`` is set ([n, n])."""
        self._intent_override = (np.asarray(mask, dtype=np.bool_), np.asarray(intents, dtype=np.int8))
        self.step()

    # ---- the step
    def step(self) -> None:
        if self.month >= self.structure.steps:
            self.running = False
            return
        n = self.structure.n
        override, self._intent_override = self._intent_override, None
        if override is None:
            override = (np.zeros((n, n), dtype=np.bool_), np.zeros((n, n), dtype=np.int8))
        fill_normals(self._key, self.month, self._z)
        before = self.level.copy()
        beh = self.params.behaviour[0]
        advance_run(
            self.params,
            0,
            self.month,
            self.level,
            self.streak,
            self.timer,
            self.anchor,
            thresholds(beh),
            term_weights(beh),
            self._z,
            override[0],
            override[1],
            self._scratch,
            new_memo(n, len(self.timer), 0),
        )  # the Mesa model recomputes every month (fmt: skip)
        self.last_record = _record(self.month, before, self.level, self._scratch, self.streak)
        self.history.append(self.last_record)
        self.month += 1
        self.agents.do("record_decisions", self.last_record)
        self.datacollector.collect(self)
        if self.month >= self.structure.steps:
            self.running = False

    def levels_array(self) -> np.ndarray:
        """Level trajectory [months + 1, n, n] from the collected pair reporters."""
        df = self.datacollector.get_model_vars_dataframe()
        n = self.structure.n
        out = np.zeros((len(df), n, n), dtype=np.int8)
        for i, j, col in pair_columns(self.structure.actors):
            out[:, i, j] = df[col].to_numpy()
            out[:, j, i] = out[:, i, j]
        return out


def decision_columns() -> list[str]:
    from simulation.rules.terms import TERM_NAMES

    return [
        "step",
        "actor",
        "partner",
        "level_before",
        "level_after",
        "partner_intent",
        "intent",
        "desire",
        "treaty_desire",
        "raise_threshold",
        "lower_threshold",
        "consent_months",
        *[f"term_{t}" for t in TERM_NAMES],
        "anchor",
        "noise",
    ]
