"""Rooms: joining, per-team feedback, event-log wording, the clock, save/reload and export."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from simulation.core.errors import InputError
from simulation.core.ladder import Intent
from simulation.core.references import REFERENCES, full_reference, in_words, short_citation
from simulation.teaching.rooms import Room, RoomRegistry, content_hash, describe_month, request_feedback
from simulation.teaching.seminar import HumanMove
from tests.conftest import scenario

R, H, L = int(Intent.RAISE), int(Intent.HOLD), int(Intent.LOWER)
ACTORS = ("Russia", "China", "EU")


def month(intent_pairs, before, after, consent=0):
    """A three-actor month: intent_pairs maps (i, j) to i's intent towards j; levels Russia-China only."""
    intent = np.zeros((3, 3), dtype=np.int8)
    for (i, j), w in intent_pairs.items():
        intent[i, j] = w
    lb = np.ones((3, 3), dtype=np.int8)
    la = lb.copy()
    lb[0, 1] = lb[1, 0] = before
    la[0, 1] = la[1, 0] = after
    streak = np.zeros((3, 3), dtype=np.int16)
    streak[0, 1] = streak[1, 0] = consent
    return describe_month(ACTORS, intent, lb, la, streak, 6, 4, "2018-01")


# ---- event-log wording: wishes, refusals and changes differ; a raise never ends lower


def test_a_raise_both_wanted_is_a_change():
    (e,) = month({(0, 1): R, (1, 0): R}, 3, 4)
    assert e.kind == "change" and e.text == "Russia and China raised their ties to entente (both asked for it)."
    assert e.date == "2018-05"


def test_a_raise_the_partner_did_not_want_is_a_refusal_not_a_change():
    (e,) = month({(1, 0): R}, 2, 2)
    assert e.kind == "refusal"
    assert e.text == "China asked to raise ties with Russia above partnership; Russia refused (no change)."


def test_a_raise_met_by_a_lowering_names_who_lowered_and_never_reads_as_a_raise():
    (e,) = month({(1, 0): R, (0, 1): L}, 2, 1)
    assert e.kind == "change"
    assert e.text == "Russia lowered ties with China to normal (China had asked to raise them)."
    assert "raised" not in e.text


def test_both_wanting_an_alliance_is_treaty_talk_with_the_count():
    (e,) = month({(0, 1): R, (1, 0): R}, 4, 4, consent=2)
    assert e.kind == "treaty" and "treaty consent held 2 of 6 months" in e.text


def test_holding_on_both_sides_says_nothing():
    assert month({}, 3, 3) == []


# ---- per-request feedback


@pytest.mark.parametrize(
    "asked, partner_request, before, after, consent, status, words",
    [
        ("raise", "raise", 2, 3, 0, "done", "Done: China agreed; you are now at strategic partnership."),
        ("raise", "hold", 2, 2, 0, "refused", "Refused by China"),
        ("raise", "raise", 4, 4, 3, "waiting", "consent held 3 of 6 months"),
        ("raise", "lower", 2, 1, 0, "lowered", "Lowered by the other side"),
        ("hold", "lower", 2, 1, 0, "lowered", "China lowered your ties to normal"),
        ("lower", "hold", 2, 1, 0, "done", "Done: you lowered"),
        ("hold", "hold", 2, 2, 0, "held", "Held at partnership"),
    ],
)
def test_each_request_is_told_what_became_of_it(asked, partner_request, before, after, consent, status, words):
    fb = request_feedback("Russia", "China", asked, partner_request, before, after, consent, 6)
    assert fb.status == status and words in fb.text


def test_a_refusal_by_a_person_carries_their_reason():
    fb = request_feedback("Russia", "China", "raise", "hold", 2, 2, 0, 6, partner_reason="we trade with the US")
    assert fb.text.endswith('Their reason: "we trade with the US"')


# ---- the room


@pytest.fixture
def room():
    return Room(scenario("baseline_2018_2021"), "baseline_2018_2021", seed=5)


