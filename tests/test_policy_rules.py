"""Policy rules are plug-ins: a rule defined here, in the test file alone, goes through validate, run, sweep
and a handout with no other file touched, and the run sees it (docs/adding-a-policy-rule.md).

The toy rule is a "squeeze": the pressurer answers the focal pair's rapprochement with twice the
containment's reaction, and ignores aggression. It is declared as coefficients of the one compiled
reaction, so the engine runs it with no kernel edit.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.cli import main
from simulation.drivers.model import AllianceModel
from simulation.world.policies import POLICY_RULES, PolicyRule, Reaction, register_policy, unregister_policy
from simulation.world.scenario import load_scenario
from tests.conftest import ROOT


class Squeeze(PolicyRule):
    """Pressure on both rises twice as fast as the pair draws closer."""

    rule: Literal["squeeze"]
    reaction: ClassVar[Reaction] = ((2.0, 0.0), (2.0, 0.0))

    def describe(self) -> str:
        return "squeeze: pressure on both rises twice as fast as they draw closer"


@pytest.fixture
def squeeze():
    register_policy(Squeeze)
    yield Squeeze
    unregister_policy(Squeeze)


def _scenario_file(tmp_path, policy: dict, name: str = "squeezed.yaml"):
    data = yaml.safe_load((ROOT / "scenarios" / "baseline_2018_2021.yaml").read_text("utf-8"))
    data["pressure"]["policy"] = policy
    data["pressure"]["targets"]["China"] = 0.5  # pressures of 0.5 keep the reaction away from the 0-1 clip
    data["pressure"]["targets"]["Russia"] = 0.5
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def test_an_unregistered_rule_is_refused_naming_the_field(tmp_path, capsys):
    assert "squeeze" not in POLICY_RULES
    assert main(["validate", str(_scenario_file(tmp_path, {"rule": "squeeze"}))]) == 2
    err = capsys.readouterr().err
    assert "pressure.policy.rule: unknown rule 'squeeze' (allowed: schedule, containment" in err
    assert err.count("\n") == 1


def _pressure_response(path) -> np.ndarray:
    """The pressure's change on (China, Russia) when the focal pair rises one rung (AllianceModel.advice)."""
    model = AllianceModel(load_scenario(path), seed=0)
    fa, fb = model.structure.focal_index
    before = model.advice().pressure_threat.copy()
    model.level[fa, fb] += 1
    model.level[fb, fa] += 1
    after = model.advice().pressure_threat
    index = [model.structure.index("China"), model.structure.index("Russia")]
    return (after - before)[index] / (model.params.behaviour[0]["policy_gain"] / 5)


def test_a_toy_rule_runs_through_validate_run_sweep_and_handout(squeeze, tmp_path, capsys, monkeypatch):
    path = _scenario_file(tmp_path, {"rule": "squeeze", "gain": 1.0})
    assert main(["validate", str(path)]) == 0
    # the run sees it: one rung of rapprochement moves the pressure by twice policy_gain / 5 (containment: once)
    np.testing.assert_allclose(_pressure_response(path), [2.0, 2.0], atol=1e-9)
    np.testing.assert_allclose(_pressure_response(_scenario_file(tmp_path, {"rule": "containment"}, "c.yaml")),
                               [1.0, 1.0], atol=1e-9)  # fmt: skip

    monkeypatch.chdir(tmp_path)
    assert main(["run", str(path), "--seed", "4", "--out", str(tmp_path / "run")]) == 0
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        f"title: squeeze sweep\nbase_scenario: {path}\nreplicates: 40\nmaster_seed: 3\n"
        "vary:\n  - path: pressure.policy.gain\n    values: [0.0, 5.0]\n",
        "utf-8",
    )
    assert main(["sweep", str(sweep), "--workers", "1", "--quiet", "--out", str(tmp_path / "sw")]) == 0
    results = pd.read_parquet(tmp_path / "sw" / "results.parquet")
    # the sweep sees the rule: at gain 5 the squeeze's extra pressure on both (a threat they share) draws the
    # pair closer than the same scenario without reaction (same seeds): by at least 0.05 of a rung on average
    by_gain = results.groupby("pressure.policy.gain")["mean_level"].mean()
    assert by_gain[5.0] - by_gain[0.0] >= 0.05

    assert main(["handout", str(path), "--runs", "20", "--out", str(tmp_path / "handout")]) == 0
    text = (tmp_path / "handout" / "handout.md").read_text("utf-8")
    assert "squeeze: pressure on both rises twice as fast as they draw closer" in text
