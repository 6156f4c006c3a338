"""Analysis subcommands: sensitivity, discover, landscape, calibrate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulation.cli.argtypes import bounded_float, bounded_int, scheduler_address, seed_int, top_int, workers_int
from simulation.core.errors import InputError


def _run_or_read(args: argparse.Namespace, sweep, out: Path):
    """Run the sweep into out/sweep (or read results there / given), return (df, manifest)."""
    from simulation.sweeps.execute import read_results, run_sweep

    if args.results is not None:
        return read_results(args.results)
    target = out / "sweep"
    if (target / "results.parquet").exists() and not args.rerun:
        df, manifest = read_results(target)
        if manifest.get("sweep_hash") == sweep.spec_hash:
            return df, manifest
    report = run_sweep(sweep, target, workers=args.workers, overwrite=True, progress=not args.quiet)
    return read_results(report.results)


#: The results column each sensitivity outcome is computed from.
_OUTCOME_COLUMN = {
    "alliance_probability": "alliance",
    "time_to_alliance": "alliance_month",
    "final_level": "final_level",
}


def _check_results_match(where, manifest: dict, df, sweep, outcomes: list[str]) -> None:
    """Sensitivity indices need the results of this very sweep file, complete, with the outcomes asked for."""
    if manifest.get("sweep_hash") != sweep.spec_hash:
        raise InputError(where, "--results", "these results were not made by this sweep file (give the matching file)")
    points = sweep.design_size
    needed = ["point", *(_OUTCOME_COLUMN.get(o, o) for o in outcomes)]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise InputError(
            where, "--results", f"no column '{missing[0]}'; keep it in the sweep's outcomes or choose another --outcome"
        )
    if len(df) != sweep.total_runs or df["point"].nunique() != points:
        raise InputError(
            where,
            "--results",
            f"expected {sweep.total_runs:,} runs over {points:,} points, "
            f"got {len(df):,} runs over {df['point'].nunique():,}",
        )


def cmd_sensitivity(args: argparse.Namespace) -> int:
    import matplotlib.pyplot as plt

    from simulation.analysis.sensitivity import (
        OUTCOMES,
        indices_chart,
        morris_indices,
        outcome_per_point,
        sobol_indices,
    )
    from simulation.core.io import check_output_dir
    from simulation.reporting.plots import save
    from simulation.sweeps.spec import load_sweep

    out = Path(args.out) if args.out else Path("results") / f"sensitivity-{Path(args.file).stem}"
    check_output_dir(out)
    sweep = load_sweep(args.file)
    method = sweep.spec.design.method
    if method not in ("sobol", "morris"):
        raise InputError(args.file, "design.method", f"sensitivity needs sobol or morris (got {method})")
    out.mkdir(parents=True, exist_ok=True)
    df, manifest = _run_or_read(args, sweep, out)
    outcomes = args.outcome or list(OUTCOMES)
    _check_results_match(args.results or out / "sweep", manifest, df, sweep, outcomes)
    problem = sweep.salib_problem()
    lines = [
        f"# {sweep.spec.title}",
        "",
        f"Method: {method}; {sweep.points.shape[0]:,} design points x "
        f"{sweep.spec.replicates} runs. Sweep file: `{args.file}`.",
        "",
    ]
    for outcome in outcomes:
        y = outcome_per_point(df, outcome, sweep.base.steps)
        if method == "sobol":
            table = sobol_indices(problem, y, sweep.spec.design.second_order, sweep.spec.master_seed % 2**32)
            table = table.sort_values("ST", ascending=False)
        else:
            table = morris_indices(problem, sweep.points, y, sweep.spec.design.levels, sweep.spec.master_seed % 2**32)
            table = table.sort_values("mu_star", ascending=False)
        table.to_csv(out / f"{method}_{outcome}.csv")
        fig = indices_chart(table, method, outcome)
        save(fig, out / f"{method}_{outcome}")
        plt.close(fig)
        lines += [f"## {outcome.replace('_', ' ')} ({OUTCOMES[outcome]})", "", table.round(4).to_markdown(), ""]
        print(f"\n{outcome}: top drivers")
        print(table.head(5).round(3).to_string())
    (out / "sensitivity.md").write_text("\n".join(lines), "utf-8")
    print(f"\nWrote {out}/sensitivity.md, CSV tables and charts")
    return 0


def cmd_landscape(args: argparse.Namespace) -> int:
    from simulation.analysis.landscape import landscape_from_file, landscape_markdown
    from simulation.core.io import check_output_file

    if args.out:
        check_output_file(args.out)
    result = landscape_from_file(args.file)
    text = landscape_markdown(result, top=args.top)
    if args.out:
        Path(args.out).write_text(text, "utf-8")
    sys.stdout.write(text)
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    from simulation.analysis.discovery import discover_from_results
    from simulation.core.io import check_output_dir

    out = Path(args.out) if args.out else Path(args.results).parent / "discovery"
    check_output_dir(out)
    report = discover_from_results(
        Path(args.results), threshold=args.threshold, out=out, min_density=args.min_density, outcome=args.outcome
    )
    print(report)
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Calibrate the behavioural parameters on a patterns file; writes posterior.parquet/.json."""
    from simulation.calibration.abc import calibrate, calibrate_rejection
    from simulation.calibration.patterns import load_patterns
    from simulation.core.io import check_output_dir

    load_patterns(args.patterns)  # bad input: one line before anything runs
    out = Path(args.out) if args.out else Path.cwd() / "calibration"
    check_output_dir(out)
    if args.method == "rejection":
        manifest = calibrate_rejection(patterns_path=args.patterns, out_dir=out, draws=args.draws, accept=args.accept,
                                       replicates=args.replicates, seed=args.seed, workers=args.workers or 2,
                                       scheduler=args.scheduler, resume=args.resume, leave_out=args.leave_one_out,
                                       progress=print, waves=args.waves)  # fmt: skip
    else:
        manifest = calibrate(patterns_path=args.patterns, out_dir=out, population_size=args.population,
                             generations=args.generations, replicates=args.replicates, seed=args.seed,
                             workers=args.workers or 2, scheduler=args.scheduler, resume=args.resume,
                             exclude=args.leave_out, progress=print)  # fmt: skip
    print(
        f"Wrote {out / 'posterior.parquet'} and {out / 'posterior.json'}: {manifest['runs']:,} runs, "
        f"{manifest['minutes']} min, tolerance {manifest['epsilons'][-1]:.3g}"
    )
    if args.ship:
        import shutil

        from simulation.behaviour import posterior_files

        table, meta = posterior_files()
        shutil.copyfile(out / "posterior.parquet", table)
        shutil.copyfile(out / "posterior.json", meta)
        print(f"Shipped as {table}")
    return 0


