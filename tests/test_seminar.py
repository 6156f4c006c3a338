"""Seminar engine: human moves obey consent; invalid moves are refused with a message; save and
reload give the same state; the debrief compares the class with the model's distribution."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from simulation.teaching.seminar import HumanMove, SeminarSession
from tests.conftest import ROOT, scenario


def session(*humans, name="baseline_2018_2021", seed=3):
    return SeminarSession(scenario(name), list(humans), seed=seed)


def test_a_human_raise_needs_the_partners_consent():
    s = session("Russia", "EU")
    before = s.level("Russia", "EU")
    assert s.situation("Russia").partners[-1].partner == "EU"
    assert s.submit("Russia", HumanMove({"EU": "raise"})) == []
    assert s.submit("EU", HumanMove({"Russia": "hold"})) == []
    s.play_round()
    assert s.level("Russia", "EU") == before  # the EU's player did not consent


def test_two_humans_raise_together_and_either_can_lower():
    s = session("Russia", "China")
    assert s.level("Russia", "China") == 3
    s.submit("Russia", HumanMove({"China": "raise"}))
    s.submit("China", HumanMove({"Russia": "raise"}))
    s.play_round()
    assert s.level("Russia", "China") == 4
    s.submit("Russia", HumanMove({"China": "hold"}))
    s.submit("China", HumanMove({"Russia": "lower"}))
    s.play_round()
    assert s.level("Russia", "China") == 3


def test_a_formal_alliance_still_needs_consent_held_for_the_treaty_period():
    s = session("Russia", "China")
    s.submit("Russia", HumanMove({"China": "raise"}))
    s.submit("China", HumanMove({"Russia": "raise"}))
    s.play_round()  # 3 -> 4
    assert s.level("Russia", "China") == 4
    treaty = int(round(s.model.resolved.value("treaty_consent_steps")))
    months = 0
    while s.level("Russia", "China") < 5:
        s.submit("Russia", HumanMove({"China": "raise"}))
        s.submit("China", HumanMove({"Russia": "raise"}))
        s.play_round()
        months += 1
    assert months == treaty


@pytest.mark.parametrize(
    "actor, move, message",
    [
        ("Russia", HumanMove({"Mars": "raise"}), "unknown partner 'Mars'"),
        ("Russia", HumanMove({"China": "ally"}), "is not a move"),
        ("Russia", HumanMove({"US": "lower"}), "already estranged"),
        ("US", HumanMove({"EU": "raise"}), "already a formal alliance"),
        ("Russia", HumanMove({}, pressure={"China": 0.5}), "only US sets pressure"),
        ("US", HumanMove({}, pressure={"China": 1.5}), "out of range"),
        ("China", HumanMove({}), "played by the model"),
        ("EU", HumanMove({}, coordination=2.0), "out of range"),
    ],
)
def test_invalid_moves_are_refused_with_a_message(actor, move, message):
    s = session("Russia", "US", "EU")
    problems = s.submit(actor, move)
    assert problems and any(message in p for p in problems), problems
    assert actor not in s.pending


def test_the_us_player_sets_pressure():
    s = session("US")
    s.submit("US", HumanMove({}, pressure={"China": 1.0}))
    s.play_round()
    china = s.actors.index("China")
    assert np.all(s.model.params.pressure_threat[0, 1:, china] == 1.0)
    assert s.situation("US").controls_pressure and not s.situation("US").controls_coordination


def test_save_and_reload_give_the_same_state(tmp_path):
    s = session("Russia", "US", seed=11)
    rng = np.random.default_rng(0)
    for _ in range(5):
        for actor in s.humans:
            partners = [a for a in s.actors if a != actor]
            moves = {p: str(rng.choice(["raise", "hold", "lower"])) for p in partners}
            moves = {p: m for p, m in moves.items() if not s.validate(actor, HumanMove({p: m}))}
            extra = {"pressure": {"Russia": 0.8}} if actor == "US" else {}
            assert s.submit(actor, HumanMove(moves, **extra)) == []
        s.play_round()
    path = s.save(tmp_path / "class.json")
    back = SeminarSession.load(path)
    assert back.step == s.step == 5
    assert np.array_equal(back.model.levels_array(), s.model.levels_array())
    assert np.array_equal(back.model.params.pressure_threat, s.model.params.pressure_threat)
    for x in (s, back):  # and they go on identically
        x.submit("Russia", HumanMove({}))
        x.submit("US", HumanMove({}))
        x.play_round()
    assert np.array_equal(back.model.levels_array(), s.model.levels_array())


def test_a_broken_session_file_is_a_one_line_error(tmp_path):
    from simulation.core.errors import InputError

    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not a saved seminar session"):
        SeminarSession.load(bad)


def test_debrief_compares_the_class_with_the_model():
    s = session("Russia", "China")
    for _ in range(12):  # a class that pushes Russia and China together every month
        s.submit("Russia", HumanMove({"China": "raise" if s.level("Russia", "China") < 5 else "hold"}))
        s.submit("China", HumanMove({"Russia": "raise" if s.level("Russia", "China") < 5 else "hold"}))
        s.play_round()
    d = s.debrief(runs=200)
    assert d["steps_played"] == 12
    assert d["class_alliance_step"] is not None and d["class_final_level"] == "formal alliance"
    assert d["model_alliance_share"] < 0.5  # the model, left to itself, rarely signs within a year
    assert "reached a Russia-China alliance" in d["text"] and "same 12 months" in d["text"]
    assert d["class_percentile"] > 0.9  # far above what the model does
    spread = d["model_alliance_spread"]  # 200 runs: 10 parameter sets x 20 runs, each set's own chance
    assert spread["draws"] == 10 and spread["runs_per_draw"] == 20
    assert spread["pooled"] == d["model_alliance_share"]
    assert "parameter sets" in d["text"] and "below 5%" in d["text"]


def test_play_in_the_terminal(tmp_path):
    save = tmp_path / "s.json"
    script = "China=raise\nRussia=raise\nbogus\nChina=ally\nChina=hold\n\nquit\n"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulation.cli",
            "play",
            "scenarios/baseline_2018_2021.yaml",
            "--human",
            "Russia",
            "--human",
            "China",
            "--save",
            str(save),
            "--debrief-runs",
            "50",
        ],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "model advises" in proc.stdout and "refused" in proc.stdout and "not understood" in proc.stdout
    assert "Russia-China rose to entente" in proc.stdout and "Debrief" in proc.stdout
    assert SeminarSession.load(save).step == 2
