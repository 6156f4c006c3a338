"""Research subcommands: ``scenarios`` (what ships), ``validate`` (any input file), ``export``
(long-format results) and ``plot`` (figures from sweep results, any design)."""

from __future__ import annotations

import argparse
from pathlib import Path

from simulation.core.errors import InputError

FILE_KINDS = ("scenario", "sweep", "policy-search", "patterns", "landscape", "seminar", "posterior", "results")


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


# --------------------------------------------------------------------------- scenarios


def cmd_scenarios(args: argparse.Namespace) -> int:
    from simulation.core.resources import shipped

    console = _console()
    kinds = {"scenarios": "Scenarios (alliance-sim run NAME)", "experiments": "Sweep files (alliance-sim sweep NAME)"}
    for kind, heading in kinds.items():
        if args.kind not in ("all", kind):
            continue
        files = shipped(kind)
        console.print(f"[bold]{heading}[/bold]")
        width = max((len(f.name) for f in files), default=0)
        for f in files:
            console.print(f"  {f.name:<{width}}  {f.title}", markup=False)
        if args.paths:
            console.print(f"  (in {files[0].path.parent})" if files else "  (none)", markup=False)
        console.print()
    return 0


# --------------------------------------------------------------------------- validate


def detect_kind(path: Path) -> str:
    """The kind of an input file, from its content (its suffix for CSV)."""
    from simulation.world.scenario import read_yaml_mapping

    if path.suffix.lower() == ".csv":
        return "landscape"
    if path.is_dir():
        if (path / "posterior.parquet").exists():
            return "posterior"
        if (path / "results.parquet").exists():
            return "results"
    if path.suffix.lower() == ".parquet":
        return "posterior" if path.name == "posterior.parquet" else "results"
    if path.suffix.lower() == ".json":
        from simulation.core.io import load_json

        data = load_json(path, "input")  # through the gate: size, nesting, duplicate keys are one line
        if isinstance(data, dict) and str(data.get("format", "")).startswith("alliance-sim seminar"):
            return "seminar"
        raise InputError(path, None, f"cannot tell what kind of file this is; give --kind ({', '.join(FILE_KINDS)})")
    data = read_yaml_mapping(path, "input")
    if "patterns" in data:
        return "patterns"
    if "levers" in data or "objectives" in data:
        return "policy-search"
    if "base_scenario" in data or "vary" in data or "vary_registry" in data:
        return "sweep"
    if "sizes" in data and "propensity" in data:
        return "landscape"
    return "scenario"


