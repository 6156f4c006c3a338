"""Sweep subcommand: ``sweep`` (run a sweep file); ``plot`` is in cli_research."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simulation.cli.argtypes import bounded_int, chunk_size_int, max_runs_int, scheduler_address, workers_int
from simulation.cli.pasteable import command

#: A sweep above this many runs asks for --yes (change with --max-runs).
DEFAULT_MAX_RUNS = 2_000_000
#: Bytes of results per run (the Parquet table's size; for the size estimate only).
ESTIMATED_BYTES_PER_RUN = 60


def resume_overrides(out: Path, chunk_size: int | None, replicates: int | None) -> tuple[int | None, int | None]:
    """The chunk size and replicates to resume the sweep in ``out`` with: those given, else those it was
    started with (its manifest), so that ``--resume`` alone finishes the sweep as it was started."""
    from simulation.sweeps.folder import is_sweep_manifest, read_manifest

    manifest, _ = read_manifest(out)
    if manifest is None or not is_sweep_manifest(manifest):
        return chunk_size, replicates
    recorded = manifest.get("overrides") or {}
    if chunk_size is None and isinstance(manifest.get("chunk_size"), int):
        chunk_size = manifest["chunk_size"]
    if replicates is None and isinstance(recorded.get("replicates"), int):
        replicates = recorded["replicates"]
    return chunk_size, replicates


def runs_done(out: Path) -> int:
    """Runs already in the finished chunks an interrupted sweep's manifest records (all when complete)."""
    from simulation.sweeps.folder import is_sweep_manifest, read_manifest

    manifest, _ = read_manifest(out)
    if manifest is None or not is_sweep_manifest(manifest):
        return 0
    if manifest.get("complete") and (out / "results.parquet").exists():
        total = manifest.get("total_runs")
        return total if isinstance(total, int) else _chunk_runs(manifest)
    return _chunk_runs(manifest)


def recorded_overrides(out: Path) -> dict:
    """The settings the sweep in ``out`` was started with on the command line (its manifest's overrides)."""
    from simulation.sweeps.folder import is_sweep_manifest, read_manifest

    manifest, _ = read_manifest(out)
    if manifest is None or not is_sweep_manifest(manifest) or not isinstance(manifest.get("overrides"), dict):
        return {}
    return {k: v for k, v in manifest["overrides"].items() if isinstance(v, int)}


def _chunk_runs(manifest: dict) -> int:
    total = 0
    for record in (manifest.get("chunks") or {}).values():
        span = record.get("runs") if isinstance(record, dict) else None
        if isinstance(span, list) and len(span) == 2 and all(isinstance(v, int) for v in span):
            total += max(0, span[1] - span[0])
    return total


def _settings_words(settings: dict) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in settings.items())


def sweep_command(file: str | Path, out: Path, overrides: dict[str, int], *extra: str) -> str:
    """The ``alliance-sim sweep`` command line for this sweep, ready to paste."""
    words = ["sweep", str(file), "--out", str(out)]
    for field, value in sorted(overrides.items()):
        words += [f"--{field.replace('_', '-')}", str(value)]  # each override is the flag of its name
    return command(*words, *extra)


def reproduce_command(manifest: dict, row: dict) -> str:
    """The ``alliance-sim run`` command that reproduces one row of a sweep's results, month by month."""
    spec = manifest.get("sweep_spec") or {}
    base = manifest.get("base_scenario_ref") or spec.get("base_scenario", "")
    words = ["run", str(base), "--seed", str(int(row["seed"]))]
    words += ["--parameters", str(spec.get("parameters", "posterior"))]
    if "draw" in row and row["draw"] is not None:
        words += ["--draw", str(int(row["draw"]))]
    names = manifest.get("design", {}).get("factors", [])
    paths = {(v.get("label") or v.get("path")): v.get("path") for v in spec.get("vary", []) or []}
    for name in names:
        words += ["--set", f"{paths.get(name, 'parameters.' + name)}={float(row[name])!r}"]
    return command(*words)


def _announce(console, sweep, out: Path, args: argparse.Namespace, given: dict, measured: dict) -> None:
    """Print the sweep's size, estimate and settings, once its folder is checked and locked (a refusal stays
    one line); then compile the rules here, visibly and timed, so that the runs' time is the runs'."""
    from simulation.core.measured import cores, estimate_sweep

    runs = sweep.total_runs
    done = runs_done(out) if args.resume else 0
    chunks = sweep.chunks()
    left_chunks = max(1, round(len(chunks) * (runs - done) / runs)) if runs else 1
    busy = min(args.workers or cores(), cores(), left_chunks)
    estimate = estimate_sweep(runs - done, sweep.base.steps, busy)
    measured["workers"] = busy
    size = f"{sweep.design_size:,} design points x {sweep.spec.replicates:,} replicates = {runs:,} runs"
    where = f"about {runs * ESTIMATED_BYTES_PER_RUN / 1e6:,.1f} MB of results -> {out}"
    if done:
        what = f"{size}; {runs - done:,} left ({done:,} done): about {estimate.seconds:,.0f} s"
    else:
        what = f"{size} in {len(chunks)} chunks; about {estimate.seconds:,.0f} s"
    lines = [f"[bold]{sweep.spec.title}[/bold]", f"{what} on {busy} worker(s) ({estimate.words()}), {where}"]
    if given:
        lines.append("Set on the command line (recorded in the manifest): " + _settings_words(given))
    kept = {k: v for k, v in recorded_overrides(out).items() if k not in given} if args.resume else {}
    if kept:
        lines.append("Kept from the sweep's start (its manifest): " + _settings_words(kept))
    console.print("\n".join(lines))
    if args.scheduler is None:
        from simulation.drivers.compiled import rules_ready

        if not rules_ready("batch"):
            from simulation.drivers.compiled import compile_message
            from simulation.runner import prepare_rules

            console.print(f"{compile_message()} before the runs start")
            prepare_rules(sweep.base, kind="batch")


