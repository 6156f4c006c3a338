"""Rooms against hostile and careless use: the instructor's key, idle expiry, edited or oversized room
files, seeds that do not fit, restores that must not stop the server, and a class that joins in a
hurry (the join race, seat codes, two devices on one seat, treaty warnings, records after a restore)."""

from __future__ import annotations

import json
import re
import threading
import time

import numpy as np
import pytest

from simulation.cli import main
from simulation.core.errors import InputError
from simulation.core.ladder import MAX_LEVEL
from simulation.rules.terms import TERMS
from simulation.teaching.rooms import (
    MAX_ROOM_ACTORS,
    Room,
    RoomRegistry,
    content_hash,
    glossary,
    possible_moves,
    request_feedback,
)
from simulation.teaching.seminar import HumanMove, SeminarSession
from tests.conftest import scenario

BASELINE = "baseline_2018_2021"


@pytest.fixture
def room():
    return Room(scenario(BASELINE), BASELINE, seed=5)


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text and "Traceback" not in text
    return text


# ---- the instructor's key (issue: anyone could open rooms until the limit locked the instructor out)


@pytest.mark.parametrize("key", [None, "", "wrong", 12, ["k"], "x" * 10_000])
def test_opening_restoring_advancing_and_closing_need_the_instructors_key(key):
    reg = RoomRegistry(max_rooms=2)
    room = reg.open(scenario(BASELINE), BASELINE, key=reg.instructor_key)
    saved = room.save_json()
    for action in (
        lambda: reg.open(scenario(BASELINE), BASELINE, key=key),
        lambda: reg.restore(saved, key=key),
        lambda: reg.advance(room.code, key),
        lambda: reg.close(room.code, key=key),
    ):
        with pytest.raises(InputError, match="instructor's key is missing or wrong") as err:
            action()
        one_line(err)
    assert list(reg.rooms) == [room.code] and room.month == 0
    assert reg.instructor_room(room.code, key) is None
    reg.advance(room.code, reg.instructor_key)
    assert room.month == 1


def test_a_flood_without_the_key_leaves_the_instructor_room_to_open():
    reg = RoomRegistry(max_rooms=3)
    for _ in range(50):
        with pytest.raises(InputError):
            reg.open(scenario(BASELINE), BASELINE, key="guess")
    assert reg.open(scenario(BASELINE), BASELINE, key=reg.instructor_key).code in reg.rooms


def test_idle_rooms_expire_and_a_followed_room_stays():
    reg = RoomRegistry(idle_s=60)
    key = reg.instructor_key
    idle = reg.open(scenario(BASELINE), BASELINE, key=key)
    followed = reg.open(scenario(BASELINE), BASELINE, key=key)
    now = time.time() + 3600
    followed.touch(now=now - 5)  # a projector page checked in five seconds ago
    assert reg.expire(now=now) == [idle.code]
    assert reg.get(idle.code) is None and reg.get(followed.code) is followed
    # looking rooms up also closes idle ones (at most once a minute), without anyone opening a room
    followed.last_active = time.time() - 3600
    reg._last_expiry = 0.0
    assert reg.get(followed.code) is None and reg.rooms == {}


# ---- room files: version, content hash, seeds, sizes


def saved(room: Room, **changes) -> str:
    data = json.loads(room.save_json())
    data.update(changes)
    data["content_hash"] = content_hash(data)
    return json.dumps(data)


def test_a_saved_room_carries_the_model_version_and_a_hash_and_an_edit_is_refused(room):
    seat = room.join("Reds", "Russia").seat
    room.submit("Russia", seat, HumanMove({"China": "raise"}))
    room.advance()
    data = json.loads(room.save_json())
    assert data["model_version"] and len(data["content_hash"]) == 64
    for edit in ({"seed": 6}, {"title": "Another game"}):
        changed = {**data, **edit}
        with pytest.raises(InputError, match="changed after it was saved") as err:
            Room.from_json(json.dumps(changed))
        one_line(err)
    moved = json.loads(room.save_json())
    moved["rounds"][0]["moves"]["Russia"]["moves"]["China"] = "hold"
    with pytest.raises(InputError, match="signature does not match"):
        Room.from_json(json.dumps(moved))


def test_a_room_from_another_model_version_is_restored_with_a_warning(room):
    back = Room.from_json(saved(room, model_version="0.0.1"))
    assert back.month == 0 and "saved with alliance-sim 0.0.1" in back.warnings[0]
    assert Room.from_json(room.save_json()).warnings == []


