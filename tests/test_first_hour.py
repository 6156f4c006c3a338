"""A researcher's first hour: printed commands paste as they are, the outcome catalogue is the one list,
every catalogue outcome works in sensitivity, discovery and plot, `compare`, complete --help, and figures
that say what they show."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from simulation import outcomes
from simulation.cli.app import build_parser, main
from simulation.core.errors import InputError
from simulation.reporting import plots
from simulation.runner import run_batch
from simulation.sweeps import execute as sweep_runner_module
from simulation.sweeps.execute import read_results
from tests.conftest import SCENARIOS, scenario

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
    """A printed command line as a shell would split it, without the program name."""
    words = shlex.split(line.strip())
    assert words[0] == "alliance-sim", line
    return words[1:]


def _printed_commands(text: str) -> list[str]:
    return [line[line.index("alliance-sim ") :] for line in text.splitlines() if "alliance-sim " in line]


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
    assert main([*_pasted(resume), "--quiet"]) == 0
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
    assert main(_pasted(plot)) == 0
    assert (tmp_path / "res" / "figures" / "probability.png").exists()
    assert main(_pasted(again)) == 0
    out = capsys.readouterr().out
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
    # the two differ on this baseline: many runs reach entente and fall back before the end
    assert batch["entente_at_end"].mean() < batch["entente_reached"].mean()


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


# --------------------------------------------------------------------------- --help


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


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
