"""The classroom's words and charts without a browser: the turn's words, the debrief's sentences,
timeline ticks clear of each other, the room's lifecycle."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from simulation.dashboard import charts
from simulation.dashboard.presenters import debrief_pages, debrief_sentences, feedback_html
from simulation.dashboard.turn import feedback_line, lever_effects, move_effects, numbers_html, team_goal
from simulation.teaching.rooms import Room, RoomRegistry
from simulation.teaching.seminar import HumanMove
from tests.conftest import scenario


@pytest.fixture
def room():
    return Room(scenario("baseline_2018_2021"), "baseline_2018_2021", seed=5)


def test_each_country_has_a_goal_and_each_possible_move_an_effect_in_words(room):
    for actor in room.actors:
        assert len(team_goal(room, actor)) < 160
        effects = move_effects(room, actor)
        i = room.actors.index(actor)
        for partner, words in effects.items():
            level = int(room.model.level[i, room.actors.index(partner)])
            assert set(words) == {"raise", "hold", "lower"} - ({"raise"} if level == 5 else set()) - (
                {"lower"} if level == 0 else set()
            )
            assert words["hold"].startswith("stays ")
    # the baseline's Russia: raising with China costs something named, lowering gives something up
    china = move_effects(room, "Russia")["China"]
    assert re.match(r"closer to China \(entente\) if China also raises; against it: .+", china["raise"])
    assert "no consent needed; you give up " in china["lower"]


def test_one_step_of_pressure_is_said_from_the_models_look_ahead_and_leaves_the_model_as_it_was(room):
    before = room.model.params.pressure_threat.copy(), room.model.params.coordination.copy()
    effects = lever_effects(room, "US")
    assert set(effects) == {f"pressure|{a}" for a in ("Russia", "China", "India", "EU")}
    fear = re.search(r"China's fear of US ([\d.]+) / ([\d.]+) / ([\d.]+)", effects["pressure|China"])
    assert fear and float(fear[1]) < float(fear[2]) < float(fear[3])  # more pressure, more fear
    assert "the model" in effects["pressure|China"]
    assert set(lever_effects(room, "EU")) == {"coordination"} and lever_effects(room, "Russia") == {}
    assert np.array_equal(room.model.params.pressure_threat, before[0])
    assert np.array_equal(room.model.params.coordination, before[1])


def test_a_team_that_did_not_submit_is_not_told_it_asked_for_anything(room):
    room.join("Reds", "Russia")
    seat = room.join("Pandas", "China").seat
    room.submit("China", seat, HumanMove({"Russia": "raise"}))
    room.advance()
    assert "you asked to" not in feedback_html(room, "Russia") and "the model chose" in feedback_html(room, "Russia")
    assert feedback_line(room, "Russia").startswith("Last month the model played for you")
    assert "you asked to raise" in feedback_html(room, "China")
    assert "sources:" in feedback_html(room, "China")


def test_every_number_has_its_meaning_and_a_source(room):
    text = numbers_html(room, "Russia")
    rows = re.findall(r'<td class="num">([^<]+)</td><td>([^<]*)</td><td class="src">([^<]*)</td>', text)
    assert len(rows) >= 4 * 4
    assert all(meaning.strip() and source.strip() for _n, meaning, source in rows)


@pytest.mark.parametrize(
    ("share", "percentile", "words"),
    [
        (0.0, 1.0, ("none of its 500 runs", "closer in the class's game than in every one")),
        (1.0, 0.0, ("all of its 500 runs", "less close in the class's game than in any")),
        (0.23, 0.63, ("23% of its 500 runs", "than in 63% of the model's runs and less close than in 37%")),
    ],
)
def test_the_debriefs_sentences_read_right_at_the_extremes(share, percentile, words):
    result = {
        "model_alliance_share": share, "runs": 500, "steps_played": 12, "focal_pair": "Russia-China",
        "class_final_level": "entente", "class_percentile": percentile, "class_alliance_step": None,
        "model_final_levels": {"entente": 0.4},
    }  # fmt: skip
    text = " ".join(debrief_sentences(result))
    assert all(w in text for w in words), text
    assert "above 100%" not in text and " 0% of" not in text
    assert debrief_pages({**result, "questions": ["?"]})[0] == "The class against the model"


@pytest.mark.parametrize("font", [20, 40])
def test_timeline_ticks_never_touch_whatever_the_months_played(font):
    for horizon in (12, 48, 72, 120):
        for played in range(0, horizon + 1, 1 if horizon <= 48 else 5):
            levels = np.zeros((played + 1, 3, 3), dtype=int)
            svg = charts.timeline_svg(levels, ("A", "B", "C"), "2018-01", horizon, focal=(0, 1), font=font, zoom=True,
                                      short_rungs=True)  # fmt: skip
            xs = sorted(float(x) for x in re.findall(r'<text x="(\S+)" y="\S+" text-anchor="middle"', svg))
            width = 0.6 * font * 7  # a tick label of seven characters, generously
            assert all(b - a >= width for a, b in itertools.pairwise(xs)), (horizon, played, xs)


def test_the_link_again_returns_to_its_room_and_a_restore_supersedes_the_room_it_came_from():
    reg = RoomRegistry()
    key = reg.instructor_key
    room, new = reg.open_by_link(scenario("baseline_2018_2021"), "baseline_2018_2021", key=key)
    again, new_again = reg.open_by_link(scenario("baseline_2018_2021"), "baseline_2018_2021", key=key)
    assert new and not new_again and again is room
    seat = room.join("Reds", "Russia").seat
    room.advance()
    text = room.save_json()
    restored = reg.restore(text, key=key)
    assert reg.supersede(text, restored) == room.code
    assert room.superseded_by == restored.code and reg.get(room.code) is None
    assert reg.moved_to(room.code) == restored.code and restored.rejoin(seat).actor == "Russia"
    assert any(room.code in w for w in restored.warnings)
    # a finished or superseded room is not returned by the link: a new one opens
    other, fresh = reg.open_by_link(scenario("baseline_2018_2021"), "baseline_2018_2021", key=key)
    assert fresh and other is not room


def test_the_debrief_page_stays_within_its_pages(room):
    room.advance()
    assert room.show_debrief_page(5, 3) == 2 and room.show_debrief_page(-1, 3) == 0


def test_timeline_ticks_carry_the_month_each_point_ends():
    # a point is the state at the end of its month, as on the figures: row 0 of a January 2018 start is
    # December 2017 and row 6 June 2018 (the README's months convention)
    levels = np.zeros((7, 3, 3), dtype=int)
    svg = charts.timeline_svg(levels, ("A", "B", "C"), "2018-01", 6, focal=(0, 1), font=20)
    ticks = re.findall(r'text-anchor="middle" font-size="\S+" fill="#333">(\d{4}-\d{2})</text>', svg)
    assert ticks[0] == "2017-12" and ticks[-1] == "2018-06", ticks


@pytest.mark.parametrize("font", [21, 36])
def test_the_debrief_bars_say_what_the_sentences_say_and_a_full_bar_looks_full(font):
    # the sentence reads "where the model ended in 99.6% of its 500 runs": the bar beside it must not read 100%,
    # and the 0.4% that ended at entente must not read 0%; at projector type (36) a 99.6% bar must still span
    # most of the chart, not a sliver
    svg = charts.shares_svg({"strategic partnership": 0.996, "entente": 0.004}, marked="strategic partnership",
                            font=font)  # fmt: skip
    texts = re.findall(r">([^<]*%[^<]*)</text>", svg)
    assert texts == ["99.6% (the class)", "0.4%"], texts
    width = float(re.search(r'viewBox="0 0 (\S+) ', svg).group(1))
    bars = [float(b) for b in re.findall(r'<rect x="\S+" y="\S+" width="(\S+)"', svg)]
    assert bars[0] >= 0.35 * width, (bars, width)
    assert charts.share_words(0.0) == "0%" and charts.share_words(1.0) == "100%" and charts.share_words(0.5) == "50%"