def test_teams_take_free_actors_and_get_their_seat_back_with_their_seat_code_only(room):
    a = room.join("Red team", "Russia")
    assert "Russia" not in room.free_actors()
    with pytest.raises(InputError, match="already played by team 'Red team'"):
        room.join("Blue", "Russia")
    # the same name is not a key: only the seat code brings the seat back, on any device
    with pytest.raises(InputError, match="already played by team 'Red team'.*seat code"):
        room.join("red TEAM", "Russia")
    assert room.rejoin(a.seat.lower()) is a and room.rejoin(f" {a.seat[:3]} {a.seat[3:]} ") is a
    with pytest.raises(InputError, match="no seat in this room has that code"):
        room.rejoin("ZZZZZZ" if a.seat != "ZZZZZZ" else "YYYYYY")
    with pytest.raises(InputError, match="already plays Russia"):
        room.join("Red team", "China")
    for bad, actor, message in [
        ("", "China", "team name"),
        ("x" * 41, "China", "up to 40"),
        ("<script>", "China", "team name"),
        ("Ok", "Mars", "not in this room"),
    ]:
        with pytest.raises(InputError, match=message):
            room.join(bad, actor)


def test_a_refused_request_is_reported_with_the_partners_reason_and_logged(room):
    ru = room.join("Reds", "Russia").seat
    eu = room.join("Blues", "EU").seat
    assert room.submit("Russia", ru, HumanMove({"EU": "raise"}), why="sanctions hurt") == []
    assert room.submit("EU", eu, HumanMove({"Russia": "hold"}), why="Crimea") == []
    assert room.submitted() == ["Russia", "EU"]
    before = room.model.level_of("Russia", "EU")
    room.advance()
    assert room.model.level_of("Russia", "EU") == before
    (fb,) = [f for f in room.feedback_for("Russia") if f.partner == "EU"]
    assert fb.status == "refused" and fb.text.endswith('Their reason: "Crimea"')
    assert any(e.kind == "refusal" and e.text.startswith("Russia asked to raise ties with EU") for e in room.log)
    assert room.pending == {} and room.month == 1


def test_a_reason_is_one_line_of_plain_text(room):
    seat = room.join("Reds", "Russia").seat
    assert room.submit("Russia", seat, HumanMove({}), why="  two\nlines\x00 here ") == []
    assert room.pending["Russia"].why == "two lines here"


def test_a_team_cannot_move_for_another_and_bad_moves_are_messages(room):
    ru = room.join("Reds", "Russia").seat
    room.join("Blues", "EU")
    assert "not your team's country" in room.submit("EU", ru, HumanMove({}))[0]
    assert "is not a move" in room.submit("Russia", ru, HumanMove({"EU": "ally"}))[0]
    with pytest.raises(InputError, match="up to 300"):
        room.submit("Russia", ru, HumanMove({}), why="x" * 301)
    assert room.pending == {}


def test_unmoved_teams_are_played_by_the_model_and_the_timer_advances(room):
    room.join("Reds", "Russia")
    room.set_timer(30)
    assert not room.tick(now=room.deadline - 1)
    assert room.tick(now=room.deadline + 1) and room.month == 1
    assert room.rounds[0].model_played == ["Russia"]
    with pytest.raises(InputError, match="allowed: 10 to 900"):
        room.set_timer(5)


def test_save_and_reload_restore_the_room_and_it_goes_on_identically(room):
    seats = {a: room.join(f"Team {a}", a).seat for a in ("Russia", "China", "US")}
    rng = np.random.default_rng(1)
    for _ in range(3):
        for actor, seat in seats.items():
            moves = {p: str(rng.choice(["raise", "hold", "lower"])) for p in room.actors if p != actor}
            moves = {p: w for p, w in moves.items() if not room.submit(actor, seat, HumanMove({p: w}))}
            extra = {"pressure": {"China": 0.9}} if actor == "US" else {}
            assert room.submit(actor, seat, HumanMove(moves, **extra), why=f"because {actor}") == []
        room.advance()
    back = Room.from_json(room.save_json())
    assert back.month == 3 and [t.name for t in back.teams.values()] == ["Team Russia", "Team China", "Team US"]
    assert np.array_equal(back.levels(), room.levels())
    assert back.rounds[2].moves["US"]["why"] == "because US"
    for r in (room, back):
        r.advance()
    assert np.array_equal(back.levels(), room.levels())


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "not a saved room"),
        ('{"format": "x"}', "not a saved alliance-sim room"),
        ('{"format": "alliance-sim room 1"}', "cannot be restored"),
        ('{"format": "alliance-sim room 2"}', "content hash does not match"),
        ("x" * 2_000_001, "too large"),
    ],
)
def test_a_bad_upload_is_one_line(text, message):
    with pytest.raises(InputError, match=message) as err:
        Room.from_json(text)
    assert "\n" not in str(err.value)