def cmd_calibration_report(args: argparse.Namespace) -> int:
    from simulation.calibration.report import write_report
    from simulation.core.io import check_output_dir, check_output_file

    check_output_file(args.out)
    check_output_dir(args.figures, "--figures")
    path = write_report(args.posterior, Path(args.out), Path(args.figures), args.loo, draws=args.draws)
    print(f"Wrote {path}")
    return 0


def add_analysis_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sensitivity",
        help="Sobol or Morris sensitivity indices from a sweep file (SALib)",
        description="Run a sobol or morris sweep file and compute sensitivity indices "
        "(first and total order with 95%% intervals, or Morris mu*) for the alliance outcomes.",
    )
    p.add_argument("file", type=Path, help="sweep YAML with design method sobol or morris")
    p.add_argument("--outcome", action="append", choices=["alliance_probability", "time_to_alliance", "final_level"])
    p.add_argument("--results", type=Path, help="use these sweep results instead of running the sweep")
    p.add_argument("--workers", type=workers_int, default=None)
    p.add_argument("--out", type=Path)
    p.add_argument("--rerun", action="store_true", help="run the sweep again even if results exist")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser(
        "discover",
        help="scenario discovery (PRIM) on sweep results",
        description="Find boxes of swept-parameter ranges where an alliance of the focal pair is likely "
        "(PRIM, EMA Workbench): coverage, density, restricted dimensions.",
    )
    p.add_argument("results", type=Path, help="results.parquet of a sweep (or its folder)")
    p.add_argument(
        "--threshold",
        type=bounded_float(0.0, 1.0),
        default=0.5,
        help="a point is 'of interest' when P(alliance) exceeds this",
    )
    p.add_argument(
        "--min-density",
        type=bounded_float(0.0, 1.0, open_low=True),
        default=0.8,
        help="choose the box with the most coverage at this density",
    )
    p.add_argument(
        "--outcome",
        choices=["alliance", "entente"],
        default="alliance",
        help="what a point's probability is about: a formal alliance (default) or entente or closer",
    )
    p.add_argument("--out", type=Path)
    p.set_defaults(func=cmd_discover)

    p = sub.add_parser(
        "landscape",
        help="landscape theory (Axelrod & Bennett 1993): two-bloc energies",
        description="Energy of every two-bloc configuration from a scenario (sizes and propensities "
        "derived from the registry) or a table file (YAML or CSV: sizes and a propensity matrix).",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--top", type=top_int, default=10)
    p.add_argument("--out", type=Path)
    p.set_defaults(func=cmd_landscape)

    p = sub.add_parser(
        "calibrate",
        help="fit the behavioural parameters to the patterns (ABC)",
        description="Approximate Bayesian computation of every behavioural parameter the registry "
        "labels a model quantity, with uniform priors on its documented range, against the "
        "patterns file (default: the shipped one). Each parameter draw is a batch of "
        "replicate runs of every case on the batch engine. Default: rejection ABC on a "
        "reference table, in history-matching waves (--waves; each resumable chunk by chunk; "
        "--leave-one-out reuses the first), with a simulation-based calibration check; --method "
        "smc: pyabc's ABC-SMC. Writes posterior.parquet and posterior.json.",
    )
    p.add_argument("patterns", type=Path, nargs="?", default=None, help="patterns YAML (default: the shipped one)")
    p.add_argument("--out", type=Path, help="output folder (default: ./calibration)")
    p.add_argument(
        "--method",
        choices=["rejection", "smc"],
        default="rejection",
        help="rejection ABC on a reference table (default) or pyabc's ABC-SMC",
    )
    p.add_argument(
        "--draws",
        type=bounded_int(16, 10_000_000),
        default=4_096,
        help="rejection: draws per wave (each wave is a reference table)",
    )
    p.add_argument(
        "--waves",
        type=bounded_int(1, 10),
        default=2,
        help="rejection: history-matching waves (each refocuses on the box not ruled out; the last is the posterior)",
    )
    p.add_argument(
        "--accept", type=bounded_int(2, 1_000_000), default=200, help="rejection: draws kept (the posterior)"
    )
    p.add_argument(
        "--leave-one-out",
        action="store_true",
        help="rejection: also write one posterior per left-out pattern (OUT/leave_one_out/<id>)",
    )
    p.add_argument("--population", type=bounded_int(2, 1_000_000), default=400, help="smc: particles per population")
    p.add_argument("--generations", type=bounded_int(1, 1000), default=10, help="smc: at most this many populations")
    p.add_argument("--leave-out", help="smc: calibrate without this pattern id")
    p.add_argument("--replicates", type=bounded_int(1, 1_000_000), default=24, help="runs of each case per draw")
    p.add_argument("--seed", type=seed_int, default=20260101, help="seed of the prior design, replicates and sampler")
    p.add_argument("--workers", type=workers_int, default=None, help="local processes (default 2)")
    p.add_argument("--scheduler", type=scheduler_address, help="a Dask scheduler address (tcp://host:port)")
    p.add_argument("--resume", action="store_true", help="continue the calibration stored in OUT")
    p.add_argument("--ship", action="store_true", help="copy the result into the package as the shipped posterior")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser(
        "calibration-report",
        help="diagnostics of a posterior: fit per pattern, leave-one-out, identifiability",
        description="Posterior marginals against priors, trade-offs, the share "
        "of posterior predictive draws meeting each pattern, the leave-one-out table and the "
        "posterior predictive P(alliance) of every shipped scenario, as Markdown and figures.",
    )
    p.add_argument("--posterior", type=Path, help="folder with posterior.parquet/.json (default: the shipped one)")
    p.add_argument(
        "--loo",
        type=Path,
        help="folder of leave-one-out posteriors, one subfolder each "
        "(default: <posterior>/leave_one_out when it exists)",
    )
    p.add_argument("--out", type=Path, default=Path("docs/calibration.md"))
    p.add_argument("--figures", type=Path, default=Path("docs/figures"))
    p.add_argument(
        "--draws", type=bounded_int(1, 1_000_000), default=100, help="posterior draws for the predictive checks"
    )
    p.set_defaults(func=cmd_calibration_report)
