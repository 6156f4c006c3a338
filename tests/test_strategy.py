"""Policy search: a front where no policy dominates another, the same front whatever the workers, a stopped
search that resumes to the same result, the declared cost equal to what the model applies, robustness
statistics on hand-checkable numbers, and validate == policy-search on bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pymoo")

ROOT = Path(__file__).resolve().parents[1]

TINY = """\
title: tiny policy search
base_scenario: baseline_2018_2021
levers:
  - path: pressure.targets.Russia.level
    label: pressure_on_russia
    range: {low: 0.0, high: 1.0}
  - path: pressure.targets.China.level
    label: pressure_on_china
    range: {low: 0.0, high: 1.0}
  - path: pressure.targets.China.start_step
    label: china_start
    range: {low: 0, high: 24}
  - path: pressure.policy.rule
    label: us_rule
    choices: [schedule, containment, engagement]
objectives:
  - outcome: mean_level
    direction: maximise
    robustness: {statistic: percentile, percentile: 90}
  - outcome: entente_reached
    direction: minimise
    robustness: {statistic: mean}
  - cost: pressure_applied
    direction: minimise
    robustness: {statistic: mean}
reference_policies: [containment_policy, low_us_pressure]
worlds: {draws: 6, replicates: 3, holdout_draws: 6, holdout_replicates: 3}
search: {population: 8, generations: 3, master_seed: 11, policies_per_task: 3}
failure: {outcome: mean_level, above: 3.0, policies: 1}
"""


def write(tmp_path: Path, text: str = TINY, name: str = "search.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def run(path: Path, out: Path, **kwargs):
    from simulation.strategy import load_policy_search, run_policy_search

    return run_policy_search(load_policy_search(path), out, progress=False, **kwargs)


def minimised(pareto: pd.DataFrame, manifest: dict) -> np.ndarray:
    cols = []
    for o in manifest["objectives"]:
        v = pareto[o["column"]].to_numpy(dtype=float)
        cols.append(v if o["optimised"] == "minimised" else -v)
    return np.column_stack(cols)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tiny")
    path = write(tmp)
    out = tmp / "one_worker"
    report = run(path, out, workers=1)
    from simulation.strategy import read_outputs

    return path, out, report, read_outputs(out)


def test_tiny_search_front_has_no_dominated_row_and_records_what_it_did(tiny_run):
    _, out, report, outputs = tiny_run
    pareto, evaluations, manifest = outputs["pareto"], outputs["evaluations"], outputs["manifest"]
    # alignment maximised against its cost: a trade-off by construction (pressure draws the pair closer, 002),
    # so the front holds more than one policy whatever the posterior
    assert report.pareto == len(pareto) >= 2  # a trade-off, not a single winner
    F = minimised(pareto, manifest)
    for i in range(len(F)):
        for j in range(len(F)):
            assert not (np.all(F[i] <= F[j]) and np.any(F[i] < F[j])), f"front row {i} dominates row {j}"
    # every evaluated policy off the front is dominated by one on it
    off = evaluations[~evaluations["pareto"]]
    G = minimised(off, manifest)
    for row in G:
        assert np.any(np.all(row >= F, axis=1) & np.any(row > F, axis=1))
    assert [o["column"] for o in manifest["objectives"]] == [
        "mean_level_p90",
        "entente_reached_mean",
        "pressure_applied_mean",
    ]
    assert manifest["budget"]["runs_per_policy"] == 18
    assert manifest["posterior"]["table_sha256"]
    assert len(manifest["seeds"]["posterior_rows_search"]) == 6
    assert not set(manifest["seeds"]["posterior_rows_search"]) & set(manifest["seeds"]["posterior_rows_holdout"])
    for stem in ("tradeoff_parallel", "tradeoff_front", "convergence"):
        assert (out / "figures" / f"{stem}.png").stat().st_size > 10_000
    reeval = outputs["reevaluation"]
    assert len(reeval) == len(pareto) and "mean_level_p90_change" in reeval.columns
    assert set(outputs["reference_policies"]["policy"]) == {"containment_policy", "low_us_pressure"}


def test_policies_meet_the_same_worlds(tiny_run):
    """Common random numbers: a policy evaluated twice, in different tasks, gets the same per-draw values;
    the per-draw table names the posterior row of every draw, the same for every policy."""
    _, out, _, outputs = tiny_run
    per_draw = outputs["per_draw"]
    rows = per_draw.groupby("key")["posterior_row"].apply(tuple)
    assert rows.nunique() == 1


def test_same_front_whatever_the_workers(tiny_run, tmp_path):
    from simulation.strategy import read_outputs

    path, _, _, outputs = tiny_run
    run(path, tmp_path / "two", workers=2)
    other = read_outputs(tmp_path / "two")
    a = outputs["pareto"].sort_values("key").reset_index(drop=True)
    b = other["pareto"].sort_values("key").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(
        outputs["evaluations"].sort_values("key").reset_index(drop=True),
        other["evaluations"].sort_values("key").reset_index(drop=True),
    )


def test_a_stopped_search_resumes_to_the_same_result(tiny_run, tmp_path):
    from simulation.core.errors import InputError
    from simulation.strategy import read_outputs

    path, _, _, outputs = tiny_run
    out = tmp_path / "stopped"
    assert run(path, out, workers=1, stop_after_generations=2) is None
    manifest = json.loads((out / "manifest.json").read_text())
    assert not manifest["complete"] and manifest["parts"]
    with pytest.raises(InputError, match="unfinished policy search"):
        run(path, out, workers=1)
    # one finished part damaged on disk: it is computed again, not trusted
    damaged = sorted((out / "parts").glob("search-g0001-*.parquet"))[0]
    damaged.write_bytes(b"not parquet")
    run(path, out, workers=1, resume=True)
    resumed = read_outputs(out)
    pd.testing.assert_frame_equal(
        outputs["pareto"].sort_values("key").reset_index(drop=True),
        resumed["pareto"].sort_values("key").reset_index(drop=True),
    )


def test_the_declared_cost_is_the_pressure_the_model_applies():
    """pressure_applied equals the mean, over months and the focal pair's members, of the pressure the Mesa
    model records after the containment rule (which reacts to the pair's level month by month)."""
    from simulation.drivers.inputs import prepare_inputs
    from simulation.runner import run_scenario
    from simulation.strategy.evaluate import applied_pressure
    from simulation.world.scenario import apply_overrides, load_scenario

    reacted = 0
    for name in ("containment_policy", "wedge_policy", "engagement_policy"):
        sc = apply_overrides(load_scenario(name), {"pressure.policy.gain": 0.8})
        for seed in (3, 4):
            result = run_scenario(sc, seed=seed, parameters="point")
            fa, fb = result.resolved.focal_index
            recorded = np.mean([[r.pressure_threat[fa], r.pressure_threat[fb]] for r in result.model.history])
            # coordination[c, k]: coordinator c's coordination with the pressure on k, summed over coordinators
            recorded_coord = np.mean(
                [[r.coordination[:, fa].sum(), r.coordination[:, fb].sum()] for r in result.model.history]
            )
            inputs = prepare_inputs(sc, [seed], "point")
            pressure, coordination = applied_pressure(inputs.params, result.levels()[None])
            assert pressure[0] == pytest.approx(recorded, abs=1e-12)
            assert coordination[0] == pytest.approx(recorded_coord, abs=1e-12)
            schedule_only = inputs.params.pressure_threat[0, :, [fa, fb]].mean()
            moved = np.any(result.levels()[:-1, fa, fb] != result.levels()[0, fa, fb])
            if moved and name != "wedge_policy":  # a wedge moves the two members' pressure in opposite directions
                assert pressure[0] != pytest.approx(schedule_only, abs=1e-6)
                reacted += 1
    assert reacted >= 2


def test_robustness_statistics_on_hand_checkable_numbers():
    from simulation.strategy.robust import robust_value, weighted_percentile
    from simulation.strategy.spec import Measured

    values = np.array([[0.0, 0.1, 0.2, 0.9], [0.3, 0.3, 0.3, 0.3]])
    w = np.full(4, 0.25)
    assert weighted_percentile(values, w, 75).tolist() == [0.2, 0.3]
    assert weighted_percentile(values, w, 90).tolist() == [0.9, 0.3]
    uneven = np.array([0.7, 0.1, 0.1, 0.1])  # the first draw carries most weight
    assert weighted_percentile(values, uneven, 50).tolist() == [0.0, 0.3]

    def m(stat, **kw):
        return Measured(outcome="alliance_reached", direction="minimise", robustness={"statistic": stat, **kw})

    assert robust_value(m("mean"), values, w).tolist() == pytest.approx([0.3, 0.3])
    assert robust_value(m("satisficing", threshold=0.15), values, w).tolist() == [0.5, 0.0]
    reference = np.array([[0.1, 0.1, 0.1, 0.1], [0.0, 0.5, 0.5, 0.5]])  # best per draw: 0, .1, .1, .1
    regret = robust_value(m("regret", percentile=100), values, w, reference)
    assert regret.tolist() == pytest.approx([0.8, 0.3])


BAD = {
    "unknown outcome": ("outcome: mean_level\n", "outcome: alliance_probability\n", "not an outcome of the catalogue"),
    "empty lever range": ("range: {low: 0.0, high: 1.0}\n  - path: pressure.targets.China.level",
                          "range: {low: 1.0, high: 0.5}\n  - path: pressure.targets.China.level", "empty range"),
    "no such lever path": ("path: pressure.targets.Russia.level", "path: pressure.nowhere.level", "levers[0]"),
    "a lever outside its field's bounds": ("range: {low: 0.0, high: 1.0}\n  - path: pressure.targets.China.level",
                                          "range: {low: 0.0, high: 1.5}\n  - path: pressure.targets.China.level",
                                          "levers[0]"),
    "start without a level": ("path: pressure.targets.China.start_step", "path: pressure.targets.India.start_step",
                              "needs a lever pressure.targets.India.level"),
    "more draws than the posterior": ("draws: 6, replicates", "draws: 100000, replicates", "parameter sets"),
    "regret without references": ("reference_policies: [containment_policy, low_us_pressure]\n", "",
                                  "needs reference_policies"),
    "unknown key": ("title: tiny policy search\n", "title: tiny policy search\nlevers_extra: 1\n", "unknown key"),
    "a category as an objective": ("outcome: entente_reached\n", "outcome: blocs\n", "a category, not a number"),
    "a deep uncertainty at no field": ("worlds: {", "deep_uncertainty:\n  vary:\n    - {path: events.9.intensity, "
                                       "range: {low: 0.5, high: 1.5}}\nworlds: {", "deep_uncertainty.vary[0]"),
    "a deep uncertainty out of bounds": ("worlds: {", "deep_uncertainty:\n  vary:\n    - {path: events.1.intensity, "
                                         "range: {low: 0.5, high: 9.0}}\nworlds: {", "deep_uncertainty.vary[0]"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_validate_refuses_what_policy_search_refuses_with_the_same_line(case, tmp_path, capsys):
    from simulation.cli.app import main

    old, new, expected = BAD[case]
    text = TINY.replace(old, new, 1)
    if case == "regret without references":
        text = text.replace("robustness: {statistic: mean}", "robustness: {statistic: regret}", 1)
    assert text != TINY
    path = write(tmp_path, text)
    assert main(["validate", str(path)]) == 2
    validate_err = capsys.readouterr().err.strip()
    out = tmp_path / "out"
    assert main(["policy-search", str(path), "--out", str(out), "--quiet"]) == 2
    search_err = capsys.readouterr().err.strip()
    assert validate_err == search_err
    assert len(search_err.splitlines()) == 1 and expected in search_err and str(path) in search_err
    assert not out.exists()


def test_validate_accepts_the_shipped_study(capsys):
    from simulation.cli.app import main

    assert main(["validate", str(ROOT / "experiments" / "us_strategy.yaml")]) == 0
    assert "ok (policy-search)" in capsys.readouterr().out


def test_outputs_never_replace_what_the_tool_did_not_make(tmp_path, capsys):
    from simulation.cli.app import main

    path = write(tmp_path)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    for extra in ([], ["--overwrite"]):
        assert main(["policy-search", str(path), "--out", str(foreign), "--quiet", *extra]) == 2
        assert "not touched" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    sweep_like = tmp_path / "sweep"
    sweep_like.mkdir()
    (sweep_like / "manifest.json").write_text(json.dumps({"package": "alliance-sim", "kind": "sweep"}))
    assert main(["policy-search", str(path), "--out", str(sweep_like), "--quiet", "--overwrite"]) == 2
    assert "not an alliance-sim policy search" in capsys.readouterr().err


def test_the_schema_file_is_the_models_schema():
    from simulation.strategy import policy_search_json_schema

    shipped = json.loads((ROOT / "schemas" / "policy_search.schema.json").read_text())
    assert shipped == json.loads(json.dumps(policy_search_json_schema()))


@pytest.mark.slow
def test_a_killed_search_resumes_to_the_same_result(tiny_run, tmp_path):
    """SIGKILL in the middle of the search (no clean-up at all), then --resume: the same front."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from simulation.strategy import read_outputs

    path, _, _, outputs = tiny_run
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "simulation.cli", "policy-search", str(path), "--out", str(out), "--quiet"]
    proc = subprocess.Popen([*command, "--workers", "1"], env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and len(list((out / "parts").glob("search-g0002-*.parquet"))) < 1:
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the search ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not json.loads((out / "manifest.json").read_text())["complete"]
    done = subprocess.run([*command, "--workers", "2", "--resume"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(
        outputs["pareto"].sort_values("key").reset_index(drop=True),
        read_outputs(out)["pareto"].sort_values("key").reset_index(drop=True),
    )


REGRET = TINY.replace(
    "robustness: {statistic: mean}\n  - cost", "robustness: {statistic: regret, percentile: 90}\n  - cost", 1
).replace(
    "reference_policies:",
    "constraints:\n  - {cost: pressure_applied, direction: minimise, robustness: {statistic: mean}, at_most: 0.5}\n"
    "deep_uncertainty:\n  vary:\n    - {path: events.1.intensity, label: clash, range: {low: 0.5, high: 1.5}}\n"
    "  samples: 3\nreference_policies:",
)


def test_regret_constraints_and_deep_uncertainty_end_to_end(tmp_path):
    """Regret against the named policies in each draw, a constraint every front policy meets, and a deep
    uncertainty sampled per world: the front respects the constraint, and a named policy's regret against
    the set it belongs to is never below zero in every draw."""
    from simulation.strategy import read_outputs

    assert "regret" in REGRET and "at_most: 0.5" in REGRET and "deep_uncertainty" in REGRET
    path = write(tmp_path, REGRET)
    run(path, tmp_path / "out", workers=2)
    outputs = read_outputs(tmp_path / "out")
    pareto, refs = outputs["pareto"], outputs["reference_policies"]
    assert "entente_reached_regret_p90" in pareto.columns
    assert (pareto["pressure_applied_mean"] <= 0.5).all() and pareto["feasible"].all()
    assert (refs["entente_reached_regret_p90"] >= 0).all()  # no reference beats the best reference in its draws
    assert outputs["manifest"]["spec"]["deep_uncertainty"]["samples"] == 3


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["process", "dask"])
def test_same_front_on_worker_processes_and_dask(tiny_run, tmp_path, executor):
    from simulation.strategy import read_outputs

    if executor == "dask":
        pytest.importorskip("distributed")
    path, _, _, outputs = tiny_run
    run(path, tmp_path / executor, workers=2, executor_kind=executor)
    pd.testing.assert_frame_equal(
        outputs["pareto"].sort_values("key").reset_index(drop=True),
        read_outputs(tmp_path / executor)["pareto"].sort_values("key").reset_index(drop=True),
    )


def test_a_second_writer_on_a_search_folder_is_refused_naming_a_policy_search(tmp_path):
    # the search's folder has the sweeps' lock; the refusal names what holds it, not "sweep"
    from simulation.core.errors import InputError
    from simulation.sweeps.folder import SweepLock

    first = SweepLock(tmp_path, "policy search").acquire()
    try:
        with pytest.raises(InputError, match="another alliance-sim policy search is writing to this folder"):
            SweepLock(tmp_path, "policy search").acquire()
    finally:
        first.release()
    SweepLock(tmp_path, "policy search").acquire().release()  # free again once released
