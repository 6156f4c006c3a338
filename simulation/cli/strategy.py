"""Policy-search subcommand: ``policy-search`` (search the levers for robust US strategies)."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from simulation.cli.argtypes import scheduler_address, workers_int
from simulation.cli.sweep import WarningLine


def cmd_policy_search(args: argparse.Namespace) -> int:
    import logging

    from rich.console import Console

    from simulation.core.io import check_output_dir
    from simulation.strategy import load_policy_search, run_policy_search

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    out = Path(args.out) if args.out else Path("results") / Path(args.file).stem
    check_output_dir(out)
    search = load_policy_search(args.file)
    spec = search.spec
    worlds = spec.worlds
    console.print(
        f"[bold]{spec.title}[/bold]\n{spec.search.population} policies x {spec.search.generations} generations, "
        f"each on {worlds.draws} posterior draws x {worlds.replicates} runs ({search.runs_per_policy:,} runs per "
        f"policy, at most {search.policies_total * search.runs_per_policy:,} runs) -> {out}"
    )
    warnings = logging.getLogger("simulation.strategy.folder")
    handler = WarningLine(console)
    warnings.addHandler(handler)
    try:
        report = run_policy_search(
            search,
            out,
            workers=args.workers,
            executor_kind=args.executor,
            scheduler=args.scheduler,
            resume=args.resume,
            overwrite=args.overwrite,
            progress=not args.quiet,
        )
    except KeyboardInterrupt:
        words = ["alliance-sim", "policy-search", str(args.file), "--out", str(out), "--resume"]
        console.print(
            f"\nInterrupted. Finished work is kept in {out}/parts; to finish, run:\n  {shlex.join(words)}",
            markup=False,
        )
        return 130
    finally:
        warnings.removeHandler(handler)
    assert report is not None
    console.print(
        f"Done: {report.policies:,} policies ({report.runs:,} runs this session) in {report.seconds:.1f} s; "
        f"{report.pareto} on the front. Report: {out / 'report.md'}; figures: {out / 'figures'}",
        markup=False,
    )
    return 0


def add_strategy_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "policy-search",
        help="search US (and EU) levers for policies robust across the posterior (needs the 'search' extra)",
        description=(
            "Many-objective search (NSGA-II, pymoo) over the levers of a policy-search file. Every policy "
            "is judged on the same posterior draws and seeds; each objective is reduced over the draws by "
            "its robustness statistic. Writes pareto.parquet, evaluations.parquet, per_draw.parquet, the "
            "named policies against the front, the front re-evaluated on held-out draws and fresh seeds, "
            "scenario discovery on where chosen policies fail, figures, report.md and manifest.json. "
            "Same file, same result whatever the workers; an interrupted search finishes with --resume."
        ),
    )
    p.add_argument("file", type=Path, help="policy-search YAML (see experiments/us_strategy.yaml)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default results/<file name>)")
    p.add_argument("--workers", type=workers_int, default=None, help="tasks run at once (default: all cores)")
    p.add_argument(
        "--executor",
        choices=["thread", "process", "dask"],
        default="thread",
        help="threads of this process (default), local processes, or Dask; the results are the same",
    )
    p.add_argument("--scheduler", type=scheduler_address, default=None, help="address of a Dask scheduler")
    p.add_argument("--resume", action="store_true", help="finish an interrupted search in --out")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="start again in --out if it holds a policy search made by this tool (only its files are removed)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_policy_search)
