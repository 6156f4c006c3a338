"""Model-v2 figures: start-up transient, resting point, headline probabilities, and the knife-edge table.

    python experiments/model_v2_report.py [--runs 2000] [--out docs/model_v2.md]

Reports, with the shipped calibration:
- the share of pairs that change level in month 1 of the baseline (the start-up transient);
- the held-inputs stationarity: share of pair-months of the first 12 months at the documented level;
- P(formal alliance) at baseline, under high pressure and with a trans-Atlantic united front,
  posterior predictive (a parameter draw per run) and at the posterior median (one set);
- the knife-edge table: P(alliance) in the baseline and the united front at the posterior median,
  and with each behavioural weight at -10% and +10% of it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "model_v2.md")
    args = parser.parse_args()

    from simulation.behaviour import shipped_posterior
    from simulation.core.paths import shipped_scenario
    from simulation.core.stats import proportion
    from simulation.runner import replicate_seeds, run_batch
    from simulation.world.scenario import apply_overrides, load_scenario

    seeds = replicate_seeds(424242, args.runs)
    sc = {
        name: load_scenario(shipped_scenario(name))
        for name in ("baseline_2018_2021", "held_inputs_2018", "high_us_pressure", "transatlantic_united_front")
    }
    lines = ["# Model v2: start-up, resting point, headline probabilities, knife-edge", "",
             f"Regenerate with `python experiments/model_v2_report.py --runs {args.runs}` ({args.runs:,} runs per "
             "figure; seeds `replicate_seeds(424242, runs)`). Proportions carry Wilson 95% intervals.", ""]  # fmt: skip

    base = run_batch(sc["baseline_2018_2021"], seeds, parameters="posterior")
    held = run_batch(sc["held_inputs_2018"], seeds, parameters="posterior")
    lines += [f"- Month-1 level changes at baseline: **{base['month1_change_share'].mean():.3%}** of pairs "
              "(the landed model of the previous release: 7 of 10 pairs in every run).",
              f"- Held-inputs stationarity (first 12 months): **{held['stationary_share_year1'].mean():.1%}** of "
              "pair-months at the documented 2018 level (target >= 90%).", ""]  # fmt: skip

    def fmt(df):
        p, lo, hi = proportion(int(df["alliance"].sum()), len(df))
        return f"{p:.3f} [{lo:.3f}, {hi:.3f}]"

    lines += [
        "| scenario | P(alliance), posterior predictive | P(alliance), posterior median | P(entente or closer), predictive |",
        "|---|---|---|---|",
    ]
    for name in ("baseline_2018_2021", "high_us_pressure", "transatlantic_united_front"):
        pp = run_batch(sc[name], seeds, parameters="posterior")
        pt = run_batch(sc[name], seeds, parameters="point")
        ent = proportion(int((pp["max_level"] >= 4).sum()), len(pp))
        lines.append(f"| {name} | {fmt(pp)} | {fmt(pt)} | {ent[0]:.3f} [{ent[1]:.3f}, {ent[2]:.3f}] |")

    post = shipped_posterior()
    if post is None:
        raise SystemExit("no calibrated posterior ships: run `alliance-sim calibrate --ship` first")
    median = dict(zip(post.keys, post.median(), strict=True))
    weights = [k for k in post.keys if k.startswith(("weight.", "treaty_weight."))]
    lines += ["", "## Knife-edge table: one weight at -10% / +10% of its posterior median", "",
              "P(alliance) in the baseline, the united front and under high pressure, and P(entente or closer) in the "
              "baseline (the quantity that moves at baseline), all at the posterior median (one parameter set).", "",
              "| weight | median | P(alliance) baseline -10/0/+10% | united front -10/0/+10% | high pressure -10/0/+10% "
              "| P(entente) baseline -10/0/+10% |", "|---|---|---|---|---|---|"]  # fmt: skip
    cases = [
        ("baseline_2018_2021", "alliance"),
        ("transatlantic_united_front", "alliance"),
        ("high_us_pressure", "alliance"),
        ("baseline_2018_2021", "entente"),
    ]

    def measure(df, what):
        return df["alliance"].mean() if what == "alliance" else (df["max_level"] >= 4).mean()

    point = {c: measure(run_batch(sc[c[0]], seeds, parameters="point"), c[1]) for c in cases}
    spread = []
    for key in weights:
        row = [key, f"{median[key]:.3g}"]
        for c in cases:
            vals = []
            for factor in (0.9, 1.1):
                varied = apply_overrides(sc[c[0]], {f"parameters.{key}": median[key] * factor})
                vals.append(measure(run_batch(varied, seeds, parameters="point"), c[1]))
            if c[1] == "alliance":
                spread.append(max(abs(v - point[c]) for v in vals))
            row.append(f"{vals[0]:.3f} / {point[c]:.3f} / {vals[1]:.3f}")
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", f"Largest change of P(alliance) from a 10% change of one weight: **{max(spread):.3f}** "
              f"(median over weights and scenarios {np.median(spread):.3f}). The landed model of the previous release: "
              "0.00 / 0.02 / 0.41 for weight.shared_threat at -10% / 0 / +10% in the baseline.", ""]  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), "utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