SEEDS = [(2**64, "18446744073709551616"), (1e308, "1e+308"), (1.7, "1.7"), (True, "True"), (-1, "-1"),
         ("5", "'5'")]  # fmt: skip


@pytest.mark.parametrize("seed, shown", SEEDS)
def test_a_seed_that_is_not_a_whole_int64_is_one_line_in_a_room_file(room, seed, shown):
    with pytest.raises(InputError, match=re.escape(f"seed: {shown} is not a seed")) as err:
        Room.from_json(saved(room, seed=seed))
    one_line(err)


def test_infinity_and_nan_are_refused_in_a_room_file(room):
    for word in ("Infinity", "NaN", "-Infinity"):
        text = saved(room, seed=0).replace('"seed": 0', f'"seed": {word}')
        with pytest.raises(InputError, match=f"{word} is not allowed") as err:
            Room.from_json(text)
        one_line(err)


@pytest.mark.parametrize("seed", [2**64, 1e308, "Infinity", 1.7, True])
def test_play_load_refuses_the_same_seeds_in_one_line(tmp_path, capsys, seed):
    session = SeminarSession(scenario(BASELINE), ["Russia"], seed=1)
    path = session.save(tmp_path / "s.json")
    data = json.loads(path.read_text())
    data["seed"] = seed
    path.write_text(json.dumps(data).replace('"Infinity"', "Infinity"))
    assert main(["play", "--load", str(path), "--rounds", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "seed" in err and "Traceback" not in err, err


def test_titles_and_sizes_are_bounded(room):
    with pytest.raises(InputError, match="title: is 2000000 characters long"):
        Room(scenario(BASELINE), BASELINE, title="x" * 2_000_000)
    with pytest.raises(InputError, match="changed after it was saved|title"):
        Room.from_json(saved(room, title="t" * 500))
    data = json.loads(room.save_json())
    data["rounds"] = [{"month": k, "moves": {}} for k in range(49)]
    data["content_hash"] = content_hash(data)
    with pytest.raises(InputError, match="49 months played"):
        Room.from_json(json.dumps(data))


def test_a_huge_world_is_refused_before_any_replay(room):
    """The 30-country, 600-month file that took 50 s to replay is refused at once."""
    data = json.loads(room.save_json())
    sc = data["scenario"]
    many = [f"A{k}" for k in range(30)]
    sc["actors"] = many
    sc["steps"] = 600
    data["content_hash"] = content_hash(data)
    started = time.perf_counter()
    with pytest.raises(InputError) as err:
        Room.from_json(json.dumps(data))
    assert time.perf_counter() - started < 5
    assert f"30 countries (allowed in a room: up to {MAX_ROOM_ACTORS})" in one_line(err)


def test_a_restore_replays_outside_the_registry_lock(monkeypatch, room):
    reg = RoomRegistry()
    key = reg.instructor_key
    text = room.save_json()
    real = Room.from_json.__func__
    started = threading.Event()

    def slow(cls, *args, **kwargs):
        started.set()
        time.sleep(1.5)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(Room, "from_json", classmethod(slow))
    worker = threading.Thread(target=reg.restore, args=(text,), kwargs={"key": key})
    worker.start()
    assert started.wait(5)
    t0 = time.perf_counter()
    other = reg.open(scenario(BASELINE), BASELINE, key=key)  # another room opens meanwhile
    assert reg.get(other.code) is other and time.perf_counter() - t0 < 1.4
    with pytest.raises(InputError, match="another room is being restored"):
        reg.restore(text, key=key)
    worker.join()
    assert len(reg.rooms) == 2


# ---- joining that cannot go wrong


def test_the_join_race_refuses_the_slower_team_and_seats_it_nowhere(room):
    room.join("Team A", "Russia")
    with pytest.raises(InputError, match="Russia is already played by team 'Team A' .still free: China, US"):
        room.join("Team B", "Russia")
    assert [t.name for t in room.teams.values()] == ["Team A"]
    with pytest.raises(InputError, match="'1' is not in this room"):
        room.join("Team B", 1)  # a position is not a country


def test_seat_codes_survive_a_restore_and_a_freed_seat_says_so(room):
    a = room.join("Reds", "Russia")
    back = Room.from_json(room.save_json())
    assert back.rejoin(a.seat).actor == "Russia" and back.teams["Russia"].name == "Reds"
    back.leave("Russia")
    with pytest.raises(InputError, match="the instructor freed this seat"):
        back.rejoin(a.seat)


def test_two_devices_on_one_seat_are_seen_and_the_latest_submit_is_the_one_kept(room):
    seat = room.join("Reds", "Russia").seat
    room.touch("Russia", "laptop")
    room.touch("Russia", "phone")
    assert sorted(room.devices("Russia")) == ["laptop", "phone"] and room.connected() == {"Russia": 2}
    room.submit("Russia", seat, HumanMove({"China": "raise"}), device="laptop")
    first = room.pending["Russia"].serial
    room.submit("Russia", seat, HumanMove({"China": "hold"}), device="phone")
    assert room.pending["Russia"].serial > first and room.pending["Russia"].move.moves == {"China": "hold"}
    assert room.devices("Russia", now=time.time() + 60) == []


def test_preset_names_anonymise_teams_and_bots_fill_the_rest():
    r = Room(scenario(BASELINE), BASELINE, preset_names=True)
    assert r.join("Alice's group", "Russia").name == "Team Amber"
    assert r.join("anything", "China").name == "Team Birch"
    assert r.fill_with_bots() == ["US", "India", "EU"]
    r.advance()
    rnd = r.rounds[0]
    assert set(rnd.moves) == {"US", "India", "EU"}  # the bots moved, on the model's advice
    assert all(rnd.moves[a]["moves"] == rnd.advice[a] for a in ("US", "India", "EU"))
    back = Room.from_json(r.save_json())
    assert np.array_equal(back.levels(), r.levels()) and back.teams["US"].bot


# ---- moves that are safe


def test_only_possible_moves_are_offered():
    assert possible_moves(0) == ("raise", "hold")
    assert possible_moves(MAX_LEVEL) == ("hold", "lower")
    assert possible_moves(2) == ("raise", "hold", "lower")


def test_a_choice_that_resets_treaty_consent_or_breaks_a_treaty_is_warned(room):
    i, j = room.actors.index("Russia"), room.actors.index("China")
    room.model.level[i, j] = room.model.level[j, i] = MAX_LEVEL - 1
    room.model.streak[i, j] = room.model.streak[j, i] = 2
    warn = room.move_warnings("Russia", {"China": "hold", "US": "hold"})
    assert list(warn) == ["China"] and f"stands at 2 of {room.treaty_months} months" in warn["China"]
    assert room.move_warnings("Russia", {"China": "raise"}) == {}
    room.model.level[i, j] = room.model.level[j, i] = MAX_LEVEL
    assert "breaks your formal alliance" in room.move_warnings("Russia", {"China": "lower"})["China"]


def test_last_months_choices_are_the_starting_point_and_a_new_team_starts_clean(room):
    seat = room.join("Reds", "Russia").seat
    assert room.submit("Russia", seat, HumanMove({"China": "raise", "EU": "lower"})) == []
    room.advance()
    assert room.last_choices("Russia") == {"China": "raise", "EU": "lower"}
    room.leave("Russia")
    room.join("Greens", "Russia")
    assert room.last_choices("Russia") == {} and room.feedback_for("Russia") == []


def test_the_reason_being_typed_survives_a_reload(room):
    seat = room.join("Reds", "Russia").seat
    room.set_draft("Russia", seat, "we need Chinese markets")
    room.set_draft("Russia", "wrong-seat", "overwritten?")
    assert room.drafts["Russia"] == "we need Chinese markets"


# ---- feedback that teaches


def test_a_refusal_by_a_model_played_country_gives_the_models_reason(room):
    seat = room.join("Reds", "Russia").seat
    room.submit("Russia", seat, HumanMove({"EU": "raise"}))
    room.advance()
    (fb,) = [f for f in room.feedback_for("Russia") if f.partner == "EU"]
    assert fb.status == "refused" and "The model plays EU; what weighed most for it:" in fb.text
    assert request_feedback("A", "B", "raise", "hold", 1, 1, 0, 6, model_reason="x -1.00").text.endswith(
        "what weighed most for it: x -1.00."
    )


def test_what_changed_since_last_month_is_told_with_the_numbers(room):
    room.join("Reds", "Russia")
    before = {v.partner: v for v in room.situation("Russia").partners}
    room.advance()
    after = {v.partner: v for v in room.situation("Russia").partners}
    changes = room.changes_for("Russia")
    assert set(changes) == set(after)
    for p, c in changes.items():
        assert c.threat_before == pytest.approx(before[p].threat_to_me)
        assert c.threat_after == pytest.approx(after[p].threat_to_me)
        assert f"{after[p].threat_to_me:.2f}" in c.text and f"{after[p].trade_share:.1%}" in c.text


def test_a_change_in_threat_trade_and_terms_is_worded_with_before_and_after():
    from simulation.teaching.rooms import describe_change
    from simulation.teaching.seminar import PartnerView, Situation

    def sit(threat, trade, shared):
        view = PartnerView("China", "entente", threat, 0.2, trade, "raise", 1.0, [("shared threat", shared)])
        return Situation("Russia", 0, "2018-01", [view], False, False)

    (c,) = describe_change(sit(0.30, 0.168, 1.50), sit(0.42, 0.150, 1.75)).values()
    assert "your fear of China rose from 0.30 to 0.42" in c.text
    assert "its share of your trade fell from 16.8% to 15.0%" in c.text
    assert "shared threat pulls you closer (+1.75, was +1.50)" in c.text


def test_the_glossary_explains_every_term_with_its_source():
    entries = glossary()
    assert [e["term"] for e in entries] == [t.label for t in TERMS]
    assert all(e["meaning"] != e["term"] and ":" in e["source"] for e in entries)


# ---- records and the debrief


def test_who_played_each_month_survives_a_restore(room):
    room.join("First", "Russia")
    room.advance()  # played by the model for team First
    room.leave("Russia")
    seat = room.join("Second", "Russia").seat
    room.submit("Russia", seat, HumanMove({"China": "hold"}), why="steady")
    room.advance()
    for r in (room, Room.from_json(room.save_json())):
        by_month = {(int(x["month"]), x["team"]) for x in r.rows() if x["actor"] == "Russia"}
        assert by_month == {(0, "First"), (1, "Second")}
        summary = {row["team"]: row for row in r.team_summary()}
        assert summary["First"]["months_model_played"] == 1 and summary["Second"]["months_moved"] == 1
        assert "steady" in summary["Second"]["reasons"]
    assert "Second,Russia,1,0" in room.team_summary_csv()


def test_the_debrief_speaks_of_the_class_own_game(room):
    seat = room.join("Reds", "Russia").seat
    room.submit("Russia", seat, HumanMove({"EU": "raise"}), why="sanctions hurt")
    room.advance()
    out = room.debrief(100)
    assert out["teams"][0]["team"] == "Reds" and out["refusals"][0]["date"] == room.log[0].date
    assert any("Reds" in q for q in out["questions"])
    assert any(out["refusals"][0]["text"] in q for q in out["questions"])
    assert room.debrief_result is out


def test_classroom_on_a_missing_reference_fails_in_one_line_before_a_server_starts(tmp_path):
    import subprocess
    import sys

    import yaml

    from simulation.dashboard.server import free_port
    from simulation.world.scenario import scenario_path
    from tests.conftest import ROOT

    data = yaml.safe_load(scenario_path(BASELINE).read_text())
    data["reference_scenario"] = "no_such_scenario"
    bad = tmp_path / "bad_reference.yaml"
    bad.write_text(yaml.safe_dump(data))
    port = free_port()
    proc = subprocess.run(
        [sys.executable, "-m", "simulation.cli", "classroom", str(bad), "--port", str(port)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    err = proc.stderr.strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1, err
    assert "no_such_scenario" in err and "Traceback" not in err
    assert "open http" not in proc.stdout  # no server was started, no link printed


# ---- room files signed with HMAC-SHA-256 under a secret kept in the user's configuration


def _played(room: Room) -> dict:
    seat = room.join("Reds", "Russia").seat
    room.submit("Russia", seat, HumanMove({"China": "raise"}))
    room.advance()
    return json.loads(room.save_json())


def test_the_signing_key_is_made_on_first_use_with_mode_0600(tmp_path, monkeypatch):
    import os
    import stat

    from simulation.teaching import rooms

    monkeypatch.setenv(rooms.CONFIG_ENV, str(tmp_path / "config"))
    key = rooms.signing_key()
    path = tmp_path / "config" / rooms.SIGNING_KEY_FILE
    assert len(key) == 32 and path.is_file()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert rooms.signing_key() == key  # kept, not made again


def test_a_key_file_others_can_read_is_refused(tmp_path, monkeypatch):
    from simulation.teaching import rooms

    folder = tmp_path / "config"
    folder.mkdir()
    (folder / rooms.SIGNING_KEY_FILE).write_text("ab" * 32 + "\n")
    (folder / rooms.SIGNING_KEY_FILE).chmod(0o644)
    monkeypatch.setenv(rooms.CONFIG_ENV, str(folder))
    with pytest.raises(InputError, match="readable by others") as err:
        rooms.signing_key()
    one_line(err)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(seed=6),
        lambda d: d["rounds"][0]["moves"]["Russia"]["moves"].update(China="lower"),
        lambda d: d["scenario"].update(steps=12),
        lambda d: d["teams"][0].update(seat="ABCDEF"),
        lambda d: d.update(title="Another game"),
    ],
    ids=["seed", "past_move", "scenario", "seat_code", "title"],
)
def test_an_edited_room_is_refused_even_with_its_plain_hash_recomputed(room, edit):
    """The edit a forger can make without the key: change the content, recompute a sha256 of it."""
    from simulation.teaching.rooms import plain_hash

    data = _played(room)
    edit(data)
    data["content_hash"] = plain_hash(data)
    with pytest.raises(InputError, match="signature does not match") as err:
        Room.from_json(json.dumps(data))
    one_line(err)


def test_a_format_downgrade_is_never_accepted_with_a_warning(room):
    from simulation.teaching.rooms import NeedsConfirmation, plain_hash

    data = _played(room)
    data["seed"] = 6
    old = {**data, "format": "alliance-sim room 1"}
    with pytest.raises(InputError, match="cannot be restored") as err:
        Room.from_json(json.dumps(old))
    one_line(err)
    unsigned = {**data, "format": "alliance-sim room 2"}
    unsigned["content_hash"] = plain_hash(unsigned)
    with pytest.raises(NeedsConfirmation, match="unsigned") as err:
        Room.from_json(json.dumps(unsigned))
    one_line(err)
    with pytest.raises(InputError, match="unsigned"):
        RoomRegistry(instructor_key="k").restore(json.dumps(unsigned), key="k")
    # migrated explicitly: the instructor confirms, the console says so, the next save is signed
    back = RoomRegistry(instructor_key="k").restore(json.dumps(unsigned), key="k", confirmed=True)
    assert back.seed == 6 and "unsigned" in back.warnings[0]
    resaved = json.loads(back.save_json())
    assert resaved["format"] == "alliance-sim room 3"
    assert Room.from_json(back.save_json()).warnings == []


def test_a_file_signed_elsewhere_restores_only_after_the_instructor_confirms(room, tmp_path, monkeypatch):
    from simulation.teaching import rooms

    here = json.loads(room.save_json())
    monkeypatch.setenv(rooms.CONFIG_ENV, str(tmp_path / "other-computer"))
    elsewhere = room.save_json()
    assert json.loads(elsewhere)["signer"] != here["signer"]
    monkeypatch.undo()
    reg = RoomRegistry(instructor_key="k")
    with pytest.raises(rooms.NeedsConfirmation, match="signed on another computer") as err:
        reg.restore(elsewhere, key="k")
    one_line(err)
    assert reg.rooms == {}
    back = reg.restore(elsewhere, key="k", confirmed=True)
    assert back.seed == room.seed and "signed on another computer" in back.warnings[0]
    # an edit with the signer's name copied but no key is refused outright (no confirmation offered)
    forged = {**here, "seed": 9}
    with pytest.raises(InputError, match="signature does not match"):
        reg.restore(json.dumps(forged), key="k", confirmed=True)


def test_a_signature_stripped_of_its_signer_is_never_taken_for_this_computers(room):
    """Removing the signer and recomputing the plain hash makes an edited file look foreign, not verified: it
    waits for the instructor's confirmation like any file from another computer, and no room is opened."""
    from simulation.teaching.rooms import NeedsConfirmation, plain_hash

    data = {**_played(room), "seed": 6}
    data.pop("signer")
    data["content_hash"] = plain_hash(data)
    reg = RoomRegistry(instructor_key="k")
    with pytest.raises(NeedsConfirmation, match="confirm to restore") as err:
        reg.restore(json.dumps(data), key="k")
    one_line(err)
    assert reg.rooms == {}
