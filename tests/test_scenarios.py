"""Scenario files: every shipped file validates; schema export; overrides; adding an actor."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulation.world.build import build_params
from simulation.world.resolve import resolve
from simulation.world.scenario import apply_overrides, load_scenario, scenario_json_schema
from tests.conftest import SCENARIOS, scenario

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def test_the_required_scenarios_ship():
    stems = {p.stem for p in SHIPPED}
    assert {
        "baseline_2018_2021",
        "low_us_pressure",
        "high_us_pressure",
        "pressure_on_russia_only",
        "trade_war_on_china_only",
        "transatlantic_united_front",
        "china_india_crisis",
    } <= stems


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_validates_and_cites_its_numbers(path):
    sc = load_scenario(path)
    params = build_params(resolve(sc))
    assert params.pressure_threat.shape[1] == sc.steps
    for target, segments in sc.pressure.targets.items():
        for seg in segments:
            assert seg.source, f"{path.name}: pressure on {target} from step {seg.from_step} has no source"
    for target in sc.actors:
        for seg in sc.pressure.coordination_for(target):
            if isinstance(sc.pressure.coordination, dict) and target not in sc.pressure.coordination:
                continue  # no coordination declared for this target (0)
            assert seg.source, f"{path.name}: coordination from step {seg.from_step} has no source"


def test_pressure_scenarios_differ_where_they_say():
    base = build_params(resolve(scenario("baseline_2018_2021")))
    russia_only = build_params(resolve(scenario("pressure_on_russia_only")))
    r, c = 0, 1  # the scenarios list Russia, China first
    assert russia_only.pressure_threat[0, :, r].mean() > base.pressure_threat[0, :, r].mean()
    assert russia_only.pressure_threat[0, :, c].mean() < base.pressure_threat[0, :, c].mean()
    front = build_params(resolve(scenario("transatlantic_united_front")))
    eu = 4  # the EU coordinates: its row of coordination
    assert front.coordination[0, :, eu].min() == 1.0 and base.coordination[0, :, eu].max() < 1.0


def test_coordination_per_target():
    """The EU followed the US on Russia far more than on China: a per-target schedule reaches the rules."""
    params = build_params(resolve(scenario("hindcast_2014_2017")))
    eu = 4  # the EU coordinates: its row of coordination
    assert params.coordination[0, 10, eu, 0] == 0.8 and params.coordination[0, 10, eu, 1] == 0.1


def test_constant_pressure_shorthand():
    sc = scenario("baseline_2018_2021", **{"pressure.targets.China": 0.7})
    params = build_params(resolve(sc))
    c = sc.actors.index("China")
    assert np.allclose(params.pressure_threat[0, :, c], 0.7)
    assert np.allclose(params.pressure_trade[0, :, c], 0.7)


def test_registry_parameter_override_reaches_the_rules():
    params = build_params(resolve(scenario("baseline_2018_2021", **{"parameters.status_concern.Russia": 0.55})))
    assert params.status_concern[0, 0] == 0.55
    params = build_params(resolve(scenario("baseline_2018_2021", **{"parameters.weight.status": 0.3})))
    assert params.behaviour[0]["weight__status"] == 0.3


def test_an_actor_is_added_without_code_changes():
    sc = load_scenario(SCENARIOS / "baseline_with_japan.yaml")
    params = build_params(resolve(sc))
    j, us, cn, india = (sc.actors.index(a) for a in ("Japan", "US", "China", "India"))
    assert params.initial_level.shape[-1] == 6
    assert params.initial_level[0, j, us] == 5
    assert params.threat[0, j, cn] == 0.6
    # a pair nobody listed takes the documented default
    assert params.trade_usd_bn[0, j, india] == 0.0


def test_json_schema_exports_descriptions_and_bounds():
    schema = scenario_json_schema()
    text = json.dumps(schema)
    assert schema["additionalProperties"] is False
    assert "maximum" in text and "description" in text
    seg = schema["$defs"]["PressureSegment"]["properties"]["tariffs"]
    assert seg["minimum"] == 0 and seg["maximum"] == 1


def test_overrides_are_validated():
    from simulation.core.errors import InputError

    with pytest.raises(InputError, match="pressure.targets.China"):
        apply_overrides(scenario("baseline_2018_2021"), {"pressure.targets.China": 1.5})


@pytest.mark.parametrize("kind", ["scenario", "sweep", "patterns"])
def test_shipped_json_schemas_are_current(kind):
    """schemas/*.schema.json are what `alliance-sim schema` exports (refresh with that command)."""
    from simulation.calibration.patterns import patterns_json_schema
    from simulation.sweeps.spec import sweep_json_schema
    from simulation.world.scenario import scenario_json_schema
    from tests.conftest import ROOT

    shipped = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text())
    export = {"scenario": scenario_json_schema, "sweep": sweep_json_schema, "patterns": patterns_json_schema}[kind]
    assert shipped == export()
