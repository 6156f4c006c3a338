"""What the speed work may not change: a sweep chunk that computes only the outcomes it keeps gives the same
columns, value for value, as one that computes them all."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.runner import replicate_seeds, run_points
from simulation.world.resolve import resolve
from simulation.world.scenario import load_scenario


def test_a_chunk_computes_only_the_outcomes_it_keeps_with_the_same_numbers():
    from simulation.core.paths import shipped_scenario

    points = [resolve(load_scenario(shipped_scenario(name))) for name in ("baseline_2018_2021", "wedge_policy")]
    seeds = replicate_seeds(3, 400)
    index = np.repeat([0, 1], 200)
    kept = {"alliance_reached", "alliance_month", "mean_level"}
    everything, paths_all = run_points(points, index, seeds, "posterior", trajectories=True)
    only, paths_only = run_points(points, index, seeds, "posterior", trajectories=True, outcomes=kept)
    assert "blocs" in everything and "blocs" not in only and "stationary_share_year1" not in only
    for column in only.columns:
        pd.testing.assert_series_equal(only[column], everything[column])
    assert np.array_equal(paths_all, paths_only)
    # the pair levels are always there (they cost nothing)
    assert "final_russia_india" in only
