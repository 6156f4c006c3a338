"""Model v4: the targets of "honest probabilities", each measured with the shipped model and posterior.

    python experiments/model_v4_report.py [--runs 4000] [--draws 100] [--calibration calibration] [--out docs/model_v4.md]

Writes docs/model_v4.md and docs/model_v4_targets.json (each target: value, bound, met or not, the command).
Fresh seeds: ``replicate_seeds(20261207, runs)`` for the posterior predictive runs (the calibration used
``replicate_seeds(20260101 + wave - 1, replicates)``; the patterns' posterior check here uses seed 31337).
- baseline (posterior predictive, a parameter draw per run; beside each share its spread across posterior
  draws: the median and 5-95% of the per-draw shares): Russia-China at entente or closer HELD at December 2021
  (>= 0.5, and >= 0.8 x the share that ever reached it), no alliance (>= 0.9), Russia-India at strategic
  partnership or closer at the end (>= 0.9), the 2020 clash's effect on the mean Russia-China level (< 0.1 rung);
  the 2014-2017 hindcast: Russia-EU below partnership (>= 0.5), Russia-India held (>= 0.8);
- what the calibration learnt: calibrated parameters with sd ratio below 0.7 (>= 6), and the parameters the
  flagship cell's per-draw probability follows (Spearman over posterior draws) with their sd ratios;
- the simulation-based calibration check of the whole pipeline (posterior.json: sbc): mean contraction
  (>= 0.15), 90% coverage (0.80-0.97), rank-histogram chi-square p per parameter (> 0.01), the null beside;
- the final history-matching wave's draws meeting every pattern (>= 1 in 1,000), and the posterior draws meeting
  every pattern (>= 50%, 48 runs of each case);
- the knife-edge check: each weight at -10% / +10% of its posterior median (one parameter set) moves neither
  the baseline's held entente nor the flagship cell's P(alliance) by 0.15 or more;
- leave-one-pattern-out (when --calibration holds leave_one_out/): every hindcast predicted when held out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FLAGSHIP_POINT = {"pressure.targets.Russia": 0.5, "pressure.targets.China": 0.8, "pressure.coordination": 1.0}
PANDEMIC_ONLY = {"events": [{"kind": "pandemic", "from_step": 26, "duration_steps": 22}]}
SEED = 20261207
PATTERN_CHECK_SEED = 31337


def per_draw(mask: np.ndarray, draw: np.ndarray) -> dict[str, float]:
    """The spread of a share across posterior draws: median and 5-95% of the per-draw shares."""
    import pandas as pd

    by = pd.Series(np.asarray(mask, dtype=float)).groupby(np.asarray(draw)).mean().to_numpy()
    return {"median": float(np.median(by)), "p05": float(np.quantile(by, 0.05)), "p95": float(np.quantile(by, 0.95)),
            "below_0.05": float(np.mean(by < 0.05)), "above_0.5": float(np.mean(by > 0.5)), "draws": int(len(by))}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=4000)
    parser.add_argument("--draws", type=int, default=100, help="posterior draws for the every-pattern share")
    parser.add_argument("--calibration", type=Path, default=ROOT / "calibration")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "model_v4.md")
    args = parser.parse_args()

    from scipy.stats import spearmanr

    from simulation.behaviour import shipped_posterior
    from simulation.calibration.abc import PatternSimulator
    from simulation.calibration.patterns import PatternsFile, load_patterns
    from simulation.calibration.report import draw_sets, identifiability, load_posterior_dir
    from simulation.core.paths import shipped_scenario
    from simulation.core.stats import proportion
    from simulation.runner import replicate_seeds, run_batch
    from simulation.world.scenario import apply_overrides, load_scenario

    post = shipped_posterior()
    if post is None:
        raise SystemExit("no calibrated posterior ships: run `alliance-sim calibrate --ship` first")
    m = post.manifest
    seeds = replicate_seeds(SEED, args.runs)
    draw = post.indices(seeds)
    load = lambda name: load_scenario(shipped_scenario(name))  # noqa: E731
    base_sc, hind_sc = load("baseline_2018_2021"), load("hindcast_2014_2017")
    targets: list[dict] = []
    cmd = "python experiments/model_v4_report.py"

    def target(name: str, value: float | None, bound: str, met: bool | None, command: str, detail: str = "") -> None:
        targets.append({"target": name, "value": None if value is None else round(float(value), 4), "bound": bound,
                        "met": None if met is None else bool(met), "command": command, "detail": detail})  # fmt: skip

    # ---- 1. posterior predictive at baseline and in the 2014 hindcast, with the spread across draws
    base = run_batch(base_sc, seeds, parameters="posterior")
    no_clash = run_batch(apply_overrides(base_sc, PANDEMIC_ONLY), seeds, parameters="posterior")
    hind = run_batch(hind_sc, seeds, parameters="posterior")

    def share(mask) -> tuple[float, str]:
        mask = np.asarray(mask, dtype=bool)
        p, lo, hi = proportion(int(mask.sum()), len(mask))
        s = per_draw(mask, draw)
        return p, (f"{p:.3f} [{lo:.3f}, {hi:.3f}] (Wilson 95%, {args.runs:,} runs); across {s['draws']} posterior "
                   f"draws: median {s['median']:.2f}, 5-95% [{s['p05']:.2f}, {s['p95']:.2f}], "
                   f"{s['below_0.05']:.0%} of draws below 0.05, {s['above_0.5']:.0%} above 0.5")  # fmt: skip

    held = base["final_level"].to_numpy() >= 4
    reached = base["max_level"].to_numpy() >= 4
    for name, mask, bound, ok in (
        ("baseline: entente or closer held at December 2021", held, ">= 0.5", lambda v: v >= 0.5),
        ("baseline: no alliance", ~base["alliance_reached"].astype(bool).to_numpy(), ">= 0.9", lambda v: v >= 0.9),
        ("baseline: Russia-India strategic partnership or closer at the end", base["final_russia_india"] >= 3,
         ">= 0.9", lambda v: v >= 0.9),
        ("hindcast 2014-2017: Russia-EU below partnership at the end", hind["final_russia_eu"] <= 1, ">= 0.5",
         lambda v: v >= 0.5),
        ("hindcast 2014-2017: Russia-India held at the end", hind["final_russia_india"] >= 3, ">= 0.8",
         lambda v: v >= 0.8),
    ):  # fmt: skip
        v, text = share(mask)
        target(name, v, bound, ok(v), cmd, text)
    ratio = float(held.mean() / reached.mean()) if reached.any() else float("nan")
    target("baseline: held at the end / ever reached (entente or closer)", ratio, ">= 0.8", ratio >= 0.8, cmd,
           f"held {held.mean():.3f}, reached at some month {reached.mean():.3f}")  # fmt: skip
    clash = abs(float(base["mean_level"].mean() - no_clash["mean_level"].mean()))
    target("baseline: the 2020 clash moves the mean Russia-China level", clash, "< 0.1 rung", clash < 0.1, cmd,
           "same seeds with and without the clash (the pandemic kept)")  # fmt: skip

    # ---- 2. what the calibration learnt, and what the flagship cell follows
    ident = identifiability(post)
    narrowed = ident[ident["sd_ratio"] < 0.7]
    flag_sc = apply_overrides(base_sc, FLAGSHIP_POINT)
    flag = run_batch(flag_sc, seeds, parameters="posterior")
    by_draw = flag.groupby(draw)["alliance_reached"].mean()
    theta = post.samples[by_draw.index.to_numpy()]
    rho = {k: float(spearmanr(theta[:, p], by_draw.to_numpy()).statistic) for p, k in enumerate(post.keys)}
    rho = {k: (0.0 if not np.isfinite(v) else v) for k, v in rho.items()}
    top = sorted(rho, key=lambda k: -abs(rho[k]))[:3]
    ratios = dict(zip(ident["parameter"], ident["sd_ratio"], strict=True))
    flag_spread = per_draw(flag["alliance_reached"].to_numpy(dtype=bool), draw)
    deciders_narrowed = all(ratios[k] < 0.7 for k in top)
    target("calibrated parameters narrowed below 0.7 of their prior sd", len(narrowed), ">= 6", len(narrowed) >= 6,
           "alliance-sim calibration-report (docs/calibration.md)",
           ", ".join(f"{r.parameter} {r.sd_ratio:.2f}" for r in narrowed.itertuples()) or "none")  # fmt: skip
    target(
        "the parameters the flagship cell follows are among them", float(deciders_narrowed), "all three", None, cmd,
        "flagship cell (pressure 0.5 on Russia, 0.8 on China, full EU coordination) P(alliance) "
        f"{flag['alliance_reached'].mean():.3f}; across draws median {flag_spread['median']:.2f}, 5-95% "
        f"[{flag_spread['p05']:.2f}, {flag_spread['p95']:.2f}], {flag_spread['below_0.05']:.0%} below 0.05, "
        f"{flag_spread['above_0.5']:.0%} above 0.5; follows "
        + ", ".join(f"{k} (Spearman {rho[k]:+.2f}, sd ratio {ratios[k]:.2f})" for k in top)
        + ("" if deciders_narrowed else "; the flagship depends on parameters the patterns leave open"),
    )  # fmt: skip
    targets[-1]["met"] = deciders_narrowed

    # ---- 3. simulation-based calibration of the whole pipeline
    sbc = m.get("sbc", {})
    null = sbc.get("null", {})
    src = "alliance-sim calibrate (posterior.json: sbc)"
    null_text = (f"null (random prior draws): contraction {null.get('contraction', float('nan')):.3f}, 90% coverage "
                 f"{null.get('cover90', float('nan')):.2f}; {sbc.get('truths')} truths")  # fmt: skip
    c = sbc.get("contraction", float("nan"))
    target("SBC: mean contraction", c, ">= 0.15", c >= 0.15, src, null_text)
    c90 = sbc.get("cover90", float("nan"))
    target("SBC: 90% intervals hold the truth", c90, "in [0.80, 0.97]", 0.80 <= c90 <= 0.97, src,
           f"50% intervals: {sbc.get('cover50', float('nan')):.2f}; {null_text}")  # fmt: skip
    pmin = sbc.get("chi2_p_min", float("nan"))
    target("SBC: rank histograms, smallest chi-square p over parameters", pmin, "> 0.01", pmin > 0.01, src,
           f"{sbc.get('parameters_with_chi2_p_below_0.01')} parameters below 0.01; null's smallest p "
           f"{null.get('chi2_p_min', float('nan')):.3g}")  # fmt: skip

    # ---- 4. draws meeting every pattern
    final_share = m.get("final_wave_share_meeting_every_pattern", float("nan"))
    last = (m.get("waves") or [{}])[-1]
    target("final-wave draws meeting every pattern", final_share, ">= 0.001", final_share >= 0.001,
           "alliance-sim calibrate (posterior.json: waves)",
           f"{last.get('meeting_every_pattern')} of {last.get('draws')} draws of wave {last.get('wave')}")  # fmt: skip
    patterns = load_patterns()
    sim = PatternSimulator(patterns, replicates=48, seed=PATTERN_CHECK_SEED, parallel=True)
    rows = [sim.values(dict(zip(post.keys, t, strict=True))) for t in draw_sets(post, args.draws, PATTERN_CHECK_SEED)]
    met = np.array([[p.miss(r[p.id]) == 0 for p in patterns.patterns] for r in rows])
    every = float(met.all(axis=1).mean())
    per_pattern = {p.id: float(met[:, k].mean()) for k, p in enumerate(patterns.patterns)}
    worst = sorted(per_pattern, key=per_pattern.get)[:4]
    target("posterior draws meeting every pattern", every, ">= 0.5", every >= 0.5, cmd,
           f"{args.draws} posterior draws, 48 runs of each case (seed {PATTERN_CHECK_SEED}); least met: "
           + ", ".join(f"{k} {per_pattern[k]:.2f}" for k in worst))  # fmt: skip

    # ---- 5. knife-edge at the posterior median
    median = dict(zip(post.keys, post.median(), strict=True))
    weights = [k for k in post.keys if k.startswith(("weight.", "treaty_weight."))]
    cases = {"baseline P(entente or closer held at the end)": (base_sc, lambda d: (d["final_level"] >= 4).mean()),
             "flagship cell P(alliance)": (flag_sc, lambda d: d["alliance_reached"].mean())}  # fmt: skip
    centre = {c: f(run_batch(sc, seeds, parameters="point")) for c, (sc, f) in cases.items()}
    knife = []
    for key in weights:
        row = {"weight": key, "median": median[key]}
        for c, (sc, f) in cases.items():
            vals = [f(run_batch(apply_overrides(sc, {f"parameters.{key}": median[key] * x}), seeds, parameters="point"))
                    for x in (0.9, 1.1)]  # fmt: skip
            row[c] = (vals[0], centre[c], vals[1])
            row[c + " change"] = max(abs(v - centre[c]) for v in vals)
        knife.append(row)
    worst_change = max(max(r[c + " change"] for c in cases) for r in knife)
    worst_key = max(knife, key=lambda r: max(r[c + " change"] for c in cases))["weight"]
    target("knife-edge: largest change from one weight at +-10%", worst_change, "< 0.15", worst_change < 0.15, cmd,
           f"{worst_key}; at the posterior median (one parameter set), {args.runs:,} runs per cell")  # fmt: skip

    # ---- 6. leave-one-pattern-out for the hindcasts
    loo_dir = args.calibration / "leave_one_out"
    if loo_dir.is_dir():
        for p in [p for p in patterns.patterns if p.group == "hindcast"]:
            folder = loo_dir / p.id
            if not (folder / "posterior.parquet").exists():
                continue
            held_post = load_posterior_dir(folder)
            one = PatternSimulator(PatternsFile(title="", patterns=[p]), replicates=48, seed=9, parallel=True)
            vals = [one.values(dict(zip(held_post.keys, t, strict=True)))[p.id] for t in draw_sets(held_post, 50, 7)]
            share_met = float(np.mean([p.miss(v) == 0 for v in vals]))
            target(f"held out: {p.id}", share_met, ">= 0.5 of posterior draws", share_met >= 0.5,
                   "alliance-sim calibrate --leave-one-out; " + cmd, "50 draws of the posterior without it")  # fmt: skip
    else:
        target("leave-one-pattern-out", None, "every hindcast predicted", None, "alliance-sim calibrate --leave-one-out",
               f"not measured here: no {loo_dir} (see docs/calibration.md)")  # fmt: skip

    # ---- write
    lines = ["# Model v4: the targets, measured", "",
             f"Regenerate with `{cmd} --runs {args.runs}` (fresh seeds `replicate_seeds({SEED}, runs)`; the shipped "
             f"posterior: {m.get('method', '')}).", "",
             "| target | value | bound | met | detail |", "|---|---|---|---|---|"]  # fmt: skip
    for t in targets:
        met_text = "n/a" if t["met"] is None else ("**met**" if t["met"] else "**not met**")
        value = "n/a" if t["value"] is None else f"{t['value']:.4g}"
        lines.append(f"| {t['target']} | {value} | {t['bound']} | {met_text} | {t['detail']} |")
    lines += ["", "## Share of posterior draws meeting each pattern", "",
              f"{args.draws} posterior draws, 48 runs of each case, seed {PATTERN_CHECK_SEED}.", "",
              "| pattern | share |", "|---|---|"]  # fmt: skip
    lines += [f"| {k} | {v:.2f} |" for k, v in per_pattern.items()]
    lines += ["", "## What the flagship cell follows", "",
              "Spearman rank correlation, over posterior draws, between each parameter and the draw's P(alliance) in "
              "the flagship cell (about " f"{args.runs // max(len(by_draw), 1)} runs per draw).", "",
              "| parameter | Spearman | sd ratio |", "|---|---|---|"]  # fmt: skip
    for k in sorted(rho, key=lambda k: -abs(rho[k]))[:8]:
        lines.append(f"| {k} | {rho[k]:+.2f} | {ratios[k]:.2f} |")
    lines += ["", "## Knife-edge table: one weight at -10% / median / +10%", "",
              "At the posterior median (one parameter set), the same seeds in every cell.", "",
              "| weight | median | " + " | ".join(cases) + " |", "|---|---|" + "---|" * len(cases)]  # fmt: skip
    for r in knife:
        cells = [f"{r[c][0]:.3f} / {r[c][1]:.3f} / {r[c][2]:.3f}" for c in cases]
        lines.append(f"| {r['weight']} | {r['median']:.3g} | " + " | ".join(cells) + " |")
    lines.append("")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), "utf-8")
    args.out.with_name("model_v4_targets.json").write_text(json.dumps(targets, indent=2) + "\n", "utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