def _print_done(console, report, sweep, out: Path, args: argparse.Namespace, measured: dict) -> None:
    """Print the runs' speed and where the results are; remember the speed for the next estimate here."""
    if report.runs:
        speed = f"{report.runs:,} runs in {report.seconds:.1f} s ({report.runs_per_second:,.0f} runs/s)"
        if args.scheduler is None:  # the next sweep's estimate on this machine starts from this one
            from simulation.core.measured import remember_sweep

            remember_sweep(report.runs, sweep.base.steps, measured.get("workers", 1), report.seconds)
    else:
        speed = "nothing left to run (the sweep was already complete)"
    console.print(
        f"Done: {speed}. Results: {report.results}; manifest: {out / 'manifest.json'}",
        markup=False,
    )


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a sweep file into its folder (checked, locked, resumable), with an estimate first and the next
    commands to paste after."""
    import logging

    from rich.console import Console

    from simulation.core.io import check_output_dir
    from simulation.sweeps.execute import run_sweep
    from simulation.sweeps.spec import load_sweep

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    out = Path(args.out) if args.out else Path("results") / Path(args.file).stem
    check_output_dir(out)
    chunk_size, replicates = args.chunk_size, args.replicates
    if args.resume:
        chunk_size, replicates = resume_overrides(out, chunk_size, replicates)
    elif args.overwrite and (out / "manifest.json").is_file():
        from simulation.sweeps.folder import check_removable

        check_removable(out)  # before the lock: a refused --overwrite leaves the folder byte for byte
    sweep = load_sweep(
        args.file, chunk_size=chunk_size, max_runs=None if args.yes else args.max_runs, replicates=replicates
    )
    given = {k: v for k, v in (("chunk_size", args.chunk_size), ("replicates", args.replicates)) if v is not None}
    measured_session: dict[str, int] = {}
    warnings = logging.getLogger("simulation.sweeps.execute")
    handler = WarningLine(console)
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
            on_start=lambda: _announce(console, sweep, out, args, given, measured_session),
        )
    except KeyboardInterrupt:
        console.print(
            f"\nInterrupted. Finished chunks are kept in {out}/parts; to finish, run:\n"
            f"  {sweep_command(args.file, out, sweep.overrides, '--resume')}",
            markup=False,
        )
        return 130
    finally:
        warnings.removeHandler(handler)
    _print_done(console, report, sweep, out, args, measured_session)
    _print_next_steps(console, out)
    return 0


def _print_next_steps(console, out: Path) -> None:
    """Commands to paste next: figures, and the command that reproduces the first row alone."""
    import pyarrow.parquet as pq

    from simulation.sweeps.execute import MANIFEST_KEY

    results = out / "results.parquet"
    try:
        meta = pq.read_schema(results).metadata or {}
        manifest = json.loads(meta[MANIFEST_KEY])
        columns = ["seed", *manifest.get("design", {}).get("factors", [])]
        if "draw" in pq.read_schema(results).names:
            columns.append("draw")
        first = pq.ParquetFile(results).read_row_group(0, columns=columns).slice(0, 1).to_pylist()[0]
    except (OSError, KeyError, ValueError, IndexError):
        return
    console.print(
        f"Figures:           {command('plot', str(out))}\n"
        f"Reproduce run 0:   {reproduce_command(manifest, first)}\n"
        "(any row: its seed, its posterior draw as --draw, and its swept values as --set PATH=NUMBER)",
        markup=False,
    )


class WarningLine:
    """A logging handler that prints a runner's warnings (recomputed chunks or parts) as 'warning: ...' lines
    (the sweep's and the policy search's)."""

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
    p.add_argument(
        "--workers",
        type=workers_int,
        default=None,
        help="chunks run at once: threads or processes (default: all cores)",
    )
    p.add_argument("--out", type=Path, default=None, help="output folder (default results/<sweep name>)")
    p.add_argument(
        "--chunk-size",
        type=chunk_size_int,
        default=None,
        help="runs per chunk (default from the file; never changes a result; --resume keeps the sweep's own)",
    )
    p.add_argument(
        "--replicates",
        type=bounded_int(1, 1_000_000),
        default=None,
        help="runs per design point instead of the file's (recorded in the manifest; --resume keeps it)",
    )
    p.add_argument(
        "--executor",
        choices=["thread", "process", "dask"],
        default="thread",
        help="threads of this process (default: nothing to start), local processes, or Dask (a LocalCluster "
        "unless --scheduler); the results are the same",
    )
    p.add_argument(
        "--scheduler",
        type=scheduler_address,
        default=None,
        help="address of a Dask scheduler, e.g. tcp://10.0.0.5:8786",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted sweep in --out, with the chunk size and replicates it was started with",
    )
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
