"""Written, owned: no command writes over a file or into a folder it did not make without --overwrite, two
calibrations never write one folder, a full disk leaves nothing half-written that looks finished, and the
crash list of outputs (a file, /proc, /sys, a read-only mount, a --fix that matches nothing) is one line each.

Every refusal is checked through the CLI: exit 2, exactly one line on stderr, and the file or folder it aimed
at byte for byte as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from simulation.behaviour import posterior_files
from simulation.cli import main
from tests.conftest import SCENARIOS

BASE = str(SCENARIOS / "baseline_2018_2021.yaml")


def _digest(path: Path) -> str | None:
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if path.is_dir():
        return json.dumps(sorted((str(p.relative_to(path)), _digest(p)) for p in path.rglob("*") if p.is_file()))
    return None


def _refused(capsys, argv: list[str], fragment: str, target: Path | None = None) -> str:
    before = _digest(target) if target is not None else None
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip()
    assert code == 2, f"{argv}: exit {code}: {err}"
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert fragment in err, f"{fragment!r} not in {err!r}"
    if target is not None:
        assert _digest(target) == before, f"{target} changed"
    return err


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("writers")
    spec = root / "tiny.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "title": "tiny",
                "base_scenario": BASE,
                "design": {"method": "grid"},
                "vary": [{"path": "pressure.targets.China", "label": "china", "values": [0.2, 0.7]}],
                "replicates": 4,
                "master_seed": 1,
                "chunk_size": 4,
            }
        ),
        "utf-8",
    )
    out = root / "R"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    return out


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize(
    "argv",
    [
        ["params", "--format", "markdown", "--out"],
        ["schema", "--kind", "sweep", "--out"],
        ["landscape", BASE, "--out"],
    ],
    ids=["params", "schema", "landscape"],
)
def test_a_file_output_replaces_an_existing_file_only_with_overwrite(tmp_path, capsys, argv):
    theirs = tmp_path / "theirs.md"
    theirs.write_text("precious\n", "utf-8")
    _refused(capsys, [*argv, theirs], "--overwrite", theirs)
    assert main([*argv, str(theirs), "--overwrite"]) == 0
    capsys.readouterr()
    assert theirs.read_text("utf-8") != "precious\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # the temporary file was renamed


def test_calibration_report_never_replaces_a_report_or_writes_into_a_folder_with_files(tmp_path, capsys):
    report = tmp_path / "report.md"
    report.write_text("my notes\n", "utf-8")
    _refused(capsys, ["calibration-report", "--out", report, "--figures", tmp_path / "f"], "--overwrite", report)
    figures = tmp_path / "figs"
    figures.mkdir()
    (figures / "mine.png").write_bytes(b"png")
    argv = ["calibration-report", "--out", tmp_path / "new.md", "--figures", figures]
    _refused(capsys, argv, "--overwrite", figures)
    assert not (tmp_path / "new.md").exists()


@pytest.mark.parametrize("command", ["handout", "compare", "plot", "discover"])
def test_a_folder_output_with_files_in_it_needs_overwrite(sweep, tmp_path, capsys, command):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "thesis.tex").write_text("precious\n", "utf-8")
    argv = {
        "handout": ["handout", BASE, "--runs", "5", "--out", theirs],
        "compare": ["compare", "baseline_2018_2021", "low_us_pressure", "--runs", "10", "--out", theirs],
        "plot": ["plot", sweep, "--out", theirs],
        "discover": ["discover", sweep, "--out", theirs],
    }[command]
    _refused(capsys, argv, "--overwrite", theirs)


@pytest.mark.parametrize("command", ["run", "sweep", "handout", "compare", "discover", "calibrate", "figures"])
def test_a_folder_output_aimed_at_a_users_file_is_refused(sweep, tmp_path, capsys, command):
    theirs = tmp_path / "thesis.tex"
    theirs.write_text("precious\n", "utf-8")
    argv = {
        "run": ["run", BASE, "--steps", "2", "--out", theirs],
        "sweep": ["sweep", sweep.parent / "tiny.yaml", "--quiet", "--out", theirs],
        "handout": ["handout", BASE, "--runs", "5", "--out", theirs],
        "compare": ["compare", "baseline_2018_2021", "low_us_pressure", "--runs", "10", "--out", theirs],
        "discover": ["discover", sweep, "--out", theirs],
        "calibrate": ["calibrate", "--out", theirs],
        "figures": ["calibration-report", "--out", tmp_path / "r.md", "--figures", theirs],
    }[command]
    _refused(capsys, argv, "is a file", theirs)


@pytest.mark.parametrize(
    "argv",
    [
        ["params", "--format", "markdown", "--out", "{}.md"],
        ["schema", "--out", "{}.json"],
        ["landscape", BASE, "--out", "{}.md"],
        ["export", "SWEEP", "--long", "--out", "{}.parquet"],
        ["export", "SWEEP", "--long", "--csv", "--out", "{}.csv"],
        ["run", BASE, "--steps", "2", "--out", "{}"],
        ["compare", "baseline_2018_2021", "low_us_pressure", "--runs", "10", "--out", "{}"],
        ["handout", BASE, "--runs", "5", "--out", "{}"],
    ],
    ids=["params", "schema", "landscape", "export", "export-csv", "run", "compare", "handout"],
)
def test_a_writer_replaces_its_own_earlier_output_only_with_overwrite(sweep, tmp_path, capsys, argv):
    argv = [str(a).replace("{}", str(tmp_path / "out")).replace("SWEEP", str(sweep)) for a in argv]
    assert main(argv) == 0
    capsys.readouterr()
    _refused(capsys, argv, "--overwrite", Path(argv[-1]))
    assert main([*argv, "--overwrite"]) == 0


def test_discover_makes_its_own_earlier_discovery_again_only_with_overwrite(sweep, tmp_path, capsys):
    """The same discovery (same results, outcome, threshold, density) or another one into a folder holding a
    discovery: refused without --overwrite, every file as it was."""
    out = tmp_path / "disc"
    argv = ["discover", str(sweep), "--outcome", "mean_level", "--threshold", "3.5", "--out", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    _refused(capsys, argv, "--overwrite", out)
    _refused(capsys, [*argv[:-3], "3.2", "--out", out], "--overwrite", out)
    assert main([*argv, "--overwrite"]) == 0


def test_plot_replaces_its_own_earlier_figures_only_with_overwrite(sweep, tmp_path, capsys):
    out = tmp_path / "figs"
    argv = ["plot", str(sweep), "--kind", "probability", "--out", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    _refused(capsys, argv, "--overwrite", out)
    assert main([*argv, "--overwrite"]) == 0


def test_play_save_never_replaces_a_file_and_end_of_input_never_saves_an_empty_session(tmp_path, capsys, monkeypatch):
    saved = tmp_path / "session.json"
    saved.write_text('{"precious": true}\n', "utf-8")
    _refused(capsys, ["play", BASE, "--human", "Russia", "--save", saved], "--overwrite", saved)

    def end_of_input(prompt=""):
        raise EOFError

    monkeypatch.setattr("builtins.input", end_of_input)
    before = _digest(saved)
    code = main(["play", BASE, "--human", "Russia", "--save", str(saved), "--overwrite", "--debrief-runs", "10"])
    out = capsys.readouterr().out
    assert code == 0 and "not written" in out
    assert _digest(saved) == before


def test_end_of_input_before_a_round_creates_no_file(tmp_path, capsys, monkeypatch):
    def end_of_input(prompt=""):
        raise EOFError

    monkeypatch.setattr("builtins.input", end_of_input)
    target = tmp_path / "session.json"
    assert main(["play", BASE, "--human", "Russia", "--save", str(target), "--debrief-runs", "10"]) == 0
    assert "not written" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_a_typed_save_never_replaces_a_file(tmp_path, capsys, monkeypatch):
    theirs = tmp_path / "theirs.json"
    theirs.write_text("precious\n", "utf-8")
    answers = iter([f"save {theirs}", "quit"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    assert main(["play", BASE, "--human", "Russia", "--debrief-runs", "10"]) == 0
    assert "not saved:" in capsys.readouterr().out
    assert theirs.read_text("utf-8") == "precious\n"


# --------------------------------------------------------------------------- calibrate


def _finished_calibration(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for f in posterior_files():
        shutil.copy(f, folder / f.name)
    return folder


def test_calibrate_never_replaces_a_finished_calibration_without_resume_or_overwrite(tmp_path, capsys):
    out = _finished_calibration(tmp_path / "cal")
    _refused(capsys, ["calibrate", "--out", out, "--draws", "16", "--accept", "4"], "--resume", out)


def test_calibrate_never_replaces_a_users_posterior_even_with_overwrite(tmp_path, capsys):
    out = tmp_path / "cal"
    out.mkdir()
    (out / "posterior.json").write_text('{"my": "own file"}\n', "utf-8")
    _refused(capsys, ["calibrate", "--out", out, "--overwrite"], "not a posterior made by alliance-sim", out)
    (out / "posterior.json").unlink()
    (out / "posterior.parquet").write_bytes(b"theirs")
    _refused(capsys, ["calibrate", "--out", out, "--overwrite"], "not replaced", out)


def test_calibrate_into_a_folder_with_other_files_needs_overwrite(tmp_path, capsys):
    out = tmp_path / "cal"
    out.mkdir()
    (out / "notes.txt").write_text("precious\n", "utf-8")
    _refused(capsys, ["calibrate", "--out", out], "--overwrite", out)


def test_a_second_calibration_on_one_folder_is_refused(tmp_path, capsys):
    """The first holds the folder's lock (as a running calibration does); the second is refused with one line."""
    from simulation.core.io import FolderLock

    out = tmp_path / "cal"
    out.mkdir()
    with FolderLock(out, "calibration"):
        before = _digest(out)
        _refused(capsys, ["calibrate", "--out", out, "--draws", "16", "--accept", "4"], "another alliance-sim")
        assert _digest(out) == before


