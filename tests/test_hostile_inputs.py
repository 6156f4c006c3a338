"""Hostile input, subcommand by subcommand: every bad file or argument ends in exit 2, one line on
stderr, no traceback, quickly and without a memory surge.

Most cases run the CLI in this process (``simulation.cli.main``) so the corpus stays fast; cases
that could hang (named pipes) run in subprocesses with a timeout, all at once.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from simulation.cli import main
from simulation.world.scenario import ACTOR_FAMILIES
from tests.conftest import EXPERIMENTS, ROOT, SCENARIOS

BASE_PATH = SCENARIOS / "baseline_2018_2021.yaml"
BASE = BASE_PATH.read_text("utf-8")
SECONDS_PER_CASE = 15.0
MAX_RSS_GROWTH_MB = 400


def _sweep(**extra) -> dict:
    data = {
        "title": "hostile",
        "base_scenario": str(BASE_PATH),
        "design": {"method": "grid"},
        "vary": [{"path": "pressure.targets.China", "label": "china", "values": [0.2, 0.7]}],
        "replicates": 4,
        "master_seed": 1,
        "chunk_size": 4,
    }
    data.update(extra)
    return data


def _many_actors(n: int) -> str:
    data = yaml.safe_load(BASE)
    data.pop("reference_scenario")  # the baseline's world has five actors: a reference needs the same ones
    extra = [f"Extra{i}" for i in range(n - len(data["actors"]))]
    data["actors"] = data["actors"] + extra
    params = data.setdefault("parameters", {}) or {}
    for actor in extra:
        for family in ACTOR_FAMILIES:
            params[f"{family}.{actor}"] = (
                0.5 if family in ("liberal_democracy_index", "status_concern", "trade_vulnerability") else 10.0
            )
    data["parameters"] = params
    return yaml.safe_dump(data)


class Files:
    """A folder of hostile files, made once per test module."""

    def __init__(self, root: Path):
        self.root = root
        self.dir = root / "a_folder"
        self.dir.mkdir()
        self.file = root / "plain.txt"
        self.file.write_text("not a folder\n", "utf-8")
        self.big = root / "big.yaml"
        self.big.write_text("title: big\ndescription: |\n" + ("  " + "x" * 98 + "\n") * 50_000, "utf-8")  # 5 MB
        self.dup = self.write(
            "duplicate.yaml",
            BASE + "\nparameters:\n  status_concern.Russia: 0.9\nparameters:\n  status_concern.China: 0.9\n",
        )
        self.beyond = self.write("beyond.yaml", BASE.replace("from_step: 36", "from_step: 480"))
        self.self_threat = self.write("self_threat.yaml", BASE + "\nparameters:\n  threat.China->China: 0.5\n")
        self.self_trade = self.write("self_trade.yaml", BASE + "\nparameters:\n  trade_usd_bn.China-China: 5\n")
        self.coord_self = self.write("coord_self.yaml", BASE.replace("coordinated_by: EU", "coordinated_by: US"))
        self.frac_level = self.write("frac_level.yaml", BASE + "\nparameters:\n  initial_level.China-Russia: 2.5\n")
        self.event_beyond = self.write("event_beyond.yaml", BASE.replace("from_step: 29", "from_step: 99"))
        self.actors24 = self.write("actors24.yaml", _many_actors(24))
        self.actors30 = self.write("actors30.yaml", _many_actors(30))
        self.table24 = self.write(
            "table24.yaml", yaml.safe_dump({"sizes": {f"A{i}": 1.0 for i in range(24)}, "propensity": {"A0-A1": 0.5}})
        )
        self.csv30 = self.write(
            "big.csv",
            "actor,size,"
            + ",".join(f"A{i}" for i in range(30))
            + "\n"
            + "".join(f"A{i},1," + ",".join("0" for _ in range(30)) + "\n" for i in range(30)),
        )
        self.not_parquet = self.write("results.parquet", "title: not parquet\n")
        self.plain_parquet = root / "plain.parquet"
        pq.write_table(pa.table({"x": [1, 2, 3]}), self.plain_parquet)
        self.sweep_dir = root / "a_sweep"
        self.sweep_dir.mkdir()
        (self.sweep_dir / "manifest.json").write_text('{"package": "alliance-sim", "kind": "sweep"}', "utf-8")
        (self.sweep_dir / "parts").mkdir()
        self.user_dir = root / "user_files"
        self.user_dir.mkdir()
        (self.user_dir / "thesis.tex").write_text("precious\n", "utf-8")
        self.sweeps = {
            "ok": self.write("ok_sweep.yaml", yaml.safe_dump(_sweep())),
            "grid_3x1000": self.write(
                "grid.yaml",
                yaml.safe_dump(
                    _sweep(
                        vary=[
                            {
                                "path": "pressure.targets.China",
                                "label": "a",
                                "range": {"low": 0, "high": 1, "num": 1000},
                            },
                            {
                                "path": "pressure.targets.Russia",
                                "label": "b",
                                "range": {"low": 0, "high": 1, "num": 1000},
                            },
                            {
                                "path": "pressure.coordination",
                                "label": "c",
                                "range": {"low": 0, "high": 1, "num": 1000},
                            },
                        ]
                    )
                ),
            ),
            "lhs_1e7": self.write(
                "lhs.yaml",
                yaml.safe_dump(
                    _sweep(
                        design={"method": "lhs", "samples": 10_000_000},
                        replicates=100,
                        vary=[{"path": "pressure.targets.China", "range": {"low": 0, "high": 1}}],
                    )
                ),
            ),
            "lhs_1e7_one_rep": self.write(
                "lhs1.yaml",
                yaml.safe_dump(
                    _sweep(
                        design={"method": "lhs", "samples": 10_000_000},
                        replicates=1,
                        vary=[{"path": "pressure.targets.China", "range": {"low": 0, "high": 1}}],
                    )
                ),
            ),
            "vary_steps": self.write(
                "steps.yaml", yaml.safe_dump(_sweep(vary=[{"path": "steps", "values": [24, 48]}]))
            ),
            "frac_level": self.write(
                "level.yaml",
                yaml.safe_dump(_sweep(vary=[{"path": "parameters.initial_level.China-Russia", "values": [2, 2.5, 3]}])),
            ),
            "sampled_months": self.write(
                "months.yaml",
                yaml.safe_dump(
                    _sweep(
                        design={"method": "lhs", "samples": 8},
                        vary=[{"path": "parameters.treaty_consent_steps", "range": {"low": 3, "high": 12}}],
                    )
                ),
            ),
            "dup": self.write("dup_sweep.yaml", yaml.safe_dump(_sweep()) + "replicates: 5\n"),
            "grid_for_sensitivity": self.write("grid_sens.yaml", yaml.safe_dump(_sweep())),
            "fifo_base": self.write("fifo_base.yaml", yaml.safe_dump(_sweep(base_scenario=str(root / "fifo.yaml")))),
        }
        self.fifo = root / "fifo.yaml"
        os.mkfifo(self.fifo)
        self.fifo_csv = root / "fifo.csv"
        os.mkfifo(self.fifo_csv)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text, "utf-8")
        return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Files:
    return Files(tmp_path_factory.mktemp("hostile"))


def corpus(f: Files) -> list[tuple[str, list[str], str]]:
    """(subcommand, argv, a fragment the one line must hold)."""
    scen, sw = str(BASE_PATH), str(f.sweeps["ok"])
    return [
        # validate: the input gate and the cross-field checks
        ("validate", ["validate", "/dev/zero"], "device"),
        ("validate", ["validate", str(f.dir)], "folder"),
        ("validate", ["validate", str(f.big)], "MB limit"),
        ("validate", ["validate", str(f.dup)], "duplicate key"),
        ("validate", ["validate", str(f.beyond)], "beyond the horizon"),
        ("validate", ["validate", str(f.event_beyond)], "events[1].from_step"),
        ("validate", ["validate", str(f.self_threat)], "two different actors"),
        ("validate", ["validate", str(f.self_trade)], "two different actors"),
        ("validate", ["validate", str(f.coord_self)], "pressure.coordinated_by"),
        ("validate", ["validate", str(f.frac_level)], "whole number"),
        ("validate", ["--max-input-mb", "1", "validate", str(f.big)], "1 MB limit"),
        ("validate", ["--max-input-mb", "0", "validate", scen], "--max-input-mb"),
        ("validate", ["--max-input-mb", "nan", "validate", scen], "--max-input-mb"),
        # run
        ("run", ["run", "/dev/zero"], "device"),
        ("run", ["run", str(f.dir)], "folder"),
        ("run", ["run", str(f.big)], "MB limit"),
        ("run", ["run", str(f.dup)], "duplicate key"),
        ("run", ["run", scen, "--out", str(f.file)], "is a file"),
        ("run", ["run", scen, "--out", str(f.file / "sub")], "not a folder"),
        ("run", ["run", scen, "--out", str(f.sweep_dir)], "holds a sweep"),
        ("run", ["run", scen, "--seed", "-1"], "--seed"),
        ("run", ["run", scen, "--seed", str(2**63)], "--seed"),
        ("run", ["run", scen, "--seed", "1e3"], "--seed"),
        ("run", ["run", scen, "--steps", "0"], "--steps"),
        ("run", ["run", scen, "--steps", "601"], "--steps"),
        ("run", ["run", scen, "--steps", "100"], "--steps"),
        ("run", ["run", str(f.coord_self)], "coordinated_by"),
        # sweep
        ("sweep", ["sweep", "/dev/zero"], "device"),
        ("sweep", ["sweep", str(f.dir)], "folder"),
        ("sweep", ["sweep", str(f.big)], "MB limit"),
        ("sweep", ["sweep", str(f.sweeps["dup"])], "duplicate key"),
        ("sweep", ["sweep", str(f.sweeps["grid_3x1000"])], "design points"),
        ("sweep", ["sweep", str(f.sweeps["grid_3x1000"]), "--yes"], "design points"),
        ("sweep", ["sweep", str(f.sweeps["lhs_1e7"]), "--yes"], "runs per sweep"),
        ("sweep", ["sweep", str(f.sweeps["lhs_1e7_one_rep"])], "--max-runs"),
        ("sweep", ["sweep", str(f.sweeps["vary_steps"])], "horizon"),
        ("sweep", ["sweep", str(f.sweeps["frac_level"])], "whole-number"),
        ("sweep", ["sweep", str(f.sweeps["sampled_months"])], "whole-number"),
        ("sweep", ["sweep", str(f.sweeps["fifo_base"])], "FIFO"),
        ("sweep", ["sweep", sw, "--workers", "0"], "--workers"),
        ("sweep", ["sweep", sw, "--workers", "100000"], "--workers"),
        ("sweep", ["sweep", sw, "--chunk-size", "0"], "--chunk-size"),
        ("sweep", ["sweep", sw, "--chunk-size", "1000001"], "--chunk-size"),
        ("sweep", ["sweep", sw, "--max-runs", "-5"], "--max-runs"),
        ("sweep", ["sweep", sw, "--scheduler", "garbage://"], "--scheduler"),
        ("sweep", ["sweep", sw, "--scheduler", "tcp://host:99999"], "--scheduler"),
        ("sweep", ["sweep", sw, "--out", str(f.file)], "is a file"),
        ("sweep", ["sweep", sw, "--out", str(f.file / "x")], "not a folder"),
        ("sweep", ["sweep", sw, "--out", str(f.user_dir)], "not empty"),
        ("sweep", ["sweep", sw, "--out", str(f.user_dir), "--overwrite"], "not a sweep folder"),
        ("sweep", ["sweep", sw, "--out", ".", "--overwrite"], "not a sweep folder"),
        # plot (wrong results)
        ("plot", ["plot", "/dev/zero"], "device"),
        ("plot", ["plot", str(f.dir)], "not found"),
        ("plot", ["plot", str(f.not_parquet)], "not a readable Parquet"),
        ("plot", ["plot", str(f.plain_parquet)], "not the results of an alliance-sim sweep"),
        # discover
        ("discover", ["discover", str(f.plain_parquet), "--out", str(f.root / "d")], "not the results"),
        ("discover", ["discover", str(f.not_parquet), "--out", str(f.root / "d")], "Parquet"),
        ("discover", ["discover", "/dev/zero", "--out", str(f.root / "d")], "device"),
        ("discover", ["discover", str(f.plain_parquet), "--threshold", "2"], "--threshold"),
        ("discover", ["discover", str(f.plain_parquet), "--threshold", "nan"], "--threshold"),
        ("discover", ["discover", str(f.plain_parquet), "--min-density", "0"], "--min-density"),
        ("discover", ["discover", str(f.plain_parquet), "--out", str(f.file)], "is a file"),
        # sensitivity
        ("sensitivity", ["sensitivity", "/dev/zero"], "device"),
        (
            "sensitivity",
            ["sensitivity", str(f.sweeps["grid_for_sensitivity"]), "--out", str(f.root / "s")],
            "sobol or morris",
        ),
        (
            "sensitivity",
            [
                "sensitivity",
                str(EXPERIMENTS / "sensitivity_morris.yaml"),
                "--results",
                str(f.plain_parquet),
                "--out",
                str(f.root / "s"),
            ],
            "not the results",
        ),
        (
            "sensitivity",
            ["sensitivity", str(EXPERIMENTS / "sensitivity_morris.yaml"), "--out", str(f.file)],
            "is a file",
        ),
        ("sensitivity", ["sensitivity", sw, "--workers", "0"], "--workers"),
        # landscape
        ("landscape", ["landscape", "/dev/zero"], "device"),
        ("landscape", ["landscape", str(f.dir)], "folder"),
        ("landscape", ["landscape", str(f.actors24)], "between 2 and 20 actors"),
        ("landscape", ["landscape", str(f.actors30)], "between 2 and 20 actors"),
        ("landscape", ["landscape", str(f.table24)], "between 2 and 20 actors"),
        ("landscape", ["landscape", str(f.csv30)], "between 2 and 20 actors"),
        ("landscape", ["landscape", scen, "--top", "0"], "--top"),
        ("landscape", ["landscape", scen, "--out", str(f.dir)], "folder"),
        ("landscape", ["landscape", scen, "--out", str(f.root / "missing" / "x.md")], "does not exist"),
        # params and schema
        ("params", ["params", "--out", str(f.dir)], "folder"),
        ("params", ["params", "--out", str(f.root / "missing" / "p.md")], "does not exist"),
        ("params", ["params", "--format", "xml"], "--format"),
        ("schema", ["schema", "--out", str(f.dir)], "folder"),
        ("schema", ["schema", "--out", str(f.root / "missing" / "s.json")], "does not exist"),
        ("schema", ["schema", "--kind", "nope"], "--kind"),
        # calibrate and its report
        ("calibrate", ["calibrate", "/dev/zero", "--out", str(f.root / "c")], "device"),
        ("calibrate", ["calibrate", str(f.dup), "--out", str(f.root / "c")], "duplicate key"),
        ("calibrate", ["calibrate", "--out", str(f.file)], "is a file"),
        ("calibrate", ["calibrate", "--population", "1"], "--population"),
        ("calibrate", ["calibrate", "--seed", "-1"], "--seed"),
        ("calibrate", ["calibrate", "--scheduler", "garbage://"], "--scheduler"),
        ("calibration-report", ["calibration-report", "--out", str(f.dir)], "folder"),
        ("calibration-report", ["calibration-report", "--draws", "0"], "--draws"),
        # the top level
        ("(top level)", ["no-such-command"], "invalid choice"),
        # no arguments at all is a request for help, not bad input (tests/test_first_hour.py)
    ]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_hostile_corpus_in_process(files, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(files.root)  # `--out .` must stay a refusal in a folder that is not a sweep
    tally: Counter[str] = Counter()
    failures = []
    for command, argv, fragment in corpus(files):
        rss0, t0 = _rss_mb(), time.perf_counter()
        code = main(argv)
        seconds = time.perf_counter() - t0
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        problems = []
        if code != 2:
            problems.append(f"exit {code}")
        if len(lines) != 1:
            problems.append(f"{len(lines)} lines")
        if "Traceback" in captured.err or "Traceback" in captured.out:
            problems.append("traceback")
        if fragment not in captured.err:
            problems.append(f"no {fragment!r}")
        if seconds > SECONDS_PER_CASE:
            problems.append(f"{seconds:.1f} s")
        if _rss_mb() - rss0 > MAX_RSS_GROWTH_MB:
            problems.append(f"memory +{_rss_mb() - rss0:.0f} MB")
        if problems:
            failures.append(f"{' '.join(argv)}: {', '.join(problems)}: {captured.err.strip()[:300]}")
        tally[command] += 1
    assert not failures, "\n".join(failures)
    assert (files.user_dir / "thesis.tex").read_text("utf-8") == "precious\n"  # --overwrite left it alone
    assert sorted(os.listdir(files.user_dir)) == ["thesis.tex"]
    assert (files.sweep_dir / "manifest.json").exists()  # `run --out` left the sweep alone
    print("\nbad-input cases by subcommand (in process):", dict(sorted(tally.items())))


class _Hang(Exception):
    pass


def _raise_hang(signum, frame):
    raise _Hang


def test_named_pipes_never_hang(files, capsys):
    """A FIFO as any input is refused at once. In this process, with an alarm that breaks a blocking
    open or read should the gate ever let one through."""
    cases = [
        ["validate", str(files.fifo)],
        ["run", str(files.fifo)],
        ["sweep", str(files.fifo)],
        ["sweep", str(files.sweeps["fifo_base"])],
        ["landscape", str(files.fifo)],
        ["landscape", str(files.fifo_csv)],
        ["plot", str(files.fifo)],
        ["discover", str(files.fifo), "--out", str(files.root / "d")],
        ["calibrate", str(files.fifo), "--out", str(files.root / "c")],
    ]
    failures = []
    previous = signal.signal(signal.SIGALRM, _raise_hang)
    try:
        for argv in cases:
            signal.alarm(20)
            try:
                code = main(argv)
            except _Hang:
                failures.append(f"{argv}: hung")
                continue
            finally:
                signal.alarm(0)
            err = capsys.readouterr().err
            if code != 2 or len(err.strip().splitlines()) != 1 or "FIFO" not in err or "Traceback" in err:
                failures.append(f"{argv}: exit {code}: {err.strip()[:300]}")
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert not failures, "\n".join(failures)


def test_a_real_process_refuses_a_named_pipe_and_a_device(files):
    for argv in (["run", str(files.fifo)], ["sweep", "/dev/zero"]):
        proc = subprocess.run(
            [sys.executable, "-m", "simulation.cli", *argv],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=90,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and ("FIFO" in proc.stderr or "device" in proc.stderr)


def test_a_raised_input_limit_lets_a_big_file_through(tmp_path, capsys):
    """The size limit is a default, not a wall: --max-input-mb raises it (this file is a valid scenario)."""
    path = tmp_path / "long.yaml"
    path.write_text(BASE + "\n" + ("# " + "a long comment " * 13 + "\n") * 6_000, "utf-8")  # 1.2 MB
    assert main(["--max-input-mb", "1", "validate", str(path)]) == 2
    assert "1 MB limit" in capsys.readouterr().err
    assert main(["--max-input-mb", "2", "validate", str(path)]) == 0
    assert capsys.readouterr().out.startswith("ok")


def test_duplicate_keys_name_both_lines(files, capsys):
    assert main(["validate", str(files.dup)]) == 2
    err = capsys.readouterr().err
    first = BASE.count("\n") + 2  # the first `parameters:` added after the file
    assert f"first at line {first}" in err and f"at line {first + 2}" in err


def test_yaml_merge_keys_are_not_duplicates(tmp_path):
    from simulation.core.io import parse_yaml

    data = parse_yaml("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n", tmp_path / "m.yaml")
    assert data["other"] == {"x": 1, "y": 3}
