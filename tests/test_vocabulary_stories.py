"""The stories of docs/adding-*.md, each with a toy that the run sees (a number moves): an actor (a scenario
file), a family (the registry, read here by a toy event kind) and an outcome (one catalogue entry). Policy
rules, coordinators, terms and event kinds have their own files (test_policy_rules.py, test_coordinators.py,
test_terms.py, test_event_kinds.py)."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pytest
import yaml
from pydantic import Field

from simulation import outcomes
from simulation.cli import main
from simulation.drivers.model import AllianceModel
from simulation.runner import noise_free_desire, run_batch
from simulation.world import registry as registry_module
from simulation.world.build import build_params
from simulation.world.events import EventDrivers, EventKind, register_event, unregister_event
from simulation.world.fields import ActorName, Step
from simulation.world.registry import Registry
from simulation.world.resolve import resolve
from simulation.world.scenario import apply_overrides, load_scenario, parse_scenario
from tests.conftest import SCENARIOS
from tests.vocabulary_toys import revisionism_family, toy_registry_file

JAPAN = SCENARIOS / "baseline_with_japan.yaml"


def test_adding_an_actor_is_a_scenario_file(capsys):
    """Japan with its per-actor values: validate accepts it, and the run reads them: a Japan far more
    concerned with status (0.95 instead of 0.4) wants less closeness to the stronger US (the status term)."""
    assert main(["validate", str(JAPAN)]) == 0
    japan = load_scenario(JAPAN)
    proud = apply_overrides(japan, {"parameters.status_concern.Japan": 0.95})
    desire, shape = noise_free_desire(japan)
    desire_proud, _ = noise_free_desire(proud)
    j, us = shape.index("Japan"), shape.index("US")
    assert desire_proud[j, us] < desire[j, us] - 0.05
    # and only Japan's own view changes
    others = [k for k in range(shape.n) if k != j]
    np.testing.assert_allclose(desire_proud[np.ix_(others, others)], desire[np.ix_(others, others)])


class Bluster(EventKind):
    """A toy event kind that reads a toy family: the actor's ``revisionism`` sets the intensity of a crisis
    with ``against`` while the bluster lasts."""

    kind: Literal["bluster"]
    by: ActorName
    against: ActorName
    from_step: Step
    duration_steps: int = Field(ge=1, le=120)
    actor_fields: ClassVar[tuple[str, ...]] = ("by", "against")

    def apply(self, d: EventDrivers) -> None:
        months, a, b = d.months(self.from_step, self.duration_steps), d.index(self.by), d.index(self.against)
        d.crisis[months, a, b] += d.value(f"revisionism.{self.by}")
        d.crisis[months, b, a] += d.value(f"revisionism.{self.by}")

    def describe(self) -> str:
        return f"{self.by} blusters"


@pytest.fixture
def bluster():
    register_event(Bluster)
    yield Bluster
    unregister_event(Bluster)
    registry_module.default_registry.cache_clear()


def test_adding_a_family_is_the_registry_and_its_reader(tmp_path, bluster):
    """A per-actor family declared in the registry alone: every actor needs a value (Japan's comes from the
    scenario), and the value the scenario sets is the one the run reads."""
    toy = Registry.from_file(toy_registry_file(tmp_path, revisionism_family(
        {"US": 0.2, "China": 0.6, "EU": 0.1, "India": 0.3, "Russia": 0.9})))  # fmt: skip
    data = yaml.safe_load(JAPAN.read_text("utf-8"))
    data["parameters"]["revisionism.Japan"] = 0.2
    data.pop("reference_scenario")  # the shipped file, which has no revisionism value for Japan
    data["events"].append({"kind": "bluster", "by": "Russia", "against": "US", "from_step": 5, "duration_steps": 3})
    scenario = parse_scenario(data, JAPAN, toy)
    russia, us = scenario.actors.index("Russia"), scenario.actors.index("US")
    params = build_params(resolve(scenario, toy))
    assert np.all(params.crisis[0, 5:8, russia, us] == 0.9) and params.crisis[0, 8, russia, us] == 0.0
    calm = parse_scenario({**data, "parameters": {**data["parameters"], "revisionism.Russia": 0.1}}, JAPAN, toy)
    assert np.all(build_params(resolve(calm, toy)).crisis[0, 5:8, russia, us] == 0.1)
    # the run sees it: in the bluster's months the US fears Russia more when Russia is more revisionist
    hot, cold = AllianceModel(resolve(scenario, toy), seed=0), AllianceModel(resolve(calm, toy), seed=0)
    for model in (hot, cold):
        for _ in range(5):
            model.step()
    assert hot.advice().threat[us, russia] > cold.advice().threat[us, russia] + 0.01


def _months_at_partnership(view: outcomes.BatchView) -> np.ndarray:
    return (view.focal_series[:, 1:] >= 2).sum(axis=1)


TOY_OUTCOME = outcomes.Outcome(
    "months_at_partnership", "real", "Int16", "months at partnership or above",
    "Months the focal pair spends at partnership or above.", _months_at_partnership, "mean",
)  # fmt: skip


def test_adding_an_outcome_is_one_catalogue_entry(monkeypatch):
    """A toy outcome added to the catalogue becomes a column of every batch, computed from the run: more
    pressure on both (a threat they share) keeps the pair longer at partnership or above."""
    monkeypatch.setattr(outcomes, "OUTCOMES", (*outcomes.OUTCOMES, TOY_OUTCOME))
    monkeypatch.setattr(outcomes, "OUTCOME_NAMES", (*outcomes.OUTCOME_NAMES, TOY_OUTCOME.name))
    monkeypatch.setattr(outcomes, "NUMERIC_OUTCOMES", (*outcomes.NUMERIC_OUTCOMES, TOY_OUTCOME.name))
    base = load_scenario(SCENARIOS / "baseline_2018_2021.yaml")
    low = run_batch(apply_overrides(base, {"pressure.targets.China": 0.0, "pressure.targets.Russia": 0.0}), runs=100)
    high = run_batch(apply_overrides(base, {"pressure.targets.China": 1.0, "pressure.targets.Russia": 1.0}), runs=100)
    assert str(high["months_at_partnership"].dtype) == "Int16"
    assert high["months_at_partnership"].mean() > low["months_at_partnership"].mean() + 1.0
