"""The worlds every policy meets: posterior draws x replicates (common random numbers), deep uncertainties.

Run ``j`` of a policy (``j = k * replicates + r``) uses posterior parameter set ``draw_index[k]`` and seed
``seeds[j]``, whatever the policy, the task or the worker: every policy is compared on the same draws,
the same decision noise and the same deep-uncertainty sample (``k mod samples``). The search's draws and
the held-out draws are disjoint slices of one seeded permutation of the posterior's parameter sets; the
held-out runs use seeds from another stream (fresh seeds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation.core.errors import InputError
from simulation.strategy.spec import PolicySearch

#: Streams of the master seed (``SeedSequence(master_seed, spawn_key=(stream,))``).
DRAW_STREAM, SEARCH_SEED_STREAM, HOLDOUT_SEED_STREAM, UNCERTAINTY_STREAM, ALGORITHM_STREAM = 1, 2, 3, 4, 5


def stream_seed(master_seed: int, stream: int) -> int:
    """A 63-bit seed for one use of the master seed."""
    word = np.random.SeedSequence(int(master_seed), spawn_key=(stream,)).generate_state(1, np.uint64)[0]
    return int(word >> np.uint64(1))


@dataclass(frozen=True)
class WorldSet:
    """Draws x replicates: the posterior rows, their weights (sum 1), the seeds and deep-uncertainty rows."""

    name: str  # "search" or "holdout"
    draw_index: np.ndarray  # [D] rows of the posterior
    weights: np.ndarray  # [D] posterior weights of those rows, normalised
    replicates: int
    seeds: np.ndarray  # [D * replicates] int64
    uncertainty_row: np.ndarray  # [D] row of the deep-uncertainty sample (0 when there is none)

    @property
    def draws(self) -> int:
        return int(self.draw_index.size)

    @property
    def runs(self) -> int:
        return int(self.seeds.size)


def posterior():
    from simulation.behaviour import shipped_posterior

    return shipped_posterior()


def world_sets(search: PolicySearch) -> tuple[WorldSet, WorldSet | None]:
    """The search's worlds and the held-out ones (None when the file asks for none)."""
    from simulation.runner import replicate_seeds

    w, seed = search.spec.worlds, search.spec.search.master_seed
    post = posterior()
    order = np.random.default_rng(stream_seed(seed, DRAW_STREAM)).permutation(post.samples.shape[0])
    k = uncertainty_samples(search)

    def make(name: str, rows: np.ndarray, reps: int, stream: int) -> WorldSet:
        weights = post.weights[rows] / post.weights[rows].sum()
        seeds = replicate_seeds(stream_seed(seed, stream), rows.size * reps)
        return WorldSet(name, rows, weights, reps, seeds, np.arange(rows.size) % max(k, 1))

    found = make("search", order[: w.draws], w.replicates, SEARCH_SEED_STREAM)
    held = None
    if w.holdout_draws:
        rows = order[w.draws : w.draws + w.holdout_draws]
        held = make("holdout", rows, w.holdout_replicates, HOLDOUT_SEED_STREAM)
    return found, held


def uncertainty_samples(search: PolicySearch) -> int:
    du = search.spec.deep_uncertainty
    return 0 if du is None else du.samples


def uncertainty_table(search: PolicySearch) -> list[dict[str, Any]]:
    """The deep-uncertainty samples: one mapping of scenario path -> value per sample (Latin hypercube via
    SALib, seeded from the master seed); ``[{}]`` when there is none."""
    du = search.spec.deep_uncertainty
    if du is None:
        return [{}]
    from SALib.sample import latin

    bounds, dists = [], []
    for v in du.vary:
        if v.range is not None:
            bounds.append([v.range.low, v.range.high])
            dists.append("unif")
        else:
            dist, b = v.distribution.salib()  # type: ignore[union-attr]
            bounds.append(b)
            dists.append(dist)
    problem = {"num_vars": len(du.vary), "names": [f"x{i}" for i in range(len(du.vary))], "bounds": bounds}
    if any(d != "unif" for d in dists):
        problem["dists"] = dists
    seed = stream_seed(search.spec.search.master_seed, UNCERTAINTY_STREAM) % (2**32)
    matrix = latin.sample(problem, du.samples, seed=seed)
    rows = []
    for row in matrix:
        values: dict[str, Any] = {}
        for v, x in zip(du.vary, row, strict=True):
            last = v.path.rsplit(".", 1)[-1]
            values[v.path] = float(round(x)) if last in ("from_step", "at_step", "duration_steps") else float(x)
        rows.append(values)
    return rows


def uncertainty_names(search: PolicySearch) -> dict[str, str]:
    du = search.spec.deep_uncertainty
    return {} if du is None else {v.path: v.name for v in du.vary}


def check_worlds(search: PolicySearch) -> None:
    """The worlds fit the posterior; deep uncertainties give valid scenarios at their extremes."""
    from simulation.strategy.levers import build_scenario, decode_one

    spec, source = search.spec, search.source
    post = posterior()
    available = post.samples.shape[0]
    wanted = spec.worlds.draws + spec.worlds.holdout_draws
    if wanted > available:
        raise InputError(
            source,
            "worlds",
            f"draws + holdout_draws = {wanted} is more than the posterior's {available} parameter sets "
            "(the held-out draws must be ones the search did not use)",
        )
    du = spec.deep_uncertainty
    if du is None:
        return
    first = {lv.name: decode_one(lv, 0.0) for lv in spec.levers}
    for k, v in enumerate(du.vary):
        if v.range is not None:
            ends = (v.range.low, v.range.high)
        else:
            d = v.distribution
            assert d is not None
            ends = tuple(x for x in (d.low, d.high) if x is not None) or (d.mean,)
        for value in ends:
            try:
                build_scenario(search, first, {v.path: value})
            except KeyError:
                raise InputError(
                    source, f"deep_uncertainty.vary[{k}]", f"no such field in the scenario ({v.path})"
                ) from None
            except InputError as err:
                where = f"{err.field}: " if err.field else ""
                raise InputError(source, f"deep_uncertainty.vary[{k}]", f"at {value:g}: {where}{err.message}") from None
