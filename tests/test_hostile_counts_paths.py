"""Counts, output paths and file names are checked before any work: a bound on every count, an output
path that cannot be written refused up front (one line, exit 2, no traceback, no memory surge), a file
name that is not UTF-8 refused naming its argument, a full disk named."""

from __future__ import annotations

import errno
import os
import resource
import time
from collections import Counter
from pathlib import Path

import pytest

from simulation.behaviour import posterior_files
from simulation.cli import main
from tests.conftest import SCENARIOS

BASE = str(SCENARIOS / "baseline_2018_2021.yaml")
MAX_RSS_GROWTH_MB = 200
SECONDS_PER_CASE = 30.0  # a refusal takes well under a second; the margin is for a loaded 2-core machine


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus(tmp: Path) -> list[tuple[str, list[str], str]]:
    a_file = tmp / "a_file.txt"
    a_file.write_text("x\n", "utf-8")
    missing = tmp / "missing" / "deeper"
    return [
        # counts: bounded before anything is allocated
        ("handout", ["handout", BASE, "--runs", "1000000000"], "--runs"),
        ("handout", ["handout", BASE, "--runs", "0"], "--runs"),
        ("handout", ["handout", BASE, "--runs", "1e5"], "--runs"),
        ("play", ["play", BASE, "--human", "Russia", "--debrief-runs", "1000000000"], "--debrief-runs"),
        ("play", ["play", BASE, "--human", "Russia", "--rounds", "100000"], "--rounds"),
        ("dashboard", ["dashboard", "--port", "99999"], "--port"),
        ("classroom", ["classroom", "--port", "80"], "--port"),
        ("calibrate", ["calibrate", "--draws", "100000000"], "--draws"),
        ("calibrate", ["calibrate", "--replicates", "1000000"], "--replicates"),
        ("calibrate", ["calibrate", "--population", "10000000", "--method", "smc"], "--population"),
        ("calibrate", ["calibrate", "--draws", "1000000", "--replicates", "100000"], "above the limit"),
        ("calibration-report", ["calibration-report", "--draws", "0"], "--draws"),
        # inconsistent calibrate options
        ("calibrate", ["calibrate", "--accept", "500", "--draws", "100"], "more than --draws"),
        ("calibrate", ["calibrate", "--leave-out", "baseline_closer"], "--method smc"),
        ("calibrate", ["calibrate", "--method", "smc", "--leave-one-out"], "--method rejection"),
        ("calibrate", ["calibrate", "--method", "smc", "--draws", "64"], "--method rejection"),
        ("calibrate", ["calibrate", "--population", "64"], "--method smc"),
        ("calibrate", ["calibrate", "--method", "smc", "--leave-out", "no_such_pattern"], "no pattern"),
        ("calibrate", ["calibrate", "--resume", "--out", str(tmp / "empty_cal")], "nothing to resume"),
        (
            "calibrate",
            ["calibrate", "--method", "smc", "--resume", "--out", str(tmp / "empty_cal")],
            "nothing to resume",
        ),
        # output paths checked before work
        ("run", ["run", BASE, "--out", "/proc/alliance-sim-x"], "cannot write"),
        ("sweep", ["sweep", "tiny_lhs", "--out", "/proc/alliance-sim-x"], "cannot write"),
        ("handout", ["handout", BASE, "--out", "/proc/alliance-sim-x"], "cannot write"),
        ("handout", ["handout", BASE, "--out", str(a_file)], "is a file"),
        ("calibrate", ["calibrate", "--out", "/proc/alliance-sim-x"], "cannot write"),
        ("calibrate", ["calibrate", "--out", str(posterior_files()[0].parent)], "data folder"),
        ("play", ["play", BASE, "--human", "Russia", "--save", str(missing / "s.json")], "does not exist"),
        ("play", ["play", BASE, "--human", "Russia", "--save", str(tmp)], "folder"),
        ("play", ["play", BASE, "--human", "Russia", "--save", "/proc/alliance-sim-x.json"], "cannot write"),
        ("params", ["params", "--format", "markdown", "--out", "/proc/alliance-sim-x.md"], "cannot write"),
        ("schema", ["schema", "--out", str(missing / "s.json")], "does not exist"),
        ("landscape", ["landscape", BASE, "--out", "/proc/alliance-sim-x.md"], "cannot write"),
        ("export", ["export", str(tmp), "--long", "--out", "/proc/alliance-sim-x.parquet"], "cannot write"),
        ("calibration-report", ["calibration-report", "--out", "/proc/x.md", "--figures", str(tmp / "f")], "cannot"),
        (
            "calibration-report",
            ["calibration-report", "--out", str(tmp / "r.md"), "--figures", str(a_file)],
            "is a file",
        ),
        ("calibration-report", ["calibration-report", "--loo", str(a_file), "--out", str(tmp / "r.md")], "--loo"),
        (
            "calibration-report",
            ["calibration-report", "--posterior", str(a_file), "--out", str(tmp / "r.md")],
            "--posterior",
        ),
    ]


