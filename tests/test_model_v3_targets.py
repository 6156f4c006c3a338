"""The model round's targets (the issue "Model v3"), each stated as a test on the shipped model and posterior.

Posterior predictive (a parameter draw per run), on the seeds of ``experiments/model_v3_report.py``
(``replicate_seeds(424242, 4000)``), so each test measures exactly the number docs/model_v3.md reports. A test
of a target that the shipped model does not meet is a strict expected failure: it fails loudly once the model
meets it.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import scenario

pytestmark = pytest.mark.slow
NOT_MET = "not met by the shipped model v3 (docs/model_v3.md, README Limitations)"
PANDEMIC_ONLY = [{"kind": "pandemic", "from_step": 26, "duration_steps": 22}]


def _runs(name: str, parameters: str = "posterior", **overrides):
    from simulation.runner import replicate_seeds, run_batch

    return run_batch(scenario(name, **overrides), replicate_seeds(424242, 4000), parameters=parameters)


@pytest.fixture(scope="module")
def baseline():
    return _runs("baseline_2018_2021")


@pytest.fixture(scope="module")
def hindcast():
    return _runs("hindcast_2014_2017")


def _share(mask) -> float:
    return float(np.mean(mask))


def test_baseline_entente_by_2021_in_at_least_half_the_runs(baseline):
    assert _share(baseline["max_level"] >= 4) >= 0.5


def test_baseline_no_alliance_in_over_90_percent(baseline):
    assert _share(~baseline["alliance_reached"].astype(bool)) > 0.9


@pytest.mark.xfail(
    strict=True,
    reason="no longer met with model v4's posterior (calibrated on the re-read patterns): Russia-India at strategic "
    "partnership or closer in 0.856 of these runs (docs/model_v4.md, README Limitations)",
)
def test_baseline_russia_india_hold_in_over_90_percent(baseline):
    assert _share(baseline["final_russia_india"] >= 3) > 0.9


def test_the_2020_clash_moves_russia_china_by_under_a_tenth_of_a_rung(baseline):
    without = _runs("baseline_2018_2021", events=PANDEMIC_ONLY)
    assert abs(baseline["mean_level"].mean() - without["mean_level"].mean()) < 0.1


def test_hindcast_russia_eu_breaks_in_at_least_half_the_runs(hindcast):
    assert _share(hindcast["final_russia_eu"] <= 1) >= 0.5


def test_hindcast_russia_india_holds_in_over_90_percent(hindcast):
    assert _share(hindcast["final_russia_india"] >= 3) > 0.9


def test_sbc_90_percent_intervals_hold_the_truth_in_80_to_97_percent():
    from simulation.behaviour import shipped_posterior

    sbc = shipped_posterior().manifest["sbc"]
    assert 0.80 <= sbc["cover90"] <= 0.97


@pytest.mark.xfail(strict=True, reason=NOT_MET + ": 0 of 4,096 prior draws meet all 23 patterns")
def test_at_least_one_prior_draw_in_a_thousand_meets_every_pattern():
    from simulation.behaviour import shipped_posterior

    assert shipped_posterior().manifest["compatibility"]["share_meeting_every_pattern"] >= 0.001


@pytest.mark.xfail(strict=True, reason=NOT_MET + ": weight.shared_threat +10% moves the flagship point by 0.24")
def test_no_weight_at_ten_percent_moves_the_flagship_point_by_015_or_more():
    """The knife-edge target, on the weight that moves it most in docs/model_v3.md (weight.shared_threat):
    P(alliance) at pressure 0.5 on Russia, 0.8 on China and full coordination, at the posterior median."""
    from simulation.behaviour import shipped_posterior

    post = shipped_posterior()
    median = dict(zip(post.keys, post.median(), strict=True))["weight.shared_threat"]
    point = {"pressure.targets.Russia": 0.5, "pressure.targets.China": 0.8, "pressure.coordination": 1.0}
    centre = _runs("baseline_2018_2021", "point", **point)["alliance_reached"].mean()
    for factor in (0.9, 1.1):
        varied = _runs("baseline_2018_2021", "point", **point, **{"parameters.weight.shared_threat": median * factor})
        assert abs(varied["alliance_reached"].mean() - centre) < 0.15


@pytest.mark.xfail(
    strict=True,
    reason=NOT_MET
    + ": trade_grows_2018, india_crisis_costly and status_concern_holds_back fail in most posterior draws",
)
def test_most_posterior_draws_meet_every_pattern():
    from simulation.behaviour import shipped_posterior
    from simulation.calibration.abc import PatternSimulator
    from simulation.calibration.patterns import load_patterns
    from simulation.calibration.report import draw_sets

    patterns = load_patterns()
    sim = PatternSimulator(patterns, replicates=24, seed=8)
    post = shipped_posterior()
    every = []
    for theta in draw_sets(post, 20, 7):
        values = sim.values(dict(zip(post.keys, theta, strict=True)))
        every.append(all(p.miss(values[p.id]) == 0 for p in patterns.patterns))
    assert np.mean(every) > 0.5
