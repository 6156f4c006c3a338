"""Sweeps: designs, determinism across workers and chunk sizes, results, bad sweep files, plots."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.reporting import plots
from simulation.sweeps.execute import read_results, run_sweep
from simulation.sweeps.spec import load_sweep, sweep_from_dict
from tests.conftest import EXPERIMENTS, SCENARIOS, scenario

matplotlib.use("Agg")


def small(**extra) -> dict:
    data = {
        "title": "test",
        "base_scenario": str(SCENARIOS / "baseline_2018_2021.yaml"),
        "design": {"method": "grid"},
        "vary": [
            {"path": "pressure.targets.China", "label": "china", "values": [0.2, 0.7]},
            {"path": "pressure.coordination", "label": "coord", "values": [0.0, 1.0]},
        ],
        "replicates": 30,
        "master_seed": 99,
        "chunk_size": 25,
        "outcomes": [
            "alliance_reached",
            "alliance_at_end",
            "alliance_month",
            "final_level",
            "mean_level",
            "final_levels",
            "blocs",
            "trajectory",
        ],
    }
    data.update(extra)
    return data


def _write_sweep(tmp_path: Path, data: dict) -> Path:
    import yaml

    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


def test_grid_size_and_values():
    sw = sweep_from_dict(small(), scenario("baseline_2018_2021"))
    assert sw.points.shape == (4, 2) and sw.total_runs == 120
    assert {tuple(r) for r in sw.points} == {(0.2, 0.0), (0.2, 1.0), (0.7, 0.0), (0.7, 1.0)}


def test_flagship_sweep_meets_its_brief():
    sw = load_sweep(EXPERIMENTS / "flagship_us_pressure.yaml")
    assert sw.spec.replicates >= 200
    assert set(sw.factor_names) == {"pressure_on_russia", "pressure_on_china", "eu_coordination"}
    assert sw.points.shape == (11 * 11 * 2, 3)


def test_document_uncertainty_sweep_samples_every_documented_range(registry):
    sw = load_sweep(EXPERIMENTS / "document_uncertainty.yaml")
    ranged = {
        p.key
        for p in registry
        if p.high > p.low
        and p.role != "evidence"
        and p.family not in ("initial_level", "unlisted_pair_default", "treaty_consent_steps")
    }
    assert set(sw.factor_names) == ranged
    lows = np.array([registry[k].low for k in sw.factor_names])
    highs = np.array([registry[k].high for k in sw.factor_names])
    assert np.all(sw.points >= lows) and np.all(sw.points <= highs)  # LHS respects bounds
    # each LHS column covers its range: one sample per stratum
    strata = np.floor((sw.points - lows) / (highs - lows) * sw.points.shape[0]).astype(int)
    assert all(len(np.unique(strata[:, k])) == sw.points.shape[0] for k in range(3))


def test_sobol_design_shape():
    data = small(
        design={"method": "sobol", "samples": 8, "second_order": True},
        vary=[
            {"path": "parameters.status_concern.Russia", "registry_range": True},
            {"path": "pressure.targets.China", "range": {"low": 0, "high": 1}},
            {"path": "parameters.weight.exposure", "registry_range": True},
        ],
        replicates=1,
    )
    sw = sweep_from_dict(data, scenario("baseline_2018_2021"))
    assert sw.points.shape == (8 * (2 * 3 + 2), 3)
    data["design"]["second_order"] = False
    assert sweep_from_dict(data, scenario("baseline_2018_2021")).points.shape == (8 * (3 + 2), 3)


def test_same_results_whatever_workers_and_chunk_size(tmp_path):
    base = scenario("baseline_2018_2021")
    tables = []
    runs = ((1, 25, "thread"), (2, 7, "thread"), (2, 9, "process"), (1, 1000, "thread"))
    for workers, chunk, kind in runs:
        sw = sweep_from_dict(small(chunk_size=chunk), base)
        out = tmp_path / f"w{workers}c{chunk}"
        report = run_sweep(sw, out, workers=workers, executor_kind=kind, progress=False)
        df, manifest = read_results(report.results)
        tables.append(df)
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other)
    import pyarrow.parquet as pq

    arrow = [pq.read_table(tmp_path / f"w{w}c{c}" / "results.parquet") for w, c, _ in runs]
    assert all(arrow[0].equals(t) for t in arrow[1:])  # same types and values, whatever the chunking
    assert manifest["master_seed"] == 99 and manifest["total_runs"] == 120


def test_results_rows_match_single_runs(tmp_path):
    """Every sweep row reproduces with `alliance-sim run --seed <its seed> --parameters <the sweep's> --draw <its draw>`
    on its design point (the Mesa model, one run), month by month."""
    from simulation.runner import run_scenario

    sw = sweep_from_dict(small(), scenario("baseline_2018_2021"))
    assert sw.spec.parameters == "posterior"  # a sweep is posterior predictive by default, `run` is not
    report = run_sweep(sw, tmp_path / "out", workers=1, progress=False)
    df, manifest = read_results(report.results)
    assert manifest["sweep_spec"]["parameters"] == "posterior"  # the manifest says which to pass
    for row in df.itertuples():
        point = scenario(
            "baseline_2018_2021", **{"pressure.targets.China": row.china, "pressure.coordination": row.coord}
        )
        single = run_scenario(point, seed=int(row.seed), parameters="posterior", draw=int(row.draw))
        assert np.array_equal(single.levels()[:, 0, 1], np.asarray(row.trajectory)), row.run
        assert bool(single.outcomes["alliance_reached"]) == bool(row.alliance_reached)


def test_cli_sweep_writes_table_and_refuses_to_overwrite(tmp_path, capsys):
    path = _write_sweep(tmp_path, small())
    out = tmp_path / "res"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    df, manifest = read_results(out)
    assert len(df) == 120 and df["run"].tolist() == list(range(120))
    assert manifest["sweep_hash"] and manifest["design"]["factors"] == ["china", "coord"]
    assert not (out / "parts").exists()
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    assert "not overwritten" in capsys.readouterr().err


def test_size_guard_needs_yes(tmp_path, capsys):
    path = _write_sweep(tmp_path, small())
    code = main(["sweep", str(path), "--out", str(tmp_path / "x"), "--max-runs", "100", "--quiet"])
    assert code == 2 and "--yes" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"vary": [{"path": "pressure.targets.Mars", "values": [0.5]}]}, "unknown actor 'Mars'"),
        ({"vary": [{"path": "parameters.weight.charm", "values": [0.5]}]}, "unknown parameter"),
        ({"vary": [{"path": "pressure.targets.China", "range": {"low": 1, "high": 1, "num": 3}}]}, "empty range"),
        ({"replicates": -5}, "replicates"),
        (
            {
                "design": {"method": "sobol", "samples": 10},
                "vary": [{"path": "pressure.targets.China", "range": {"low": 0, "high": 1}}],
            },
            "power of 2",
        ),
        ({"design": {"method": "lhs", "samples": 10}}, "needs a range"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"base_scenario": "nowhere.yaml"}, "scenario file not found"),
        ({"vary": [{"path": "pressure.targets.China", "values": [1.5]}]}, "less than or equal to 1"),
    ],
)
def test_bad_sweep_files(tmp_path, capsys, change, fragment):
    path = _write_sweep(tmp_path, small(**change))
    code = main(["sweep", str(path), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and str(path) in err and fragment in err, err


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    sw = sweep_from_dict(small(replicates=40), scenario("baseline_2018_2021"))
    report = run_sweep(sw, tmp_path_factory.mktemp("r") / "out", workers=1, progress=False)
    return read_results(report.results)


def test_probability_plot_shows_the_data_with_wilson_bands(results):
    df, _ = results
    fig = plots.alliance_probability(df, "china", hue="coord")
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if not line.get_label().startswith("_")]  # the pooled lines
    assert len(lines) == 2 and ax.get_ylabel().startswith("P(")
    expected = df[df["coord"] == 1.0].groupby("china")["alliance_reached"].mean().to_numpy()
    np.testing.assert_allclose(lines[1].get_ydata(), expected)
    # 40 replicates, fewer than the posterior's draws: one run per draw, so a Wilson band only
    assert len(ax.collections) == 2 and "per-draw" not in ax.get_title()
    # several runs per draw: also the 5-95% band of the per-draw probabilities
    fig = plots.alliance_probability(df.assign(draw=df["replicate"] % 10), "china", hue="coord")
    ax = fig.axes[0]
    assert len(ax.collections) == 4 and "per-draw" in ax.get_title().replace("\n", " ")


def test_heatmap_time_final_fan(results, tmp_path):
    df, _ = results
    fig = plots.alliance_heatmap(df, "china", "coord")
    image = fig.axes[0].get_images()[0].get_array()
    assert image.shape == (2, 2)
    assert image[1, 1] == pytest.approx(df[(df.coord == 1) & (df.china == 0.7)]["alliance_reached"].mean())
    fig = plots.time_to_alliance(df)
    assert sum(p.get_height() for p in fig.axes[0].patches) == (df["alliance_month"] >= 0).sum()
    fig = plots.final_alignment(df, by="china")
    assert len(fig.axes[0].patches) == 2 * 6
    fig = plots.fan_chart(df, by="coord")
    mean_line = fig.axes[0].get_lines()[0]
    traj = np.stack(df[df.coord == 0.0]["trajectory"].to_numpy())
    np.testing.assert_allclose(mean_line.get_ydata(), traj.mean(axis=0))
    paths = plots.save(fig, tmp_path / "fan")
    assert [p.suffix for p in paths] == [".png", ".svg"] and all(p.stat().st_size > 1000 for p in paths)


def test_cli_plot(tmp_path, results, capsys):
    path = _write_sweep(tmp_path, small())
    out = tmp_path / "res"
    main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    assert main(["plot", str(out), "--out", str(tmp_path / "fig")]) == 0
    written = capsys.readouterr().out.split()
    assert any(w.endswith("probability.png") for w in written) and any("heatmap" in w for w in written)
    assert main(["plot", str(out), "--x", "nope"]) == 2


def test_distributions_in_sampled_designs():
    data = small(
        design={"method": "lhs", "samples": 2000},
        replicates=1,
        vary=[
            {
                "path": "parameters.status_concern.Russia",
                "label": "s",
                "distribution": {"kind": "triangular", "low": 0.6, "high": 1.0, "mode": 0.9},
            },
            {
                "path": "parameters.weight.exposure",
                "label": "w",
                "distribution": {"kind": "normal", "mean": 2.5, "sd": 0.3},
            },
            {
                "path": "pressure.targets.China",
                "label": "p",
                "distribution": {"kind": "truncated_normal", "low": 0.0, "high": 1.0, "mean": 0.4, "sd": 0.2},
            },
        ],
    )
    sw = sweep_from_dict(data, scenario("baseline_2018_2021"))
    s, w, p = sw.points.T
    assert s.min() >= 0.6 and s.max() <= 1.0 and s.mean() == pytest.approx((0.6 + 1.0 + 0.9) / 3, abs=0.01)
    assert w.mean() == pytest.approx(2.5, abs=0.02) and w.std() == pytest.approx(0.3, abs=0.02)
    assert p.min() >= 0.0 and p.max() <= 1.0
    assert sw.salib_problem()["dists"] == ["triang", "norm", "truncnorm"]
    sobol = sweep_from_dict({**data, "design": {"method": "sobol", "samples": 16}}, scenario("baseline_2018_2021"))
    assert sobol.points.shape == (16 * 5, 3) and sobol.points[:, 0].min() >= 0.6


def test_an_unbounded_distribution_that_leaves_the_allowed_range_is_refused(tmp_path, capsys):
    data = small(
        design={"method": "lhs", "samples": 500},
        vary=[
            {"path": "pressure.targets.China", "label": "p", "distribution": {"kind": "normal", "mean": 0.5, "sd": 0.4}}
        ],
    )
    path = _write_sweep(tmp_path, data)
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "vary[p]" in err and ("greater than or equal to 0" in err or "less than or equal to 1" in err)
