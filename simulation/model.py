"""The Mesa model: schedules one run through the shared rules and collects data.

Step order (written once, here):
1. draw this month's standard normals from the run's own generator;
2. apply the rules to the whole state (environment, utility, intents, consent);
3. each country agent records its decisions and their utility terms;
4. the DataCollector records every pair's alignment and the drivers.
"""

from __future__ import annotations

from functools import partial

import mesa
import numpy as np

from .agents import CountryAgent
from .outcomes import pair_names
from .params import Params
from .registry import Registry
from .rules.step import StepRecord, advance, noise_width
from .rules.utility import TERMS
from .scenario import Scenario
from .state import State
from .world import World, build_world


def pair_level(model: AllianceModel, i: int, j: int) -> int:
    """Reporter: alignment level of pair (i, j). Used through functools.partial (picklable)."""
    return int(model.state.level[0, i, j])


def pressure_on(model: AllianceModel, k: int) -> float:
    """Reporter: threat index of the pressure on actor k this month."""
    t = min(model.state.step, model.world.steps - 1)
    return float(model.world.pressure_threat[t, k])


def coordination_level(model: AllianceModel) -> float:
    t = min(model.state.step, model.world.steps - 1)
    return float(model.world.coordination[t])


def decision_columns() -> list[str]:
    return [
        "step",
        "actor",
        "partner",
        "level_before",
        "level_after",
        "intent",
        "desire",
        "raise_threshold",
        "lower_threshold",
        *[f"term_{t}" for t in TERMS],
        "noise",
    ]


class AllianceModel(mesa.Model):
    """One stochastic run of a scenario. ``seed`` fully determines it (with the scenario)."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int = 0,
        registry: Registry | None = None,
        rng: int | None = None,
    ):
        if rng is not None:  # mesa.batch_run passes the seed as ``rng``
            seed = rng
        seed = int(seed)  # mesa 3.5 rejects numpy integers
        super().__init__(rng=seed)
        self.scenario_spec = scenario
        self.seed = seed
        self.world: World = build_world(scenario, registry)
        self.params = Params.from_worlds([self.world])
        self.state = State.initial(self.params.initial_level, 1, self.params.random_events)
        self._noise = np.random.default_rng(seed)
        self._width = noise_width(self.world.n, self.params.random_events)
        self.last_record: StepRecord | None = None
        self._intent_override: tuple[np.ndarray, np.ndarray] | None = None
        for index, name in enumerate(self.world.actors):
            CountryAgent(self, name, index)
        reporters: dict[str, object] = {
            name: partial(pair_level, i=i, j=j) for i, j, name in pair_names(self.world.actors)
        }
        for k, name in enumerate(self.world.actors):
            if self.world.pressure_threat[:, k].any():
                reporters[f"pressure_on_{name}"] = partial(pressure_on, k=k)
        reporters["coordination"] = coordination_level
        self.datacollector = mesa.DataCollector(
            model_reporters=reporters, tables={"decisions": decision_columns()}
        )
        self.datacollector.collect(self)

    # ---- queries used by agents, explanations and the dashboard
    def level(self, a: str, b: str) -> int:
        i, j = self.world.index(a), self.world.index(b)
        return int(self.state.level[0, i, j])

    def raise_threshold(self, level: int) -> float:
        nxt = min(level + 1, len(self.world.thresholds) - 1)
        return float(self.world.thresholds[nxt]) if level < nxt else float("inf")

    def lower_threshold(self, level: int) -> float:
        if level == 0:
            return float("-inf")
        return float(self.world.thresholds[level] - (level + 1) * self.world.weights.hysteresis)

    @property
    def countries(self) -> dict[str, CountryAgent]:
        return {a.name: a for a in self.agents}

    # ---- levers a seminar's human players pull
    def set_pressure(self, target: str, level: float) -> None:
        """Constant pressure (every instrument at ``level``) on ``target`` from this month on."""
        k, t = self.world.index(target), self.state.step
        for arr in (self.world.pressure_threat, self.world.pressure_trade):
            arr[t:, k] = level
        self.params.pressure_threat[0, t:, k] = level
        self.params.pressure_trade[0, t:, k] = level

    def set_coordination(self, level: float) -> None:
        """EU coordination with the US at ``level`` from this month on."""
        t = self.state.step
        self.world.coordination[t:] = level
        self.params.coordination[0, t:] = level

    def advice(self) -> StepRecord:
        """What the rules would do this month without noise (a pure look-ahead; no state changes)."""
        _, record = advance(self.state, self.params, np.zeros((1, self._width)))
        return record

    def step_with_intents(self, mask: np.ndarray, intents: np.ndarray) -> None:
        """One step in which ``intents`` replace the rules' choices where ``mask`` is set ([n, n])."""
        self._intent_override = (mask[None], intents[None].astype(np.int8))
        self.step()

    # ---- the step
    def step(self) -> None:
        if self.state.step >= self.world.steps:
            self.running = False
            return
        override, self._intent_override = self._intent_override, None
        z = self._noise.standard_normal(self._width)[None, :]
        self.state, record = advance(self.state, self.params, z, override)
        self.last_record = record
        self.agents.do("record_decisions", record)
        self.datacollector.collect(self)
        if self.state.step >= self.world.steps:
            self.running = False

    def levels_array(self) -> np.ndarray:
        """Level trajectory [T + 1, n, n] from the collected pair reporters."""
        df = self.datacollector.get_model_vars_dataframe()
        n = self.world.n
        out = np.zeros((len(df), n, n), dtype=np.int8)
        for i, j, name in pair_names(self.world.actors):
            out[:, i, j] = df[name].to_numpy()
            out[:, j, i] = out[:, i, j]
        return out
