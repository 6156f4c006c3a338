"""Flagship experiment: probability of a Russia-China alliance against US pressure.

Runs experiments/flagship_us_pressure.yaml (pressure on Russia x pressure on China, with
and without EU coordination, 200 runs per point), draws its figures, prints the headline
table. Usage: ``python experiments/flagship.py [--workers N] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ROOT / "experiments" / "flagship_us_pressure.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "flagship")
    parser.add_argument("--readme-figures", action="store_true", help="also refresh docs/figures/")
    args = parser.parse_args()

    import matplotlib.pyplot as plt

    from simulation.cli import main as cli
    from simulation.core.stats import proportion
    from simulation.reporting import plots
    from simulation.sweeps.execute import read_results

    sweep_args = ["sweep", str(SWEEP), "--out", str(args.out), "--overwrite"]
    if args.workers:
        sweep_args += ["--workers", str(args.workers)]
    code = cli(sweep_args)
    if code:
        return code
    df, manifest = read_results(args.out)
    figures = args.out / "figures"
    written = []
    for coord in (0.0, 1.0):
        fig = plots.alliance_heatmap(
            df, "pressure_on_russia", "pressure_on_china", fix={"eu_coordination": coord}, manifest=manifest
        )
        written += plots.save(fig, figures / f"heatmap_eu_coordination_{coord:g}")
    fig = plots.alliance_probability(
        df, "pressure_on_china", hue="eu_coordination", fix={"pressure_on_russia": 0.5}, manifest=manifest
    )
    fig.axes[0].set_title("P(alliance) vs US pressure on China (pressure on Russia 0.5)")
    written += plots.save(fig, figures / "probability_vs_pressure_on_china")
    sub = df[df["eu_coordination"] == 0.0]
    written += plots.save(
        plots.final_alignment(sub, by="pressure_on_china", manifest=manifest), figures / "final_alignment"
    )
    written += plots.save(
        plots.time_to_alliance(sub[sub["pressure_on_china"] >= 0.5], by="pressure_on_china", manifest=manifest),
        figures / "time_to_alliance",
    )
    written += plots.save(
        plots.fan_chart(
            sub[sub["pressure_on_russia"] == 0.5],
            by="pressure_on_china",
            values=[0.0, 0.4, 0.5, 0.6, 1.0],
            manifest=manifest,
        ),
        figures / "fan_chart",
    )
    plt.close("all")

    print("\nP(formal alliance of the focal pair), pressure on Russia 0.5, [Wilson 95%]:")
    print(f"{'pressure on China':>18} | {'EU coordination 0':>22} | {'EU coordination 1':>22}")
    for pc in (0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0):
        cells = []
        for coord in (0.0, 1.0):
            g = df[
                (df.pressure_on_russia == 0.5) & (abs(df.pressure_on_china - pc) < 1e-9) & (df.eu_coordination == coord)
            ]
            share, lo, hi = proportion(int(g["alliance"].sum()), len(g))
            cells.append(f"{share:5.2f} [{lo:.2f}, {hi:.2f}]")
        print(f"{pc:>18.1f} | {cells[0]:>22} | {cells[1]:>22}")
    print(f"\nFigures: {figures}")
    if args.readme_figures:
        target = ROOT / "docs" / "figures"
        target.mkdir(parents=True, exist_ok=True)
        for name in (
            "heatmap_eu_coordination_0.png",
            "heatmap_eu_coordination_1.png",
            "probability_vs_pressure_on_china.png",
        ):
            shutil.copy(figures / name, target / name)
        print(f"README figures refreshed in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
