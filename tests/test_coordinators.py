"""Coordinators are a list: any actor can join the pressurer's pressure, per target, with its own level, in a
scenario file alone ("Japan joins the US in pressing China"), and the run sees it."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from simulation.cli import main
from simulation.drivers.model import AllianceModel
from simulation.world.build import build_params
from simulation.world.resolve import resolve
from simulation.world.scenario import load_scenario
from tests.conftest import SCENARIOS

JAPAN = SCENARIOS / "baseline_with_japan.yaml"


def _with_japan(tmp_path, coordinators, name="japan_joins.yaml"):
    data = yaml.safe_load(JAPAN.read_text("utf-8"))
    data["pressure"]["coordinators"] = coordinators
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


JOINS = [{"by": "Japan", "coordination": {"China": 0.8}}]


def test_japan_joins_the_us_in_pressing_china(tmp_path, capsys):
    path = _with_japan(tmp_path, JOINS)
    assert main(["validate", str(path)]) == 0
    joined, alone = load_scenario(path), load_scenario(JAPAN)
    params = build_params(resolve(joined))
    japan, china, eu = (joined.actors.index(a) for a in ("Japan", "China", "EU"))
    assert np.all(params.coordination[0, :, japan, china] == 0.8)
    # the EU's own coordination is unchanged
    np.testing.assert_array_equal(params.coordination[0, :, eu], build_params(resolve(alone)).coordination[0, :, eu])

    # the run sees it: China fears Japan more, and China-Japan trade is cut, by the documented formulas
    with_japan, without = AllianceModel(joined, seed=0).advice(), AllianceModel(alone, seed=0).advice()
    beh = AllianceModel(joined, seed=0).params.behaviour[0]
    pressure = with_japan.pressure_threat[china]
    extra = beh["pressure_threat_gain"] * beh["coordination_threat_share"] * 0.8 * pressure
    assert pressure > 0 and extra > 0.01
    assert with_japan.threat[china, japan] == pytest.approx(min(1.0, without.threat[china, japan] + extra), abs=1e-9)
    assert with_japan.trade[china, japan] < 0.99 * without.trade[china, japan]


@pytest.mark.parametrize(
    "coordinators, field, message",
    [
        ([{"by": "Mars", "coordination": 0.5}], "pressure.coordinators[0].by", "unknown actor 'Mars'"),
        ([{"by": "US", "coordination": 0.5}], "pressure.coordinators[0].by", "is the pressurer"),
        ([{"by": "EU", "coordination": 0.5}], "pressure.coordinators[0].by", "EU coordinates already"),
        ([{"by": "Japan", "coordination": {"India": 0.5}}], "pressure.coordinators[0].coordination.India",
         "not under pressure"),
        ([{"by": "Japan", "coordination": {"China": 0.5}, "follows": 2}], "pressure.coordinators[0].follows", "less than or equal to 1"),
    ],
)  # fmt: skip
def test_a_coordinator_is_checked_in_one_line(tmp_path, capsys, coordinators, field, message):
    assert main(["validate", str(_with_japan(tmp_path, coordinators))]) == 2
    err = capsys.readouterr().err
    assert field in err and message in err and err.count("\n") == 1


def test_the_handout_names_every_coordinator(tmp_path, monkeypatch):
    path = _with_japan(tmp_path, JOINS)
    monkeypatch.chdir(tmp_path)
    assert main(["handout", str(path), "--runs", "20", "--out", str(tmp_path / "handout")]) == 0
    text = (tmp_path / "handout" / "handout.md").read_text("utf-8")
    assert "Japan coordination with US on China: 0.8" in text and "EU coordination with US" in text