def test_a_one_pattern_file_is_refused_up_front_by_validate_and_calibrate_alike(tmp_path, capsys):
    from simulation.calibration.patterns import shipped_patterns_path

    data = yaml.safe_load(shipped_patterns_path().read_text("utf-8"))
    data["patterns"] = data["patterns"][:1]
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    a = _refused(capsys, ["validate", "--kind", "patterns", path], "at least 2")
    b = _refused(capsys, ["calibrate", path, "--out", tmp_path / "cal"], "at least 2")
    assert a == b and not (tmp_path / "cal").exists()


# --------------------------------------------------------------------------- the crash list


@pytest.mark.parametrize(
    ("where", "fragment"),
    [
        ("file", "is a file"),
        ("/proc/alliance-sim-x", "/proc"),
        ("/sys/alliance-sim-x", "/sys"),
        ("/proc/self", "/proc"),
    ],
)
def test_plot_out_onto_a_file_or_a_pseudo_file_system_is_one_correct_line(sweep, tmp_path, capsys, where, fragment):
    target = tmp_path / "a_file" if where == "file" else Path(where)
    if where == "file":
        target.write_text("precious\n", "utf-8")
    _refused(capsys, ["plot", sweep, "--out", target], fragment, target if where == "file" else None)


def test_plot_fix_that_matches_no_design_point_is_refused(sweep, tmp_path, capsys):
    _refused(capsys, ["plot", sweep, "--fix", "china=0.5", "--out", tmp_path / "f"], "matches no design point")
    _refused(capsys, ["plot", sweep, "--fix", "nope=0.5", "--out", tmp_path / "g"], "no column 'nope'")
    assert not (tmp_path / "f").exists() and not (tmp_path / "g").exists()


