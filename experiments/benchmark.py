"""Benchmark: idiomatic Mesa batch_run of the project's model vs the sweep engine, in one run.

    python experiments/benchmark.py                  # default sizes (about a minute on 2 cores)
    python experiments/benchmark.py --million        # also a 1,000,000-run sweep with peak memory

(a) ``mesa.batch_run`` of ``AllianceModel`` (agents stepping in Python, DataCollector on,
    every step collected) on the baseline scenario;
(b) the sweep engine (``alliance-sim sweep``'s code path, results written to Parquet) on the
    same scenario. Both use all workers given. The outcome distributions must agree: the
    Russia-China alliance fractions differ by less than 3 standard errors.
Prints runs/s of each and their ratio. Figures depend on the machine: compare ratios.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def mesa_batch(scenario, seeds: list[int], workers: int) -> tuple[float, np.ndarray]:
    import mesa

    from simulation.model import AllianceModel

    t0 = time.perf_counter()
    rows = mesa.batch_run(
        AllianceModel, parameters={"scenario": [scenario]}, rng=seeds, number_processes=workers,
        data_collection_period=1, max_steps=scenario.steps, display_progress=False,
    )
    seconds = time.perf_counter() - t0
    by_run: dict[int, int] = {}
    for row in rows:
        by_run[row["RunId"]] = max(by_run.get(row["RunId"], 0), int(row["Russia-China"]))
    alliance = np.array([by_run[k] >= 5 for k in sorted(by_run)])
    return seconds, alliance


def engine_sweep(base, runs: int, workers: int, chunk_size: int = 2000) -> tuple[float, np.ndarray, float]:
    import pyarrow.parquet as pq

    from simulation.sweep import sweep_from_dict
    from simulation.sweep_runner import run_sweep

    sweep = sweep_from_dict(
        {"title": "benchmark", "base_scenario": "baseline", "replicates": runs, "master_seed": 7,
         "chunk_size": chunk_size, "outcomes": ["rc_alliance", "rc_alliance_step", "rc_final_level",
                                                "final_levels", "india", "blocs"]},
        base,
    )
    with tempfile.TemporaryDirectory() as tmp:
        report = run_sweep(sweep, Path(tmp) / "out", workers=workers, progress=False)
        size_mb = report.results.stat().st_size / 1e6
        alliance = pq.read_table(report.results, columns=["rc_alliance"])["rc_alliance"].to_numpy()
    return report.seconds, alliance, size_mb


def peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mesa-runs", type=int, default=200)
    parser.add_argument("--sweep-runs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--million", action="store_true", help="also time a 1,000,000-run sweep and its peak memory")
    args = parser.parse_args()

    from simulation.scenario import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "baseline_2018_2021.yaml")
    print(f"scenario: baseline_2018_2021 ({len(scenario.actors)} actors, {scenario.steps} monthly steps); "
          f"workers: {args.workers}")

    mesa_s, mesa_alliance = mesa_batch(scenario, list(range(args.mesa_runs)), args.workers)
    mesa_rate = args.mesa_runs / mesa_s
    print(f"(a) mesa.batch_run:  {args.mesa_runs:>9,} runs in {mesa_s:8.2f} s = {mesa_rate:10,.1f} runs/s; "
          f"P(alliance) = {mesa_alliance.mean():.3f}")

    sweep_s, sweep_alliance, size_mb = engine_sweep(scenario, args.sweep_runs, args.workers)
    sweep_rate = args.sweep_runs / sweep_s
    print(f"(b) sweep engine:    {args.sweep_runs:>9,} runs in {sweep_s:8.2f} s = {sweep_rate:10,.1f} runs/s; "
          f"P(alliance) = {sweep_alliance.mean():.3f}; results {size_mb:.1f} MB")

    p1, p2 = mesa_alliance.mean(), sweep_alliance.mean()
    pooled = (p1 * len(mesa_alliance) + p2 * len(sweep_alliance)) / (len(mesa_alliance) + len(sweep_alliance))
    se = np.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / len(mesa_alliance) + 1 / len(sweep_alliance)))
    z = (p1 - p2) / se
    agree = abs(z) < 3
    print(f"agreement: difference {p1 - p2:+.3f}, z = {z:+.2f} -> {'AGREE' if agree else 'DISAGREE'} (|z| < 3)")
    print(f"ratio: sweep engine / mesa.batch_run = {sweep_rate / mesa_rate:,.0f}x")

    if args.million:
        before = peak_rss_mb()
        m_s, m_alliance, m_size = engine_sweep(scenario, 1_000_000, args.workers)
        own, children = peak_rss_mb()
        print(f"1,000,000-run sweep: {m_s:.1f} s = {1_000_000 / m_s:,.0f} runs/s; results {m_size:.1f} MB; "
              f"peak memory: main process {own:,.0f} MB, largest worker {children:,.0f} MB "
              f"(before: {before[0]:,.0f} / {before[1]:,.0f} MB); P(alliance) = {m_alliance.mean():.4f}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
