"""Where a run-month's time goes in the compiled rules: the cost of each step, and how often the month memo
spares the costliest ones.

    python experiments/profile_kernel.py              # baseline, 2,000 posterior-predictive runs
    python experiments/profile_kernel.py --scenario wedge_policy --runs 4000

Each step of ``kernels.advance_run`` is timed on its own, inside a compiled loop over the months of real
runs (the states each month of each run starts from, recorded first), so the figures are what the step
costs where the batch loop calls it, without Python in between: the month's normals (``fill_normals``),
the policy, the random events, the memo's check, threat, trade, the terms, the desires, the intents and the
consent; beside them a whole month of ``run_runs`` (the batch loop's own cost per run-month, memo included)
and the share of months where the memo kept last month's threat, trade and terms. One thread; the figures
are CPU microseconds per run-month (best of ``--repeats``), so a busy machine disturbs them little.
The harness is compiled on its first use (about a minute) and cached.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.rules import kernels as K  # noqa: E402
from simulation.rules.rng import fill_normals, run_key  # noqa: E402

_H = {"cache": True, "error_model": "numpy", "_nrt": False, "nogil": True}


@njit(**_H)
def record(p, ref, seeds, steps, w, levels, timers, pth, ptr, coord, thr, share, hits):
    """Run every run as ``run_runs`` does, keeping each month's starting levels and timers, the month's
    pressure after the policy, threat and trade shares (what the later steps read), and whether the memo hit."""
    n = levels.shape[-1]
    level, streak, timer, s, memo = w.level, w.streak, w.timer, w.s, w.memo
    for b in range(seeds.shape[0]):
        beh = p.behaviour[K.row(p.behaviour, b)]
        K.fill_anchor(ref, b, beh, w.anchor, w)
        K.mark_steady_months(p, b, memo)
        start = K.row(p.initial_level, b)
        for i in range(n):
            for j in range(n):
                level[i, j] = p.initial_level[start, i, j]
                streak[i, j] = 0
        for e in range(timer.shape[0]):
            timer[e] = 0
        key = run_key(seeds[b])
        memo.valid[0] = False
        for t in range(steps):
            for i in range(n):
                for j in range(n):
                    levels[b, t, i, j] = level[i, j]
            # advance_run's steps, one by one (no player overrides in a batch)
            fill_normals(key, t, w.z)
            K.apply_policy(p, b, t, level, beh, s.pressure_threat, s.pressure_trade, s.coordination)
            K.advance_random_events(p, b, timer, w.z, n * (n - 1))
            for e in range(timer.shape[0]):
                timers[b, t, e] = timer[e]
            hit = K.inputs_unchanged(t, level, timer, s, memo)
            hits[b, t] = hit
            if not hit:
                K.perceive_threat(p, b, t, level, timer, beh, s.pressure_threat, s.coordination, s.threat)
                K.divert_trade(p, b, level, beh, s.pressure_trade, s.coordination, s.trade, s.share, s.cut)
                K.weigh_terms(p, b, t, level, beh, s.threat, s.share, s.terms, np.bool_(False))
                K.remember(level, timer, s, memo)
            K.form_desire(s.terms, w.weights, w.anchor, w.z, beh.decision_noise_sd, s.desire, s.treaty_desire)
            K.form_intents(level, s.desire, s.treaty_desire, w.th, beh.hysteresis, s.intent)
            K.resolve_consent(s.intent, level, streak, beh.treaty_consent_steps)
            for i in range(n):
                pth[b, t, i] = s.pressure_threat[i]
                ptr[b, t, i] = s.pressure_trade[i]
                coord[b, t, i] = s.coordination[i]
                for j in range(n):
                    thr[b, t, i, j] = s.threat[i, j]
                    share[b, t, i, j] = s.share[i, j]


@njit(**_H)
def time_step(which, p, seeds, steps, w, levels, timers, pth, ptr, coord, thr, share):
    """Call one step for every recorded run-month (``which``: 0 normals, 1 policy, 2 random events, 3 memo
    check, 4 threat, 5 trade, 6 terms, 7 desires, 8 intents, 9 consent). Returns a checksum (keeps the work)."""
    n = levels.shape[-1]
    s, memo = w.s, w.memo
    total = 0.0
    no = np.bool_(False)
    for b in range(seeds.shape[0]):
        beh = p.behaviour[K.row(p.behaviour, b)]
        key = run_key(seeds[b])
        for t in range(steps):
            level = levels[b, t]
            if which == 0:
                fill_normals(key, t, w.z)
                total += w.z[0]
            elif which == 1:
                K.apply_policy(p, b, t, level, beh, s.pressure_threat, s.pressure_trade, s.coordination)
                total += s.pressure_threat[0]
            elif which == 2:
                for e in range(w.timer.shape[0]):
                    w.timer[e] = timers[b, t, e]
                K.advance_random_events(p, b, w.timer, w.z, n * (n - 1))
                total += w.timer.shape[0]
            elif which == 3:
                total += K.inputs_unchanged(t, level, timers[b, t], s, memo)
            elif which == 4:
                K.perceive_threat(p, b, t, level, timers[b, t], beh, pth[b, t], coord[b, t], s.threat)
                total += s.threat[0, 1]
            elif which == 5:
                K.divert_trade(p, b, level, beh, ptr[b, t], coord[b, t], s.trade, s.share, s.cut)
                total += s.share[0, 1]
            elif which == 6:
                K.weigh_terms(p, b, t, level, beh, thr[b, t], share[b, t], s.terms, no)
                total += s.terms[0, 1, 0]
            elif which == 7:
                K.form_desire(s.terms, w.weights, w.anchor, w.z, beh.decision_noise_sd, s.desire, s.treaty_desire)
                total += s.desire[0, 1]
            elif which == 8:
                K.form_intents(level, s.desire, s.treaty_desire, w.th, beh.hysteresis, s.intent)
                total += s.intent[0, 1]
            else:
                for i in range(n):
                    for j in range(n):
                        w.level[i, j] = level[i, j]
                K.resolve_consent(s.intent, w.level, w.streak, beh.treaty_consent_steps)
                total += w.level[0, 1]
    return total


STEPS = ("normals", "policy", "random events", "memo check", "threat", "trade", "terms", "desires", "intents",
         "consent")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="baseline_2018_2021")
    parser.add_argument("--runs", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import os

    from simulation.drivers.engine import noise_width, simulate
    from simulation.drivers.inputs import prepare_inputs
    from simulation.rules.params import new_work
    from simulation.runner import replicate_seeds

    seeds = replicate_seeds(21, args.runs)
    inputs = prepare_inputs(args.scenario, seeds, "posterior")
    p, ref, steps = inputs.params, inputs.reference, inputs.structure.steps
    n, E = p.initial_level.shape[-1], p.random_pairs.shape[0]
    B = len(seeds)
    w = new_work(n, E, noise_width(n, E), steps)
    levels = np.zeros((B, steps, n, n), dtype=np.int8)
    timers = np.zeros((B, steps, E), dtype=np.int32)
    pth, ptr, coord = (np.zeros((B, steps, n)) for _ in range(3))
    thr, share = np.zeros((B, steps, n, n)), np.zeros((B, steps, n, n))
    hits = np.zeros((B, steps), dtype=np.bool_)
    t0 = time.perf_counter()
    record(p, ref, seeds, steps, w, levels, timers, pth, ptr, coord, thr, share, hits)
    for k in range(len(STEPS)):
        time_step(k, p, seeds[:2], steps, w, levels, timers, pth, ptr, coord, thr, share)
    simulate(p, seeds[:2], steps, ref, parallel=False)
    print(f"compiled (or loaded) the harness in {time.perf_counter() - t0:.1f} s; load {os.getloadavg()[0]:.1f}")
    run_months = B * steps
    per = {}
    for k, name in enumerate(STEPS):
        best = np.inf
        for _ in range(args.repeats):
            c0 = time.process_time()
            time_step(k, p, seeds, steps, w, levels, timers, pth, ptr, coord, thr, share)
            best = min(best, time.process_time() - c0)
        per[name] = best / run_months * 1e6
    best = np.inf
    for _ in range(args.repeats):
        c0 = time.process_time()
        simulate(p, seeds, steps, ref, parallel=False)
        best = min(best, time.process_time() - c0)
    whole = best / run_months * 1e6
    hit = float(hits.mean())
    spared = ("threat", "trade", "terms")
    every = sum(per.values())
    expected = every - hit * sum(per[s] for s in spared)
    print(f"{args.scenario}: {B:,} runs x {steps} months, {n} actors, {E} random events; CPU us per run-month "
          f"(best of {args.repeats}):")  # fmt: skip
    for name in STEPS:
        note = f"  (computed in {1 - hit:.0%} of months: the memo keeps it in the rest)" if name in spared else ""
        print(f"  {name:<14} {per[name]:6.3f}{note}")
    print(f"  {'every step':<14} {every:6.3f}  if every step ran every month")
    print(f"  {'expected':<14} {expected:6.3f}  with the memo's hit rate ({hit:.1%} of months)")
    print(f"  {'whole month':<14} {whole:6.3f}  run_runs itself (the run's set-up and recording the levels included)")
    print(json.dumps({"scenario": args.scenario, "us_per_run_month": round(whole, 4), "memo_hit_rate": round(hit, 4),
                      "steps_us": {k: round(v, 4) for k, v in per.items()}}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
