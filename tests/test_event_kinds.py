"""Event kinds are plug-ins: a kind defined here, in the test file alone, goes through validate, run,
sweep and a handout with no other file touched (docs/adding-an-event-kind.md).

The toy kind is a bilateral summit that multiplies the two leaders' rapport for a while (the shipped
``pandemic`` kind does the opposite to everyone); it writes the same driver array the rules already
read, so the test also checks that the run sees it: the summit's months differ from a run without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import Field

from simulation.cli import main
from simulation.world.build import build_params
from simulation.world.events import EVENT_KINDS, EventDrivers, EventKind, Fail, register_event, unregister_event
from simulation.world.fields import ActorName, Step
from simulation.world.resolve import resolve
from simulation.world.scenario import load_scenario
from tests.conftest import ROOT


class Summit(EventKind):
    """A bilateral summit: the two leaders' rapport is multiplied while it lasts."""

    kind: Literal["summit"]
    between: tuple[ActorName, ActorName]
    from_step: Step
    duration_steps: int = Field(ge=1, le=120)
    rapport_boost: float = Field(1.5, ge=1.0, le=3.0)
    note: str | None = None
    actor_fields: ClassVar[tuple[str, ...]] = ("between",)

    def check(self, actors: Sequence[str], fail: Fail) -> None:
        if self.between[0] == self.between[1]:
            fail("between", "a summit needs two different actors")

    def apply(self, d: EventDrivers) -> None:
        a, b = d.index(self.between[0]), d.index(self.between[1])
        months = d.months(self.from_step, self.duration_steps)
        d.rapport_factor[months, a, b] *= self.rapport_boost
        d.rapport_factor[months, b, a] *= self.rapport_boost

    def describe(self) -> str:
        return f"{self.between[0]}-{self.between[1]} summit for {self.duration_steps} months (rapport x{self.rapport_boost:g})"


@pytest.fixture
def summit():
    register_event(Summit)
    yield Summit
    unregister_event(Summit)


def _scenario_file(tmp_path, event: dict):
    data = yaml.safe_load((ROOT / "scenarios" / "baseline_2018_2021.yaml").read_text("utf-8"))
    data["events"] = [*data.get("events", []), event]
    path = tmp_path / "with_summit.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def _rapport_term(run_folder) -> np.ndarray:
    """Russia's weighted rapport term towards China, month by month, from a run's decisions table."""
    decisions = pd.read_parquet(run_folder / "decisions.parquet")
    rows = decisions[(decisions["actor"] == "Russia") & (decisions["partner"] == "China")].sort_values("step")
    return rows["term_rapport"].to_numpy()


SUMMIT = {"kind": "summit", "between": ["Russia", "China"], "from_step": 10, "duration_steps": 6, "note": "Moscow 2019"}


def test_an_unregistered_kind_is_refused_naming_the_field(tmp_path, capsys):
    assert "summit" not in EVENT_KINDS
    assert main(["validate", str(_scenario_file(tmp_path, SUMMIT))]) == 2
    err = capsys.readouterr().err
    assert "events[" in err and "summit" in err and err.count("\n") == 1


def test_a_toy_kind_runs_through_validate_run_sweep_and_handout(summit, tmp_path, capsys, monkeypatch):
    path = _scenario_file(tmp_path, SUMMIT)
    assert main(["validate", str(path)]) == 0
    # its own cross-check and the shared actor check, each one line naming the field
    bad = _scenario_file(tmp_path, {**SUMMIT, "between": ["Russia", "Russia"]})
    assert main(["validate", str(bad)]) == 2
    assert "between: a summit needs two different actors" in capsys.readouterr().err
    bad = _scenario_file(tmp_path, {**SUMMIT, "between": ["Russia", "Japan"]})
    assert main(["validate", str(bad)]) == 2
    assert "between: unknown actor 'Japan'" in capsys.readouterr().err

    # it becomes driver arrays: the summit's months, and only those, carry the boost
    with_it = build_params(resolve(load_scenario(_scenario_file(tmp_path, SUMMIT))))
    without = build_params(resolve(load_scenario(ROOT / "scenarios" / "baseline_2018_2021.yaml")))
    ratio = with_it.rapport_factor[0] / without.rapport_factor[0]
    months = np.flatnonzero(~np.isclose(ratio, 1.0).all(axis=(1, 2)))
    assert list(months) == list(range(10, 16))
    assert np.isclose(ratio[12, 0, 1], 1.5)

    path = _scenario_file(tmp_path, SUMMIT)
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(path), "--seed", "4", "--out", str(tmp_path / "run")]) == 0
    baseline = ROOT / "scenarios" / "baseline_2018_2021.yaml"
    assert main(["run", str(baseline), "--seed", "4", "--out", str(tmp_path / "run0")]) == 0
    # the run saw the summit: Russia's rapport term towards China is 1.5 times the baseline's in the summit's
    # months (the term is linear in the rapport factor) and the same outside them
    ratio = _rapport_term(tmp_path / "run") / _rapport_term(tmp_path / "run0")
    assert np.allclose(ratio[10:16], 1.5) and np.allclose(ratio[:10], 1.0) and np.allclose(ratio[16:], 1.0)

    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        f"title: summit sweep\nbase_scenario: {path}\nreplicates: 20\nmaster_seed: 3\n"
        "vary:\n  - path: pressure.targets.China\n    values: [0.2, 0.8]\n",
        "utf-8",
    )
    assert main(["sweep", str(sweep), "--workers", "1", "--quiet", "--out", str(tmp_path / "sw")]) == 0
    assert (tmp_path / "sw" / "results.parquet").is_file()

    assert main(["handout", str(path), "--runs", "20", "--out", str(tmp_path / "handout")]) == 0
    text = (tmp_path / "handout" / "handout.md").read_text("utf-8")
    assert "Russia-China summit for 6 months (rapport x1.5): Moscow 2019" in text