def test_counts_and_paths_are_refused_before_work(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("builtins.input", lambda prompt="": "quit")
    main(["validate", BASE])  # imports paid once, outside the timed cases
    capsys.readouterr()
    tally: Counter[str] = Counter()
    failures = []
    for command, argv, fragment in corpus(tmp_path):
        rss0, t0 = _rss_mb(), time.perf_counter()
        code = main(argv)
        seconds = time.perf_counter() - t0
        err = capsys.readouterr().err.strip()
        problems = []
        if code != 2:
            problems.append(f"exit {code}")
        if len(err.splitlines()) != 1 or "Traceback" in err:
            problems.append(f"{len(err.splitlines())} lines")
        if fragment not in err:
            problems.append(f"no {fragment!r}")
        if seconds > SECONDS_PER_CASE:
            problems.append(f"{seconds:.1f} s")
        if _rss_mb() - rss0 > MAX_RSS_GROWTH_MB:
            problems.append(f"memory +{_rss_mb() - rss0:.0f} MB")
        if problems:
            failures.append(f"{' '.join(argv)}: {', '.join(problems)}: {err[:300]}")
        tally[command] += 1
    assert not failures, "\n".join(failures)
    assert not (tmp_path / "handouts").exists() and not (tmp_path / "calibration").exists()
    print("\ncount and path cases by command:", dict(sorted(tally.items())))


def test_a_batch_too_large_for_memory_is_refused_before_it_runs(tmp_path, capsys):
    """100,000 runs of a 30-actor, 600-month scenario would keep 54 GiB of paths: refused by arithmetic."""
    import yaml

    from simulation.world.scenario import ACTOR_FAMILIES

    data = yaml.safe_load(Path(BASE).read_text("utf-8"))
    extra = [f"Extra{i}" for i in range(25)]
    data["actors"] += extra
    data["steps"] = 600
    data.pop("reference_scenario")
    data["parameters"] = {
        f"{family}.{actor}": 0.5
        if family in ("liberal_democracy_index", "status_concern", "trade_vulnerability")
        else 10.0
        for actor in extra
        for family in ACTOR_FAMILIES
    }
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    assert main(["validate", str(path)]) == 0
    capsys.readouterr()
    rss0 = _rss_mb()
    assert main(["handout", str(path), "--runs", "100000", "--out", str(tmp_path / "h")]) == 2
    err = capsys.readouterr().err
    assert "GiB" in err and "--runs" in err and len(err.strip().splitlines()) == 1
    assert _rss_mb() - rss0 < MAX_RSS_GROWTH_MB and not (tmp_path / "h").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "{bad}"],
        ["run", "{bad}"],
        ["run", BASE, "--out", "{bad}"],
        ["sweep", "{bad}"],
        ["export", "{bad}", "--long"],
        ["handout", BASE, "--out", "{bad}"],
        ["play", "--load", "{bad}"],
        ["calibrate", "{bad}"],
    ],
)
def test_a_file_name_that_is_not_utf8_is_one_line(tmp_path, capsys, argv):
    bad = os.fsdecode(bytes(tmp_path) + b"/\xff\xfe-name")
    with open(os.fsencode(bad), "w") as handle:
        handle.write("title: x\n")
    code = main([bad if a == "{bad}" else a for a in argv])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert "not valid UTF-8" in err and "\\xff\\xfe" in err


def test_play_save_into_a_folder_is_a_refusal_not_a_traceback(tmp_path, capsys, monkeypatch):
    """'save <folder>' typed during play: one red line, the game goes on; a good path then saves."""
    answers = iter(
        [f"save {tmp_path}", f"save {tmp_path / 'nowhere' / 's.json'}", f"save {tmp_path / 's.json'}", "quit"]
    )
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    code = main(["play", BASE, "--human", "Russia", "--debrief-runs", "10"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("not saved:") == 2 and "Traceback" not in out
    assert (tmp_path / "s.json").is_file()


def test_a_full_disk_names_the_output(tmp_path, capsys, monkeypatch):
    """An ENOSPC without a file name (raised deep in a writer) still names where the output was going."""

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("simulation.teaching.handout.write_handout", full)
    out = tmp_path / "h"
    code = main(["handout", BASE, "--runs", "5", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and str(out) in err and "no room to write" in err
