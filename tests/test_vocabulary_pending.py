"""A calibrated parameter added after the calibration never blocks the tool: until a recalibration it runs at
its registry value, and every output says so (the label of a run, its manifest, ``validate``)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.behaviour import behaviour_for, calibrated_keys, pending_calibration, shipped_posterior
from simulation.cli import main
from simulation.reporting.manifest import base_manifest
from simulation.world import registry as registry_module
from simulation.world.build import build_params
from simulation.world.resolve import resolve
from simulation.world.scenario import load_scenario
from tests.conftest import SCENARIOS
from tests.vocabulary_toys import TOY_GAIN, toy_registry_file, use_registry

NOTE = "not yet calibrated, at the registry value until a recalibration: toy_gain = 0.5"


@pytest.fixture
def toy(tmp_path, monkeypatch):
    registry_module.default_registry.cache_clear()
    yield use_registry(monkeypatch, toy_registry_file(tmp_path, TOY_GAIN))
    registry_module.default_registry.cache_clear()


def test_the_shipped_posterior_holds_every_calibrated_parameter(registry):
    assert pending_calibration(registry) == {}
    assert "not_yet_calibrated" not in base_manifest("run")


@pytest.mark.parametrize("mode", ["posterior", "point"])
def test_a_new_calibrated_parameter_runs_at_its_registry_value_labelled(toy, mode):
    assert "toy_gain" in calibrated_keys(toy) and "toy_gain" not in shipped_posterior().keys
    resolved = resolve(load_scenario(SCENARIOS / "baseline_2018_2021.yaml"), toy)
    params = build_params(resolved)
    seeds = np.arange(50)
    records, label = behaviour_for(resolved, params, seeds, mode)
    assert label.endswith(NOTE)
    np.testing.assert_array_equal(records["toy_gain"], 0.5)
    # the calibrated parameters still come from the posterior: the draws differ between runs
    if mode == "posterior":
        assert len(np.unique(records["weight__shared_threat"])) > 1


def test_the_manifest_and_validate_say_so(toy, capsys):
    assert base_manifest("run")["not_yet_calibrated"] == {"toy_gain": 0.5}
    assert main(["validate", str(SCENARIOS / "baseline_2018_2021.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok (scenario)") and NOTE in out


def test_every_command_that_runs_the_model_says_so(toy, capsys, monkeypatch):
    """The CLI says it on stderr before a command that runs the model; nothing when the registry's values are
    asked for."""
    from argparse import Namespace

    from simulation.cli.app import cmd_run, note_pending_calibration
    from simulation.cli.seminar import cmd_handout

    note_pending_calibration(Namespace(func=cmd_handout))
    assert capsys.readouterr().err == f"note: {NOTE}\n"
    note_pending_calibration(Namespace(func=cmd_run, parameters="registry"))
    assert capsys.readouterr().err == ""
