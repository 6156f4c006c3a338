"""`sensitivity --out` follows the rule of every writer: a folder or file it did not make is refused before
any run (one line, exit 2, left as it was); its own earlier output is replaced only with --overwrite."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from simulation.cli.app import main
from tests.conftest import SCENARIOS


def _morris_file(tmp_path: Path) -> Path:
    data = {
        "title": "writer rule",
        "base_scenario": str(SCENARIOS / "baseline_2018_2021.yaml"),
        "design": {"method": "morris", "samples": 4, "levels": 4},
        "vary": [
            {"path": "pressure.targets.China", "label": "china", "range": {"low": 0.0, "high": 1.0}},
            {"path": "pressure.targets.Russia", "label": "russia", "range": {"low": 0.0, "high": 1.0}},
        ],
        "replicates": 4,
        "master_seed": 5,
    }
    path = tmp_path / "morris.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


def _state(folder: Path) -> dict[str, str]:
    """Every file under folder with the hash of its bytes: 'untouched' means equal before and after."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def _refused(capsys, argv: list[str], *words: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert all(w in err for w in words), err
    return err


def test_a_folder_it_did_not_make_is_refused_and_left_as_it_was(tmp_path, capsys):
    spec = _morris_file(tmp_path)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.md").write_text("a user's own notes\n", "utf-8")
    (theirs / "sensitivity.md").write_text("a user's file that happens to share the report's name\n", "utf-8")
    before = _state(theirs)
    _refused(capsys, ["sensitivity", str(spec), "--out", str(theirs), "--workers", "1", "--quiet"], "--out", "holds")
    assert _state(theirs) == before and not (theirs / "sweep").exists()


def test_a_file_given_as_the_folder_is_refused_and_left_as_it_was(tmp_path, capsys):
    spec = _morris_file(tmp_path)
    target = tmp_path / "results.txt"
    target.write_text("keep me\n", "utf-8")
    _refused(capsys, ["sensitivity", str(spec), "--out", str(target), "--quiet"], "--out")
    assert target.read_text("utf-8") == "keep me\n"


@pytest.mark.slow  # one small Morris sweep (48 runs) on one worker
def test_its_own_earlier_output_is_replaced_only_with_overwrite(tmp_path, capsys):
    spec = _morris_file(tmp_path)
    out = tmp_path / "sens"
    argv = ["sensitivity", str(spec), "--out", str(out), "--workers", "1", "--quiet"]
    assert main(argv) == 0
    capsys.readouterr()
    first = _state(out)
    assert "sensitivity.md" in first and "sweep/results.parquet" in first
    _refused(capsys, argv, "--out", "--overwrite")
    assert _state(out) == first
    assert main([*argv, "--overwrite"]) == 0
    after = _state(out)
    assert after["sweep/results.parquet"] == first["sweep/results.parquet"]  # the matching sweep is reused
    assert set(after) >= set(first)
