"""Unit tests of each rule on hand-checkable cases (table-driven where it reads well)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.rules import consent, environment, events, utility
from simulation.state import MAX_LEVEL

THRESHOLDS = np.array([[-np.inf, -1.0, 0.0, 1.0, 2.0, 3.0]])
H = np.array([0.2])


def _pair(level: int, d_ij: float, d_ji: float):
    lvl = np.array([[[0, level], [level, 0]]], dtype=np.int8)
    desire = np.array([[[0.0, d_ij], [d_ji, 0.0]]])
    return lvl, desire


@pytest.mark.parametrize(
    "level, d, expected",
    [
        (2, 1.01, 1),  # above the bar of level 3 -> raise
        (2, 0.99, 0),  # below the bar of level 3, above 0 - 3 * 0.2 -> hold
        (2, -0.59, 0),  # just inside the exit margin of level 2 (0 - 0.6)
        (2, -0.61, -1),  # below threshold(2) - (2 + 1) * hysteresis -> lower
        (5, 99.0, 0),  # top of the ladder: cannot raise
        (0, -99.0, 0),  # bottom of the ladder: cannot lower
        (4, 1.01, 0),  # level 4: exit below 2.0 - 5 * 0.2 = 1.0
        (4, 0.99, -1),
        (1, -1.39, 0),  # level 1: exit below -1.0 - 2 * 0.2 = -1.4
        (1, -1.41, -1),
    ],
)
def test_form_intents_thresholds(level, d, expected):
    lvl, desire = _pair(level, d, 0.0)
    intent = consent.form_intents(desire, lvl, THRESHOLDS, H)
    assert intent[0, 0, 1] == expected
    assert intent[0, 0, 0] == 0


@pytest.mark.parametrize(
    "level, a, b, expected_level",
    [
        (2, 1, 1, 3),  # both raise -> up one
        (2, 1, 0, 2),  # one raises, one holds -> no change (consent needed)
        (2, 1, -1, 1),  # either can lower, and lowering wins
        (2, 0, -1, 1),
        (0, -1, -1, 0),  # never below the ladder
    ],
)
def test_resolve_consent_is_bilateral(level, a, b, expected_level):
    lvl = np.array([[[0, level], [level, 0]]], dtype=np.int8)
    intent = np.array([[[0, a], [b, 0]]], dtype=np.int8)
    new, _ = consent.resolve_consent(intent, lvl, np.zeros_like(lvl, dtype=np.int16), np.array([3]), MAX_LEVEL)
    assert new[0, 0, 1] == expected_level == new[0, 1, 0]


def test_formal_alliance_needs_consent_held_for_treaty_steps():
    lvl = np.array([[[0, 4], [4, 0]]], dtype=np.int8)
    raise_both = np.array([[[0, 1], [1, 0]]], dtype=np.int8)
    streak = np.zeros_like(lvl, dtype=np.int16)
    history = []
    for _ in range(3):
        lvl, streak = consent.resolve_consent(raise_both, lvl, streak, np.array([3]), MAX_LEVEL)
        history.append(int(lvl[0, 0, 1]))
    assert history == [4, 4, 5]  # signed in the third month of consent


def test_treaty_streak_resets_when_one_side_hesitates():
    lvl = np.array([[[0, 4], [4, 0]]], dtype=np.int8)
    both = np.array([[[0, 1], [1, 0]]], dtype=np.int8)
    one = np.array([[[0, 1], [0, 0]]], dtype=np.int8)
    streak = np.zeros_like(lvl, dtype=np.int16)
    for intent in (both, both, one, both, both):
        lvl, streak = consent.resolve_consent(intent, lvl, streak, np.array([3]), MAX_LEVEL)
    assert lvl[0, 0, 1] == 4 and streak[0, 0, 1] == 2


def test_perceive_threat_pressure_coordination_and_feedback():
    # actors: 0 = pressurer (US), 1 = target, 2 = coordinator (EU)
    base = np.array([[[0, 0.2, 0.0], [0.5, 0, 0.1], [0.0, 0.3, 0]]])
    level = np.array([[[0, 0, 5], [0, 0, 0], [5, 0, 0]]], dtype=np.int8)
    thr = environment.perceive_threat(
        base,
        pressure_threat=np.array([[0.0, 0.5, 0.0]]),
        coordination=np.array([0.5]),
        shock=np.zeros((1, 3, 3)),
        level=level,
        initial_level=level,
        pressurer=0,
        coordinator=2,
        pressure_threat_gain=np.array([0.4]),
        coordination_threat_share=np.array([1.0]),
        bloc_threat_gain=np.array([0.5]),
        max_level=MAX_LEVEL,
    )
    assert thr[0, 1, 0] == pytest.approx(0.5 + 0.4 * 0.5)  # target fears the pressurer more
    assert thr[0, 1, 2] == pytest.approx(0.1 + 1.0 * 0.5 * 0.2)  # and the coordinator, in part
    assert thr[0, 0, 1] == pytest.approx(0.2)  # the pressurer's own view is unchanged
    # feedback: if 2 draws closer to 1 (whom 0 fears, 0.2), 0 fears 2 more
    closer = level.copy()
    closer[0, 1, 2] = closer[0, 2, 1] = 5
    thr2 = environment.perceive_threat(
        base, np.zeros((1, 3)), np.zeros(1), np.zeros((1, 3, 3)), closer, level, 0, 2,
        np.array([0.4]), np.array([1.0]), np.array([0.5]), MAX_LEVEL,
    )
    assert thr2[0, 0, 2] == pytest.approx(0.0 + 0.5 * 1.0 * 0.2)


def test_divert_trade_moves_lost_trade_to_aligned_partners():
    # target 1 trades 100 with pressurer 0 and 50 with partner 2 (aligned at level 5)
    trade = np.array([[[0, 100, 0], [100, 0, 50], [0, 50, 0]]], dtype=float)
    total = np.array([[200.0, 200.0, 100.0]])
    level = np.array([[[0, 0, 0], [0, 0, 5], [0, 5, 0]]], dtype=np.int8)
    out, share = environment.divert_trade(
        trade, total, np.array([[0.0, 1.0, 0.0]]), np.zeros(1), level, 0, -1,
        np.array([0.5]), np.array([0.4]), MAX_LEVEL,
    )
    assert out[0, 0, 1] == pytest.approx(50.0)  # half the trade lost at full pressure
    assert out[0, 1, 2] == pytest.approx(50.0 + 0.4 * 50.0)  # 40% of the 50 lost goes to partner 2
    assert share[0, 2, 1] == pytest.approx(70.0 / 100.0)
    np.testing.assert_allclose(out, np.swapaxes(out, 1, 2))


def test_utility_terms_by_hand():
    # three actors: 0 and 1 both fear 2; 0 is the weaker
    thr = np.array([[[0, 0.1, 0.8], [0.2, 0, 0.6], [0.5, 0.5, 0]]])
    share = np.array([[[0, 0.2, 0.3], [0.05, 0, 0.4], [0.1, 0.1, 0]]])
    level = np.array([[[0, 3, 1], [3, 0, 0], [1, 0, 0]]], dtype=np.int8)
    terms = utility.weigh_alignment(
        thr, share, np.zeros((1, 3, 3)), np.full((1, 3, 3), 0.9), np.full((1, 3, 3), 0.5),
        np.full((1, 3, 3), 0.4), level, np.array([[1.0, 3.0, 4.0]]), np.array([[0.8, 0.5, 0.5]]),
        np.array([[0.5, 1.0, 1.0]]), np.array([0.5]), MAX_LEVEL,
    )
    t = dict(zip(utility.TERMS, terms[0, 0, 1], strict=True))
    assert t["shared_threat"] == pytest.approx(min(0.8, 0.6))
    assert t["economic_stake"] == pytest.approx(0.2)
    assert t["entrapment"] == pytest.approx(1 / 5 * 0.6)  # 0's friend 2 (level 1), feared by 1
    assert t["exposure"] == pytest.approx(0.5 * 0.3 * 0.5)  # 0's trade with 2, who fears 1
    assert t["status"] == pytest.approx(0.8 * (3 - 1) / (3 + 1))
    assert dict(zip(utility.TERMS, terms[0, 1, 0], strict=True))["status"] == 0.0  # the stronger pays none
    d = utility.desire(terms, np.ones((1, 8)), np.zeros((1, 3, 3)))
    assert d[0, 0, 1] == pytest.approx(np.dot(utility.SIGNS, terms[0, 0, 1]))


def test_random_event_timers():
    cutoffs = events.outbreak_cutoffs(np.array([[0.5]]))  # z < 0 breaks out
    timer = np.zeros((2, 1), dtype=np.int32)
    timer = events.advance_random_events(timer, np.array([[-1.0], [1.0]]), cutoffs, np.array([[3]]))
    assert timer[:, 0].tolist() == [3, 0]
    for _ in range(2):
        timer = events.advance_random_events(timer, np.array([[1.0], [1.0]]), cutoffs, np.array([[3]]))
    assert timer[:, 0].tolist() == [1, 0]  # active for exactly three steps
    timer = events.advance_random_events(timer, np.array([[1.0], [1.0]]), cutoffs, np.array([[3]]))
    assert timer[:, 0].tolist() == [0, 0]
    assert np.isneginf(events.outbreak_cutoffs(np.array([0.0]))[0])