def test_landscape_extra_csv_columns_are_refused(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text("actor,size,A,B,Z\nA,1,0,0.5,3\nB,2,0.5,0,1\n", "utf-8")
    _refused(capsys, ["landscape", path], "Z: not an actor")
    path.write_text("actor,size,A,B\nA,1,0,0.5\nB,2,0.5,0\n", "utf-8")
    assert main(["landscape", str(path)]) == 0


@contextlib.contextmanager
def _tmpfs(folder: Path, options: str):
    """A small tmpfs mounted at ``folder`` (root only; skipped elsewhere), always unmounted afterwards."""
    folder.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a file system needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode()[:80]})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_read_only_mount_is_named_as_such(sweep, tmp_path, capsys):
    with _tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        err = _refused(capsys, ["plot", sweep, "--out", ro / "figs"], "read-only file system")
        assert "free space" not in err
        _refused(capsys, ["params", "--format", "markdown", "--out", ro / "p.md"], "read-only file system")


def test_a_run_that_fills_the_disk_leaves_nothing_that_looks_finished(tmp_path, capsys):
    with _tmpfs(tmp_path / "full", "size=100k") as full:
        out = full / "run"
        _refused(capsys, ["run", BASE, "--out", out], "no room to write")
        assert not (out / "manifest.json").exists()
        left = [p.name for p in out.iterdir()] if out.exists() else []
        assert left == [], left  # this run's files removed, no temporary file left behind


