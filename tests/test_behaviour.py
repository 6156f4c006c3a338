"""Behaviour tests: claims from the documents, checked over a fixed list of 400 seeds.

Each test names the claim and its tolerance. Proportions are judged by Wilson 95%
intervals; differences of proportions by a two-proportion z statistic above 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.scenario import parse_scenario
from tests.conftest import BEHAVIOUR_SEEDS, outcomes, scenario, wilson

N = len(BEHAVIOUR_SEEDS)


def z_diff(p1: float, p2: float, n: int = N) -> float:
    pooled = (p1 + p2) / 2
    se = np.sqrt(2 * pooled * (1 - pooled) / n)
    return (p1 - p2) / se if se > 0 else np.inf * np.sign(p1 - p2)


@pytest.fixture(scope="module")
def baseline():
    return outcomes(scenario("baseline_2018_2021"), BEHAVIOUR_SEEDS)


@pytest.fixture(scope="module")
def united_front():
    return outcomes(scenario("transatlantic_united_front"), BEHAVIOUR_SEEDS)


def test_baseline_closer_but_no_alliance(baseline):
    """All five documents: by 2021 Russia and China drew closer but formed no alliance.
    Tolerance: Russia-China ends at partnership or above in >= 95% of runs, and the Wilson
    95% upper bound of the alliance probability is below 10%."""
    assert (baseline["rc_final_level"] >= 2).mean() >= 0.95
    _, high = wilson(int(baseline["rc_alliance"].sum()), N)
    assert high < 0.10


def test_baseline_does_not_drift_apart(baseline):
    """004: 'Sino-Russian cooperation has continued to flourish'. Tolerance: Russia-China never
    falls below its 2018 strategic partnership in >= 95% of runs."""
    assert (baseline["rc_final_level"] >= 3).mean() >= 0.95


def test_more_us_pressure_on_both_raises_alignment():
    """002: the rapprochement 'has emerged alongside the intense deterioration of both U.S.-Russian
    and U.S.-Chinese relations'. Tolerance: mean Russia-China level rises from low to baseline to
    high pressure, each step by more than two standard errors."""
    means = []
    for name in ("low_us_pressure", "baseline_2018_2021", "high_us_pressure"):
        level = outcomes(scenario(name), BEHAVIOUR_SEEDS)["rc_mean_level"].to_numpy()
        means.append((level.mean(), level.std(ddof=1) / np.sqrt(N)))
    for (m1, s1), (m2, s2) in zip(means, means[1:], strict=False):
        assert m2 - m1 > 2 * np.hypot(s1, s2)


def test_pressure_on_russia_alone_no_alliance_in_most_runs():
    """001: China, 'a greater beneficiary of the liberal international economic order', is 'warier of
    antagonizing' the US. Tolerance: with pressure on Russia alone, the Wilson 95% upper bound of the
    alliance probability is below 50%."""
    out = outcomes(scenario("pressure_on_russia_only"), BEHAVIOUR_SEEDS)
    _, high = wilson(int(out["rc_alliance"].sum()), N)
    assert high < 0.5


def test_united_front_raises_alliance_probability(baseline, united_front):
    """004: 'The emergence of a trans-Atlantic united front might make Beijing more willing to join
    forces with Moscow.' Tolerance: alliance probability above the baseline's, z > 2."""
    assert z_diff(united_front["rc_alliance"].mean(), baseline["rc_alliance"].mean()) > 2


@pytest.mark.parametrize(
    "weaker, stronger",
    [
        ({"parameters.status_concern.Russia": 0.6}, {"parameters.status_concern.Russia": 1.0}),
        ({"parameters.gdp_usd_bn.China": 10000}, {"parameters.gdp_usd_bn.China": 20000}),
    ],
    ids=["status_concern", "power_asymmetry"],
)
def test_status_and_asymmetry_lower_russias_willingness(weaker, stronger):
    """000: Russia 'would not allow it to accept a de facto junior partner status'; 004: 'an alliance
    would only weaken Moscow's position vis-a-vis Beijing'. Measured where an alliance is common (the
    united-front scenario). Tolerance: in the first month (same state, same draws) Russia's desire for
    China is strictly lower, China's unchanged; and the alliance probability falls with z > 2."""
    from simulation.engine import simulate
    from simulation.params import Params
    from simulation.world import build_world

    lo = scenario("transatlantic_united_front", **weaker)
    hi = scenario("transatlantic_united_front", **stronger)
    first = []
    for sc in (lo, hi):
        world = build_world(sc)
        _, records = simulate(Params.from_worlds([world]), [7], steps=1, keep_records=True)
        r, c = world.index("Russia"), world.index("China")
        first.append((records[0].desire[0, r, c], records[0].desire[0, c, r]))
    assert first[1][0] < first[0][0] - 0.01
    assert first[1][1] == pytest.approx(first[0][1])
    p_lo = outcomes(lo, BEHAVIOUR_SEEDS)["rc_alliance"].mean()
    p_hi = outcomes(hi, BEHAVIOUR_SEEDS)["rc_alliance"].mean()
    assert z_diff(p_lo, p_hi) > 2


def test_china_india_crisis_lowers_alliance_probability(united_front):
    """004: 'China's tense relations with India illustrate how costly a military alliance could become
    for Russia ... Any genuine alliance with China would force Moscow to loosen its ties with India.'
    The crisis of scenarios/china_india_crisis.yaml is laid over the united front, where an alliance
    is otherwise common. Tolerance: alliance probability lower, z > 2."""
    crisis_events = scenario("china_india_crisis").model_dump(exclude_none=True)["events"]
    data = scenario("transatlantic_united_front").model_dump(exclude_none=True)
    data["events"] = crisis_events
    with_crisis = outcomes(parse_scenario(data), BEHAVIOUR_SEEDS)
    assert z_diff(united_front["rc_alliance"].mean(), with_crisis["rc_alliance"].mean()) > 2


def test_china_india_crisis_scenario_is_no_more_alliance_prone_than_baseline(baseline):
    """The shipped crisis scenario against the baseline, where alliances are already rare.
    Tolerance: its alliance probability does not exceed the baseline's by more than z = 1."""
    crisis = outcomes(scenario("china_india_crisis"), BEHAVIOUR_SEEDS)
    assert z_diff(crisis["rc_alliance"].mean(), baseline["rc_alliance"].mean()) < 1
