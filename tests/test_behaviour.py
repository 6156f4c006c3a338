"""Behaviour tests: the documents' patterns and the model-v2 mechanisms, over fixed seeds.

Pattern tests read their claim, target and tolerance from the shipped patterns file (the same
thresholds the calibration and its report use) and run the posterior predictive model. A
pattern the calibrated model does not meet (per the shipped calibration report) is expected to
fail: it is marked xfail(strict), so it shows as failing, and the test breaks if it starts to pass
without the report being regenerated.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulation.calibration.patterns import load_patterns
from simulation.drivers.model import AllianceModel
from simulation.runner import replicate_seeds, run_batch
from tests.conftest import ROOT, scenario, wilson

pytestmark = pytest.mark.slow  # posterior predictive checks over many seeds

PATTERNS = load_patterns().patterns
FIT = json.loads((ROOT / "docs" / "figures" / "calibration_fit.json").read_text("utf-8"))
SEEDS = replicate_seeds(1000, 400)
N = len(SEEDS)


@pytest.fixture(scope="module")
def predictive_fit():
    """The calibration report's posterior predictive check, recomputed with the report's own settings
    (100 posterior draws, 48 runs of every case, seed 7): deterministic, so it must equal the shipped figures."""
    from simulation.behaviour import shipped_posterior
    from simulation.calibration.report import predictive_fit as fit

    return fit(shipped_posterior(), load_patterns(), draws=100, replicates=48, seed=7)


def _params(pattern):
    marks = []
    if FIT.get(pattern.id, 0.0) < 0.5:
        marks.append(pytest.mark.xfail(strict=True, reason="the calibrated model does not meet this pattern "
                                       "(docs/calibration.md reports it as failing)"))  # fmt: skip
    return pytest.param(pattern, id=pattern.id, marks=marks)


@pytest.mark.parametrize("pattern", [_params(p) for p in PATTERNS])
def test_pattern_holds_in_the_posterior_predictive_model(pattern, predictive_fit):
    """Each pattern's claim, effect size and tolerance are in simulation/data/patterns.yaml. The claim
    holds when most posterior draws (>= 50% of 100) meet the target; the share must also be the one the
    shipped calibration report states (regenerate it with `alliance-sim calibration-report`)."""
    met = float(predictive_fit.met[pattern.id])
    assert met == pytest.approx(FIT[pattern.id], abs=1e-9), "the calibration report is out of date"
    assert met >= 0.5, f"{pattern.id}: {met:.2f} of posterior draws meet {pattern.target_text()}"


def test_a_treaty_is_rarer_than_an_entente_under_the_same_pressure():
    """000: 'neither is interested in an alliance relationship'; 004: alignment without a treaty.
    Under high pressure, entente must be at least twice as common as a formal alliance, and the two
    Wilson 95% intervals must not overlap."""
    df = run_batch(scenario("high_us_pressure"), SEEDS, parameters="posterior")
    entente = int((df["max_level"] >= 4).sum())
    alliance = int(df["alliance_reached"].sum())
    assert entente >= 2 * alliance
    assert wilson(alliance, N)[1] < wilson(entente, N)[0]


def _treaty_desire(sc, seed=3):
    model = AllianceModel(sc, seed=seed)
    i, j = model.structure.index("China"), model.structure.index("Russia")
    return model.advice().treaty_desire[i, j], model


def test_an_aggression_lowers_the_partners_willingness_to_sign():
    """004: Beijing 'sees Russian brinkmanship in the region as an unnecessary obstacle'; China will not
    underwrite Russia's 'most aggressive policies'. With Russia and China at entente, a Russian
    annexation (intensity 1) lowers China's noise-free desire for a treaty by at least
    treaty_weight.underwriting * aggression_threat_gain * 0.9 (the underwriting term alone)."""
    base = scenario("baseline_2018_2021", **{"parameters.initial_level.China-Russia": 4})
    war = scenario(
        "baseline_2018_2021",
        **{
            "parameters.initial_level.China-Russia": 4,
            "events": [
                {
                    "kind": "aggression",
                    "by": "Russia",
                    "against": "Ukraine",
                    "from_step": 0,
                    "duration_steps": 12,
                    "intensity": 1.0,
                }
            ],
        },
    )
    calm, model = _treaty_desire(base)
    hot, _ = _treaty_desire(war)
    beh = model.params.behaviour[0]
    assert calm - hot >= 0.9 * beh["treaty_weight__underwriting"] * beh["aggression_threat_gain"] > 0


@pytest.mark.parametrize(
    "rule, extra, sign_china, sign_russia",
    [("containment", {}, +1, +1), ("engagement", {}, -1, -1), ("wedge", {"wedge_target": "Russia"}, +1, -1)],
)
def test_policy_rules_respond_in_the_documented_direction(rule, extra, sign_china, sign_russia):
    """004: containment ('neo-containment') raises pressure as Russia and China draw closer; engagement
    eases it; a wedge ('reverse Nixon') eases it on the courted partner and raises it on the other.
    One rung of rapprochement must move the pressure by policy_gain / 5 (to within 1e-9; pressures of 0.5
    keep the change away from the 0-1 clip)."""
    sc = scenario(
        "baseline_2018_2021",
        **{"pressure.policy": {"rule": rule, **extra}, "pressure.targets.China": 0.5, "pressure.targets.Russia": 0.5},
    )
    model = AllianceModel(sc, seed=0)
    fa, fb = model.structure.focal_index
    before = model.advice().pressure_threat.copy()
    model.level[fa, fb] += 1
    model.level[fb, fa] += 1
    after = model.advice().pressure_threat
    step = model.params.behaviour[0]["policy_gain"] / 5
    china, russia = model.structure.index("China"), model.structure.index("Russia")
    assert after[china] - before[china] == pytest.approx(sign_china * step, abs=1e-9)
    assert after[russia] - before[russia] == pytest.approx(sign_russia * step, abs=1e-9)


def test_held_inputs_stay_where_the_world_was():
    """The design's resting-point requirement: with January 2018's inputs held, at least 90% of
    pair-months of the first year stay at their documented level (the patterns file's target), and no
    pair changes in month 1 of the point-parameter model without noise."""
    df = run_batch(scenario("held_inputs_2018"), SEEDS, parameters="posterior")
    assert df["stationary_share_year1"].mean() >= 0.9
    model = AllianceModel(scenario("held_inputs_2018"), seed=0)
    record = model.advice()
    assert np.array_equal(record.level_after, record.level_before)
