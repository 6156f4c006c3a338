"""How the network picture labels its pairs, and what placing the labels costs (not a timed test).

    PYTHONPATH=$PWD python experiments/network_labels.py [--pictures 200] [--seed 1]

Draws the network for random level states of five and six countries, at the projector's sizes
(labels 30, names 40, one-word rungs) and the explorer's (21 and 28, full rung names), and prints
the share of pairs labelled across their line, along it, by a numbered badge (words in the key) and
in the key only, with the CPU time per picture (median and max). Prints the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter

import numpy as np

from simulation.dashboard import charts

ACTORS = ("Russia", "China", "US", "India", "EU", "Japan")
SIZES = {
    "projector": {"label_size": 30, "name_size": 40, "short_labels": True},
    "explorer": {"label_size": 21, "name_size": 28, "short_labels": False},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"machine load (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.pictures} pictures each")
    kinds: Counter = Counter()
    original = charts.place_labels

    def counting(*a, **k):
        out = original(*a, **k)
        kinds.update(p.kind for p in out)
        return out

    charts.place_labels = counting
    for n in (5, 6):
        for name, sizes in SIZES.items():
            rng = np.random.default_rng(args.seed)
            kinds.clear()
            cpu = []
            for _ in range(args.pictures):
                upper = np.triu(rng.integers(0, 6, (n, n)), 1)
                t0 = time.process_time()
                charts.network_svg(upper + upper.T, ACTORS[:n], ("Russia", "China"), **sizes)
                cpu.append(time.process_time() - t0)
            total = sum(kinds.values())
            shares = ", ".join(f"{k} {kinds[k] / total:.1%}" for k in ("across", "along", "badge", "key"))
            print(
                f"{n} countries, {name}: {shares}; in the key {(kinds['badge'] + kinds['key']) / total:.1%}; "
                f"CPU per picture median {1000 * statistics.median(cpu):.1f} ms, max {1000 * max(cpu):.1f} ms"
            )
    charts.place_labels = original


if __name__ == "__main__":
    main()
