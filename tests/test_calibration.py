"""Calibration: patterns as data, ABC-SMC recovering a known posterior, resume, the shipped posterior."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulation.behaviour import Posterior, posterior_files, seed_uniforms
from simulation.calibration.abc import calibrate_rejection, calibrated_keys, priors, rejection_abc, run_abc
from simulation.calibration.patterns import load_patterns, patterns_hash
from simulation.cli import main
from simulation.core.errors import InputError
from simulation.world.registry import normalise_text


def test_shipped_patterns_validate_and_cover_the_required_claims():
    pats = load_patterns()
    ids = {p.id for p in pats.patterns}
    assert len(pats.patterns) >= 18
    assert {
        "baseline_no_alliance",
        "held_inputs_stationary",
        "gradual_upgrade_2019",
        "trade_grows_2018",
        "russia_neutral_2020",
        "india_ties_hold",
        "west_holds",
    } <= ids
    assert {p.group for p in pats.patterns} == {"documents", "model-v2", "quantitative", "hindcast"}


def test_pattern_quotes_are_verbatim(seeds):
    for p in load_patterns().patterns:
        for source in p.sources():
            if source.document is None:
                continue
            raw = (seeds / source.document).read_text("utf-8")
            texts = (normalise_text(raw), normalise_text(raw.replace("-\n", "")))
            assert any(normalise_text(source.quote) in t for t in texts), (p.id, source.quote)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("patterns: []\n", "patterns"),
        (
            "patterns:\n  - id: x1\n    claim: c\n    source: {public: somewhere}\n    case: {scenario: baseline_2018_2021}\n"
            "    measure: {outcome: nonsense}\n    target: {high: 0.1, tolerance: 0.05}\n",
            "unknown outcome",
        ),
        (
            "patterns:\n  - id: x1\n    claim: c\n    source: {public: somewhere}\n    case: {scenario: no_such}\n"
            "    measure: {outcome: alliance_reached}\n    target: {high: 0.1, tolerance: 0.05}\n",
            "no shipped scenario",
        ),
        (
            "patterns:\n  - id: x1\n    claim: c\n    source: {public: somewhere}\n    case: {scenario: baseline_2018_2021}\n"
            "    measure: {outcome: alliance_reached}\n    target: {tolerance: 0.05}\n",
            "low, high",
        ),
        (
            "patterns:\n  - id: x1\n    claim: c\n    source: {public: somewhere}\n    case: {scenario: baseline_2018_2021}\n"
            "    measure: {outcome: alliance_reached}\n    target: {high: 0.1, tolerance: 0.05}\n    bogus: 1\n",
            "bogus",
        ),
    ],
)
def test_bad_patterns_files_give_one_line(tmp_path, capsys, text, fragment):
    path = tmp_path / "patterns.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(InputError) as err:
        load_patterns(path)
    assert fragment in str(err.value) and "\n" not in str(err.value) and str(path) in str(err.value)
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and len(captured.err.strip().splitlines()) == 1


def test_priors_are_the_registry_ranges_of_every_behavioural_assumption(registry):
    bounds = priors(registry)
    assert set(bounds) == set(calibrated_keys(registry))
    assert {"decision_noise_sd", "weight.shared_threat", "threshold.formal_alliance", "anchor_position"} <= set(bounds)
    for key, (lo, hi) in bounds.items():
        assert (lo, hi) == (registry[key].low, registry[key].high) and lo < hi


def _toy(observed_mean: float, n: int = 20):
    """x_1..x_n ~ N(mu, 1); the summary is the sample mean. Posterior under a flat prior: N(xbar, 1/n)."""

    def model(p):
        return {"mean": float(np.random.normal(p["mu"], 1.0, size=n).mean())}

    def distance(x, x0):
        return abs(x["mean"] - observed_mean)

    return model, distance


def _weighted_mean_sd(result):
    w = result.weights / result.weights.sum()
    x = result.samples[:, 0]
    m = float(np.sum(w * x))
    return m, float(np.sqrt(np.sum(w * (x - m) ** 2)))


def test_rejection_abc_recovers_a_known_posterior():
    """The default method. A normal mean with n = 20 and xbar = 1.3: the posterior is N(1.3, 0.224^2).
    Tolerance: mean within 0.08, sd within [0.17, 0.30] (a finite ABC tolerance widens it a little)."""
    np.random.seed(4)
    model, distance = _toy(1.3)
    result = rejection_abc(model, {"mu": (-5.0, 5.0)}, distance, 8192, 200, seed=1)
    mean, sd = _weighted_mean_sd(result)
    assert abs(mean - 1.3) < 0.08
    assert 0.17 < sd < 0.30


def test_abc_smc_recovers_a_known_posterior(tmp_path):
    """The pyabc ABC-SMC path (``--method smc``) on the same toy. Tolerance: mean within 0.1, sd in [0.15, 0.33]."""
    model, distance = _toy(1.3)
    result = run_abc(model, {"mu": (-5.0, 5.0)}, distance, 200, 6, tmp_path / "toy.db", seed=1)
    mean, sd = _weighted_mean_sd(result)
    assert abs(mean - 1.3) < 0.1
    assert 0.15 < sd < 0.33


@pytest.mark.slow
def test_a_resumed_calibration_equals_an_uninterrupted_one(tmp_path):
    """The reference table is written in chunks that are pure functions of their rows: deleting chunks (as an
    interruption leaves them missing) and resuming gives the same posterior, bit for bit, as one run."""
    import pyarrow.parquet as pq

    kwargs = {"draws": 256, "accept": 16, "replicates": 4, "seed": 9, "workers": 1}
    whole = tmp_path / "whole"
    calibrate_rejection(out_dir=whole, **kwargs)
    part = tmp_path / "part"
    calibrate_rejection(out_dir=part, **kwargs)
    parts = sorted((part / "reference_table" / "parts").glob("part-*.parquet"))
    for f in parts[1::2]:
        f.unlink()
    calibrate_rejection(out_dir=part, resume=True, **kwargs)
    assert pq.read_table(whole / "posterior.parquet").equals(pq.read_table(part / "posterior.parquet"))
    with pytest.raises(InputError, match="other settings"):
        calibrate_rejection(out_dir=part, resume=True, **{**kwargs, "replicates": 5})


def test_posterior_draws_come_from_the_run_seed_only():
    seeds = np.array([5, 17, 2**62 + 1, 5], dtype=np.int64)
    u = seed_uniforms(seeds)
    assert u[0] == u[3] and np.all((u >= 0) & (u < 1))
    assert np.array_equal(seed_uniforms(seeds[1:3]), u[1:3])
    many = seed_uniforms(np.arange(100_000))
    assert abs(many.mean() - 0.5) < 0.005 and abs(many.std() - np.sqrt(1 / 12)) < 0.005


def test_the_shipped_posterior_matches_the_shipped_patterns():
    """A pattern changed without recalibrating fails here."""
    table, manifest = posterior_files()
    assert table.is_file(), "no calibrated posterior ships (run `alliance-sim calibrate --ship`)"
    meta = json.loads(manifest.read_text("utf-8"))
    assert meta["patterns_sha256"] == patterns_hash()
    post = Posterior.from_files(table, manifest)
    assert set(post.keys) == set(calibrated_keys())
    assert post.samples.shape[0] >= 200 and post.effective_sample_size > 50
    assert np.isclose(post.weights.sum(), 1.0)


@pytest.mark.parametrize("content", [None, b"not parquet at all"])
def test_a_missing_or_broken_posterior_is_one_line(tmp_path, capsys, content):
    folder = tmp_path / "post"
    folder.mkdir()
    if content is not None:
        (folder / "posterior.parquet").write_bytes(content)
    code = main(["calibration-report", "--posterior", str(folder), "--out", str(tmp_path / "r.md")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1 and "posterior.parquet" in err


def test_the_report_never_presents_a_resumed_calibrations_last_part_as_its_whole_time():
    # the shipped posterior was finished by a process that reused tables on disk: 7.7 million runs did not take
    # 0.08 minutes, and the report must not say they did
    from simulation.calibration.report import _minutes_words

    words = _minutes_words({"minutes": 0.08, "minutes_with_checks": 8.0})
    assert "0.08 minutes" in words and "8.0 with the checks" in words and "resumed" in words
    assert "on 2 cores" not in words
