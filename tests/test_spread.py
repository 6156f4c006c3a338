"""Every probability with its spread across posterior draws; every outcome says reached or held at the end."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.behaviour import Posterior, shipped_posterior
from simulation.cli import main
from simulation.core.spread import follows, spread_of, variance_split
from simulation.runner import run_batch
from tests.conftest import scenario


def _runs(p_per_draw: list[float], runs_per_draw: int, rng: np.random.Generator | None = None):
    """0/1 values and draw ids: exactly round(p * R) successes per draw (rng None), or Bernoulli(p)."""
    values, draws = [], []
    for d, p in enumerate(p_per_draw):
        if rng is None:
            k = round(p * runs_per_draw)
            y = np.r_[np.ones(k), np.zeros(runs_per_draw - k)]
        else:
            y = (rng.random(runs_per_draw) < p).astype(float)
        values.append(y)
        draws.append(np.full(runs_per_draw, d))
    return np.concatenate(values), np.concatenate(draws)


# --------------------------------------------------------------------------- the statistics, known answers


def test_a_mixture_of_never_and_always_is_not_one_middling_number():
    """60 draws where it never happens, 40 where it always does: pooled 0.4, but the median draw says 0,
    60% of draws are below 0.05, 40% above 0.5, and all of the variance lies between draws."""
    y, d = _runs([0.0] * 60 + [1.0] * 40, 20)
    s = spread_of(y, d)
    assert s.pooled == pytest.approx(0.4)
    assert (s.median, s.q05, s.q95) == (0.0, 0.0, 1.0)
    assert s.share_below == pytest.approx(0.6) and s.share_above == pytest.approx(0.4)
    assert s.within == 0.0 and s.share_between == pytest.approx(1.0)
    assert s.total == pytest.approx(0.24 * 2000 / 1999)
    assert s.draws == 100 and s.runs_per_draw == 20


def test_one_probability_in_every_draw_is_all_run_to_run_chance():
    """Every draw gives exactly 6 of 20: no variance between draws; the within-draw variance is all."""
    y, d = _runs([0.3] * 50, 20)
    s = spread_of(y, d)
    assert s.between == 0.0 and s.within == pytest.approx(s.total)
    assert s.median == pytest.approx(0.3) and s.q05 == s.q95 == pytest.approx(0.3)
    assert s.share_below == 0.0 and s.share_above == 0.0


def test_the_variance_split_recovers_a_known_mixture_of_bernoullis():
    """Draws with p 0.1 or 0.9 (half each), 50 Bernoulli runs each: Var(p) = 0.16 between draws,
    E[p(1 - p)] = 0.09 within, to within 0.02 with 400 draws (the naive between-draw variance of the
    per-draw shares would be biased up by 0.09 / 50)."""
    rng = np.random.default_rng(7)
    y, d = _runs([0.1, 0.9] * 200, 50, rng)
    s = spread_of(y, d)
    assert s.between == pytest.approx(0.16, abs=0.02)
    assert s.within == pytest.approx(0.09, abs=0.01)
    assert s.share_between == pytest.approx(0.64, abs=0.05)


@pytest.mark.parametrize("seed", range(5))
def test_between_plus_within_is_the_total_variance(seed):
    """The law of total variance holds exactly for the estimates, with unequal runs per draw."""
    rng = np.random.default_rng(seed)
    p = rng.beta(0.5, 0.8, 60)
    n = rng.integers(2, 40, 60)
    y = np.concatenate([(rng.random(k) < q).astype(float) for q, k in zip(p, n, strict=True)])
    d = np.repeat(np.arange(60), n)
    s = spread_of(y, d)
    assert s.between + s.within == pytest.approx(s.total, abs=1e-12)
    assert s.between >= 0 and s.within >= 0
    assert s.total == pytest.approx(np.var(y, ddof=1))
    total, between, within = variance_split(s.per_draw.to_numpy(), np.bincount(d))
    assert (total, between, within) == pytest.approx((s.total, s.between, s.within))


def test_the_spread_follows_the_parameter_that_drives_it():
    rng = np.random.default_rng(3)
    samples = rng.random((200, 4))
    p = pd.Series(1 / (1 + np.exp(-12 * (samples[:, 2] - 0.5))), index=np.arange(200))
    top = follows(p, samples, ["a", "b", "c", "d"], top=2)
    assert top[0][0] == "c" and top[0][1] == pytest.approx(1.0)
    assert abs(top[1][1]) < 0.3
    assert follows(pd.Series(0.0, index=np.arange(200)), samples, ["a", "b", "c", "d"]) == []


# --------------------------------------------------------------------------- the design: draws x replicates


def test_a_design_gives_every_draw_the_same_runs_and_respects_the_weights():
    post = shipped_posterior()
    rows = post.design_draws(1000, master_seed=5)
    counts = np.bincount(rows, minlength=len(post.weights))
    assert counts.min() == counts.max() == 1000 // len(post.weights)
    assert np.array_equal(rows, post.design_draws(1000, master_seed=5))  # seeded
    assert not np.array_equal(rows, post.design_draws(1000, master_seed=6))
    assert np.array_equal(post.design_draws(1000, 5, draws=20)[:20], post.design_draws(40, 5, draws=20)[:20])
    weighted = Posterior(("x",), np.arange(4.0)[:, None], np.array([0.7, 0.1, 0.1, 0.1]), {})
    counts = np.bincount(weighted.design_draws(1000, 1, draws=100), minlength=4)
    assert counts[0] == 700 and counts[1:].sum() == 300


def test_run_batch_records_the_draw_and_carries_every_probabilitys_spread():
    df = run_batch(scenario("baseline_2018_2021"), runs=600, master_seed=41)
    post = shipped_posterior()
    assert np.array_equal(df["draw"].to_numpy(), post.design_draws(600, 41))
    spread = df.attrs["spread"]
    assert {"alliance_reached", "alliance_at_end", "entente_reached", "entente_at_end"} <= set(spread)
    s = spread["entente_at_end"]
    assert s["pooled"] == pytest.approx(df["entente_at_end"].mean())
    assert s["draws"] == 200 and s["runs_per_draw"] == 3
    assert s["variance_between_draws"] + s["variance_within_draws"] == pytest.approx(s["variance"])
    for key in ("median", "q05", "q95", "share_below_0_05", "share_above_0_5", "share_between"):
        assert key in s
    # explicit seeds keep the draw their seed hashes to (a run reproducible from its seed alone)
    seeds = df["seed"].to_numpy()[:5]
    again = run_batch(scenario("baseline_2018_2021"), seeds)
    assert np.array_equal(again["draw"].to_numpy(), post.indices(seeds))
    same = run_batch(scenario("baseline_2018_2021"), seeds, draw_rows=df["draw"].to_numpy()[:5])
    assert np.array_equal(same["final_level"].to_numpy(), df["final_level"].to_numpy()[:5])
    assert "draw" not in run_batch(scenario("baseline_2018_2021"), runs=5, parameters="point").columns


@pytest.mark.parametrize("replicates", [200, 30])
def test_a_sweep_runs_the_same_draws_at_every_point_when_each_point_can_hold_them(tmp_path, replicates):
    """200 replicates (every posterior draw once per point): replicate r uses the same draw everywhere.
    30 (fewer than the draws): the runs cycle through every draw, so the sweep averages over all of them."""
    from simulation.sweeps.execute import read_results, run_sweep
    from simulation.sweeps.spec import sweep_from_dict

    spec = {"title": "t", "base_scenario": "baseline_2018_2021", "master_seed": 3, "replicates": replicates,
            "chunk_size": 70, "vary": [{"path": "pressure.targets.China", "label": "china", "values": [0.0, 1.0]}],
            "outcomes": ["alliance_reached", "entente_at_end"]}  # fmt: skip
    sw = sweep_from_dict(spec, scenario("baseline_2018_2021"))
    df, manifest = read_results(run_sweep(sw, tmp_path / "out", workers=1, progress=False).results)
    post = shipped_posterior()
    if replicates >= len(post.weights):
        expected = post.design_draws(replicates, 3)[df["replicate"].to_numpy()]
        assert df.groupby("point")["draw"].nunique().eq(len(post.weights)).all()
    else:
        expected = post.design_draws(2 * replicates, 3)[df["run"].to_numpy()]
        assert df.groupby("point")["draw"].nunique().eq(replicates).all() and df["draw"].nunique() == 2 * replicates
    assert np.array_equal(df["draw"].to_numpy(), expected)
    assert "draw_rule" in manifest


# --------------------------------------------------------------------------- one word, one meaning


def _sweep_file(tmp_path, outcomes):
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump({
        "title": "old names", "base_scenario": "baseline_2018_2021", "master_seed": 1, "replicates": 2,
        "vary": [{"path": "pressure.targets.China", "values": [0.0, 1.0]}], "outcomes": outcomes,
    }))  # fmt: skip
    return path


@pytest.mark.parametrize(("old", "reached", "at_end"), [("alliance", "alliance_reached", "alliance_at_end"),
                                                        ("entente", "entente_reached", "entente_at_end")])  # fmt: skip
def test_an_old_ambiguous_name_is_refused_naming_the_two_new_ones(tmp_path, capsys, old, reached, at_end):
    path = _sweep_file(tmp_path, [old, "final_level"])
    out = tmp_path / "res"
    for args in (["validate", str(path)], ["sweep", str(path), "--out", str(out), "--quiet"]):
        assert main(args) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and str(path) in err and reached in err and at_end in err
    assert not out.exists()
    patterns = tmp_path / "patterns.yaml"
    shipped = Path(str(resources.files("simulation").joinpath("data", "patterns.yaml"))).read_text("utf-8")
    assert "measure: {outcome: final_level" in shipped
    patterns.write_text(shipped.replace("measure: {outcome: final_level", f"measure: {{outcome: {old}", 1), "utf-8")
    assert main(["validate", str(patterns)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and reached in err and at_end in err
    assert main(["compare", "baseline_2018_2021", "low_us_pressure", "--outcome", old]) == 2
    assert reached in capsys.readouterr().err


def test_every_rung_above_the_lowest_has_reached_and_at_end():
    from simulation.core.ladder import AlignmentLevel
    from simulation.outcomes import OUTCOME_NAMES, rung_name

    for level in AlignmentLevel:
        if level == 0:
            continue
        assert f"{rung_name(level)}_reached" in OUTCOME_NAMES and f"{rung_name(level)}_at_end" in OUTCOME_NAMES
    assert "alliance" not in OUTCOME_NAMES and "entente" not in OUTCOME_NAMES
