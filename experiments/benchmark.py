"""Benchmark: the whole picture of the engine's speed, in one run, as ratios measured together.

    python experiments/benchmark.py              # about two minutes on 2 cores
    python experiments/benchmark.py --million    # also a 1,000,000-run sweep with peak memory
    python experiments/benchmark.py --ratios-only                  # the same-size ratios and the cold start
    python experiments/benchmark.py --ratios-only --calibration-minutes 5   # and a 5-minute reference table

Prints, on the baseline scenario (five actors, 48 months): the machine's load; the cold start (a
fresh process's first 10 runs with an empty numba cache, then with the cache it wrote: cold/warm);
(a) ``mesa.batch_run`` of ``AllianceModel`` (Mesa's own batch runner, DataCollector on, every
    month collected), with all workers;
(b) the Mesa model driven directly, one run after another (the B = 1 path of the same rules);
(c) the compiled batch engine in one process (``run_batch``: outcomes as a DataFrame);
(d) the sweep engine end to end (``alliance-sim sweep``'s code path: chunks on threads, the default
    executor, Parquet written and merged), timed by the wall clock around the whole call, and the
    same on worker processes (``--executor process``);
and the ratio (d)/(a), the agreement of the outcome distributions (P(entente or closer) and
P(alliance) of the focal pair, (a) vs the engine with the same parameters (the posterior median,
which AllianceModel runs by default), two-proportion z), peak memory, the time of the
dashboard's distribution panel (1,000 posterior-predictive replicates), and a scaling table of
runs/s and memory against the number of actors (5, 10, 20, 30: the schema allows 30) and the horizon (48, 480 months).

The same-size ratios (``--ratios-only`` prints just these and the cold start): the compiled loop on one
thread (twice its rate is the two-core bound), a sweep with the light outcomes a calibration reads, the
calibration's reference table (``reference_table``: every pattern's 13 cases, parts written) and a
strategy-search evaluation (``drivers.evaluate.evaluate``: the policy scenarios on posterior draws x
seeds), all of the same number of runs, interleaved ``--repeats`` times, the best rate of each (the run
least disturbed by other work on a shared machine), and the 100-million-run calibration extrapolated.
The last line is a one-line JSON summary for tools to read. Figures depend on the machine and
its load: compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def mesa_batch(runs: int, workers: int, steps: int) -> tuple[float, np.ndarray]:
    """(a) mesa.batch_run; returns seconds and each run's highest focal-pair level."""
    import mesa

    from simulation.drivers.model import AllianceModel

    t0 = time.perf_counter()
    rows = mesa.batch_run(AllianceModel, parameters={}, rng=list(range(runs)), number_processes=workers,
                          data_collection_period=1, max_steps=steps, display_progress=False)  # fmt: skip
    seconds = time.perf_counter() - t0
    best: dict[int, int] = {}
    for row in rows:
        best[row["RunId"]] = max(best.get(row["RunId"], 0), int(row["russia_china"]))
    return seconds, np.array([best[k] for k in sorted(best)])


def mesa_direct(runs: int, steps: int) -> float:
    """(b) the Mesa model stepped directly, one run after another."""
    from simulation.drivers.model import AllianceModel

    t0 = time.perf_counter()
    for seed in range(runs):
        AllianceModel(seed=seed).run_for(steps)
    return time.perf_counter() - t0


def batch_in_process(scenario, runs: int) -> float:
    from simulation.runner import run_batch

    run_batch(scenario, runs=100)  # compile / warm
    t0 = time.perf_counter()
    run_batch(scenario, runs=runs, master_seed=3)
    return time.perf_counter() - t0


COLD_CHILD = """
import time
t0 = time.perf_counter()
from simulation.core.paths import shipped_scenario
from simulation.runner import run_batch
from simulation.world.scenario import load_scenario
run_batch(load_scenario(shipped_scenario("baseline_2018_2021")), runs=10)
print(time.perf_counter() - t0, time.process_time())
"""


def cold_start() -> dict:
    """A fresh process's first 10 runs (imports included) with an empty numba cache, then again with the
    cache it wrote: wall and CPU seconds of each, and their ratios (the JSON line's items). The CPU ratio is the
    one a busy machine disturbs least: under load the wall clock of either process is mostly waiting."""
    import subprocess

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            line = subprocess.run([sys.executable, "-c", COLD_CHILD], env=env, check=True, capture_output=True,
                                  text=True).stdout.split()  # fmt: skip
            times.append((time.perf_counter() - t0, float(line[1])))
    (cold, cold_cpu), (warm, warm_cpu) = times
    return {"cold_seconds": round(cold, 2), "warm_seconds": round(warm, 2), "cold_over_warm": round(cold / warm, 1),
            "cold_cpu_seconds": round(cold_cpu, 1), "warm_cpu_seconds": round(warm_cpu, 2),
            "cold_over_warm_cpu": round(cold_cpu / warm_cpu, 1)}  # fmt: skip


