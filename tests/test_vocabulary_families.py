"""Families declare their shape in the registry; the scenario's checks and the rules' arrays read it.

A per-actor family added to the registry alone is required of every actor of a scenario: a scenario
that lacks a value is refused at ``validate`` in one line, and ``run`` gives the same line, never a
``KeyError`` (docs/adding-a-family.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.cli import main
from simulation.core.errors import InputError
from simulation.runner import run_batch
from simulation.world import registry as registry_module
from simulation.world.build import build_params, family_arrays
from simulation.world.registry import Registry
from simulation.world.resolve import resolve
from simulation.world.scenario import load_scenario, parse_scenario
from tests.conftest import SCENARIOS
from tests.vocabulary_toys import revisionism_family, shipped_registry_text, toy_registry_file, use_registry

FIVE = {"US": 0.2, "China": 0.6, "EU": 0.1, "India": 0.3, "Russia": 0.9}
JAPAN = SCENARIOS / "baseline_with_japan.yaml"


@pytest.fixture(autouse=True)
def _fresh_registry():
    registry_module.default_registry.cache_clear()
    yield
    registry_module.default_registry.cache_clear()


def test_the_shipped_lists_are_derived_from_the_shapes(registry):
    from simulation.world import scenario

    assert set(scenario.ACTOR_FAMILIES) == {
        "gdp_usd_bn", "military_spending_usd_bn", "total_trade_usd_bn", "liberal_democracy_index",
        "status_concern", "trade_vulnerability",
    }  # fmt: skip
    assert "order_stake" not in scenario.ACTOR_FAMILIES  # it declares a value for unlisted actors
    assert scenario.SYMMETRIC_PAIR_FAMILIES == ("trade_usd_bn", "rapport", "initial_level")
    assert scenario.DIRECTED_PAIR_FAMILIES == ("arms_export_share", "threat", "mistrust")


def test_the_arrays_follow_the_shapes(registry):
    resolved = resolve(load_scenario(SCENARIOS / "baseline_2018_2021.yaml"))
    arrays = family_arrays(resolved)
    n = resolved.n
    assert arrays["status_concern"].shape == (n,)
    assert arrays["threat"].shape == (n, n) and arrays["initial_level"].dtype == np.int8
    russia, china = resolved.index("Russia"), resolved.index("China")
    # a directed family differs by direction, a symmetric one does not
    assert arrays["threat"][russia, china] == registry.value("threat.Russia->China")
    assert arrays["threat"][china, russia] == registry.value("threat.China->Russia")
    assert arrays["rapport"][russia, china] == arrays["rapport"][china, russia]


def test_a_new_per_actor_family_is_required_at_validate_and_at_run(tmp_path, monkeypatch, capsys):
    path = toy_registry_file(tmp_path, revisionism_family(FIVE))
    toy = Registry.from_file(path)
    assert toy.shapes()["revisionism"] == "actor" and "revisionism" in toy.required_actor_families()
    # run on a scenario checked against the shipped registry: the same one line, not a KeyError
    scenario = load_scenario(JAPAN)
    with pytest.raises(InputError, match=r"actor 'Japan' needs a value for revisionism\.Japan"):
        run_batch(scenario, runs=2, parameters="registry", registry=toy)
    # the CLI's validate and run, with the toy registry as the package's
    use_registry(monkeypatch, path)
    for command in (["validate", str(JAPAN)], ["run", str(JAPAN), "--out", str(tmp_path / "run")]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "revisionism.Japan" in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_a_scenario_giving_the_value_runs(tmp_path):
    toy = Registry.from_file(toy_registry_file(tmp_path, revisionism_family(FIVE)))
    import yaml

    data = yaml.safe_load(JAPAN.read_text("utf-8"))
    data["parameters"]["revisionism.Japan"] = 0.4
    scenario = parse_scenario(data, JAPAN, toy)
    resolved = resolve(scenario, toy)
    assert resolved.value("revisionism.Japan") == 0.4
    assert build_params(resolved).threat.shape[-1] == 6
    data["parameters"]["revisionism.Japan"] = 1.4
    with pytest.raises(InputError, match=r"parameters\.revisionism\.Japan: 1\.4 is out of range"):
        parse_scenario(data, JAPAN, toy)


@pytest.mark.parametrize(
    "family, message",
    [
        ("  - family: toy\n    unit: u\n    description: d\n    role: input\n    shape: pair\n    bounds: [0, 1]\n"
         "    entries:\n      - of: Russia->China\n        value: 0.5\n        range: [0, 1]\n        sources:\n"
         '          - assumption: "A toy value for the tests."\n', "an entry of a family of shape pair"),
        ("  - family: toy\n    unit: u\n    description: d\n    role: input\n    shape: pair\n    bounds: [0, 1]\n"
         "    entries:\n      - of: Russia-China\n        value: 0.5\n        range: [0, 1]\n        sources:\n"
         '          - assumption: "A toy value for the tests."\n', "needs an entry unlisted_pair_default.toy"),
    ],
)  # fmt: skip
def test_the_registry_checks_the_shape_it_declares(tmp_path, family, message):
    path = tmp_path / "registry.yaml"
    path.write_text(shipped_registry_text().rstrip("\n") + "\n" + family, "utf-8")
    with pytest.raises(ValueError, match=message):
        Registry.from_file(path)
