"""Regenerate everything users read, from the shipped model and posterior, in one command.

    python experiments/regenerate.py [--only NAME ...] [--workers N]

Steps (each also runs on its own with --only): calibration (docs/calibration.md and figures, from
the calibration folder given by --calibration, default ./calibration, or the shipped posterior),
model_v4 (docs/model_v4.md: the model-v4 targets, measured), flagship (docs/figures/ heatmaps and curve), tiny_lhs
(docs/figures/tiny_lhs/: the figures `alliance-sim plot` draws for a sampled design), sensitivity
(docs/sensitivity_sobol.md, docs/sensitivity_morris.md and charts), discovery (docs/discovery.md),
landscape (docs/landscape_baseline.md), handouts (seminar/handouts/ for every shipped scenario),
screenshots (docs/screenshots/: the classroom in headless Chromium, experiments/classroom_screenshots.py).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = (
    "calibration", "model_v4", "flagship", "tiny_lhs", "sensitivity", "discovery", "landscape", "handouts", "screenshots",
)  # fmt: skip


def run(args: list[str]) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=STEPS, default=list(STEPS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--calibration",
        type=Path,
        default=Path("calibration"),
        help="calibration folder with leave_one_out/ (default ./calibration; else the shipped posterior)",
    )
    args = parser.parse_args()
    py = sys.executable
    cli = [py, "-m", "simulation.cli"]
    w = ["--workers", str(args.workers)]
    if "calibration" in args.only:
        extra = ["--posterior", str(args.calibration)] if (args.calibration / "posterior.parquet").exists() else []
        run(
            [
                *cli,
                "calibration-report",
                *extra,
                "--out",
                "docs/calibration.md",
                "--figures",
                "docs/figures",
                "--overwrite",
            ]
        )
    if "model_v4" in args.only:
        run([py, "experiments/model_v4_report.py", "--calibration", str(args.calibration)])
    if "flagship" in args.only:
        run([py, "experiments/flagship.py", "--readme-figures", *w])
    if "tiny_lhs" in args.only:
        out = ROOT / "results" / "tiny_lhs"
        run([*cli, "sweep", "experiments/tiny_lhs.yaml", "--out", str(out), "--overwrite", "--quiet", *w])
        figures = ROOT / "docs" / "figures" / "tiny_lhs"
        for old in figures.glob("*.png"):  # a figure the plot no longer draws (nothing to show) must not linger
            old.unlink()
        run([*cli, "plot", str(out), "--outcome", "max_level", "--out", str(out / "figures"), "--overwrite"])
        figures.mkdir(parents=True, exist_ok=True)
        for png in (out / "figures").glob("*.png"):
            shutil.copy(png, figures / png.name)
    if "sensitivity" in args.only:
        for name in ("sobol", "morris"):
            out = ROOT / "results" / f"sensitivity-{name}"
            run(
                [
                    *cli,
                    "sensitivity",
                    f"experiments/sensitivity_{name}.yaml",
                    "--out",
                    str(out),
                    "--rerun",
                    "--overwrite",
                    *w,
                ]
            )
            shutil.copy(out / "sensitivity.md", ROOT / "docs" / f"sensitivity_{name}.md")
            for old in (ROOT / "docs" / "figures").glob(f"{name}_*.png"):
                old.unlink()  # charts of outcomes no longer analysed must not linger
            for png in out.glob(f"{name}_*.png"):
                shutil.copy(png, ROOT / "docs" / "figures" / png.name)
    if "discovery" in args.only:
        run([py, "experiments/what_it_would_take.py", *w])
    if "landscape" in args.only:
        run(
            [
                *cli,
                "landscape",
                "scenarios/baseline_2018_2021.yaml",
                "--out",
                "docs/landscape_baseline.md",
                "--overwrite",
            ]
        )
    if "handouts" in args.only:
        for path in sorted((ROOT / "scenarios").glob("*.yaml")):
            run([*cli, "handout", str(path), "--out", str(ROOT / "seminar" / "handouts" / path.stem), "--overwrite"])
    if "screenshots" in args.only:
        run([py, "experiments/classroom_screenshots.py"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
