"""Model v4's targets ("honest probabilities"), each stated as a test on the shipped model and posterior.

Posterior predictive (a parameter draw per run), on the fresh seeds of ``experiments/model_v4_report.py``
(``replicate_seeds(20261207, 4000)``), so each test measures the number docs/model_v4.md reports. A target the
shipped model does not meet is a strict expected failure (it fails loudly once the model meets it) and a line
in the README's Limitations.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import scenario

pytestmark = pytest.mark.slow
NOT_MET = "not met by the shipped model v4 (docs/model_v4.md, README Limitations)"
PANDEMIC_ONLY = [{"kind": "pandemic", "from_step": 26, "duration_steps": 22}]
FLAGSHIP_POINT = {"pressure.targets.Russia": 0.5, "pressure.targets.China": 0.8, "pressure.coordination": 1.0}


def _runs(name: str, parameters: str = "posterior", **overrides):
    from simulation.runner import replicate_seeds, run_batch

    return run_batch(scenario(name, **overrides), replicate_seeds(20261207, 4000), parameters=parameters)


@pytest.fixture(scope="module")
def baseline():
    return _runs("baseline_2018_2021")


@pytest.fixture(scope="module")
def hindcast():
    return _runs("hindcast_2014_2017")


@pytest.fixture(scope="module")
def manifest():
    from simulation.behaviour import shipped_posterior

    return shipped_posterior().manifest


@pytest.mark.xfail(strict=True, reason=NOT_MET + ": entente held at December 2021 in 0.484 of runs")
def test_baseline_entente_held_at_december_2021_in_at_least_half_the_runs(baseline):
    assert np.mean(baseline["final_level"] >= 4) >= 0.5


def test_baseline_entente_held_in_at_least_80_percent_of_the_runs_that_reached_it(baseline):
    held, reached = np.mean(baseline["final_level"] >= 4), np.mean(baseline["max_level"] >= 4)
    assert held >= 0.8 * reached


def test_baseline_no_alliance_in_at_least_90_percent(baseline):
    assert np.mean(~baseline["alliance_reached"].astype(bool)) >= 0.9


@pytest.mark.xfail(strict=True, reason=NOT_MET + ": Russia-India at strategic partnership or closer in 0.852")
def test_baseline_russia_india_at_strategic_partnership_or_closer_at_the_end_in_90_percent(baseline):
    assert np.mean(baseline["final_russia_india"] >= 3) >= 0.9


def test_the_2020_clash_alone_moves_russia_china_by_under_a_tenth_of_a_rung(baseline):
    without = _runs("baseline_2018_2021", events=PANDEMIC_ONLY)
    assert abs(baseline["mean_level"].mean() - without["mean_level"].mean()) < 0.1


def test_hindcast_russia_eu_breaks_in_at_least_half_the_runs(hindcast):
    assert np.mean(hindcast["final_russia_eu"] <= 1) >= 0.5


def test_hindcast_russia_india_holds_in_at_least_80_percent(hindcast):
    assert np.mean(hindcast["final_russia_india"] >= 3) >= 0.8


@pytest.mark.xfail(strict=True, reason=NOT_MET + ": 1 of 26 (anchor_position 0.27)")
def test_at_least_six_parameters_narrowed_below_07_of_their_prior_sd():
    from simulation.behaviour import shipped_posterior
    from simulation.calibration.report import identifiability

    assert (identifiability(shipped_posterior())["sd_ratio"] < 0.7).sum() >= 6


def test_history_matching_ran_until_the_volume_settled(manifest):
    waves = manifest["waves"]
    assert manifest["converged"] and waves[-1]["volume_change"] < manifest["convergence_share"]


def test_sbc_of_the_whole_pipeline_covers_and_beats_the_null_on_contraction(manifest):
    """Coverage holds (90% intervals hold the truth in 80-97% of truths) while the calibration learns more than a
    'posterior' of random prior draws (its mean contraction is at least five times the null's, and above 0.05)."""
    sbc = manifest["sbc"]
    assert 0.80 <= sbc["cover90"] <= 0.97
    assert sbc["contraction"] > max(0.05, 5 * sbc["null"]["contraction"])


def test_sbc_rank_histograms_show_no_significant_departure(manifest):
    assert manifest["sbc"]["chi2_p_min"] > 0.01


@pytest.mark.xfail(strict=True, reason=NOT_MET + ": SBC mean contraction 0.141")
def test_sbc_mean_contraction_at_least_015(manifest):
    assert manifest["sbc"]["contraction"] >= 0.15


@pytest.mark.xfail(strict=True, reason=NOT_MET + ": 0 of 4,096 draws of the final wave meet every pattern")
def test_at_least_one_final_wave_draw_in_a_thousand_meets_every_pattern(manifest):
    assert manifest["final_wave_share_meeting_every_pattern"] >= 0.001


@pytest.mark.xfail(strict=True, reason=NOT_MET + ": no draw of the table meets every pattern, none of the posterior")
def test_half_the_posterior_draws_meet_every_pattern_at_48_runs_per_case():
    from simulation.behaviour import shipped_posterior
    from simulation.calibration.abc import PatternSimulator
    from simulation.calibration.patterns import load_patterns
    from simulation.calibration.report import draw_sets

    patterns = load_patterns()
    sim = PatternSimulator(patterns, replicates=48, seed=31337)
    post = shipped_posterior()
    every = []
    for theta in draw_sets(post, 20, 31337):
        values = sim.values(dict(zip(post.keys, theta, strict=True)))
        every.append(all(p.miss(values[p.id]) == 0 for p in patterns.patterns))
    assert np.mean(every) >= 0.5


@pytest.mark.xfail(strict=True, reason=NOT_MET + ": weight.shared_threat at +-10% moves the flagship cell by 0.47")
def test_no_weight_at_ten_percent_moves_the_flagship_cell_by_015_or_more():
    """At the posterior median, the weight that moves it most in docs/model_v4.md (weight.shared_threat)."""
    from simulation.behaviour import shipped_posterior

    post = shipped_posterior()
    median = dict(zip(post.keys, post.median(), strict=True))["weight.shared_threat"]
    centre = _runs("baseline_2018_2021", "point", **FLAGSHIP_POINT)["alliance_reached"].mean()
    for factor in (0.9, 1.1):
        varied = _runs(
            "baseline_2018_2021", "point", **FLAGSHIP_POINT, **{"parameters.weight.shared_threat": median * factor}
        )
        assert abs(varied["alliance_reached"].mean() - centre) < 0.15
