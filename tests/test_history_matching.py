"""History matching and the simulation-based calibration check (simulation/calibration/history.py), on toy
tables whose answers are known: a pattern that reads one parameter only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.calibration.history import contraction, distance, implausibilities, refocus, sbc_check
from simulation.calibration.patterns import PatternsFile


def _patterns(targets: dict[str, dict]) -> PatternsFile:
    return PatternsFile.model_validate({"patterns": [
        {"id": i, "claim": "c", "source": {"public": "p"}, "case": {"scenario": "baseline_2018_2021"},
         "measure": {"outcome": "mean_level"}, "target": t} for i, t in targets.items()]})  # fmt: skip


BOUNDS = {"x": (0.0, 1.0), "y": (0.0, 1.0), "z": (0.0, 2.0)}


def _table(n: int = 4000, seed: int = 1):
    rng = np.random.default_rng(seed)
    theta = rng.uniform([0, 0, 0], [1, 1, 2], size=(n, 3))
    # each pattern value carries run noise, as a share estimated from a few runs would
    noise = rng.normal(0.0, 0.05, size=(n, 2))
    values = pd.DataFrame({"px": theta[:, 0] + noise[:, 0], "py": theta[:, 1] + 0.1 * theta[:, 2] + noise[:, 1]})
    return theta, values


def test_implausibility_is_the_scaled_distance_outside_the_target():
    pats = _patterns({"px": {"low": 0.4, "high": 0.6, "tolerance": 0.05}})
    impl = implausibilities(pats, pd.DataFrame({"px": [0.5, 0.7, 0.3]}), replicates=10)
    np.testing.assert_allclose(impl[:, 0], [0.0, 2.0, 2.0])  # mean_level: no Monte Carlo term
    assert distance(impl).tolist() == pytest.approx([0.0, 4.0, 4.0])


def test_share_patterns_add_their_monte_carlo_error():
    pats = PatternsFile.model_validate({"patterns": [
        {"id": "share", "claim": "c", "source": {"public": "p"}, "case": {"scenario": "baseline_2018_2021"},
         "measure": {"outcome": "max_level", "statistic": "share_at_least", "threshold": 4},
         "target": {"low": 0.9, "tolerance": 0.05}}]})  # fmt: skip
    (impl,) = implausibilities(pats, pd.DataFrame({"share": [0.8]}), replicates=16)[0]
    assert impl == pytest.approx(0.1 / np.sqrt(0.05**2 + 0.8 * 0.2 / 16))
    assert impl < 0.1 / 0.05  # the run noise widens the scale: fewer runs, less ruled out


def test_refocus_narrows_what_the_patterns_read_and_keeps_the_rest():
    theta, _ = _table()
    values = pd.DataFrame({"px": theta[:, 0]})
    pats = _patterns({"px": {"low": 0.45, "high": 0.55, "tolerance": 0.01}})
    box, kept = refocus(theta, implausibilities(pats, values, 24), BOUNDS)
    lo, hi = box["x"]
    assert 0.39 < lo < 0.42 and 0.58 < hi < 0.61  # the non-implausible band 0.42-0.58, a tenth of it wider
    assert box["y"][1] - box["y"][0] > 0.95 and box["z"][1] - box["z"][0] > 1.9  # unread: left free
    assert 500 < kept < 800  # about 16% of 4,000 draws


def test_sbc_covers_nominally_and_reports_contraction():
    theta, values = _table()
    pats = _patterns({"px": {"low": 0.0, "high": 1.0, "tolerance": 0.02},
                      "py": {"low": 0.0, "high": 1.2, "tolerance": 0.02}})  # fmt: skip
    result = sbc_check(pats, list(BOUNDS), theta, values, BOUNDS, truths=200, accept=100, seed=3)
    t = result.table.set_index("parameter")
    for name in BOUNDS:
        assert 0.80 <= t.loc[name, "cover90"] <= 0.99, t
        assert 0.35 <= t.loc[name, "cover50"] <= 0.70, t
    assert t.loc["x", "contraction"] > 0.8  # read directly by a pattern
    assert t.loc["z", "contraction"] < 0.5  # read weakly (a tenth of py), traded against y


def test_contraction_of_a_posterior():
    rng = np.random.default_rng(0)
    post = np.column_stack([rng.uniform(0, 1, 5000), rng.uniform(0.4, 0.6, 5000), rng.uniform(0, 2, 5000)])
    c = contraction(post, np.ones(5000), list(BOUNDS), BOUNDS)
    assert abs(c["x"]) < 0.05 and c["y"] == pytest.approx(0.96, abs=0.01) and abs(c["z"]) < 0.05
