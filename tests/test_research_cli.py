"""The researcher's workflow: shipped files by name, validate for every file kind, long export with
exact seeds, figures for sampled designs, complete manifests, missing extras, nothing at import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from simulation.cli import main

ROOT = Path(__file__).resolve().parents[1]


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def lhs(tmp_path_factory):
    """The shipped small LHS sweep, run once (400 runs)."""
    from simulation.sweeps.execute import read_results, run_sweep
    from simulation.sweeps.spec import load_sweep

    out = tmp_path_factory.mktemp("lhs") / "tiny_lhs"
    report = run_sweep(load_sweep("tiny_lhs"), out, workers=1, progress=False)
    df, manifest = read_results(report.results)
    return out, df, manifest


# --------------------------------------------------------------------------- names and shipped files


def test_bare_names_resolve_to_shipped_files_from_any_folder(tmp_path, monkeypatch):
    from simulation import load_scenario
    from simulation.sweeps.spec import load_sweep

    monkeypatch.chdir(tmp_path)
    assert load_scenario("baseline_2018_2021").title == load_scenario(ROOT / "scenarios/baseline_2018_2021.yaml").title
    (tmp_path / "mine.yaml").write_text(
        "title: mine\nbase_scenario: low_us_pressure\nreplicates: 2\nmaster_seed: 5\n", "utf-8"
    )
    sweep = load_sweep("mine.yaml")
    assert sweep.base.title == load_scenario("low_us_pressure").title and sweep.total_runs == 2


def test_a_user_file_wins_over_a_shipped_name(tmp_path, monkeypatch):
    from simulation import load_scenario

    monkeypatch.chdir(tmp_path)
    text = (ROOT / "scenarios/low_us_pressure.yaml").read_text("utf-8").replace('title: "', 'title: "Mine - ', 1)
    (tmp_path / "baseline_2018_2021.yaml").write_text(text, "utf-8")
    assert load_scenario("baseline_2018_2021.yaml").title.startswith("Mine -")


def test_unknown_names_get_one_line_listing_the_shipped_ones(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "run", "baseline_2081")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "baseline_2081" in err and "baseline_2018_2021" in err


def test_scenarios_lists_every_shipped_scenario_and_sweep(capsys):
    code, out, _ = cli(capsys, "scenarios")
    assert code == 0
    for path in [*(ROOT / "scenarios").glob("*.yaml"), *(ROOT / "experiments").glob("*.yaml")]:
        assert path.stem in out


# --------------------------------------------------------------------------- validate


def test_validate_detects_every_file_kind(capsys, tmp_path):
    from simulation.cli.research import detect_kind

    landscape_yaml = tmp_path / "land.yaml"
    landscape_yaml.write_text("sizes: {A: 1, B: 2, C: 1}\npropensity: {A-B: 0.5, B-C: -0.2, A-C: 0.1}\n", "utf-8")
    landscape_csv = tmp_path / "land.csv"
    landscape_csv.write_text("actor,size,A,B\nA,1,0,0.3\nB,2,0.3,0\n", "utf-8")
    files = {
        "scenario": ROOT / "scenarios/baseline_2018_2021.yaml",
        "sweep": ROOT / "experiments/flagship_us_pressure.yaml",
        "patterns": ROOT / "simulation/data/patterns.yaml",
        "landscape": landscape_yaml,
    }
    code, out, err = cli(capsys, "validate", *files.values(), landscape_csv)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert [line.split(")")[0].removeprefix("ok (") for line in lines] == [*files, "landscape"]
    assert "242 points x 2,000 replicates" in lines[1] and "landscape table of 3 actors" in lines[3]
    saved = tmp_path / "class.json"
    saved.write_text(json.dumps({"format": "alliance-sim seminar 1", "history": []}), "utf-8")
    assert detect_kind(saved) == "seminar"


def test_validate_reads_a_saved_seminar(capsys, tmp_path):
    from simulation import load_scenario
    from simulation.teaching.seminar import HumanMove, SeminarSession

    session = SeminarSession(load_scenario("baseline_2018_2021"), ["Russia"], seed=1)
    assert session.submit("Russia", HumanMove({"China": "hold"})) == []
    session.play_round()
    saved = session.save(tmp_path / "class.json")
    code, out, err = cli(capsys, "validate", saved)
    assert code == 0, err
    assert out.startswith("ok (seminar)") and "1 rounds played" in out


def test_validate_reports_each_bad_file_in_one_line_and_honours_kind(capsys, tmp_path):
    bad_sweep = tmp_path / "bad.yaml"
    bad_sweep.write_text("title: t\nbase_scenario: baseline_2018_2021\nreplicates: 0\nmaster_seed: 1\n", "utf-8")
    bad_session = tmp_path / "s.json"
    bad_session.write_text(json.dumps({"format": "a spreadsheet", "history": []}), "utf-8")
    code, out, err = cli(capsys, "validate", bad_sweep, bad_session, ROOT / "scenarios/baseline_2018_2021.yaml")
    assert code == 2 and out.count("ok (scenario)") == 1
    errors = err.strip().splitlines()
    assert len(errors) == 2 and "bad.yaml" in errors[0] and "replicates" in errors[0] and "s.json" in errors[1]
    # the same scenario read as a sweep file is refused (wrong kind), in one line
    code, _, err = cli(capsys, "validate", "--kind", "sweep", ROOT / "scenarios/baseline_2018_2021.yaml")
    assert code == 2 and len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------- export and seeds


def test_long_export_keeps_every_value_nulls_and_exact_seeds(capsys, lhs, tmp_path):
    out, df, _ = lhs
    code, _, err = cli(capsys, "export", out, "--long", "--out", tmp_path / "long.parquet")
    assert code == 0, err
    long = pd.read_parquet(tmp_path / "long.parquet")
    assert long["seed"].dtype == np.int64
    month = long[long["outcome"] == "alliance_month"].set_index("run")["value"]
    never = df.set_index("run")["alliance_month"].isna()
    assert month[never.index[never]].isna().all()  # "never" is null, not a number
    levels = long[long["outcome"] == "final_level"].set_index("run")["value"].astype(int)
    assert (levels == df.set_index("run")["final_level"]).all()
    traj = long[long["outcome"] == "trajectory"]
    assert len(traj) == sum(len(t) for t in df["trajectory"])
    blocs = long[long["outcome"] == "blocs"].set_index("run")["text"]
    assert (blocs == df.set_index("run")["blocs"]).all()
    # CSV next to a manifest; refusing to overwrite
    code, _, _ = cli(capsys, "export", out, "--long", "--csv", "--out", tmp_path / "long.csv")
    assert code == 0 and (tmp_path / "long.csv.manifest.json").is_file()
    code, _, err = cli(capsys, "export", out, "--long", "--csv", "--out", tmp_path / "long.csv")
    assert code == 2 and "not overwritten" in err


def test_seed_round_trip_as_r_reads_it_reproduces_the_run(lhs):
    """R's arrow reads int64 as integer64 and uint64 as double: read the table the way R would and
    reproduce a run from the seed it gets."""
    import pyarrow as pa

    from simulation import apply_overrides, run_batch
    from simulation.sweeps.spec import load_sweep

    out, df, manifest = lhs
    table = pq.read_table(out / "results.parquet")
    assert table.schema.field("seed").type == pa.int64()
    as_r = table.column("seed").to_numpy()  # integer64: exact
    if table.schema.field("seed").type == pa.uint64():  # what R would do to uint64
        as_r = as_r.astype(np.float64)
    assert np.array_equal(as_r.astype(np.int64), df["seed"].to_numpy())
    rows = df[df["final_level"] != df["final_level"].mode()[0]].head(2)
    rows = rows if len(rows) else df.head(2)
    paths = {v["label"]: v["path"] for v in manifest["sweep_spec"]["vary"]}
    base = load_sweep(manifest["sweep_file"]).base
    for _, row in rows.iterrows():
        sc = apply_overrides(base, {path: float(row[label]) for label, path in paths.items()})
        again = run_batch(sc, [int(as_r[int(row["run"])])], draw_rows=[int(row["draw"])]).iloc[0]
        assert int(again["final_level"]) == int(row["final_level"]) and again["blocs"] == row["blocs"]


# --------------------------------------------------------------------------- plots


def test_non_grid_plot_has_few_legend_entries_human_labels_and_says_what_it_pools(lhs):
    from simulation.reporting import plots

    _, df, manifest = lhs
    fig = plots.alliance_probability(
        df, "pressure_on_china", hue="pressure_on_russia", outcome="max_level", manifest=manifest
    )
    ax = fig.axes[0]
    entries = ax.get_legend().get_texts()
    assert 1 < len(entries) <= plots.MAX_LEGEND_ENTRIES
    assert ax.get_xlabel() == "US pressure on China (0-1)"
    assert all(t.get_text().startswith("US pressure on Russia (0-1) ~") for t in entries)
    assert len(ax.get_lines()[0].get_xdata()) <= 8  # 40 sampled values binned
    notes = " ".join(t.get_text() for t in fig.texts)
    assert "pooled over EU coordination with US pressure (0-1)" in notes and "400 runs" in notes
    colours = {line.get_color().lower() for line in ax.get_lines()}
    assert colours <= {c.lower() for c in plots.OKABE_ITO}


def test_main_effects_pool_over_the_other_quantities(lhs):
    from simulation.reporting import plots

    _, df, manifest = lhs
    fig = plots.main_effects(df, plots.factors_of(manifest), "max_level", manifest)
    panels = [ax for ax in fig.axes if ax.get_lines()]
    assert len(panels) == 3
    ys = panels[1].get_lines()[0].get_ydata()
    binned, _ = plots.binned(df["pressure_on_china"])
    expected = df["max_level"].groupby(binned).mean().to_numpy()
    np.testing.assert_allclose(ys, expected)


def test_plot_cli_draws_the_default_set_and_refuses_too_many_entries(capsys, lhs, tmp_path):
    out, df, _ = lhs
    code, stdout, err = cli(capsys, "plot", out, "--out", tmp_path / "figs")
    assert code == 0, err
    names = {Path(p).stem for p in stdout.split()}
    assert {"probability", "main_effects", "heatmap", "final", "fan"} <= names
    code, _, err = cli(capsys, "plot", out, "--kind", "probability", "--hue", "seed", "--out", tmp_path / "f2")
    assert code == 0  # a numeric column with many values is binned into 4, not refused
    df2 = df.assign(label=[f"g{i % 13}" for i in range(len(df))])
    from simulation.reporting import plots

    with pytest.raises(plots.TooManyEntries, match="13 legend entries"):
        plots.alliance_probability(df2, "pressure_on_china", hue="label")


# --------------------------------------------------------------------------- manifests, extras, import


def test_manifest_lists_every_dependency_with_its_version(lhs):
    _, _, manifest = lhs
    libs = manifest["libraries"]
    from importlib.metadata import version

    assert libs["SALib"] == version("SALib") and libs["scipy"] == version("scipy")
    assert libs["numba"] == version("numba") and libs["numpy"] == version("numpy")
    assert manifest["cpu_count"] >= 1 and manifest["python"] and manifest["platform"] and manifest["command"]


@pytest.mark.parametrize(
    "module, extra",
    [("solara", "dashboard"), ("ema_workbench", "analysis"), ("distributed", "dask"), ("pyabc", "smc")],
)
def test_a_missing_extra_is_one_line_naming_it(capsys, monkeypatch, module, extra):
    import simulation.cli.app as cli_module

    def needs_it(args):
        raise ModuleNotFoundError(f"No module named '{module}'", name=module)

    parser = cli_module.build_parser()
    args = parser.parse_args(["scenarios"])
    args.func = needs_it
    monkeypatch.setattr(cli_module, "build_parser", lambda: type("P", (), {"parse_args": lambda self, a: args})())
    code, _, err = cli(capsys, "scenarios")
    assert code == 2 and err.strip().count("\n") == 0 and f"alliance-sim[{extra}]" in err


def test_abc_smc_without_its_extra_is_one_line_before_anything_runs(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyabc", None)
    code, _, err = cli(capsys, "calibrate", "--method", "smc", "--out", str(tmp_path / "c"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "pip install 'alliance-sim[smc]'" in err and not (tmp_path / "c").exists()


def test_the_dashboard_without_its_extra_is_one_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "solara", None)
    code, _, err = cli(capsys, "dashboard", "--port", "8799")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "alliance-sim[dashboard]" in err


def test_importing_plots_leaves_the_backend_and_rcparams_alone():
    code = (
        "import matplotlib; matplotlib.use('svg'); import matplotlib as mpl\n"
        "before = dict(mpl.rcParams)\n"
        "import simulation.reporting.plots as p\n"
        "fig = p.final_alignment(__import__('pandas').DataFrame({'final_level': [3, 4], 'x': [0.0, 1.0]}), by='x')\n"
        "assert mpl.get_backend() == 'svg', mpl.get_backend()\n"
        "after = dict(mpl.rcParams)\n"
        "changed = [k for k in before if before[k] != after[k]]\n"
        "assert not changed, changed\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.strip() == "ok", proc.stderr[-1500:]