def validate_file(path: Path, kind: str | None = None) -> tuple[str, str]:
    """Validate one file; returns (kind, a one-line description). Bad input raises InputError."""
    from simulation.core.resources import resolve_ref

    if not Path(path).exists():  # a bare name: a shipped scenario, else a shipped sweep file
        try:
            path = resolve_ref(path, "experiments" if kind == "sweep" else "scenarios")
        except InputError:
            if kind is not None:
                raise
            try:
                path = resolve_ref(path, "experiments")
            except InputError:
                raise InputError(
                    path,
                    None,
                    "no such file, nor a shipped scenario or sweep file of that name (see alliance-sim scenarios)",
                ) from None
    kind = kind or detect_kind(path)
    if kind == "scenario":
        from simulation.behaviour import pending_calibration_note
        from simulation.world.scenario import load_scenario

        sc = load_scenario(path)
        return kind, f"{sc.title} ({len(sc.actors)} actors, {sc.steps} months){pending_calibration_note()}"
    if kind == "sweep":
        from simulation.cli.sweep import DEFAULT_MAX_RUNS
        from simulation.sweeps.spec import load_sweep

        sw = load_sweep(resolve_ref(path, "experiments"))
        size = "" if sw.total_runs <= DEFAULT_MAX_RUNS else f"; above {DEFAULT_MAX_RUNS:,} runs: sweep asks for --yes"
        return kind, (
            f"{sw.spec.title} ({sw.spec.design.method}, {sw.design_size:,} points x "
            f"{sw.spec.replicates:,} replicates = {sw.total_runs:,} runs{size})"
        )
    if kind == "policy-search":
        from simulation.strategy import load_policy_search

        ps = load_policy_search(path)
        return kind, (
            f"{ps.spec.title} ({len(ps.spec.levers)} levers, {len(ps.spec.objectives)} objectives; "
            f"{ps.policies_total:,} policies x {ps.runs_per_policy:,} runs)"
        )
    if kind == "patterns":
        from simulation.calibration.patterns import load_patterns
        from simulation.cli.analysis import check_pattern_count

        pf = load_patterns(path)
        check_pattern_count(pf, path)
        return kind, f"{len(pf.patterns)} calibration patterns"
    if kind == "landscape":
        from simulation.analysis.landscape import landscape_from_file

        land = landscape_from_file(path)
        return kind, f"landscape table of {len(land.actors)} actors"
    if kind == "seminar":
        from simulation.teaching.seminar import SeminarSession

        session = SeminarSession.load(path)
        return kind, f"seminar session '{session.title}', {len(session.history)} rounds played"
    if kind == "posterior":
        from simulation.calibration.patterns import check_posterior_patterns
        from simulation.calibration.report import load_posterior_dir

        folder = Path(path) if Path(path).is_dir() else Path(path).parent
        post = load_posterior_dir(folder)
        check_posterior_patterns(post, None, folder / "posterior.json")
        return kind, f"posterior of {len(post.keys)} parameters, {post.samples.shape[0]:,} draws"
    if kind == "results":
        from simulation.sweeps.execute import read_results

        df, manifest = read_results(Path(path))
        return kind, f"results of the sweep '{manifest.get('sweep_title')}': {len(df):,} runs, hash verified"
    raise InputError(path, "--kind", f"unknown kind '{kind}' (allowed: {', '.join(FILE_KINDS)})")


def cmd_validate(args: argparse.Namespace) -> int:
    console, errors = _console(), _console(stderr=True)
    failures = 0
    for path in args.files:
        try:
            kind, text = validate_file(path, args.kind)
        except InputError as err:
            failures += 1
            errors.print(f"error: {err.one_line()}", markup=False)
            continue
        console.print(f"ok ({kind}): {path}: {text}", markup=False)
    return 2 if failures else 0


# --------------------------------------------------------------------------- export


def cmd_export(args: argparse.Namespace) -> int:
    from simulation.sweeps.export import export_long

    if not args.long:
        raise InputError(None, "--long", "the only export today is the long format: add --long")
    results = Path(args.results)
    stem = (results.parent.name if results.is_file() else results.name) or "results"
    out = Path(args.out) if args.out else Path.cwd() / f"{stem}_long.{'csv' if args.csv else 'parquet'}"
    path = export_long(results, out, csv=args.csv, overwrite=args.overwrite)
    _console().print(f"Wrote {path}", markup=False)
    return 0


# --------------------------------------------------------------------------- plot


def cmd_plot(args: argparse.Namespace) -> int:
    from simulation.core.io import check_input_file, check_new_folder
    from simulation.reporting import plots
    from simulation.sweeps.execute import read_results

    results = Path(args.results)
    check_input_file(results / "results.parquet" if results.is_dir() else results, "results")  # the input first
    out = Path(args.out) if args.out else (results.parent if results.is_file() else results) / "figures"
    check_new_folder(out, args.overwrite)
    df, manifest = read_results(Path(args.results))
    fix = {}
    for item in args.fix or []:
        col, _, val = item.partition("=")
        try:
            fix[col] = float(val)
        except ValueError:
            raise InputError(args.results, "--fix", f"'{item}' is not COLUMN=NUMBER") from None
    check_fix(args.results, df, manifest, fix)
    kinds = plots.SWEEP_FIGURES if args.kind == "all" else (args.kind,)
    try:
        written = plots.sweep_figures(
            df, manifest, out, kinds, x=args.x, y=args.y, hue=args.hue, by=args.by, outcome=args.outcome, fix=fix
        )
    except InputError as err:
        raise InputError(args.results, err.field, err.message) from None
    for path in written:
        print(path)
    return 0


