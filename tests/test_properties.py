"""Property tests (hypothesis) of the compiled rules: consent, intents, the noise stream, whole runs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulation.drivers.engine import simulate
from simulation.rules import kernels as K
from simulation.rules.rng import fill_normals, run_key

MAX = K.MAX_LEVEL


@st.composite
def symmetric_levels(draw, n):
    upper = np.triu(draw(arrays(np.int8, (n, n), elements=st.integers(0, MAX))), 1)
    return (upper + upper.T).astype(np.int8)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n=st.integers(2, 6), steps=st.integers(1, 12))
def test_consent_symmetric_bounded_one_rung_and_raise_needs_both(data, n, steps):
    level = data.draw(symmetric_levels(n))
    intent = data.draw(arrays(np.int8, (n, n), elements=st.integers(-1, 1)))
    np.fill_diagonal(intent, 0)
    streak = np.triu(data.draw(arrays(np.int16, (n, n), elements=st.integers(0, 12))), 1)
    streak = (streak + streak.T).astype(np.int16)
    new, new_streak = level.copy(), streak.copy()
    K.resolve_consent(intent, new, new_streak, float(steps))
    other = intent.T
    delta = new.astype(int) - level
    assert np.array_equal(new, new.T) and np.array_equal(new_streak, new_streak.T)  # symmetric
    assert new.min() >= 0 and new.max() <= MAX  # on the ladder
    assert np.abs(delta).max() <= 1  # one rung per month
    up, down = delta > 0, delta < 0
    assert np.all((intent == 1)[up] & (other == 1)[up])  # raising needs both
    assert np.all(((intent == -1) | (other == -1))[down])  # lowering needs one
    wanted_down = ((intent == -1) | (other == -1)) & (level > 0)
    assert np.array_equal(down, wanted_down)  # and one suffices
    both_up = (intent == 1) & (other == 1) & ~wanted_down
    # a formal alliance only after the consent was held: the streak counts months of consent at entente
    signed = up & (level == MAX - 1)
    assert np.all(streak[signed] + 1 >= steps)
    counting = both_up & (level == MAX - 1) & ~signed
    assert np.array_equal(new_streak[counting], streak[counting] + 1)
    assert not new_streak[~counting].any()


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    n=st.integers(2, 5),
    h=st.floats(0.0, 0.5),
    shift=st.floats(0.0, 3.0),
)
def test_intents_rise_with_desire(data, n, h, shift):
    """More desire (and treaty desire) never makes an actor want less; no raise at the top, no lowering at 0."""
    level = data.draw(symmetric_levels(n))
    th = np.array([-np.inf, -0.7, -0.3, 0.45, 1.2, 2.1])
    desire = data.draw(arrays(np.float64, (n, n), elements=st.floats(-4, 4)))
    extra = data.draw(arrays(np.float64, (n, n), elements=st.floats(-2, 2)))
    low, high = np.zeros((n, n), dtype=np.int8), np.zeros((n, n), dtype=np.int8)
    K.form_intents(level, desire, desire + extra, th, h, low)
    K.form_intents(level, desire + shift, desire + extra + shift, th, h, high)
    assert np.all(high >= low)
    assert not np.diag(low).any()
    assert np.all(low[level == MAX] <= 0) and np.all(low[level == 0] >= 0)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**63 - 1), width=st.integers(1, 40), first=st.integers(0, 1000), count=st.integers(1, 6))
def test_noise_stream_is_the_same_however_steps_are_requested(seed, width, first, count):
    key = np.uint64(run_key(np.int64(seed)))  # as the compiled loops hold it
    whole = np.zeros(width * count)
    # steps first .. first + count - 1 of width w are draws first * w ... of the stream: one request of
    # width w * count at step first / count is only the same when count divides first; ask step by step
    parts = []
    for t in reversed(range(first, first + count)):
        out = np.zeros(width)
        fill_normals(key, t, out)
        parts.append(out)
    parts = np.concatenate(parts[::-1])
    if first % count == 0:
        fill_normals(key, first // count, whole)
        np.testing.assert_array_equal(parts, whole)
    again = np.zeros(width)
    fill_normals(key, first, again)
    np.testing.assert_array_equal(again, parts[:width])
    assert np.all(np.isfinite(parts))


def _params(pressure: float, coordination: float):
    from simulation.world.build import build_params
    from simulation.world.resolve import resolve
    from tests.conftest import scenario

    sc = scenario("baseline_2018_2021", **{"pressure.targets.China": pressure, "pressure.coordination": coordination})
    resolved = resolve(sc)
    return build_params(resolved), build_params(resolved.reference)


@settings(max_examples=12, deadline=None)
@given(
    seeds=st.lists(st.integers(0, 2**63 - 1), min_size=2, max_size=5, unique=True),
    pressure=st.floats(0, 1),
    coordination=st.floats(0, 1),
    data=st.data(),
)
def test_same_seed_same_run_whatever_the_batch(seeds, pressure, coordination, data):
    p, ref = _params(pressure, coordination)
    steps = 24
    levels = simulate(p, seeds, steps, ref).levels
    order = data.draw(st.permutations(range(len(seeds))))
    shuffled = simulate(p, [seeds[k] for k in order], steps, ref).levels
    cut = data.draw(st.integers(1, len(seeds) - 1))
    split = np.concatenate([simulate(p, seeds[:cut], steps, ref).levels, simulate(p, seeds[cut:], steps, ref).levels])
    for row, k in enumerate(order):
        np.testing.assert_array_equal(shuffled[row], levels[k])
    np.testing.assert_array_equal(split, levels)
    # the trajectories themselves: on the ladder, symmetric, one rung a month, starting where the world was
    assert levels.min() >= 0 and levels.max() <= MAX
    np.testing.assert_array_equal(levels, np.swapaxes(levels, 2, 3))
    assert np.abs(np.diff(levels.astype(int), axis=1)).max() <= 1
    assert np.all(levels[:, 0] == p.initial_level[0])
    assert not np.diagonal(levels, axis1=2, axis2=3).any()
