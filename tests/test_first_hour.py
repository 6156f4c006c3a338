"""A researcher's first hour: printed commands paste as they are, the outcome catalogue is the one list,
every catalogue outcome works in sensitivity, discovery and plot, `compare`, complete --help, and figures
that say what they show."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from simulation import outcomes
from simulation.cli.app import build_parser, main
from simulation.cli.pasteable import program
from simulation.core.errors import InputError
from simulation.reporting import plots
from simulation.runner import run_batch
from simulation.sweeps import execute as sweep_runner_module
from simulation.sweeps.execute import read_results
from tests.conftest import ROOT, SCENARIOS, scenario

matplotlib.use("Agg")


def _sweep_file(tmp_path: Path, **extra) -> Path:
    data = {
        "title": "first hour",
        "base_scenario": str(SCENARIOS / "baseline_2018_2021.yaml"),
        "design": {"method": "lhs", "samples": 6},
        "vary": [
            {"path": "pressure.targets.China", "label": "china", "range": {"low": 0.0, "high": 1.0}},
            {"path": "pressure.coordination", "label": "coord", "range": {"low": 0.0, "high": 1.0}},
        ],
        "replicates": 5,
        "master_seed": 11,
        "chunk_size": 1000,
    }
    data.update(extra)
    path = tmp_path / "first_hour.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


def _pasted(line: str) -> list[str]:
    """A printed command line as a shell would split it, without the program."""
    words, prefix = shlex.split(line.strip()), program()
    assert words[: len(prefix)] == prefix, line
    return words[len(prefix) :]


def _printed_commands(text: str) -> list[str]:
    start = shlex.join(program()) + " "
    return [line[line.index(start) :] for line in text.splitlines() if start in line]


def _fresh_shell(line: str, cwd: Path) -> subprocess.CompletedProcess:
    """Paste ``line`` into a new login-less bash in ``cwd``: no activated environment, the system's PATH.
    (PYTHONPATH points at this checkout: the suite may run on an environment installed from another one.)"""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)}
    env.update({k: os.environ[k] for k in ("NUMBA_CACHE_DIR", "TMPDIR") if k in os.environ})
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


# --------------------------------------------------------------------------- commands that paste


def test_the_printed_resume_command_finishes_an_interrupted_sweep_with_its_overrides(tmp_path, monkeypatch, capsys):
    """Ctrl-C on `sweep X --chunk-size 10 --replicates 4`: the printed command resumes it, and the table
    equals an uninterrupted run with the same overrides; the manifest records them."""
    monkeypatch.chdir(tmp_path)
    path = _sweep_file(tmp_path)
    real = sweep_runner_module.run_chunk
    calls = {"n": 0}

    def interrupted(task):
        if calls["n"] >= 1:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(task)

    monkeypatch.setattr(sweep_runner_module, "run_chunk", interrupted)
    args = ["sweep", str(path), "--out", "part", "--chunk-size", "10", "--replicates", "4", "--workers", "1"]
    assert main([*args, "--quiet"]) == 130
    monkeypatch.setattr(sweep_runner_module, "run_chunk", real)
    err = capsys.readouterr().err
    (resume,) = [c for c in _printed_commands(err) if "--resume" in c]
    assert "--chunk-size 10" in resume and "--replicates 4" in resume
    pasted = _fresh_shell(f"{resume} --quiet", tmp_path)  # as a user pastes it: a new shell, no venv activated
    assert pasted.returncode == 0, pasted.stderr[-2000:]
    resumed, manifest = read_results(tmp_path / "part")
    assert manifest["overrides"] == {"chunk_size": 10, "replicates": 4}
    assert manifest["design"]["replicates"] == 4 and len(resumed) == 6 * 4
    whole = ["sweep", str(path), "--out", "whole", "--chunk-size", "10", "--replicates", "4", "--workers", "1"]
    assert main([*whole, "--quiet"]) == 0
    pd.testing.assert_frame_equal(resumed, read_results(tmp_path / "whole")[0])


def test_resume_alone_keeps_the_sweeps_own_chunk_size_and_a_changed_one_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = _sweep_file(tmp_path)
    real = sweep_runner_module.run_chunk
    calls = {"n": 0}

    def interrupted(task):
        if calls["n"] >= 1:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(task)

    monkeypatch.setattr(sweep_runner_module, "run_chunk", interrupted)
    assert main(["sweep", str(path), "--out", "o", "--chunk-size", "7", "--workers", "1", "--quiet"]) == 130
    monkeypatch.setattr(sweep_runner_module, "run_chunk", real)
    capsys.readouterr()
    code = main(["sweep", str(path), "--out", "o", "--chunk-size", "9", "--resume", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "--chunk-size" in err and "must stay 7" in err and len(err.strip().splitlines()) == 1
    assert main(["sweep", str(path), "--out", "o", "--resume", "--workers", "1", "--quiet"]) == 0
    assert read_results(tmp_path / "o")[1]["chunk_size"] == 7


def test_a_resume_estimates_what_is_left_and_claims_no_setting_it_was_not_given(tmp_path, monkeypatch, capsys):
    """A sweep started with no override and resumed with --resume alone: the estimate is of the runs left, and
    nothing is said to be set on the command line (the manifest records no override)."""
    monkeypatch.chdir(tmp_path)
    path = _sweep_file(tmp_path, chunk_size=10)
    real = sweep_runner_module.run_chunk
    calls = {"n": 0}

    def interrupted(task):
        if calls["n"] >= 2:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(task)

    monkeypatch.setattr(sweep_runner_module, "run_chunk", interrupted)
    assert main(["sweep", str(path), "--out", "o", "--workers", "1", "--quiet"]) == 130
    monkeypatch.setattr(sweep_runner_module, "run_chunk", real)
    capsys.readouterr()
    assert main(["sweep", str(path), "--out", "o", "--resume", "--workers", "1", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "= 30 runs; 10 left (20 done): about" in err
    assert "Set on the command line" not in err and "Kept from" not in err
    assert read_results(tmp_path / "o")[1]["overrides"] == {}


@pytest.mark.slow  # two sweeps of tens of thousands of runs
def test_the_sweep_estimate_holds_within_a_factor_of_two(tmp_path, monkeypatch, capsys):
    """The first sweep measures this machine; the next (twice its size) announces an estimate from it, which
    the sweep's own time meets within a factor of 2. Needs a machine that is not overloaded."""
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load > cores:
        pytest.skip(f"the machine is loaded (load {load:.1f} > {cores} cores): timings say nothing")
    monkeypatch.setenv("ALLIANCE_SIM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    first = _sweep_file(tmp_path, design={"method": "lhs", "samples": 100}, replicates=100, chunk_size=2000)
    assert main(["sweep", str(first), "--out", "a", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "a cautious default" in err  # nothing measured yet, and it says so
    second = _sweep_file(tmp_path, design={"method": "lhs", "samples": 200}, replicates=100, chunk_size=2000)
    assert main(["sweep", str(second), "--out", "b", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "from this machine's measured sweeps" in err
    announced = float(re.search(r"about ([\d,.]+) s on", err).group(1).replace(",", ""))
    took = float(re.search(r"Done: [\d,]+ runs in ([\d.]+) s", err).group(1))
    assert took / 2 <= max(announced, 0.5) <= took * 2, (announced, took)


def test_the_printed_figures_and_reproduce_commands_work_when_pasted(tmp_path, monkeypatch, capsys):
    """After a sweep: `alliance-sim plot OUT` draws figures, and the reproduce command re-runs row 0 alone
    (month by month) through `run`, at its design point (--set), with its seed and parameter mode."""
    monkeypatch.chdir(tmp_path)
    path = _sweep_file(
        tmp_path, outcomes=["alliance_reached", "final_level", "max_level", "final_levels", "trajectory"]
    )
    assert main(["sweep", str(path), "--out", "res", "--workers", "1", "--quiet"]) == 0
    err = capsys.readouterr().err
    commands = _printed_commands(err)
    (plot,) = [c for c in commands if " plot " in c]
    (again,) = [c for c in commands if " run " in c]
    pasted = _fresh_shell(plot, tmp_path)  # as a user pastes it: a new shell, no venv activated
    assert pasted.returncode == 0, pasted.stderr[-2000:]
    assert (tmp_path / "res" / "figures" / "probability.png").exists()
    pasted = _fresh_shell(again, tmp_path)
    assert pasted.returncode == 0, pasted.stderr[-2000:]
    out = pasted.stdout
    row = read_results(tmp_path / "res")[0].iloc[0]
    seed = int(row["seed"])
    assert f"--seed {seed}" in again and "--parameters posterior" in again
    traj = pd.read_parquet(tmp_path / "results" / f"baseline_2018_2021-seed{seed}" / "trajectories.parquet")
    assert np.array_equal(traj["russia_china"].to_numpy(), np.asarray(row["trajectory"]))
    assert "Wrote" in out


def test_every_overridable_sweep_setting_is_a_sweep_flag_of_its_name():
    """The printed resume command writes each override as --<its name>: the sweep command must take it."""
    from simulation.sweeps.spec import OVERRIDABLE

    flags = {f for a in _subparsers()["sweep"]._actions for f in a.option_strings}
    assert {f"--{field.replace('_', '-')}" for field in OVERRIDABLE} <= flags


def test_run_set_refuses_what_is_not_path_equals_number(capsys):
    assert main(["run", "baseline_2018_2021", "--set", "pressure.targets.China"]) == 2
    err = capsys.readouterr().err
    assert "--set" in err and "PATH=NUMBER" in err and len(err.strip().splitlines()) == 1


def test_sweep_replicates_is_validated_like_any_flag(tmp_path, capsys):
    path = _sweep_file(tmp_path)
    assert main(["sweep", str(path), "--replicates", "0", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "--replicates" in err and len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------- the outcome catalogue


@pytest.fixture(scope="module")
def batch() -> pd.DataFrame:
    return run_batch(scenario("transatlantic_united_front"), runs=60, master_seed=5)


def test_every_outcome_column_has_its_declared_dtype(batch):
    for entry in outcomes.OUTCOMES:
        assert str(batch[entry.name].dtype) == entry.dtype, entry.name
        assert entry.aggregation in (None, *outcomes.AGGREGATIONS), entry.name
    assert outcomes.outcome("final_russia_china").dtype == "int8"


def test_a_pair_outcome_computes_the_pair_it_names():
    levels = np.zeros((2, 3, 3, 3), dtype=np.int8)
    levels[:, -1, 0, 2] = levels[:, -1, 2, 0] = [4, 1]
    levels[:, -1, 1, 2] = levels[:, -1, 2, 1] = 3
    view = outcomes.BatchView(levels, np.ones((2, 2)), ("Russia", "China", "India"), (0, 1), 1.0)
    assert outcomes.outcome("final_russia_india").compute(view).tolist() == [4, 1]
    assert outcomes.outcome("final_india_russia").compute(view).tolist() == [4, 1]
    assert outcomes.outcome("final_china_india").compute(view).tolist() == [3, 3]
    with pytest.raises(KeyError, match="allowed: final_russia_china"):
        outcomes.outcome("final_russia_japan").compute(view)


def test_aggregations_per_point_follow_the_declaration():
    df = pd.DataFrame(
        {
            "point": [0, 0, 1, 1],
            "alliance_reached": [True, False, False, False],
            "alliance_month": pd.array([12, None, None, None], dtype="Int16"),
            "final_level": np.array([5, 3, 4, 2], dtype=np.int8),
        }
    )
    assert outcomes.outcome("alliance_reached").per_point(df).tolist() == [0.5, 0.0]
    assert outcomes.outcome("alliance_month").per_point(df, horizon=48).tolist() == [30.0, 48.0]
    assert outcomes.outcome("final_level").per_point(df).tolist() == [4.0, 3.0]
    with pytest.raises(InputError, match="category"):
        outcomes.numeric_outcome("blocs")


def test_entente_reached_is_entente_or_closer_at_any_month_and_at_end_is_the_level_held(batch):
    assert (batch["entente_reached"] == batch["first_month_entente"].notna()).all()
    assert (batch["entente_reached"] == (batch["max_level"] >= 4)).all()
    assert (batch["entente_at_end"] == (batch["final_level"] >= 4)).all()
    assert (batch["alliance_at_end"] <= batch["alliance_reached"]).all()
    # the two differ on the 2018-2021 baseline: some runs reach entente and fall back before the end
    # (held 0.48 against reached 0.60 in docs/model_v4.md); 400 runs tell that gap from none
    base = run_batch(scenario("baseline_2018_2021"), runs=400, master_seed=5)
    assert base["entente_at_end"].mean() < base["entente_reached"].mean() - 0.03


# --------------------------------------------------------------------------- every outcome in every tool


@pytest.fixture(scope="module")
def lhs_results(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("lhs")
    path = _sweep_file(tmp, design={"method": "lhs", "samples": 40}, replicates=8)
    out = tmp / "res"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    return out


@pytest.mark.parametrize("name", [n for n in outcomes.NUMERIC_OUTCOMES] + ["final_china_india"])
def test_every_numeric_outcome_can_be_plotted(lhs_results, tmp_path, name):
    df, manifest = read_results(lhs_results)
    written = plots.sweep_figures(df, manifest, tmp_path, ("probability",), outcome=name)
    assert [p.suffix for p in written] == [".png", ".svg"]


def test_discover_reads_a_mean_outcome_and_lists_outcomes_on_a_bad_one(lhs_results, tmp_path, capsys):
    df, _ = read_results(lhs_results)
    per_point = df.groupby("point")["mean_level"].mean()
    threshold = float(per_point.median())
    args = ["discover", str(lhs_results), "--outcome", "mean_level", "--threshold", f"{threshold}"]
    assert main([*args, "--out", str(tmp_path / "d")]) == 0
    text = (tmp_path / "d" / "discovery.md").read_text()
    assert "where is mean level of Russia-China (averaged over runs) >" in text
    assert main(["discover", str(lhs_results), "--outcome", "blocs", "--out", str(tmp_path / "e")]) == 2
    err = capsys.readouterr().err
    assert "allowed: alliance_reached, alliance_at_end, entente_reached," in err and "final_russia_china" in err
    assert main(["discover", str(lhs_results), "--threshold", "1.5", "--out", str(tmp_path / "f")]) == 2
    assert "not a probability" in capsys.readouterr().err


def test_discover_writes_into_its_own_sweeps_folder_and_never_over_another_discovery(lhs_results, tmp_path, capsys):
    """The default folder belongs to the sweep (and the outcome and threshold); every written file is printed
    with its folder; an --out holding another discovery is refused (one line) unless --overwrite."""
    import shutil

    other = tmp_path / "other_sweep"
    shutil.copytree(lhs_results, other, ignore=shutil.ignore_patterns("discovery-*"))
    threshold = f"{read_results(lhs_results)[0].groupby('point')['mean_level'].mean().median()}"
    args = ["--outcome", "mean_level", "--threshold", threshold]
    assert main(["discover", str(lhs_results), *args]) == 0
    first = lhs_results / f"discovery-mean_level-{float(threshold):g}"
    printed = capsys.readouterr().out
    assert f"Wrote to {first}/: discovery.md" in printed
    before = (first / "discovery.md").read_bytes(), (first / "prim_box.png").read_bytes()
    assert main(["discover", str(other), *args]) == 0
    assert ((first / "discovery.md").read_bytes(), (first / "prim_box.png").read_bytes()) == before
    assert (other / first.name / "discovery.md").is_file()
    capsys.readouterr()
    assert main(["discover", str(lhs_results), *args]) == 2  # the same discovery again: its own, kept
    err = capsys.readouterr().err
    assert "--overwrite" in err and len(err.strip().splitlines()) == 1
    assert (first / "discovery.md").read_bytes() == before[0]
    assert main(["discover", str(lhs_results), *args, "--overwrite"]) == 0
    assert (first / "discovery.md").read_bytes() == before[0]  # made again: the same report
    capsys.readouterr()
    shared = tmp_path / "shared"
    assert main(["discover", str(lhs_results), *args, "--out", str(shared)]) == 0
    kept = (shared / "discovery.md").read_bytes()
    assert main(["discover", str(other / "results.parquet"), *args, "--min-density", "0.7", "--out", str(shared)]) == 2
    err = capsys.readouterr().err
    assert "--overwrite" in err and len(err.strip().splitlines()) == 1
    assert (shared / "discovery.md").read_bytes() == kept
    assert main(["discover", str(other), *args, "--min-density", "0.7", "--out", str(shared), "--overwrite"]) == 0
    assert json.loads((shared / "discovery.json").read_text())["identity"]["min_density"] == 0.7


def test_the_prim_figure_stays_within_the_swept_range(lhs_results):
    from simulation.analysis.discovery import discovery_figure, prim_boxes

    df, _ = read_results(lhs_results)
    x = df.groupby("point")[["china", "coord"]].first()
    level = df.groupby("point")["mean_level"].mean()
    y = (level > level.median()).to_numpy()
    fig = discovery_figure(prim_boxes(x, y, 0.6), "t")
    trajectory, box = fig.axes[0], fig.axes[1]  # then the colour bar
    assert box.get_xlim() == (0.0, 1.0)
    assert all(0 <= t.get_position()[0] <= 1 for t in box.texts)
    assert trajectory.get_xlim()[1] <= 1.05 and trajectory.get_ylim()[1] <= 1.05  # shares: never beyond 1
    labels = [t.get_text() for t in box.get_yticklabels()]
    assert labels and all(" of " in label for label in labels)  # the box's numbers beside the swept range


def test_sensitivity_reads_any_outcome_and_warns_about_a_rare_one(tmp_path, capsys):
    path = _sweep_file(
        tmp_path,
        design={"method": "morris", "samples": 6, "levels": 4},
        vary=[
            {"path": "pressure.targets.China", "label": "china", "range": {"low": 0.0, "high": 1.0}},
            {"path": "pressure.targets.Russia", "label": "russia", "range": {"low": 0.0, "high": 1.0}},
        ],
        replicates=4,
    )
    out = tmp_path / "sens"
    args = ["sensitivity", str(path), "--out", str(out), "--workers", "1", "--quiet"]
    assert (
        main([*args, "--outcome", "entente_reached", "--outcome", "mean_level", "--outcome", "alliance_reached"]) == 0
    )
    for name in ("entente_reached", "mean_level", "alliance_reached"):
        assert (out / f"morris_{name}.csv").exists() and (out / f"morris_{name}.png").exists()
    df, _ = read_results(out / "sweep")
    rare = df["alliance_reached"].mean() < 0.01 or (df.groupby("point")["alliance_reached"].max() > 0).mean() < 0.10
    assert ("is rare here" in (out / "sensitivity.md").read_text()) == rare
    text = (out / "sensitivity.md").read_text()
    assert "US pressure on China (0-1)" in text  # parameters in words, not code identifiers
    assert main([*args, "--outcome", "blocs"]) == 2
    assert "category" in capsys.readouterr().err


# --------------------------------------------------------------------------- compare


def test_compare_puts_two_scenarios_side_by_side_with_the_difference_and_its_interval(tmp_path, capsys):
    args = ["compare", "baseline_2018_2021", "transatlantic_united_front", "--runs", "300", "--seed", "3"]
    assert main([*args, "--out", str(tmp_path / "c")]) == 0
    table = pd.read_csv(tmp_path / "c" / "compare.csv").set_index("outcome")
    a = run_batch(scenario("baseline_2018_2021"), runs=300, master_seed=3)
    b = run_batch(scenario("transatlantic_united_front"), runs=300, master_seed=3)
    assert (a["draw"] == b["draw"]).all() and (a["seed"] == b["seed"]).all()  # the same draws and seeds in both
    for name in ("entente_reached", "entente_at_end", "alliance_reached"):
        assert table.loc[name, "a"] == pytest.approx(a[name].mean())
        assert table.loc[name, "diff"] == pytest.approx(b[name].mean() - a[name].mean())
        assert table.loc[name, "diff_lo"] <= table.loc[name, "diff"] <= table.loc[name, "diff_hi"]
        assert table.loc[name, "diff_hi"] - table.loc[name, "diff_lo"] > 0  # never a zero-width interval
    assert table.loc["final_level", "b"] == pytest.approx(b["final_level"].mean())
    assert table.loc["entente_at_end", "a_q05"] <= table.loc["entente_at_end", "a_median"]
    assert table.loc["entente_at_end", "a_median"] <= table.loc["entente_at_end", "a_q95"]
    assert "Across posterior draws" in (tmp_path / "c" / "compare.md").read_text()
    assert (tmp_path / "c" / "compare.png").exists()
    assert "difference (transatlantic_united_front - baseline_2018_2021)" in capsys.readouterr().out


def test_compare_of_a_scenario_with_itself_finds_no_difference():
    from simulation.analysis.compare import compare_outcomes

    runs = run_batch(scenario("baseline_2018_2021"), runs=200, master_seed=1)
    result = compare_outcomes(runs, runs.copy(), ("a", "a"), horizon=48)
    assert (result.table["diff"] == 0).all()
    spread = result.table.dropna(subset=["diff_lo", "diff_hi"])  # NaN: every run the same, no interval
    assert len(spread) >= 3 and ((spread["diff_lo"] <= 0) & (spread["diff_hi"] >= 0)).all()
    assert (spread["diff_hi"] > spread["diff_lo"]).all()


def test_compare_refuses_an_unknown_outcome_listing_the_allowed(capsys):
    assert main(["compare", "baseline_2018_2021", "low_us_pressure", "--outcome", "luck"]) == 2
    err = capsys.readouterr().err
    assert "--outcome" in err and "allowed: alliance_reached, alliance_at_end" in err


def test_the_printed_program_resolves_in_a_new_shell_in_the_project_folder(monkeypatch):
    """In the folder that holds the environment (the project folder after ./tasks setup) the program is
    printed relative to it (.venv/bin/alliance-sim) unless a new shell finds it on PATH; either way it runs."""
    env_home = Path(sys.executable).parent.parent.parent  # <project>/.venv/bin/python -> <project>
    monkeypatch.chdir(env_home)
    words = program()
    if words != ["alliance-sim"]:
        assert not Path(words[0]).is_absolute() and "/" in words[0], words
    pasted = _fresh_shell(shlex.join([*words, "--version"]), env_home)
    assert pasted.returncode == 0 and pasted.stdout.startswith("alliance-sim "), pasted.stderr[-2000:]


# --------------------------------------------------------------------------- --help


def _console_script(args: list[str]) -> subprocess.CompletedProcess:
    """``alliance-sim ARGS`` through the installed console script (not main() in this process)."""
    script = Path(sys.executable).parent / "alliance-sim"
    if not script.is_file():
        pytest.skip(f"no console script beside {sys.executable} (install the package: ./tasks setup)")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    return subprocess.run([str(script), *args], env=env, capture_output=True, text=True, timeout=300)


def test_the_console_script_helps_with_no_arguments_and_both_help_flags():
    """The first commands a new user types: exit 0, no traceback; a bare command lists the commands."""
    names = list(_subparsers())
    for args in ([], ["--help"], ["-h"]):
        proc = _console_script(args)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, (args, proc.stderr[-2000:])
        assert proc.stdout.startswith("usage: alliance-sim") and "see --help" not in proc.stdout + proc.stderr
        assert all(f"    {name} " in proc.stdout or f"    {name}\n" in proc.stdout for name in names), args


@pytest.mark.slow  # one process per command: about 1-2 s each on 2 cores
def test_the_console_script_helps_with_every_commands_help():
    """Every subcommand's --help from the installed script: exit 0, no traceback."""
    names = list(_subparsers())
    lines = ";".join(f'"$0" {shlex.quote(name)} --help >/dev/null || echo "FAILED {name}"' for name in names)
    script = Path(sys.executable).parent / "alliance-sim"  # one shell for every subcommand's help
    if not script.is_file():
        pytest.skip(f"no console script beside {sys.executable} (install the package: ./tasks setup)")
    proc = subprocess.run(
        ["bash", "-c", lines, str(script)], env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0 and "FAILED" not in proc.stdout and "Traceback" not in proc.stderr, (
        proc.stdout + proc.stderr[-2000:]
    )


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_the_top_level_help_lists_every_command(flag, capsys):
    """argparse %-formats every help string, the top level's included: one literal % breaks it."""
    assert main([flag]) == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: alliance-sim")
    for name in _subparsers():
        assert f"\n    {name} " in text or f"\n    {name}\n" in text, name
    assert "%%" not in text and "%(" not in text


def test_every_option_of_every_command_has_help_and_no_doubled_percent(capsys):
    for name, sub in _subparsers().items():
        missing = [a.option_strings or a.dest for a in sub._actions if a.help is None]
        assert not missing, f"{name}: {missing}"
        assert main([name, "--help"]) == 0
        text = capsys.readouterr().out
        assert "%%" not in text and "%(" not in text, name


# --------------------------------------------------------------------------- figures


def test_a_figure_of_a_subset_says_what_it_holds_fixed_not_that_it_pools_everything(lhs_results):
    df, manifest = read_results(lhs_results)
    sub = df[df["point"] == df["point"].iloc[0]]
    fig = plots.final_alignment(sub, by="replicate", manifest=manifest)
    text = " ".join(t.get_text() for t in fig.texts)
    assert "with US pressure on China (0-1) = " in text and "pooled over" not in text
    assert "Russia-China" in fig.axes[0].get_title() and "Jan 2018 - Dec 2021" in text
    assert "posterior predictive" in text


def test_no_empty_time_to_alliance_figure(lhs_results, tmp_path):
    df, manifest = read_results(lhs_results)
    none = df.assign(alliance_month=pd.array([None] * len(df), dtype="Int16"))
    with pytest.raises(InputError, match="no run"):
        plots.time_to_alliance(none, manifest=manifest)
    written = plots.sweep_figures(none, manifest, tmp_path)
    assert not any(p.stem == "time" for p in written) and any(p.stem == "final" for p in written)


def test_time_to_alliance_counts_whole_runs(lhs_results):
    df, manifest = read_results(lhs_results)
    fake = df.assign(alliance_month=pd.array(np.arange(len(df)) % 40, dtype="Int16"))
    fig = plots.time_to_alliance(fake, manifest=manifest)
    ticks = fig.axes[0].get_yticks()
    assert np.allclose(ticks, np.round(ticks))


def test_heatmap_cells_carry_their_interval_and_the_fixed_value_is_in_the_title(lhs_results):
    df, manifest = read_results(lhs_results)
    grid = df.assign(china=(df["china"] > 0.5).astype(float), coord=(df["coord"] > 0.5).astype(float))
    fig = plots.alliance_heatmap(grid, "china", "coord", outcome="entente_reached", manifest=manifest)
    cells = [t.get_text() for t in fig.axes[0].texts]
    counts = grid.groupby(["coord", "china"]).size()
    assert len(cells) == 2 * len(counts)
    for coord, china in counts.index:
        share = grid[(grid.coord == coord) & (grid.china == china)]["entente_reached"].mean()
        assert plots._share_text(share) in cells  # a share of exactly 0 or 1 reads "0" / "1", never 0.00-0.00
    text = " ".join(t.get_text() for t in fig.texts)
    # 8 replicates per point, about one run per posterior draw in a cell: the Wilson interval, not a
    # per-draw range (a draw's one run says 0 or 1)
    assert "95% interval" in text and "per-draw" not in text and "Russia-China" in text
    assert not any(c in ("0.00-0.00", "1.00-1.00") for c in cells)
    fig = plots.alliance_heatmap(
        grid.assign(third=0.5), "china", "coord", outcome="entente_reached", manifest=manifest,
        factors=["china", "coord", "third"],
    )  # fmt: skip
    assert fig.axes[0].get_title().endswith("third = 0.5")


def test_a_run_plot_gives_every_pair_its_own_look_and_words():
    pairs = [f"a{i}_b{i}" for i in range(10)]
    traj = pd.DataFrame({p: np.arange(5) % 3 for p in pairs})
    fig = plots.alignment_over_time(traj, pairs, "t", focal=pairs[0], actors=None)
    looks = {(line.get_color(), line.get_linestyle()) for line in fig.axes[0].get_lines()}
    assert len(looks) == 10
    colours = [line.get_color().lower() for line in fig.axes[0].get_lines()]
    assert colours[0] == "black" and "#000000" not in colours[1:]  # only the focal pair is black
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0] == "A0-B0 (focal pair)" and "_" not in "".join(labels)
    actors = ("Russia", "China", "US")
    assert plots.pair_words("russia_china", actors) == "Russia-China"


def test_sensitivity_chart_explains_indices_outside_zero_one():
    from simulation.analysis.sensitivity import indices_chart

    table = pd.DataFrame(
        {"S1": [-0.05, 0.4], "S1_conf": [0.1, 0.1], "ST": [1.2, 0.5], "ST_conf": [0.3, 0.1]},
        index=pd.Index(["a", "b"], name="parameter"),
    )
    fig = indices_chart(table, "sobol", "alliance_reached", labels={"a": "Input A", "b": "Input B"})
    text = " ".join(t.get_text() for t in fig.texts)
    assert "1 first-order below 0, 1 total-order above 1" in text
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Input B", "Input A"]


def test_manifest_records_no_overrides_when_none_were_given(lhs_results):
    manifest = json.loads((lhs_results / "manifest.json").read_text())
    assert manifest["overrides"] == {}
    meta = pq.read_schema(lhs_results / "results.parquet").metadata
    assert b"overrides" in meta[b"alliance_sim_manifest"]


# --------------------------------------------------------------------------- set-up (./tasks) and install


def test_tasks_waits_for_a_held_package_lock_and_installs_every_extra_the_tests_use():
    """Every apt-get in ./tasks waits for a held dpkg lock (bounded) instead of failing at once; the set-up
    installs every optional extra (the tests use them all), the core install none."""
    import tomllib

    text = (ROOT / "tasks").read_text("utf-8")
    assert subprocess.run(["bash", "-n", str(ROOT / "tasks")]).returncode == 0
    calls = [line for line in text.splitlines() if re.search(r"\bapt-get\b.*\b(update|install)\b", line.split("#")[0])]
    calls = [c for c in calls if "echo" not in c]
    assert len(calls) >= 2 and all("DPkg::Lock::Timeout=600" in c for c in calls), calls
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    extras = set(meta["optional-dependencies"]) - {"docs"}  # docs' packages are in test
    (installed,) = re.findall(r'-e "\.\[([\w,]+)\]"', text)
    assert set(installed.split(",")) == extras
    core = " ".join(meta["dependencies"]).lower()
    assert "pyabc" not in core and "dask" not in core and "pyabc" in " ".join(meta["optional-dependencies"]["smc"])
