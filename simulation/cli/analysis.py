"""Analysis subcommands: sensitivity, discover, landscape, calibrate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulation.analysis.defaults import COMPARE_OUTCOMES, SENSITIVITY_OUTCOMES
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


def _check_results_match(where, manifest: dict, df, sweep, outcomes: list[str]) -> None:
    """Sensitivity indices need the results of this very sweep file, complete, with the outcomes asked for."""
    from simulation.outcomes import numeric_outcome

    if manifest.get("sweep_hash") != sweep.spec_hash:
        raise InputError(where, "--results", "these results were not made by this sweep file (give the matching file)")
    points = sweep.design_size
    if "point" not in df.columns:
        raise InputError(where, "--results", "no column 'point': not the results of a sweep")
    for name in outcomes:
        numeric_outcome(name, df.columns)
    if len(df) != sweep.total_runs or df["point"].nunique() != points:
        raise InputError(
            where,
            "--results",
            f"expected {sweep.total_runs:,} runs over {points:,} points, "
            f"got {len(df):,} runs over {df['point'].nunique():,}",
        )


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from simulation.analysis.sensitivity import analyse_sweep
    from simulation.core.io import check_new_folder, check_output_dir
    from simulation.outcomes import numeric_outcome
    from simulation.sweeps.spec import load_sweep

    out = Path(args.out) if args.out else Path("results") / f"sensitivity-{Path(args.file).stem}"
    check_output_dir(out)
    sweep = load_sweep(args.file)
    method = sweep.spec.design.method
    if method not in ("sobol", "morris"):
        raise InputError(args.file, "design.method", f"sensitivity needs sobol or morris (got {method})")
    outcomes = args.outcome or list(SENSITIVITY_OUTCOMES)
    for name in outcomes:  # before anything runs: an outcome the sweep does not keep is one line
        numeric_outcome(name, None if args.results is not None else _kept_columns(sweep), args.file)
    check_new_folder(out, args.overwrite)  # the writer rule, after the inputs are named and before any run
    out.mkdir(parents=True, exist_ok=True)
    df, manifest = _run_or_read(args, sweep, out)
    _check_results_match(args.results or out / "sweep", manifest, df, sweep, outcomes)
    result = analyse_sweep(sweep, df, manifest, outcomes, out, source=str(args.file))
    for name, shown in result.tables.items():
        print(f"\n{name} ({result.words[name]}): top drivers")
        if result.warnings[name]:
            print(f"warning: {result.warnings[name]}")
        print(shown.head(5).round(3).to_string())
    print(f"\nWrote {out}/sensitivity.md, CSV tables and charts")
    return 0


def _kept_columns(sweep) -> list[str]:
    """The outcome columns a sweep's results will hold."""
    from simulation.outcomes import pair_columns

    kept = [c for c in sweep.spec.outcomes if c not in ("final_levels", "trajectory")]
    if "final_levels" in sweep.spec.outcomes:
        kept += [f"final_{c}" for _, _, c in pair_columns(tuple(sweep.base.actors))]
    return kept


def cmd_compare(args: argparse.Namespace) -> int:
    """Two scenarios side by side over the same seeds: each outcome, and the difference with its interval."""
    from simulation.analysis.compare import DEFAULT_OUTCOMES, compare_scenarios, comparison_markdown, write_comparison
    from simulation.core.io import check_new_folder

    if args.out is not None:
        check_new_folder(args.out, args.overwrite)
    result = compare_scenarios(
        args.a, args.b, runs=args.runs, seed=args.seed, parameters=args.parameters,
        outcomes=tuple(args.outcome or DEFAULT_OUTCOMES),
    )  # fmt: skip
    print(comparison_markdown(result))
    if args.out is not None:
        for path in write_comparison(result, Path(args.out)):
            print(path)
    return 0