#: Every writer whose output is finished in one go (a sweep and a calibration keep their finished chunks on a
#: full disk by design, to resume), with {} for the disk's folder.
WRITERS = {
    "params": ["params", "--format", "markdown", "--out", "{}/params.md"],
    "schema": ["schema", "--out", "{}/schema.json"],
    "landscape": ["landscape", BASE, "--out", "{}/landscape.md"],
    "export": ["export", "SWEEP", "--long", "--out", "{}/long.parquet"],
    "export-csv": ["export", "SWEEP", "--long", "--csv", "--out", "{}/long.csv"],
    "plot": ["plot", "SWEEP", "--kind", "probability", "--out", "{}/figs"],
    "discover": ["discover", "SWEEP", "--outcome", "mean_level", "--threshold", "3.5", "--out", "{}/disc"],
    "compare": ["compare", "baseline_2018_2021", "low_us_pressure", "--runs", "10", "--out", "{}/cmp"],
    "handout": ["handout", BASE, "--runs", "5", "--out", "{}/handout"],
}


def _filled(folder: Path) -> None:
    """Fill a file system to its last byte: every later write fails with ENOSPC."""
    with contextlib.suppress(OSError), open(folder / "filler.bin", "wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()


@pytest.mark.parametrize("command", list(WRITERS))
def test_every_writer_on_a_full_disk_is_one_line_and_leaves_nothing_behind(sweep, tmp_path, capsys, command):
    """No temporary file, no half-written file under its final name, no partial set of outputs."""
    with _tmpfs(tmp_path / "full", "size=256k") as full:
        _filled(full)
        argv = [str(a).replace("{}", str(full)).replace("SWEEP", str(sweep)) for a in WRITERS[command]]
        _refused(capsys, argv, "no room to write", full)
        assert [p.name for p in full.rglob("*") if p.is_file()] == ["filler.bin"]


@pytest.mark.parametrize("command", list(WRITERS))
def test_every_writer_on_a_read_only_mount_says_so(sweep, tmp_path, capsys, command):
    with _tmpfs(tmp_path / "ro", "ro,size=64k") as ro:
        argv = [str(a).replace("{}", str(ro)).replace("SWEEP", str(sweep)) for a in WRITERS[command]]
        err = _refused(capsys, argv, "read-only file system")
        assert "free space" not in err
