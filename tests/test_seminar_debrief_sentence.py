"""The terminal debrief's comparison sentence reads right at the extremes: a class closer than every one
of the model's runs is "closer than in every one", one below them all "less close than in any", one in the
middle gets both shares (which add up to 100%); the sentence never says "100%", "0%" or "above".

The model's runs are replaced by a fixed table (``simulation.runner.run_batch`` returns it), so the class's
place among them is known exactly: the share of runs whose average focal-pair level is below the class's.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import simulation.runner
from simulation.teaching.seminar import HumanMove, SeminarSession
from tests.conftest import scenario


@pytest.fixture(scope="module")
def session():
    s = SeminarSession(scenario("baseline_2018_2021"), ["Russia"], seed=3)
    for _ in range(3):
        s.submit("Russia", HumanMove({"China": "hold"}))
        s.play_round()
    return s


def sentence(session, monkeypatch, below: float, runs: int = 1000) -> tuple[str, dict]:
    """The debrief's text when a share ``below`` of the model's runs averaged less than the class."""
    i, j = session.model.structure.focal_index
    class_mean = float(session.model.levels_array()[1:, i, j].mean())
    n_below = round(below * runs)
    mean_level = np.r_[np.full(n_below, class_mean - 0.5), np.full(runs - n_below, class_mean + 0.5)]
    table = pd.DataFrame({"alliance_reached": np.zeros(runs, bool), "mean_level": mean_level,
                          "final_level": np.full(runs, 3)})  # fmt: skip
    monkeypatch.setattr(simulation.runner, "run_batch", lambda *a, **k: table)
    out = session.debrief(runs=runs)
    assert out["class_percentile"] == pytest.approx(below)
    return out["text"], out


@pytest.mark.parametrize(
    ("below", "words"),
    [
        (1.0, "were closer than in every one of the model's runs."),
        (0.996, "were closer than in every one of the model's runs."),
        (0.0, "were less close than in any of the model's runs."),
        (0.004, "were less close than in any of the model's runs."),
        (0.5, "were closer than in 50% of the model's runs and less close than in 50%."),
        (0.3, "were closer than in 30% of the model's runs and less close than in 70%."),
        (0.99, "were closer than in 99% of the model's runs and less close than in 1%."),
    ],
)
def test_the_comparison_reads_right_at_the_extremes_and_in_the_middle(session, monkeypatch, below, words):
    text, _ = sentence(session, monkeypatch, below)
    assert text.endswith(f"on average over the months, Russia-China {words}"), text
    comparison = text.rsplit("on average over the months, ", 1)[1]
    assert "100%" not in comparison and " 0%" not in comparison and "above" not in comparison
    shares = [int(v) for v in re.findall(r"(\d+)%", comparison)]
    assert shares == [] or sum(shares) == 100
