"""Flagship experiment: the baseline scenario run once with explanations, plus its outcome distribution."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from simulation.cli import main as cli

    return cli(["run", str(ROOT / "scenarios" / "baseline_2018_2021.yaml"), "--seed", "1",
                "--out", str(ROOT / "results" / "flagship-run")])


if __name__ == "__main__":
    sys.exit(main())
