"""One construction path: a run's inputs are prepared once (drivers/inputs.py), and the scenario is
resolved over the registry once per run, whichever driver runs it.

A scenario that names another as its reference (the resting point of a counterfactual) resolves
that reference once as well; the baseline names itself and is resolved once in all.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import simulation.drivers.inputs
import simulation.drivers.model
import simulation.runner
import simulation.world.resolve as resolve_module
from simulation.drivers.inputs import prepare_inputs
from simulation.drivers.model import AllianceModel
from simulation.runner import run_batch, run_scenario
from simulation.world.scenario import load_scenario


@pytest.fixture
def resolutions(monkeypatch):
    """Titles of the scenarios resolved while the test runs (every module's ``resolve`` counts)."""
    calls: list[str] = []
    original = resolve_module.resolve

    def counting(scenario, *args, **kwargs):
        calls.append(scenario.title)
        return original(scenario, *args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.startswith("simulation") and getattr(module, "resolve", None) is original:
            monkeypatch.setattr(module, "resolve", counting)
    return calls


def test_an_explained_run_resolves_its_scenario_once(resolutions):
    sc = load_scenario("baseline_2018_2021")
    result = run_scenario(sc, seed=3, steps=6)
    assert resolutions == [sc.title]
    # the explanation quotes the values the run used (the posterior median), with where they come from
    assert any("posterior" in origin for origin in result.resolved.origin.values())


def test_a_batch_and_the_mesa_constructor_resolve_once(resolutions):
    sc = load_scenario("baseline_2018_2021")
    run_batch(sc, runs=8, master_seed=1)
    assert resolutions == [sc.title]
    AllianceModel("baseline_2018_2021", seed=2)
    assert resolutions == [sc.title, sc.title]


def test_a_counterfactual_resolves_itself_and_its_reference_once_each(resolutions):
    sc = load_scenario("transatlantic_united_front")
    assert sc.reference_scenario == "baseline_2018_2021"
    run_scenario(sc, seed=1, steps=3)
    assert sorted(resolutions) == sorted([sc.title, load_scenario("baseline_2018_2021").title])


def test_both_drivers_are_built_from_the_same_prepared_inputs():
    """The Mesa model built from prepared inputs runs the same month as the batch engine on them."""
    inputs = prepare_inputs("baseline_2018_2021", [7], "point")
    model = AllianceModel.from_inputs(inputs, seed=7)
    assert model.params is inputs.params and model.resolved is inputs.resolved
    model.run_for(inputs.structure.steps)
    batch = simulation.drivers.engine.simulate(inputs.params, np.array([7]), inputs.structure.steps, inputs.reference)
    assert np.array_equal(model.levels_array(), batch.levels[0])
    with pytest.raises(ValueError, match="not both"):
        AllianceModel("baseline_2018_2021", inputs=inputs, seed=1)