def test_a_tampered_upload_is_refused_by_the_same_move_checks(room):
    seat = room.join("Reds", "Russia").seat
    room.submit("Russia", seat, HumanMove({"EU": "raise"}))
    room.advance()
    data = json.loads(room.save_json())
    data["rounds"][0]["moves"]["Russia"]["moves"] = {"Mars": "raise"}
    data["content_hash"] = content_hash(data)  # even with its hash recomputed, the move checks refuse it
    with pytest.raises(InputError, match=r"rounds\[0\].moves.Russia: unknown partner 'Mars'"):
        Room.from_json(json.dumps(data))


def test_export_has_a_row_per_month_actor_and_partner(room):
    seat = room.join("Reds", "Russia").seat
    room.submit("Russia", seat, HumanMove({"China": "hold"}), why="wait and see")
    room.advance()
    room.advance()
    rows = list(csv.DictReader(io.StringIO(room.export_csv())))
    n = len(room.actors)
    assert len(rows) == 2 * n * (n - 1)
    mine = [r for r in rows if r["actor"] == "Russia" and r["partner"] == "China"]
    assert [r["played_by"] for r in mine] == ["team", "model"] and mine[0]["why"] == "wait and see"
    assert mine[0]["request"] == "hold" and mine[0]["team"] == "Reds"
    assert json.loads(room.export_json())["event_log"] == [
        {"month": e.month, "date": e.date, "kind": e.kind, "pair": list(e.pair), "text": e.text} for e in room.log
    ]


def test_the_registry_limits_rooms_and_finds_them_by_code():
    reg = RoomRegistry(max_rooms=1)
    key = reg.instructor_key
    room = reg.open(scenario("baseline_2018_2021"), "baseline_2018_2021", key=key)
    assert reg.get(room.code.lower()) is room and reg.get(None) is None
    with pytest.raises(InputError, match="already runs 1 rooms"):
        reg.open(scenario("baseline_2018_2021"), "baseline_2018_2021", key=key)
    reg.close(room.code, key=key)
    assert reg.get(room.code) is None


# ---- sources in words


def test_seed_file_names_read_as_short_citations():
    assert short_citation("004_7f33c5278f8a5c30.txt") == "Kaczmarski 2021"
    assert short_citation("000") == "Cheang 2018"
    assert short_citation("999_0000000000000000.txt") == "999_0000000000000000.txt"
    assert in_words('threat [004_7f33c5278f8a5c30.txt: "costly"]') == 'threat [Kaczmarski 2021: "costly"]'
    assert in_words('002: "push back"') == 'Appel 2019: "push back"'
    assert "doi:10.3929/ethz-b-000476768" in full_reference("004_7f33c5278f8a5c30.txt")
    assert len({r.short for r in REFERENCES}) == len(REFERENCES) == 5


# ---- every decision on record


def test_every_lever_a_team_sets_is_on_record_every_month_with_who_decided(room):
    us = room.join("Stars", "US").seat
    eu = room.join("Blues", "EU").seat
    assert room.submit("US", us, HumanMove({}, pressure={"China": 0.21})) == []
    assert room.submit("EU", eu, HumanMove({}, coordination=0.25)) == []
    room.advance()
    assert room.submit("US", us, HumanMove({})) == []  # moved, pressure left as it was
    room.advance()
    room.advance()  # neither moved: the model played them
    rows = list(csv.DictReader(io.StringIO(room.export_csv())))
    china = [(r["pressure"], r["pressure_by"]) for r in rows if r["actor"] == "US" and r["partner"] == "China"]
    assert china == [("0.21", "team"), ("0.21", "team-kept"), ("0.21", "model")]
    assert {r["pressure"] for r in rows if r["actor"] == "US" and r["partner"] == "Russia"} == {"0.36"}
    coord = [(r["coordination"], r["coordination_by"]) for r in rows if r["actor"] == "EU" and r["partner"] == "US"]
    assert coord == [("0.25", "team"), ("0.25", "model"), ("0.25", "model")]
    assert {r["pressure"] for r in rows if r["actor"] not in ("US",)} == {""}
    teams = {r["country"]: r for r in csv.DictReader(io.StringIO(room.team_summary_csv()))}
    # the US team's decisions count: 2 months x (4 partners + 4 pressure levers), one of them a change
    assert teams["US"]["decisions"] == "16" and teams["US"]["lever_changes"] == "1"
    assert "pressure on China 0.11 -> 0.21" in teams["US"]["levers"]
    assert teams["EU"]["decisions"] == "5" and teams["EU"]["lever_changes"] == "1"
    assert teams["EU"]["levers"] == "coordination 0.20 -> 0.25"