def cold_words(c: dict) -> str:
    return (f"cold start, first 10 runs in a fresh process (imports included): empty numba cache {c['cold_seconds']:.1f}"
            f" s wall ({c['cold_cpu_seconds']:.1f} s CPU), warm cache {c['warm_seconds']:.1f} s ({c['warm_cpu_seconds']:.1f}"
            f" s CPU): cold/warm {c['cold_over_warm']:.1f}x wall, {c['cold_over_warm_cpu']:.1f}x CPU")  # fmt: skip


HEAVY_OUTCOMES = [
    "alliance_reached",
    "alliance_month",
    "final_level",
    "max_level",
    "mean_level",
    "final_levels",
    "blocs",
]
#: The light outcomes a calibration's patterns read, for the like-with-like comparison with the reference table.
LIGHT_OUTCOMES = ["alliance_reached", "final_level", "max_level", "mean_level"]


def engine_sweep(
    runs: int, workers: int, chunk_size: int, executor: str = "thread", outcomes: list[str] | None = None
) -> tuple[float, np.ndarray, float]:
    """(d) the sweep engine end to end; returns seconds, max levels and the results' size (MB).

    The seconds are the wall clock of the whole ``run_sweep`` call: checking and locking the
    folder, starting the workers (threads by default; processes with ``executor="process"``),
    every chunk, and merging results.parquet.
    """
    import pyarrow.parquet as pq

    from simulation.core.paths import shipped_scenario
    from simulation.sweeps.execute import run_sweep
    from simulation.sweeps.spec import sweep_from_dict
    from simulation.world.scenario import load_scenario

    base = load_scenario(shipped_scenario("baseline_2018_2021"))
    sweep = sweep_from_dict({"title": "benchmark", "base_scenario": "baseline_2018_2021", "replicates": runs,
                             "master_seed": 7, "chunk_size": chunk_size,
                             "outcomes": outcomes or HEAVY_OUTCOMES}, base)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        report = run_sweep(sweep, Path(tmp) / "out", workers=workers, executor_kind=executor, progress=False)
        seconds = time.perf_counter() - t0
        size_mb = report.results.stat().st_size / 1e6
        max_level = pq.read_table(report.results, columns=["max_level"])["max_level"].to_numpy()
    return seconds, max_level, size_mb


def calibration_table(draws: int, replicates: int, workers: int, seed: int = 1) -> tuple[float, int, float]:
    """The calibration's reference table (``calibration.abc.reference_table``: every pattern's cases for
    ``draws`` prior draws x ``replicates`` runs, parts written and read back), timed end to end; returns
    seconds, runs and CPU seconds (every thread)."""
    from simulation.calibration.abc import reference_table
    from simulation.calibration.patterns import load_patterns

    runs = draws * len(load_patterns().cases()) * replicates
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), time.process_time()
        reference_table(None, Path(tmp) / "table", draws, replicates, seed, workers=workers)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return seconds, runs, cpu


#: The cases of the strategy-search evaluation: the baseline and the shipped policy rules.
STRATEGY_CASES = ("baseline_2018_2021", "containment_policy", "engagement_policy", "wedge_policy")


def strategy_evaluation(draws: int, replicates: int) -> tuple[float, int, float]:
    """A strategy search's evaluation step: every candidate (the shipped policy scenarios) on ``draws``
    posterior draws x ``replicates`` seeds (common random numbers), per-draw P(alliance) and mean level
    (``drivers.evaluate.evaluate``: one batch per candidate on the engine's threads). Returns seconds, runs and
    CPU seconds."""
    from simulation.behaviour import shipped_posterior
    from simulation.drivers.evaluate import DrawCase, evaluate
    from simulation.drivers.inputs import prepare_inputs
    from simulation.runner import replicate_seeds

    t0, c0 = time.perf_counter(), time.process_time()
    seeds = replicate_seeds(4, replicates)
    post = shipped_posterior()
    take = np.arange(draws) % post.samples.shape[0]
    cases = {name: DrawCase.from_inputs(prepare_inputs(name, seeds, "registry")) for name in STRATEGY_CASES}
    rows = {name: c.rows({k: post.samples[take, p] for p, k in enumerate(post.keys)}) for name, c in cases.items()}
    evaluate(cases, rows, seeds, ["alliance_reached", "mean_level"])
    return time.perf_counter() - t0, len(cases) * draws * replicates, time.process_time() - c0


