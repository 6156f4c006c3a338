"""Time the shipped policy search (experiments/us_strategy.yaml) end to end, and say how loaded the machine was.

    python experiments/us_strategy_benchmark.py --out results/us_strategy --workers 2
    python experiments/us_strategy_benchmark.py --out /tmp/us_gen2 --generations 2   # a slice, extrapolated

Prints (and writes as JSON beside the results, ``benchmark.json``) the wall time, the process's CPU time,
the runs and policies evaluated, the load average before and after, and two extrapolations to the whole
study on a machine with ``--workers`` cores to itself: runs / (runs per wall second) scaled by the share
of the machine the process had (CPU seconds / wall seconds / workers), and CPU seconds / workers. With
``--generations`` below the file's, only that many generations run (a fresh folder) and the whole study's
runs are extrapolated at the measured rate.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", default=str(ROOT / "experiments" / "us_strategy.yaml"))
    parser.add_argument("--out", type=Path, required=True, help="a new folder (or one of this tool's, replaced)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--generations", type=int, default=None, help="run only this many generations")
    args = parser.parse_args(argv)

    from simulation.strategy import load_policy_search, run_policy_search

    search = load_policy_search(args.file)
    generations = search.spec.search.generations
    stop = args.generations if args.generations is not None and args.generations < generations else None
    load_before = os.getloadavg()
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    report = run_policy_search(
        search, args.out, workers=args.workers, overwrite=True, progress=True, stop_after_generations=stop
    )
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    load_after = os.getloadavg()
    from simulation.sweeps.folder import read_manifest

    manifest, _ = read_manifest(args.out)
    runs = report.runs if report is not None else _runs_in_parts(args.out, search)
    per_policy = search.runs_per_policy
    study_runs = search.policies_total * per_policy  # proposed policies: an upper bound (duplicates run once)
    share = min(1.0, cpu / wall / args.workers) if wall > 0 else 1.0
    result = {
        "file": args.file,
        "workers": args.workers,
        "cores": os.cpu_count(),
        "generations_run": stop or generations,
        "generations_in_file": generations,
        "runs": runs,
        "policies_evaluated": report.policies if report is not None else None,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "runs_per_wall_second": round(runs / wall, 1),
        "share_of_machine": round(share, 3),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "study_runs_at_most": study_runs,
        "study_minutes_at_measured_rate": round(study_runs / (runs / wall) / 60, 1),
        "study_minutes_with_the_cores_to_itself": round(study_runs / (runs / wall) * share / 60, 1),
        "complete": bool(manifest and manifest.get("complete")),
    }
    (args.out / "benchmark.json").write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    print(json.dumps(result, indent=1))  # noqa: T201
    return 0


def _runs_in_parts(out: Path, search) -> int:
    """Runs in the parts written by a search stopped early (policies x runs per policy)."""
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(p).num_rows for p in (out / "parts").glob("search-*.parquet")) * search.runs_per_policy


if __name__ == "__main__":
    raise SystemExit(main())
