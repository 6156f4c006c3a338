"""History matching until the volume settles, the whole-pipeline SBC's pieces, and the conditional pattern measures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.calibration.history import box_volume, pool_last_box, run_waves, volume_change
from simulation.calibration.patterns import Measure
from simulation.calibration.sbc import rank_chi2, summarise

BOUNDS = {"a": (0.0, 1.0), "b": (0.0, 1.0)}


def _uniform(box: dict, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lo = np.array([v[0] for v in box.values()])
    hi = np.array([v[1] for v in box.values()])
    return lo + rng.random((n, len(box))) * (hi - lo)


def test_waves_stop_when_the_not_ruled_out_volume_settles():
    """Only a < 0.2 is plausible (b is free): the true not-ruled-out volume is 0.2 of the prior. The first wave
    estimates it from the prior box, the second from a box shrunk around it; the estimates agree within the
    rule, so the waves stop at 2 with the volume near 0.2."""

    def table(wave: int, box: dict):
        theta = _uniform(box, 4000, wave)
        return theta, pd.DataFrame({"x": theta[:, 0]})

    def impl(values: pd.DataFrame) -> np.ndarray:
        return np.where(values["x"].to_numpy() < 0.2, 0.0, 10.0)[:, None]

    tables, log, converged = run_waves(table, impl, BOUNDS, max_waves=5, converge=0.1)
    assert converged and len(log) == 2
    assert log[0].not_ruled_out_volume == pytest.approx(0.2, abs=0.02)
    assert log[1].not_ruled_out_volume == pytest.approx(0.2, abs=0.02)
    # [0, 0.2] widened by a tenth of its range above (below, the prior ends at 0): 0.22 of the prior volume
    assert log[1].box_share_of_prior_volume == pytest.approx(0.22, abs=0.01)
    theta, values, im = pool_last_box(tables, ["a", "b"])
    assert len(theta) > 4000 and np.all(theta[:, 0] <= tables[-1][3]["a"][1])


def test_waves_that_do_not_settle_say_so():
    """A volume that keeps halving never settles within the waves allowed."""

    def table(wave: int, box: dict):
        theta = _uniform(box, 2000, wave)
        return theta, pd.DataFrame({"x": theta[:, 0], "w": np.full(len(theta), wave)})

    def impl(values: pd.DataFrame) -> np.ndarray:
        cut = 0.5 ** values["w"].to_numpy()
        return np.where(values["x"].to_numpy() < cut, 0.0, 10.0)[:, None]

    _, log, converged = run_waves(table, impl, BOUNDS, max_waves=3, converge=0.1)
    assert not converged and len(log) == 3
    assert all(w.volume_change > 0.3 for w in log[1:])


def test_volume_helpers():
    assert box_volume({"a": (0.0, 0.5), "b": (0.25, 0.75)}, BOUNDS) == pytest.approx(0.25)
    assert volume_change(0.0, 0.0) == 0.0
    assert volume_change(0.1, 0.0) == float("inf")
    assert volume_change(0.09, 0.1) == pytest.approx(0.1)


def test_rank_histogram_test_tells_uniform_from_biased_ranks():
    rng = np.random.default_rng(0)
    uniform = rng.integers(0, 101, size=(200, 1))
    biased = np.concatenate([uniform[:100], np.zeros((100, 1), dtype=int)])  # half the truths below every draw
    assert rank_chi2(uniform, accept=100, bins=5)[0] > 0.01
    assert rank_chi2(biased, accept=100, bins=5)[0] < 1e-6


def test_the_null_covers_but_does_not_contract():
    """A 'posterior' of prior draws ignoring the data covers nominally and learns nothing; a posterior centred
    on the truth contracts."""
    rng = np.random.default_rng(1)
    prior_var = np.array([1 / 12])
    cover, contraction = [], []
    for _ in range(400):
        truth = rng.random(1)
        s = summarise(rng.random((100, 1)), truth, prior_var)
        cover.append(s["cover90"][0])
        contraction.append(s["contraction"][0])
    assert np.mean(cover) == pytest.approx(0.9, abs=0.05)
    assert abs(np.mean(contraction)) < 0.05
    s = summarise(0.5 + 0.01 * rng.standard_normal((100, 1)), np.array([0.5]), prior_var)
    assert s["contraction"][0] > 0.99


def test_held_and_conditional_shares():
    """share_held_when_reached: among runs that reached entente (max_level >= 4), the share still there at the
    end; share_when_reached: a yes/no outcome's share among them; undefined when no run reached it."""
    df = pd.DataFrame(
        {"final_level": [4, 3, 5, 2, 3], "max_level": [4, 4, 5, 3, 3], "alliance_reached": [0, 0, 1, 0, 0]}
    )
    held = Measure(outcome="final_level", statistic="share_held_when_reached", threshold=4)
    treaty = Measure(outcome="alliance_reached", statistic="share_when_reached", threshold=4)
    assert held.of(df) == pytest.approx(2 / 3)
    assert treaty.of(df) == pytest.approx(1 / 3)
    assert held.columns() == {"final_level", "max_level"}
    assert np.isnan(held.of(df.assign(max_level=[3, 3, 3, 2, 3])))
    with pytest.raises(ValueError, match="final level"):
        Measure(outcome="mean_level", statistic="share_held_when_reached", threshold=4)


def test_a_convergence_share_outside_0_1_is_refused_in_one_line(tmp_path, capsys):
    from simulation.cli import main

    assert main(["calibrate", "--converge", "1.5", "--out", str(tmp_path / "cal")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--converge" in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "cal" / "reference_table").exists()


@pytest.mark.slow
def test_the_whole_pipeline_sbc_and_its_null_land_in_the_manifest(tmp_path):
    """A tiny calibration with the SBC on: the manifest records the waves (volume, change), whether they
    settled, and the SBC's per-parameter table with the null beside it; a resumed run reuses every truth."""
    from simulation.calibration.abc import calibrate_rejection

    kwargs = {"draws": 32, "accept": 8, "replicates": 2, "seed": 3, "workers": 1, "waves": 2, "sbc_truths": 3,
              "sbc_draws": 16, "sbc_accept": 8}  # fmt: skip
    m = calibrate_rejection(out_dir=tmp_path / "cal", **kwargs)
    assert [w["wave"] for w in m["waves"]] == [1, 2] and m["waves"][1]["volume_change"] is not None
    sbc = m["sbc"]
    assert sbc["truths"] == 3 and len(sbc["per_parameter"]) == len(m["parameters"])
    assert {"cover90", "contraction", "chi2_p_min", "null"} <= set(sbc)
    assert np.array(sbc["ranks"]).shape == (3, len(m["parameters"]))
    truths = sorted((tmp_path / "cal" / "sbc").glob("truth-*.json"))
    assert len(truths) == 3
    again = calibrate_rejection(out_dir=tmp_path / "cal", resume=True, **kwargs)
    assert again["sbc"]["ranks"] == sbc["ranks"]