def kernel_one_thread(runs: int) -> tuple[float, float]:
    """The compiled batch loop alone on one thread (posterior-predictive baseline runs, inputs prepared
    beforehand): runs/s and runs per CPU second. Twice this is the two-core bound of anything built on the engine."""
    from simulation.drivers.engine import simulate
    from simulation.drivers.inputs import prepare_inputs
    from simulation.runner import replicate_seeds

    seeds = replicate_seeds(6, runs)
    inputs = prepare_inputs("baseline_2018_2021", seeds, "posterior")
    t0, c0 = time.perf_counter(), time.process_time()
    simulate(inputs.params, seeds, inputs.structure.steps, inputs.reference, parallel=False)
    return runs / (time.perf_counter() - t0), runs / (time.process_time() - c0)


def engine_ratios(args: argparse.Namespace) -> dict:
    """Kernel (one thread), the sweep, the calibration's reference table and a strategy-search evaluation at
    the same number of runs, interleaved ``--repeats`` times; the best rate of each (the least disturbed by
    other work on the machine) and their ratios."""
    from simulation.calibration.patterns import load_patterns

    cases = len(load_patterns().cases())
    runs = args.calibration_draws * cases * args.calibration_replicates
    strategy_draws = max(1, runs // (len(STRATEGY_CASES) * args.calibration_replicates))
    calibration_table(16, 2, args.workers)  # warm: the patterns' cases prepared once, the rules loaded
    strategy_evaluation(2, 2)
    best = {"kernel": 0.0, "sweep": 0.0, "calibration": 0.0, "strategy": 0.0}
    cpu = dict(best)  # runs per CPU second (every thread): the work done, whatever share of a busy machine it got
    loads = []
    for _ in range(args.repeats):
        loads.append(os.getloadavg()[0])
        wall, per_cpu = kernel_one_thread(args.kernel_runs)
        best["kernel"], cpu["kernel"] = max(best["kernel"], wall), max(cpu["kernel"], per_cpu)
        c0 = time.process_time()
        s, _, _ = engine_sweep(runs, args.workers, args.chunk_size, outcomes=LIGHT_OUTCOMES)
        best["sweep"], cpu["sweep"] = max(best["sweep"], runs / s), max(cpu["sweep"], runs / (time.process_time() - c0))
        s, n, c = calibration_table(args.calibration_draws, args.calibration_replicates, args.workers)
        best["calibration"], cpu["calibration"] = max(best["calibration"], n / s), max(cpu["calibration"], n / c)
        s, n, c = strategy_evaluation(strategy_draws, args.calibration_replicates)
        best["strategy"], cpu["strategy"] = max(best["strategy"], n / s), max(cpu["strategy"], n / c)
    loads.append(os.getloadavg()[0])
    cores = min(args.workers, os.cpu_count() or 1)
    bound = best["kernel"] * cores
    print(f"same size, {runs:,} runs each ({args.calibration_draws:,} draws x {cases} cases x "
          f"{args.calibration_replicates} replicates), best of {args.repeats} interleaved; load {min(loads):.1f}-"
          f"{max(loads):.1f}; wall-clock runs/s (ratio), and runs per CPU second (ratio):")  # fmt: skip
    print(f"    kernel, one thread:         {best['kernel']:10,.0f} runs/s -> {cores}-core bound {bound:10,.0f} runs/s;"
          f" {cpu['kernel']:10,.0f} per CPU s")  # fmt: skip
    print(f"    sweep (light outcomes):     {best['sweep']:10,.0f} runs/s ({best['sweep'] / bound:.2f} x the bound); "
          f"{cpu['sweep']:10,.0f} per CPU s ({cpu['sweep'] / cpu['kernel']:.2f} x the kernel's)")  # fmt: skip
    print(f"    calibration (ref. table):   {best['calibration']:10,.0f} runs/s ({best['calibration'] / best['sweep']:.2f}"
          f" x the sweep); {cpu['calibration']:10,.0f} per CPU s ({cpu['calibration'] / cpu['sweep']:.2f} x the sweep's)")  # fmt: skip
    print(f"    strategy-search evaluation: {best['strategy']:10,.0f} runs/s ({best['strategy'] / best['sweep']:.2f}"
          f" x the sweep); {cpu['strategy']:10,.0f} per CPU s ({cpu['strategy'] / cpu['sweep']:.2f} x the sweep's); "
          f"{len(STRATEGY_CASES)} candidates x {strategy_draws} posterior draws x {args.calibration_replicates} seeds")  # fmt: skip
    full = 8 * 16_384 * 13 * 48
    hours = full / best["calibration"] / 3600
    print(f"    a {full:,}-run calibration (8 waves x 16,384 draws x 13 cases x 48 runs) at this rate: "
          f"{hours:.2f} h (extrapolated)")  # fmt: skip
    out = {"kernel_one_thread_runs_per_s": round(best["kernel"]), "two_core_bound_runs_per_s": round(bound),
           "sweep_same_size_runs_per_s": round(best["sweep"]), "sweep_over_bound": round(best["sweep"] / bound, 3),
           "calibration_runs_per_s": round(best["calibration"]),
           "calibration_over_sweep": round(best["calibration"] / best["sweep"], 3),
           "strategy_runs_per_s": round(best["strategy"]),
           "strategy_over_sweep": round(best["strategy"] / best["sweep"], 3), "ratio_runs": runs,
           "ratio_repeats": args.repeats, "ratio_load_min": round(min(loads), 2), "ratio_load_max": round(max(loads), 2),
           **{f"{k}_runs_per_cpu_s": round(v) for k, v in cpu.items()},
           "calibration_over_sweep_cpu": round(cpu["calibration"] / cpu["sweep"], 3),
           "strategy_over_sweep_cpu": round(cpu["strategy"] / cpu["sweep"], 3),
           "sweep_over_kernel_cpu": round(cpu["sweep"] / cpu["kernel"], 3),
           "calibration_100m_hours": round(hours, 3)}  # fmt: skip
    if args.calibration_minutes:
        # a long reference table: enough draws for about that many minutes at the rate just measured
        per_draw = cases * 48
        draws = max(100, int(best["calibration"] * args.calibration_minutes * 60 / per_draw) // 100 * 100)
        s, n, _ = calibration_table(draws, 48, args.workers, seed=2)
        long_hours = full / (n / s) / 3600
        print(f"    long run: {draws:,} draws x {cases} cases x 48 runs = {n:,} runs in {s / 60:.1f} min = "
              f"{n / s:,.0f} runs/s (load {os.getloadavg()[0]:.1f}): the {full:,}-run calibration in "
              f"{long_hours:.2f} h")  # fmt: skip
        out.update({"calibration_long_seconds": round(s, 1), "calibration_long_runs": n,
                    "calibration_long_runs_per_s": round(n / s), "calibration_100m_hours_long": round(long_hours, 3)})  # fmt: skip
    return out


def synthetic_scenario(actors: int, steps: int):
    """The baseline with extra actors (copies of India's figures, labelled) and a longer horizon."""
    from simulation.core.paths import shipped_scenario
    from simulation.world.scenario import load_scenario, parse_scenario

    base = load_scenario(shipped_scenario("baseline_2018_2021")).model_dump(mode="python", exclude_none=True)
    extra = [f"Power{k}" for k in range(actors - len(base["actors"]))]
    base["actors"] = base["actors"] + extra
    base["steps"] = steps
    base["reference_scenario"] = None  # its own month 0 is the resting point (other actors than the baseline)
    params = dict(base.get("parameters", {}))
    for name in extra:
        for family, value in (
            ("gdp_usd_bn", 2700.0),
            ("military_spending_usd_bn", 66.5),
            ("total_trade_usd_bn", 800.0),
            ("liberal_democracy_index", 0.5),
            ("status_concern", 0.7),
            ("trade_vulnerability", 0.8),
        ):
            params[f"{family}.{name}"] = value
    base["parameters"] = params
    return parse_scenario(base)


def scaling_table(runs: int) -> list[dict]:
    """Runs/s (one process, numba's threads) and memory against actors and horizon."""
    from simulation.runner import run_batch

    rows = []
    for actors, steps in ((5, 48), (10, 48), (20, 48), (30, 48), (5, 480), (10, 480)):
        sc = synthetic_scenario(actors, steps)
        n_runs = max(20, runs // max(1, (actors // 5) ** 2 * (steps // 48)))
        run_batch(sc, runs=4)  # compile for this shape
        tracemalloc.start()
        t0 = time.perf_counter()
        run_batch(sc, runs=n_runs, master_seed=5)
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append({"actors": actors, "months": steps, "runs": n_runs, "runs_per_s": n_runs / seconds,
                     "us_per_run_month": seconds / n_runs / steps * 1e6, "peak_mb": peak / 1e6})  # fmt: skip
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mesa-runs", type=int, default=100)
    parser.add_argument("--sweep-runs", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunk-size", type=int, default=20_000)
    parser.add_argument("--million", action="store_true", help="also time a 1,000,000-run sweep and its peak memory")
    parser.add_argument("--scaling-runs", type=int, default=20_000)
    parser.add_argument("--million-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--calibration-draws", type=int, default=256, help="reference-table draws of the ratios")
    parser.add_argument("--calibration-replicates", type=int, default=24, help="runs per case and draw")
    parser.add_argument("--kernel-runs", type=int, default=20_000, help="runs of the one-thread kernel rate")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved repeats of the ratios (best of)")
    parser.add_argument("--calibration-minutes", type=float, default=0.0,
                        help="also time a reference table of about this many minutes (48 runs per case and draw) "
                        "and extrapolate the 100-million-run calibration from it")  # fmt: skip
    parser.add_argument(
        "--ratios-only",
        action="store_true",
        help="only the cold start and the same-size ratios (kernel, sweep, calibration, strategy)",
    )
    args = parser.parse_args()
    if args.million_only:  # the child of --million: one sweep, its time and peak memory as JSON
        m_s, _, m_size = engine_sweep(1_000_000, args.workers, args.chunk_size)
        # VmHWM, not ru_maxrss: ru_maxrss survives exec, so it would carry the parent's peak
        hwm = [ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith("VmHWM:")]
        own = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # an upper bound for each worker
        print(json.dumps({"seconds": m_s, "size_mb": m_size, "main_mb": own, "worker_mb": child}))
        return 0

    from simulation.core.paths import shipped_scenario
    from simulation.runner import run_batch
    from simulation.world.scenario import load_scenario

    scenario = load_scenario(shipped_scenario("baseline_2018_2021"))
    steps = scenario.steps
    load_before = os.getloadavg()
    print(f"scenario: baseline_2018_2021 ({len(scenario.actors)} actors, {steps} months); workers: {args.workers}")
    print(f"machine: {os.cpu_count()} cores, load average {load_before[0]:.2f} (1 min) at the start")
    if args.ratios_only:
        ratios = engine_ratios(args)
        cold = cold_start()
        print(cold_words(cold))
        print(json.dumps({**ratios, **cold,
                          "load_average_start": round(load_before[0], 2),
                          "load_average_end": round(os.getloadavg()[0], 2)}))  # fmt: skip
        return 0

    mesa_s, mesa_max = mesa_batch(args.mesa_runs, args.workers, steps)
    mesa_rate = args.mesa_runs / mesa_s
    print(f"(a) mesa.batch_run:        {args.mesa_runs:>9,} runs in {mesa_s:8.2f} s = {mesa_rate:12,.1f} runs/s")
    direct_runs = max(20, args.mesa_runs // 2)
    direct_s = mesa_direct(direct_runs, steps)
    print(
        f"(b) Mesa model, direct:    {direct_runs:>9,} runs in {direct_s:8.2f} s = {direct_runs / direct_s:12,.1f} runs/s"
    )
    inproc_runs = 100_000
    inproc_s = batch_in_process(scenario, inproc_runs)
    print(
        f"(c) batch engine, 1 proc:  {inproc_runs:>9,} runs in {inproc_s:8.2f} s = {inproc_runs / inproc_s:12,.0f} runs/s"
    )
    sweep_s, _, size_mb = engine_sweep(args.sweep_runs, args.workers, args.chunk_size)
    sweep_rate = args.sweep_runs / sweep_s
    print(
        f"(d) sweep, end to end:     {args.sweep_runs:>9,} runs in {sweep_s:8.2f} s = {sweep_rate:12,.0f} runs/s "
        f"(Parquet {size_mb:.1f} MB; {args.workers} chunk threads, the default executor)"
    )
    proc_s, _, _ = engine_sweep(args.sweep_runs, args.workers, args.chunk_size, executor="process")
    print(
        f"    the same on processes: {args.sweep_runs:>9,} runs in {proc_s:8.2f} s = "
        f"{args.sweep_runs / proc_s:12,.0f} runs/s (--executor process: worker start-up and results pickled)"
    )
    ratio = sweep_rate / mesa_rate
    print(f"ratio (d) / (a): {ratio:,.0f}x")

    def z_test(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
        p1, p2 = a.mean(), b.mean()
        pooled = (a.sum() + b.sum()) / (len(a) + len(b))
        se = np.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / len(a) + 1 / len(b)))
        return p1, p2, (p1 - p2) / se

    # like with like: AllianceModel (and so mesa.batch_run) runs one parameter set, the posterior
    # median, while sweeps are posterior predictive; the engine's runs for this check use the median
    # too, on other seeds than Mesa's
    engine_max = run_batch(scenario, runs=20_000, master_seed=3, parameters="point")["max_level"].to_numpy()
    agree = True
    print("agreement (posterior median in both; Mesa seeds 0-99 vs 20,000 engine runs on other seeds):")
    for label, level in (("entente or closer", 4), ("formal alliance", 5)):
        p1, p2, z = z_test(mesa_max >= level, engine_max >= level)
        ok = abs(z) < 3
        agree &= ok
        print(
            f"agreement, P({label}): mesa {p1:.3f} vs engine {p2:.3f}, z = {z:+.2f} -> {'AGREE' if ok else 'DISAGREE'}"
        )

    run_batch(scenario, runs=1000)
    t0 = time.perf_counter()
    run_batch(scenario, runs=1000, master_seed=9)
    panel_s = time.perf_counter() - t0
    print(f"dashboard distribution panel (1,000 posterior-predictive replicates): {panel_s:.3f} s")

    ratios = engine_ratios(args)
    own, child = (resource.getrusage(r).ru_maxrss / 1024 for r in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(
        f"peak memory so far: main {own:,.0f} MB, largest worker process {child:,.0f} MB (Mesa's, --executor process)"
    )
    # after the peak memory above: the cold-start processes are children too, and would count as workers
    cold = cold_start()
    print(cold_words(cold))
    million: dict = {}
    if args.million:
        # in a fresh process, so that its peak memory and its workers' are the sweep's alone
        import subprocess

        line = subprocess.run([sys.executable, __file__, "--million-only", "--workers", str(args.workers),
                               "--chunk-size", str(args.chunk_size)],
                              check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]  # fmt: skip
        m = json.loads(line)
        total = m["main_mb"] + args.workers * m["worker_mb"]
        million = {"million_seconds": m["seconds"], "million_runs_per_s": 1e6 / m["seconds"],
                   "million_peak_mb_all": total}  # fmt: skip
        print(
            f"1,000,000-run sweep (fresh process): {m['seconds']:.1f} s = {1e6 / m['seconds']:,.0f} runs/s; "
            f"results {m['size_mb']:.1f} MB; peak memory main {m['main_mb']:,.0f} MB + {args.workers} workers x "
            f"{m['worker_mb']:,.0f} MB = {total:,.0f} MB at most"
        )

    print("scaling (one process; cost per run-month should grow no faster than n^3 and stay flat in the horizon):")
    print(
        f"{'actors':>6} {'months':>6} {'runs':>8} {'runs/s':>10} {'us/run-month':>13} {'n^3 ratio':>9} {'peak MB':>8}"
    )
    table = scaling_table(args.scaling_runs)
    base_cost = table[0]["us_per_run_month"]
    for r in table:
        cube = (r["actors"] / 5) ** 3
        print(
            f"{r['actors']:>6} {r['months']:>6} {r['runs']:>8,} {r['runs_per_s']:>10,.0f} "
            f"{r['us_per_run_month']:>13.2f} {r['us_per_run_month'] / base_cost / cube:>9.2f} {r['peak_mb']:>8.1f}"
        )
    load_after = os.getloadavg()
    print(f"load average {load_after[0]:.2f} (1 min) at the end")
    summary = {"runs_per_s": round(sweep_rate), "ratio_vs_mesa": round(ratio, 1), "mesa_runs_per_s": round(mesa_rate, 1),
               "sweep_processes_runs_per_s": round(args.sweep_runs / proc_s),
               **cold,
               "load_average_start": round(load_before[0], 2), "load_average_end": round(load_after[0], 2),
               "batch_one_process_runs_per_s": round(inproc_runs / inproc_s), "distributions_agree": bool(agree),
               "panel_seconds": round(panel_s, 3), "peak_mb_main": round(own), "peak_mb_worker": round(child),
               **{k: round(v, 1) for k, v in million.items()}, **ratios,
               "scaling": [{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for r in table]}  # fmt: skip
    print(json.dumps(summary))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