def check_fix(results: Path, df, manifest: dict, fix: dict[str, float]) -> None:
    """Every --fix names a swept column and, with the others, keeps at least one design point."""
    import numpy as np

    factors = [f for f in (manifest.get("design") or {}).get("factors", []) if f in df.columns]
    data = df
    for col, value in fix.items():
        if col not in df.columns:
            allowed = ", ".join(factors) or "none: this sweep varies nothing"
            raise InputError(results, "--fix", f"no column '{col}' in these results (swept: {allowed})")
        try:
            column = data[col].astype(float)
        except (TypeError, ValueError):
            raise InputError(results, "--fix", f"column '{col}' is not numeric") from None
        kept = data[np.isclose(column, value)]
        if kept.empty:
            values = sorted({float(v) for v in df[col].astype(float).unique()})
            shown = ", ".join(f"{v:g}" for v in values[:8]) + (", ..." if len(values) > 8 else "")
            raise InputError(
                results, "--fix", f"{col}={value:g} matches no design point (with the other --fix; values: {shown})"
            )
        data = kept


# --------------------------------------------------------------------------- parser


def add_research_commands(sub: argparse._SubParsersAction) -> None:
    from simulation.reporting.figure_kinds import SWEEP_FIGURES

    p = sub.add_parser(
        "scenarios",
        help="list the shipped scenarios and sweep files",
        description="List the scenarios and sweep files that ship with the package. Use a bare "
        "name anywhere a file is expected: alliance-sim run baseline_2018_2021.",
    )
    p.add_argument(
        "--kind", choices=["all", "scenarios", "experiments"], default="all", help="what to list (default all)"
    )
    p.add_argument("--paths", action="store_true", help="also print where the files are")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser(
        "validate",
        help="check input files of every kind",
        description="Validate scenario, sweep, calibration-patterns, landscape-table (YAML or CSV) "
        "and saved-seminar (JSON) files, posterior folders (posterior.parquet and posterior.json) and sweep "
        "results (checked against their manifest's hash). The kind is detected from the content unless "
        "--kind is given. Exit 2 if any file is bad.",
    )
    p.add_argument("files", nargs="+", type=Path, help="files (or shipped names) to check")
    p.add_argument("--kind", choices=FILE_KINDS, default=None, help="the files' kind (default: detect)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "export",
        help="sweep results in long (tidy) format, Parquet or CSV",
        description="Write a sweep's results in long format: one row per run and outcome, "
        "with the run's seed and swept values; 'never' is null; seeds are int64.",
    )
    p.add_argument("results", type=Path, help="results.parquet or its folder")
    p.add_argument("--long", action="store_true", help="long format (one row per run and outcome)")
    p.add_argument("--csv", action="store_true", help="CSV instead of Parquet (manifest in a .manifest.json)")
    p.add_argument("--out", type=Path, help="output file (default <results folder>_long.parquet here)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "plot",
        help="figures from sweep results, any design (PNG and SVG)",
        description="Draw figures from a results.parquet (or its folder): P(outcome) against a "
        "swept quantity with 95% bands, main-effect panels, a heatmap, time to "
        "alliance, final levels, fan charts. Sampled designs (LHS, Sobol) are binned; "
        "every figure says what it pools; more than 12 legend entries is refused.",
    )
    p.add_argument("results", type=Path, help="results.parquet of a sweep (or its folder)")
    p.add_argument(
        "--kind", choices=[*SWEEP_FIGURES, "all"], default="all", help="which figure (default all that apply)"
    )
    p.add_argument("--outcome", default="alliance_reached", help="outcome column (default alliance_reached)")
    p.add_argument("--x", help="swept column on the x axis (default: first swept quantity)")
    p.add_argument("--y", help="second swept column (heatmap)")
    p.add_argument("--hue", help="one line per value (or bin) of this column")
    p.add_argument("--by", help="group time/final/fan figures by this column")
    p.add_argument("--fix", action="append", help="COLUMN=VALUE: keep only these rows (repeatable)")
    p.add_argument("--out", type=Path, help="folder for the figures (default <results>/figures)")
    p.add_argument("--overwrite", action="store_true", help="write into an existing --out folder that holds files")
    p.set_defaults(func=cmd_plot)
