"""Sweep subcommand: ``sweep`` (run a sweep file); ``plot`` is in cli_research."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from simulation.cli.argtypes import chunk_size_int, max_runs_int, scheduler_address, workers_int

#: A sweep above this many runs asks for --yes (change with --max-runs).
DEFAULT_MAX_RUNS = 2_000_000
#: Measured on a 2-core machine (experiments/benchmark.py); for the size estimate only.
ESTIMATED_RUNS_PER_SECOND_PER_CORE = 3000
ESTIMATED_BYTES_PER_RUN = 60


def cmd_sweep(args: argparse.Namespace) -> int:
    import logging

    from rich.console import Console

    from simulation.core.io import check_output_dir
    from simulation.sweeps.execute import run_sweep
    from simulation.sweeps.spec import load_sweep

    console = Console(stderr=True, highlight=False)
    out = Path(args.out) if args.out else Path("results") / Path(args.file).stem
    check_output_dir(out)
    sweep = load_sweep(args.file, chunk_size=args.chunk_size, max_runs=None if args.yes else args.max_runs)
    runs = sweep.total_runs
    cores = args.workers or os.cpu_count() or 1
    est_s = runs / (ESTIMATED_RUNS_PER_SECOND_PER_CORE * cores)
    est_mb = runs * ESTIMATED_BYTES_PER_RUN / 1e6

    def announce() -> None:  # once the folder is checked and locked: a refusal stays one line
        console.print(
            f"[bold]{sweep.spec.title}[/bold]\n{sweep.design_size:,} design points x "
            f"{sweep.spec.replicates:,} replicates = {runs:,} runs in {len(sweep.chunks())} chunks; "
            f"about {est_s:,.0f} s on {cores} worker(s), about {est_mb:,.1f} MB of results -> {out}"
        )

    warnings = logging.getLogger("simulation.sweeps.execute")
    handler = _WarningLine(console)
    warnings.addHandler(handler)
    try:
        report = run_sweep(
            sweep,
            out,
            workers=args.workers,
            executor_kind=args.executor,
            scheduler=args.scheduler,
            resume=args.resume,
            overwrite=args.overwrite,
            progress=not args.quiet,
            on_start=announce,
        )
    except KeyboardInterrupt:
        console.print(
            f"\nInterrupted. Finished chunks are kept in {out}/parts; to finish, run:\n"
            f"  alliance-sim sweep {args.file} --out {out} --resume"
        )
        return 130
    finally:
        warnings.removeHandler(handler)
    console.print(
        f"Done: {report.runs:,} runs in {report.seconds:.1f} s ({report.runs_per_second:,.0f} runs/s). "
        f"Results: {report.results}; manifest: {out / 'manifest.json'}"
    )
    return 0


class _WarningLine:
    """A logging handler that prints the sweep runner's warnings (recomputed chunks) as 'warning: ...' lines."""

    level = 30

    def __init__(self, console):
        self.console = console

    def handle(self, record) -> None:
        if record.levelno >= self.level:
            self.console.print(f"warning: {record.getMessage()}", markup=False)


def add_sweep_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a sweep file (many stochastic runs) into a Parquet table",
        description=(
            "Run every design point of a sweep file, with its replicates, on the batch engine. "
            "Writes results.parquet (one row per run) and manifest.json. Same file and master "
            "seed give the same table whatever the workers or chunk size."
        ),
    )
    p.add_argument("file", type=Path, help="sweep YAML (see experiments/)")
    p.add_argument("--workers", type=workers_int, default=None, help="processes (default: all cores)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default results/<sweep name>)")
    p.add_argument("--chunk-size", type=chunk_size_int, default=None, help="runs per chunk (default from the file)")
    p.add_argument(
        "--executor",
        choices=["process", "dask"],
        default="process",
        help="local processes (default) or Dask (a LocalCluster unless --scheduler)",
    )
    p.add_argument(
        "--scheduler",
        type=scheduler_address,
        default=None,
        help="address of a Dask scheduler, e.g. tcp://10.0.0.5:8786",
    )
    p.add_argument("--resume", action="store_true", help="finish an interrupted sweep in --out")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="start again in --out if it holds a sweep made by this tool (only its files are removed)",
    )
    p.add_argument("--yes", action="store_true", help="run even above --max-runs")
    p.add_argument("--max-runs", type=max_runs_int, default=DEFAULT_MAX_RUNS, help="size that needs --yes")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(1)
