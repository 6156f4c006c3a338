"""Invariant 1: the Mesa model and the batch engine give identical trajectories, month for month."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.drivers.inputs import prepare_inputs
from simulation.drivers.model import AllianceModel
from simulation.runner import run_batch, simulate
from tests.conftest import scenario

SEEDS = [0, 1, 42, 2**40 + 3]


def batch_levels(sc, seeds, parameters="point"):
    seeds = np.asarray(seeds, dtype=np.int64)
    inputs = prepare_inputs(sc, seeds, parameters)
    params, reference, shape = inputs.params, inputs.reference, inputs.structure
    return simulate(params, seeds, shape.steps, reference).levels, params


def mesa_levels(sc, seed, behaviour):
    model = AllianceModel(sc, seed=seed, behaviour=behaviour)
    model.run_for(sc.steps)
    return model.levels_array()


@pytest.mark.parametrize(
    "name",
    [
        "baseline_2018_2021",
        "high_us_pressure",
        "china_india_crisis",
        "baseline_with_japan",
        "containment_policy",
        "hindcast_2014_2017",
    ],
)
def test_mesa_model_equals_batch_engine(name):
    sc = scenario(name)
    batch, params = batch_levels(sc, SEEDS)
    for b, seed in enumerate(SEEDS):
        assert np.array_equal(mesa_levels(sc, seed, params.behaviour), batch[b]), f"seed {seed} differs"


def test_parity_under_posterior_draws():
    """Each replicate's own parameter draw: the Mesa model given that draw equals the batch row."""
    sc = scenario("transatlantic_united_front")
    batch, params = batch_levels(sc, SEEDS, parameters="posterior")
    for b, seed in enumerate(SEEDS):
        row = params.behaviour[b : b + 1] if params.behaviour.shape[0] > 1 else params.behaviour
        assert np.array_equal(mesa_levels(sc, seed, row), batch[b])


def test_parity_with_random_events():
    sc = scenario(
        "baseline_2018_2021",
        random_events=[
            {
                "kind": "border_crisis",
                "between": ["China", "India"],
                "probability_per_step": 0.2,
                "duration_steps": 4,
                "intensity": 3.0,
            }
        ],
    )
    batch, params = batch_levels(sc, [5, 6])
    calm, _ = batch_levels(scenario("baseline_2018_2021"), [5, 6])
    assert not np.array_equal(batch, calm)  # the events really fire and matter
    for b, seed in enumerate([5, 6]):
        assert np.array_equal(mesa_levels(sc, seed, params.behaviour), batch[b])


def test_a_run_does_not_depend_on_its_batch():
    sc = scenario("transatlantic_united_front")
    alone = run_batch(sc, [123], parameters="posterior")
    among = run_batch(sc, [9, 8, 123, 7], parameters="posterior")
    assert alone.iloc[0].equals(among.iloc[2].rename(0))
