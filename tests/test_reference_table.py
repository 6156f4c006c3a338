"""The reference table at the engine's speed: draws evaluated in blocks with the numbers of one draw at a time,
the per-draw statistics function, and parts verified on ``calibrate --resume`` (through the CLI)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulation.calibration.abc import PatternSimulator, prior_design, priors, reference_table
from simulation.calibration.patterns import Measure, load_patterns
from simulation.cli import main
from simulation.drivers.evaluate import DrawCase, draw_outcomes, evaluate, per_draw
from simulation.drivers.inputs import prepare_inputs
from simulation.runner import replicate_seeds


@pytest.fixture(scope="module")
def simulator():
    return PatternSimulator(load_patterns(), replicates=12, seed=5)


def test_a_block_of_draws_scores_as_each_draw_alone(simulator):
    """``values_many`` (one batch per case for every draw of a block) gives, bit for bit, what ``values``
    (the patterns' own scoring, one draw at a time) gives, on 12 prior draws of every pattern."""
    bounds = priors()
    keys = list(bounds)
    theta = prior_design(bounds, 16, 3)[:12]
    many = simulator.values_many(keys, theta)
    ids = [p.id for p in simulator.patterns.patterns]
    one = np.array([[simulator.values(dict(zip(keys, t, strict=True)))[i] for i in ids] for t in theta])
    assert many.shape == (12, len(ids))
    assert np.array_equal(many, one, equal_nan=True)
    # and the draws differ: the block is not one draw repeated
    assert np.unique(many, axis=0).shape[0] > 6


@pytest.mark.parametrize(
    "statistic,threshold",
    [("mean", None), ("share_at_least", 4.0), ("share_at_most", 2.0), ("mean_when_reached", None),
     ("median_when_reached", None)],
)  # fmt: skip
def test_per_draw_statistics_equal_the_patterns_statistic_on_each_draw(statistic, threshold):
    """``per_draw`` on D x R runs equals ``Measure.of`` on each draw's R runs (nulls included: draws where the
    event never happens give NaN for the *_when_reached statistics, as Measure.of does)."""
    rng = np.random.default_rng(1)
    D, R = 40, 7
    months = pd.array(np.where(rng.random(D * R) < 0.6, rng.integers(0, 48, D * R), -1), dtype="Int16")
    months[months == -1] = pd.NA
    months[: 2 * R] = pd.NA  # two draws where it never happens
    levels = pd.Series(rng.integers(0, 6, D * R).astype(np.int8))
    for column, outcome in ((pd.Series(months), "alliance_month"), (levels, "max_level")):
        if statistic.endswith("when_reached") and outcome == "max_level":
            continue
        measure = Measure(outcome=outcome, statistic=statistic, threshold=threshold)
        frame = pd.DataFrame({outcome: column})
        expected = np.array([measure.of(frame.iloc[d * R : (d + 1) * R]) for d in range(D)])
        got = per_draw(column, R, statistic, threshold)
        assert np.array_equal(got, expected, equal_nan=True)


def test_evaluate_gives_per_draw_shares_and_means_of_a_case():
    """The public function: D behaviour rows x R seeds, one batch; each outcome's per-draw value is the
    catalogue's aggregation over that draw's runs, equal to a batch of that draw alone. A draw with a far
    larger weight on the shared threat ends closer (mean level higher by more than half a rung): rows matter."""
    seeds = replicate_seeds(2, 30)
    case = DrawCase.from_inputs(prepare_inputs("baseline_2018_2021", seeds, "registry"))
    rows = case.rows({"weight.shared_threat": [0.0, 6.0, 0.0]})
    stats = evaluate({"base": case}, rows, seeds, ["alliance_reached", "mean_level", "alliance_month"])["base"]
    assert set(stats) == {"alliance_reached", "mean_level", "alliance_month"} and stats["mean_level"].shape == (3,)
    assert stats["mean_level"][0] == stats["mean_level"][2]  # same row, same seeds: common random numbers
    assert stats["mean_level"][1] > stats["mean_level"][0] + 0.5
    alone = draw_outcomes(case, rows[1:2], seeds, ["alliance_reached", "mean_level"])
    assert stats["alliance_reached"][1] == alone["alliance_reached"].astype(float).mean()
    assert stats["mean_level"][1] == alone["mean_level"].astype(float).sum() / len(seeds)
    # a mean month with "never" counted as the horizon: defined for every draw, within [0, horizon]
    assert np.all((stats["alliance_month"] >= 0) & (stats["alliance_month"] <= case.steps))


def test_the_table_is_the_same_on_one_thread_and_on_two(tmp_path):
    """Chunk threads change nothing: a table of 200 draws on 1 worker equals the one on 2, value for value."""
    one = reference_table(None, tmp_path / "one", 200, 2, 4, workers=1)[2]
    two = reference_table(None, tmp_path / "two", 200, 2, 4, workers=2)[2]
    assert one.equals(two) and len(one) == 200


# --------------------------------------------------------------------------- parts verified on --resume

ARGS = ["calibrate", "--draws", "256", "--waves", "1", "--replicates", "2", "--accept", "8", "--seed", "3"]


@pytest.fixture(scope="module")
def untouched(tmp_path_factory):
    out = tmp_path_factory.mktemp("cal") / "whole"
    assert main([*ARGS, "--out", str(out)]) == 0
    return out


def _edit(part):
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part.write_bytes(bytes(data))


def _truncate(part):
    part.write_bytes(part.read_bytes()[:300])


def _drop_rows(part):
    table = pq.read_table(part)
    pq.write_table(table.slice(0, 60), part)


def _rename(part):
    other = part.with_name("part-00002.parquet")
    other.unlink()
    part.rename(other)


def _garbage(part):
    part.write_bytes(b"PAR1 not a table")


def _no_index(part):
    (part.parent.parent / "parts.json").unlink()


def _bad_index(part):
    (part.parent.parent / "parts.json").write_text("{not json", "utf-8")


@pytest.mark.parametrize("tamper", [_edit, _truncate, _drop_rows, _rename, _garbage, _no_index, _bad_index])
def test_a_changed_part_is_computed_again_on_resume(untouched, tmp_path, capsys, caplog, tamper):
    """An edited, truncated, renamed part, one with rows dropped, or a lost or broken parts.json: ``--resume``
    computes what it cannot trust again (a warning naming the part), never uses it and never fails with a
    traceback; the posterior is then the same, byte for byte, as the untouched calibration's."""
    out = tmp_path / "cal"
    shutil.copytree(untouched, out)
    part = out / "reference_table" / "parts" / "part-00001.parquet"
    tamper(part)
    with caplog.at_level("WARNING"):
        code = main([*ARGS, "--out", str(out), "--resume"])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    assert "computed again" in caplog.text
    assert pq.read_table(out / "posterior.parquet").equals(pq.read_table(untouched / "posterior.parquet"))
    index = json.loads((out / "reference_table" / "parts.json").read_text("utf-8"))
    assert sorted(index) == [f"part-{k:05d}.parquet" for k in range(3)]


def test_a_part_not_from_this_table_is_never_used(untouched, tmp_path, caplog):
    """A part swapped in from a table with other seeds (valid Parquet, same columns, the right draws, another
    table's numbers) is recognised by its hash and computed again."""
    out = tmp_path / "cal"
    shutil.copytree(untouched, out)
    part = out / "reference_table" / "parts" / "part-00000.parquet"
    table = pq.read_table(part)
    column = table.column(1).to_numpy() + 0.5
    pq.write_table(table.set_column(1, table.column_names[1], pa.array(column)), part)
    with caplog.at_level("WARNING"):
        assert main([*ARGS, "--out", str(out), "--resume"]) == 0
    assert "part-00000.parquet is computed again" in caplog.text
    assert part.read_bytes() == (untouched / "reference_table" / "parts" / "part-00000.parquet").read_bytes()