def cmd_landscape(args: argparse.Namespace) -> int:
    from simulation.analysis.landscape import landscape_from_file, landscape_markdown
    from simulation.core.io import check_new_file, write_atomic

    if args.out:
        check_new_file(args.out, args.overwrite, inputs=(args.file,))
    result = landscape_from_file(args.file)
    text = landscape_markdown(result, top=args.top)
    if args.out:
        write_atomic(args.out, text)
    sys.stdout.write(text)
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    from simulation.analysis.discovery import DISCOVERY_FILES, default_discovery_dir, discover_from_results
    from simulation.core.io import check_output_dir

    out = (
        Path(args.out)
        if args.out
        else default_discovery_dir(args.results, args.outcome, args.threshold, args.min_density)
    )
    check_output_dir(out)
    if out.is_dir() and not args.overwrite:  # before any work: a folder holding what discover did not make
        foreign = sorted(p.name for p in out.iterdir() if p.name not in DISCOVERY_FILES)
        if foreign:
            raise InputError(
                out,
                "--out",
                f"holds files discover did not make (e.g. {foreign[0]}); not written into (use another --out, "
                "or add --overwrite)",
            )
    report = discover_from_results(
        Path(args.results), threshold=args.threshold, out=out, min_density=args.min_density, outcome=args.outcome,
        overwrite=args.overwrite,
    )  # fmt: skip
    print(report)
    print(f"Wrote to {out}/: " + ", ".join(name for name in DISCOVERY_FILES if (out / name).is_file()))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Calibrate the behavioural parameters on a patterns file; writes posterior.parquet/.json."""
    from simulation.calibration.patterns import load_patterns
    from simulation.core.io import FolderLock

    if args.method == "smc":  # before anything runs: the one method that needs an optional extra
        import pyabc  # noqa: F401 - a missing extra is one line naming it (alliance-sim[smc])
    patterns = load_patterns(args.patterns)  # bad input: one line before anything runs
    check_pattern_count(patterns, args.patterns)
    out = Path(args.out) if args.out else Path.cwd() / "calibration"
    check_calibrate_options(args, patterns, out)
    check_calibration_folder(out, args.resume, args.overwrite)
    _fill_calibrate_defaults(args)
    with FolderLock(out, "calibration"):  # a second calibration on this folder is refused, as sweeps do
        manifest = _calibrate(args, out)
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


#: A calibration weighs patterns against each other (its compatibility table is about pairs): one is not enough.
MIN_PATTERNS = 2


def check_pattern_count(patterns, source: Path | None) -> None:
    """Refuse, before any run, a patterns file a calibration cannot use: fewer than two patterns."""
    n = len(patterns.patterns)
    if n < MIN_PATTERNS:
        raise InputError(
            source,
            "patterns",
            f"{n} pattern: a calibration needs at least {MIN_PATTERNS} (it reports which patterns the model "
            "can meet together)",
        )


def check_calibration_folder(out: Path, resume: bool, overwrite: bool) -> None:
    """The writer rule for a calibration's folder, before any run: a new or empty folder; an earlier
    calibration's folder only with --resume (continue it) or --overwrite (start again); a folder holding
    other files only with --overwrite; a posterior.json or posterior.parquet the tool did not make never."""
    from simulation.core.io import check_output_dir, tool_manifest

    check_output_dir(out)
    if not out.is_dir():
        return
    entries = sorted(p.name for p in out.iterdir() if p.name != ".lock")
    if not entries:
        return
    posterior = tool_manifest(out, "posterior.json")
    if posterior is not None and posterior.get("kind") != "posterior":
        posterior = None
    if (out / "posterior.json").exists() and posterior is None:
        raise InputError(
            out / "posterior.json", "--out", "is not a posterior made by alliance-sim; not replaced (use another --out)"
        )
    if (out / "posterior.parquet").exists() and posterior is None:
        raise InputError(
            out / "posterior.parquet",
            "--out",
            "has no alliance-sim posterior.json beside it (not a calibration's); not replaced (use another --out)",
        )
    started = posterior is not None or (out / "reference_table").is_dir() or (out / "calibration.db").is_file()
    if not started:
        if not overwrite:
            raise InputError(
                out,
                "--out",
                f"exists and holds files not made by a calibration (e.g. {entries[0]}); not written into "
                "(add --overwrite to write beside them, or use a new folder)",
            )
        return
    if not (resume or overwrite):
        state = "a finished calibration (posterior.json)" if posterior is not None else "an unfinished calibration"
        raise InputError(
            out,
            "--out",
            f"holds {state}; not replaced: add --resume to continue it, --overwrite to start again, "
            "or use another --out",
        )


def _calibrate(args: argparse.Namespace, out: Path) -> dict:
    from simulation.calibration.abc import calibrate, calibrate_rejection

    if args.method == "rejection":
        manifest = calibrate_rejection(patterns_path=args.patterns, out_dir=out, draws=args.draws, accept=args.accept,
                                       replicates=args.replicates, seed=args.seed, workers=args.workers or 2,
                                       scheduler=args.scheduler, resume=args.resume, leave_out=args.leave_one_out,
                                       progress=print, waves=args.waves, converge=args.converge,
                                       sbc_truths=args.sbc_truths, sbc_draws=args.sbc_draws)  # fmt: skip
    else:
        manifest = calibrate(patterns_path=args.patterns, out_dir=out, population_size=args.population,
                             generations=args.generations, replicates=args.replicates, seed=args.seed,
                             workers=args.workers or 2, scheduler=args.scheduler, resume=args.resume,
                             exclude=args.leave_out, progress=print)  # fmt: skip
    return manifest


#: Defaults of the calibrate options that belong to one method (None on the command line: not given).
CALIBRATE_DEFAULTS = {
    "draws": 4_096,
    "waves": 4,
    "accept": 200,
    "converge": 0.2,
    "sbc_truths": 64,
    "sbc_draws": 128,
    "population": 400,
    "generations": 10,
}
_METHOD_OPTIONS = {
    "rejection": ("draws", "waves", "accept", "leave_one_out", "converge", "sbc_truths", "sbc_draws"),
    "smc": ("population", "generations", "leave_out"),
}
#: Runs of one calibration (draws x cases x replicates) above which it is refused: about a day on 2 cores
#: at the engine's measured ~25,000 runs/s (README, Performance); split it or use a cluster's --scheduler.
MAX_CALIBRATION_RUNS = 2_000_000_000


def _fill_calibrate_defaults(args: argparse.Namespace) -> None:
    for name, value in CALIBRATE_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def check_calibrate_options(args: argparse.Namespace, patterns, out: Path) -> None:
    """Refuse options that contradict each other, before any run: options of the other method, --accept above
    --draws, an unknown --leave-out, a --resume with nothing to resume, a calibration too large to finish."""
    from simulation.calibration.patterns import shipped_patterns_path

    other = "smc" if args.method == "rejection" else "rejection"
    for name in _METHOD_OPTIONS[other]:
        value = getattr(args, name)
        if value not in (None, False):
            flag = "--" + name.replace("_", "-")
            raise InputError(
                None,
                flag,
                f"belongs to --method {other}; with --method {args.method} use "
                + ", ".join("--" + n.replace("_", "-") for n in _METHOD_OPTIONS[args.method]),
            )
    draws = args.draws if args.draws is not None else CALIBRATE_DEFAULTS["draws"]
    accept = args.accept if args.accept is not None else CALIBRATE_DEFAULTS["accept"]
    if args.converge is not None and not 0 < args.converge < 1:
        raise InputError(None, "--converge", f"{args.converge} is not a share between 0 and 1 (exclusive)")
    if args.method == "rejection" and accept > draws:
        raise InputError(None, "--accept", f"{accept:,} is more than --draws {draws:,}: keep at most the draws made")
    ids = [p.id for p in patterns.patterns]
    if args.leave_out is not None:
        if args.leave_out not in ids:
            where = args.patterns or shipped_patterns_path()
            raise InputError(where, "--leave-out", f"no pattern '{args.leave_out}' (allowed: {', '.join(ids)})")
        if len(ids) < 2:
            raise InputError(args.patterns, "--leave-out", "leaving out the only pattern leaves nothing to fit")
    if args.leave_one_out and len(ids) < 2:
        raise InputError(args.patterns, "--leave-one-out", "needs at least two patterns")
    cases = len(patterns.cases())
    evaluations = (
        draws * (args.waves or CALIBRATE_DEFAULTS["waves"])
        if args.method == "rejection"
        else (
            (args.population or CALIBRATE_DEFAULTS["population"])
            * (args.generations or CALIBRATE_DEFAULTS["generations"])
        )
    )
    runs = evaluations * cases * args.replicates
    if runs > MAX_CALIBRATION_RUNS:
        raise InputError(
            None,
            "--replicates",
            f"{evaluations:,} draws x {cases} cases x {args.replicates:,} replicates = {runs:,} runs "
            f"is above the limit of {MAX_CALIBRATION_RUNS:,}; use fewer draws or replicates",
        )
    from simulation.behaviour import posterior_files
    from simulation.core.io import same_file

    shipped = posterior_files()[0].parent
    if out.exists() and shipped.exists() and same_file(out, shipped):
        raise InputError(out, "--out", "is the package's own data folder; calibrate elsewhere, then --ship the result")
    if args.resume:
        stored = out / "reference_table" / "table.json" if args.method == "rejection" else out / "calibration.db"
        if not stored.is_file():
            raise InputError(
                out, "--resume", f"nothing to resume here (no {stored.relative_to(out)}); drop --resume to start afresh"
            )


def cmd_calibration_report(args: argparse.Namespace) -> int:
    from simulation.calibration.report import write_report
    from simulation.core.io import check_new_file, check_new_folder

    if args.posterior is not None:  # the input first: a bad posterior folder is named before the outputs
        from simulation.calibration.report import load_posterior_dir

        load_posterior_dir(args.posterior)
    check_new_file(args.out, args.overwrite)
    check_new_folder(args.figures, args.overwrite, "--figures")
    path = write_report(args.posterior, Path(args.out), Path(args.figures), args.loo, draws=args.draws)
    print(f"Wrote {path}")
    return 0


def _add_sensitivity(sub: argparse._SubParsersAction) -> None:
    """Register ``sensitivity``."""
    from simulation.outcomes import NUMERIC_OUTCOMES

    p = sub.add_parser(
        "sensitivity",
        help="Sobol or Morris sensitivity indices from a sweep file (SALib)",
        description="Run a sobol or morris sweep file and compute sensitivity indices "
        "(first and total order with 95% intervals, or Morris mu*) for outcomes of the catalogue, each "
        "aggregated per design point its own way (a share of runs, a mean, a mean month).",
    )
    p.add_argument("file", type=Path, help="sweep YAML with design method sobol or morris")
    p.add_argument(
        "--outcome",
        action="append",
        metavar="OUTCOME",
        help=f"an outcome to analyse (repeatable; default {', '.join(SENSITIVITY_OUTCOMES)}); any of "
        f"{', '.join(NUMERIC_OUTCOMES)} or final_<a>_<b>, if the sweep keeps it",
    )
    p.add_argument("--results", type=Path, help="use these sweep results instead of running the sweep")
    p.add_argument("--workers", type=workers_int, default=None, help="processes (default: all cores)")
    p.add_argument("--out", type=Path, help="output folder (default results/sensitivity-<sweep name>)")
    p.add_argument("--rerun", action="store_true", help="run the sweep again even if results exist")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="write into an existing --out folder that holds files (an earlier analysis: its files are replaced, "
        "its sweep reused when it matches)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sensitivity)


def _add_discover(sub: argparse._SubParsersAction) -> None:
    """Register ``discover``."""
    from simulation.outcomes import NUMERIC_OUTCOMES

    p = sub.add_parser(
        "discover",
        help="scenario discovery (PRIM) on sweep results",
        description="Find boxes of swept-input ranges where an outcome of the focal pair is likely "
        "(PRIM, EMA Workbench): coverage, density, restricted inputs. A design point is of interest "
        "when its value of the outcome (a share of runs for yes/no outcomes, else the mean over runs) "
        "exceeds --threshold.",
    )
    p.add_argument("results", type=Path, help="results.parquet of a sweep (or its folder)")
    p.add_argument(
        "--threshold",
        type=bounded_float(-1e9, 1e9),
        default=0.5,
        help="a point is of interest when its value exceeds this (a probability for yes/no outcomes; default 0.5)",
    )
    p.add_argument(
        "--min-density",
        type=bounded_float(0.0, 1.0, open_low=True),
        default=0.8,
        help="choose the box with the most coverage at this density (default 0.8)",
    )
    p.add_argument(
        "--outcome",
        default="alliance_reached",
        metavar="OUTCOME",
        help=f"the outcome (default alliance_reached); any of {', '.join(NUMERIC_OUTCOMES)} or final_<a>_<b>, "
        "if the sweep keeps it",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="output folder (default: in the sweep's folder, discovery-<outcome>-<threshold>[-density<d>])",
    )
    p.add_argument("--overwrite", action="store_true", help="replace another discovery's files in --out (only those)")
    p.set_defaults(func=cmd_discover)


def _add_compare(sub: argparse._SubParsersAction) -> None:
    """Register ``compare``."""
    from simulation.outcomes import NUMERIC_OUTCOMES

    p = sub.add_parser(
        "compare",
        help="two scenarios side by side: outcome distributions and their difference with 95%% intervals",
        description="Run two scenarios over the same seeds on the batch engine (posterior predictive by "
        "default) and print, for each outcome, its value in both with 95% intervals and the difference "
        "(second minus first) with its 95% interval. With --out, also compare.md, compare.csv and a figure.",
    )
    p.add_argument("a", type=Path, metavar="SCENARIO_A", help="the reference scenario (file or shipped name)")
    p.add_argument("b", type=Path, metavar="SCENARIO_B", help="the scenario compared with it")
    p.add_argument(
        "--runs",
        type=bounded_int(10, 1_000_000),
        default=4000,
        help="runs of each (default 4000: every posterior draw x 20 runs, for the spread across draws)",
    )
    p.add_argument("--seed", type=seed_int, default=0, help="master seed of the runs (default 0)")
    p.add_argument(
        "--parameters",
        choices=["posterior", "point", "registry"],
        default="posterior",
        help="behavioural parameters: a posterior draw per run (default), the posterior median, or the registry's",
    )
    p.add_argument(
        "--outcome",
        action="append",
        metavar="OUTCOME",
        help=f"an outcome to compare (repeatable; default {', '.join(COMPARE_OUTCOMES)}); any of "
        f"{', '.join(NUMERIC_OUTCOMES)} or final_<a>_<b>",
    )
    p.add_argument("--out", type=Path, help="also write compare.md, compare.csv and compare.png/.svg here")
    p.add_argument("--overwrite", action="store_true", help="write into an existing --out folder that holds files")
    p.set_defaults(func=cmd_compare)


def _add_landscape(sub: argparse._SubParsersAction) -> None:
    """Register ``landscape``."""
    p = sub.add_parser(
        "landscape",
        help="landscape theory (Axelrod & Bennett 1993): two-bloc energies",
        description="Energy of every two-bloc configuration from a scenario (sizes and propensities "
        "derived from the registry) or a table file (YAML or CSV: sizes and a propensity matrix).",
    )
    p.add_argument("file", type=Path, help="a scenario, or a table of sizes and propensities (YAML or CSV)")
    p.add_argument("--top", type=top_int, default=10, help="configurations to list (default 10)")
    p.add_argument("--out", type=Path, help="also write the Markdown to this file")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=cmd_landscape)


def _add_rejection_options(p: argparse.ArgumentParser) -> None:
    """The options of ``calibrate --method rejection`` (the default method)."""
    p.add_argument(
        "--draws",
        type=bounded_int(16, 1_000_000),
        default=None,
        help="rejection: draws per wave, each wave a reference table (default 4,096)",
    )
    p.add_argument(
        "--waves",
        type=bounded_int(1, 10),
        default=None,
        help="rejection: at most this many history-matching waves (each refocuses on the box not ruled out; "
        "they stop when the not-ruled-out volume settles, see --converge; default 4)",
    )
    p.add_argument(
        "--converge",
        type=float,
        default=None,
        help="rejection: stop the waves once the not-ruled-out volume changes by less than this share (default 0.2)",
    )
    p.add_argument(
        "--sbc-truths",
        type=bounded_int(0, 10_000),
        default=None,
        help="rejection: prior draws the simulation-based calibration check runs the whole pipeline against "
        "(0: skip; default 64)",
    )
    p.add_argument(
        "--sbc-draws",
        type=bounded_int(16, 1_000_000),
        default=None,
        help="rejection: draws of each later wave in the simulation-based calibration check (default 128)",
    )
    p.add_argument(
        "--accept",
        type=bounded_int(2, 1_000_000),
        default=None,
        help="rejection: draws kept (the posterior; default 200)",
    )
    p.add_argument(
        "--leave-one-out",
        action="store_true",
        help="rejection: also write one posterior per left-out pattern (OUT/leave_one_out/<id>)",
    )


def _add_calibrate(sub: argparse._SubParsersAction) -> None:
    """Register ``calibrate``."""
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
    _add_rejection_options(p)
    p.add_argument(
        "--population", type=bounded_int(2, 100_000), default=None, help="smc: particles per population (default 400)"
    )
    p.add_argument(
        "--generations", type=bounded_int(1, 1000), default=None, help="smc: at most this many populations (default 10)"
    )
    p.add_argument("--leave-out", help="smc: calibrate without this pattern id")
    p.add_argument("--replicates", type=bounded_int(1, 100_000), default=48, help="runs of each case per draw")
    p.add_argument("--seed", type=seed_int, default=20260101, help="seed of the prior design, replicates and sampler")
    p.add_argument("--workers", type=workers_int, default=None, help="local processes (default 2)")
    p.add_argument("--scheduler", type=scheduler_address, help="a Dask scheduler address (tcp://host:port)")
    p.add_argument("--resume", action="store_true", help="continue the calibration stored in OUT")
    p.add_argument(
        "--overwrite", action="store_true", help="start again in OUT, replacing an earlier calibration's files there"
    )
    p.add_argument("--ship", action="store_true", help="copy the result into the package as the shipped posterior")
    p.set_defaults(func=cmd_calibrate)


def _add_calibration_report(sub: argparse._SubParsersAction) -> None:
    """Register ``calibration-report``."""
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
    p.add_argument(
        "--out", type=Path, default=Path("docs/calibration.md"), help="the report (default docs/calibration.md)"
    )
    p.add_argument("--figures", type=Path, default=Path("docs/figures"), help="figures folder (default docs/figures)")
    p.add_argument(
        "--draws", type=bounded_int(1, 1_000_000), default=100, help="posterior draws for the predictive checks"
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing report and write into a figures folder with files"
    )
    p.set_defaults(func=cmd_calibration_report)


def add_analysis_commands(sub: argparse._SubParsersAction) -> None:
    """Register the analysis commands: sensitivity, discover, compare, landscape, calibrate, calibration-report."""
    for register in (_add_sensitivity, _add_discover, _add_compare, _add_landscape, _add_calibrate,
                     _add_calibration_report):  # fmt: skip
        register(sub)
