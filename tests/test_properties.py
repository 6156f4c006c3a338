"""Property tests (hypothesis): consent is symmetric, levels stay on the ladder, same seed same run."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulation.rules import consent
from simulation.state import MAX_LEVEL


def _symmetric_levels(n):
    return arrays(np.int8, (1, n, n), elements=st.integers(0, MAX_LEVEL)).map(
        lambda a: np.triu(a, 1) + np.swapaxes(np.triu(a, 1), 1, 2)
    )


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    n=st.integers(2, 6),
)
def test_consent_symmetric_bounded_and_bilateral(data, n):
    level = data.draw(_symmetric_levels(n)).astype(np.int8)
    intent = data.draw(arrays(np.int8, (1, n, n), elements=st.integers(-1, 1)))
    intent[:, np.arange(n), np.arange(n)] = 0
    streak = data.draw(arrays(np.int16, (1, n, n), elements=st.integers(0, 10)))
    streak = np.minimum(streak, np.swapaxes(streak, 1, 2))
    new, new_streak = consent.resolve_consent(intent, level, streak, np.array([3]), MAX_LEVEL)
    assert np.array_equal(new, np.swapaxes(new, 1, 2))  # symmetric
    assert new.min() >= 0 and new.max() <= MAX_LEVEL  # on the ladder
    delta = new.astype(int) - level
    assert np.abs(delta).max() <= 1  # one rung per step
    up = delta > 0
    assert np.all((intent == 1)[up] & (np.swapaxes(intent, 1, 2) == 1)[up])  # raise needs both
    down = delta < 0
    assert np.all(((intent == -1) | (np.swapaxes(intent, 1, 2) == -1))[down])
    assert np.array_equal(new_streak, np.swapaxes(new_streak, 1, 2))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**63 - 1), pressure=st.floats(0, 1))
def test_same_seed_same_run_and_levels_on_ladder(seed, pressure):
    from simulation.engine import simulate
    from simulation.params import Params
    from simulation.world import build_world
    from tests.conftest import scenario

    sc = scenario("baseline_2018_2021", **{"pressure.targets.China": pressure})
    p = Params.from_worlds([build_world(sc)])
    a, _ = simulate(p, [seed, seed + 1])
    b, _ = simulate(p, [seed + 1, seed])
    assert np.array_equal(a[0], b[1]) and np.array_equal(a[1], b[0])
    assert a.min() >= 0 and a.max() <= MAX_LEVEL
    assert np.array_equal(a, np.swapaxes(a, 2, 3))
