"""Bad input: one line naming the file, the field and what is allowed; exit code 2; no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulation.cli import main
from tests.conftest import SCENARIOS

BASE = (SCENARIOS / "baseline_2018_2021.yaml").read_text("utf-8")


def _write(tmp_path: Path, text: str | bytes, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    return path


CASES = {
    "malformed_yaml": ("title: [unclosed\nsteps: 4\n", ["malformed YAML", "line"]),
    "unknown_key": (BASE + "\ncolour: blue\n", ["unknown key 'colour'", "allowed:", "title"]),
    "unknown_nested_key": (
        BASE.replace("    Russia:\n      - from_step: 0\n", "    Russia:\n      - from_step: 0\n        nukes: 1\n"),
        ["pressure.targets.Russia[0]", "unknown key 'nukes'", "sanctions"],
    ),
    "wrong_type": (BASE.replace("steps: 48", "steps: forty-eight"), ["steps", "integer"]),
    "out_of_range": (
        BASE.replace("sanctions: 0.6", "sanctions: 1.6"),
        ["pressure.targets.Russia[0].sanctions", "less than or equal to 1", "1.6"],
    ),
    "unknown_actor_in_schedule": (
        BASE.replace("    China:\n      - from_step: 0", "    Chna:\n      - from_step: 0"),
        ["pressure.targets.Chna", "unknown actor 'Chna'", "allowed: Russia, China, US, India, EU"],
    ),
    "unknown_actor_in_event": (
        BASE.replace("between: [China, India]", "between: [China, Pakistan]"),
        ["events[1].between", "Pakistan"],
    ),
    "unknown_parameter": (
        BASE + "\nparameters:\n  weight.charisma: 2\n",
        ["parameters.weight.charisma", "unknown parameter"],
    ),
    "parameter_out_of_bounds": (
        BASE + "\nparameters:\n  status_concern.Russia: 3\n",
        ["parameters.status_concern.Russia", "allowed: 0 to 1"],
    ),
    "not_a_mapping": ("- just\n- a list\n", ["expected a mapping"]),
    "python_tag": ("title: !!python/object/apply:os.system ['echo hacked']\n", ["malformed YAML"]),
    "not_utf8": (b"title: \xff\xfe\n", ["not UTF-8"]),
    "nan": (BASE.replace("sanctions: 0.6", "sanctions: .nan"), ["sanctions"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_gives_one_line_and_exit_2(case, tmp_path, capsys):
    text, expected = CASES[case]
    path = _write(tmp_path, text)
    code = main(["validate", str(path)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert str(path) in err
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in {err!r}"


def test_missing_file(tmp_path, capsys):
    code = main(["run", str(tmp_path / "nope.yaml")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "nope.yaml" in err and "not found" in err and len(err.splitlines()) == 1


def test_real_process_prints_no_traceback(tmp_path):
    path = _write(tmp_path, BASE.replace("steps: 48", "steps: -3"))
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "run", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("error:") and "steps" in proc.stderr
    assert not list(Path.cwd().glob("results/bad-seed0"))  # nothing written for bad input


def test_steps_beyond_the_scenario_are_refused(capsys):
    code = main(["run", str(SCENARIOS / "baseline_2018_2021.yaml"), "--steps", "100"])
    assert code == 2 and "--steps" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["run", "scenarios/baseline_2018_2021.yaml", "--seed", "-1"], "--seed"),
        (["run", "scenarios/baseline_2018_2021.yaml", "--steps", "0"], "--steps"),
        (["calibrate", "--runs", "0"], "--runs"),
        (["sweep", "experiments/flagship_us_pressure.yaml", "--workers", "0"], "--workers"),
        (["play", "scenarios/baseline_2018_2021.yaml", "--human", "Russia", "--debrief-runs", "abc"], "--debrief-runs"),
        (["play", "--human", "Russia"], "--load"),
        (["no-such-command"], "invalid choice"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(argv, fragment):
    from tests.conftest import ROOT

    proc = subprocess.run(
        [sys.executable, "-m", "simulation.cli", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and fragment in proc.stderr, proc.stderr
