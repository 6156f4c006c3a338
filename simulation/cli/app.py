"""The ``alliance-sim`` command line: a thin dispatcher over the library.

Every bad input ends in one line on stderr (file, field, what is allowed) and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simulation.cli.analysis import add_analysis_commands
from simulation.cli.argtypes import OneLineParser, input_mb, seed_int, steps_int
from simulation.cli.research import add_research_commands
from simulation.cli.seminar import add_seminar_commands
from simulation.cli.strategy import add_strategy_commands
from simulation.cli.sweep import add_sweep_commands
from simulation.core.errors import InputError

EXAMPLES = """\
examples:
  alliance-sim scenarios
  alliance-sim run baseline_2018_2021 --seed 7
  alliance-sim params --format markdown --out PARAMETERS.md
  alliance-sim validate scenarios/*.yaml experiments/*.yaml
  alliance-sim schema --kind sweep --out sweep.schema.json
  alliance-sim sweep experiments/flagship_us_pressure.yaml --workers 2
  alliance-sim sweep tiny_lhs --replicates 50 --out results/tiny_lhs_50
  alliance-sim compare baseline_2018_2021 transatlantic_united_front --runs 1000
  alliance-sim plot results/flagship_us_pressure --kind heatmap
  alliance-sim dashboard
  alliance-sim play scenarios/baseline_2018_2021.yaml --human Russia --human China
"""


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


# --------------------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace) -> int:
    from simulation.core.io import check_run_folder
    from simulation.reporting.run_output import write_run
    from simulation.runner import run_scenario
    from simulation.world.scenario import load_scenario, scenario_id

    scenario = load_scenario(args.scenario)
    if args.set:
        from simulation.world.scenario import apply_overrides

        settings = parse_settings(args.set)
        changed = ", ".join(f"{path}={value:g}" for path, value in settings.items())
        title = f"{scenario.title} (modified: {changed})"  # never the original's title on a changed scenario
        if len(title) > 200:  # the schema's limit; the manifest keeps every value
            title = f"{scenario.title[:150]} (modified: {len(settings)} values)"
        scenario = apply_overrides(scenario, {**settings, "title": title}, source=args.scenario)
    if args.steps is not None and args.steps > scenario.steps:
        raise InputError(None, "--steps", f"{args.steps} is more than the scenario's {scenario.steps} steps")
    out_dir = Path(args.out) if args.out else Path("results") / f"{scenario_id(args.scenario)}-seed{args.seed}"
    check_run_folder(out_dir, args.overwrite)
    if args.draw is not None:
        from simulation.behaviour import shipped_posterior

        size = len(shipped_posterior().weights)
        if args.parameters != "posterior" or not 0 <= args.draw < size:
            raise InputError(None, "--draw", f"a posterior row 0-{size - 1}, with --parameters posterior")
    result = run_scenario(scenario, seed=args.seed, steps=args.steps, parameters=args.parameters, draw=args.draw)
    files = write_run(result, out_dir, str(args.scenario))
    print_summary(result.summary())
    console = _console()
    console.print(f"\nWrote {len(files)} files to [bold]{out_dir}[/bold]:")
    for kind, path in files.items():
        console.print(f"  {kind:14s} {path}")
    return 0


def parse_settings(items: list[str]) -> dict[str, float]:
    """``PATH=NUMBER`` items (``--set``) as scenario overrides; anything else is a one-line error."""
    out: dict[str, float] = {}
    for item in items:
        path, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or not path or number is None:
            raise InputError(None, "--set", f"'{item}' is not PATH=NUMBER (e.g. pressure.targets.China=0.8)")
        out[path] = number
    return out


def print_summary(summary: dict) -> None:
    from rich.table import Table

    console = _console()
    focal = summary["focal_pair"]
    console.print(f"[bold]{summary['scenario']}[/bold]  (seed {summary['seed']}; {summary['parameters']})")
    table = Table(title="Final alignment", show_header=True)
    table.add_column("pair")
    table.add_column("level")
    for pair, level in summary["final_alignment"].items():
        table.add_row(pair, level, style="bold" if pair == focal else "")
    console.print(table)
    table = Table(title=f"{focal}: first month at or above each level")
    table.add_column("level")
    table.add_column("reached")
    for level, when in summary["focal_pair_first_reached"].items():
        table.add_row(level, when or "never")
    console.print(table)
    if summary["alliance_reached"]:
        held = "held at the end" if summary["alliance_at_end"] else "not held at the end"
        verdict = f"a formal alliance formed at some month ({held})"
    else:
        verdict = "no formal alliance at any month"
    console.print(f"{focal}: [bold]{verdict}[/bold].")
    console.print(f"Blocs (entente or closer): {summary['blocs']}")


# --------------------------------------------------------------------------- params


def cmd_params(args: argparse.Namespace) -> int:
    from simulation.core.io import check_new_file, write_atomic
    from simulation.world.registry import default_registry, registry_markdown, registry_rows

    if args.out:
        check_new_file(args.out, args.overwrite)
    registry = default_registry()
    rows = registry_rows(registry)
    if args.role:
        rows = [r for r in rows if r["role"] == args.role]
    if args.grep:
        rows = [r for r in rows if args.grep.lower() in r["key"].lower()]
    if args.format == "markdown":
        text = registry_markdown(registry) if not (args.role or args.grep) else _rows_markdown(rows)
        if args.out:
            write_atomic(args.out, text)
            _console().print(f"Wrote {len(rows)} parameters to {args.out}")
        else:
            sys.stdout.write(text)
        return 0
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    from rich.table import Table

    table = Table(title=f"alliance-sim parameter registry ({len(rows)} entries)", show_lines=False)
    for col in ("key", "value", "range", "unit", "role", "sources"):
        table.add_column(col, overflow="fold", max_width=70 if col == "sources" else None)
    for r in rows:
        table.add_row(*(r[c] for c in ("key", "value", "range", "unit", "role", "sources")))
    _console().print(table)
    return 0


def _rows_markdown(rows: list[dict[str, str]]) -> str:
    lines = ["| key | value | range | unit | role | sources |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join(r[c].replace("|", "\\|") for c in r) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- validate / schema


def cmd_schema(args: argparse.Namespace) -> int:
    from simulation.core.io import check_new_file, write_atomic
    from simulation.sweeps.spec import sweep_json_schema
    from simulation.world.scenario import scenario_json_schema

    if args.out:
        check_new_file(args.out, args.overwrite)
    from simulation.calibration.patterns import patterns_json_schema
    from simulation.strategy.spec import policy_search_json_schema

    schema = {
        "scenario": scenario_json_schema,
        "sweep": sweep_json_schema,
        "patterns": patterns_json_schema,
        "policy-search": policy_search_json_schema,
    }[args.kind]()
    text = json.dumps(schema, indent=2) + "\n"
    if args.out:
        write_atomic(args.out, text)
        _console().print(f"Wrote the {args.kind} JSON Schema to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


# --------------------------------------------------------------------------- parser


def as_flag(err: InputError, parser: argparse.ArgumentParser, args: argparse.Namespace) -> InputError:
    """The library names the argument it refuses (``chunk_size``); on the command line that is a flag
    (``--chunk-size``). Only the CLI knows the flags: it renames the field when it is one of them."""
    if not err.field or err.field.startswith("-"):
        return err
    if err.source is not None and Path(err.source).is_file():
        return err  # a field of a file the command read (a session's seed, a scenario's steps), not a flag
    command = getattr(args, "command", None)
    parsers = [parser]
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            parsers.append(action.choices[command])
    for p in parsers:
        for action in p._actions:
            if action.dest == err.field and action.option_strings:
                flag = max(action.option_strings, key=len)
                return InputError(err.source, flag, err.message)
    return err


def _add_run(sub: argparse._SubParsersAction) -> None:
    """Register ``run``."""
    p = sub.add_parser(
        "run",
        help="run one scenario once, explain every decision, write plots",
        description=(
            "Run a scenario once through the Mesa model. Prints the final alignment of every pair "
            "and when Russia-China reached each level; writes trajectories (Parquet), the "
            "decisions table, an event log explaining each decision with its sources, a "
            "manifest and two plots."
        ),
    )
    p.add_argument("scenario", type=Path, help="scenario YAML file (see scenarios/)")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0); same seed, same run")
    p.add_argument("--steps", type=steps_int, default=None, help="stop after this many months")
    p.add_argument(
        "--parameters",
        choices=["point", "posterior", "registry"],
        default="point",
        help="behavioural parameters of this explained run: the posterior median (point, default), a draw "
        "from the calibrated posterior by the seed (posterior), or the registry's values",
    )
    p.add_argument(
        "--draw",
        type=int,
        default=None,
        metavar="ROW",
        help="with --parameters posterior: use this posterior row (a sweep's draw column) instead of the seed's",
    )
    p.add_argument(
        "--set",
        action="append",
        metavar="PATH=NUMBER",
        help="set a scenario value by its dotted path, as a sweep does (repeatable), e.g. "
        "pressure.targets.China=0.8 or parameters.status_concern.China=0.6",
    )
    p.add_argument("--out", type=Path, default=None, help="output folder (default results/<scenario>-seed<N>)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier run in --out (only a run's own files)")
    p.set_defaults(func=cmd_run)


def _add_params(sub: argparse._SubParsersAction) -> None:
    """Register ``params``."""
    p = sub.add_parser(
        "params",
        help="print the parameter registry with sources",
        description="Print every model parameter: value, documented range, unit, role and sources.",
    )
    p.add_argument(
        "--format", choices=["table", "markdown", "json"], default="table", help="output format (default table)"
    )
    p.add_argument("--role", choices=["input", "derived-input", "model", "evidence"], help="only this role")
    p.add_argument("--grep", help="only keys containing this text")
    p.add_argument("--out", type=Path, help="write to this file (markdown)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=cmd_params)


def _add_schema(sub: argparse._SubParsersAction) -> None:
    """Register ``schema``."""
    p = sub.add_parser(
        "schema", help="export the scenario JSON Schema (for editors)", description="Export the JSON Schema."
    )
    p.add_argument(
        "--kind",
        choices=["scenario", "sweep", "patterns", "policy-search"],
        default="scenario",
        help="which file format (default scenario)",
    )
    p.add_argument("--out", type=Path, help="write to this file (default: print)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=cmd_schema)


def build_parser() -> argparse.ArgumentParser:
    """The ``alliance-sim`` parser: the global options and every command (one function per command group)."""
    parser = OneLineParser(
        prog="alliance-sim",
        description=(
            "Agent-based simulation of great-power alignment: do Russia and China form an "
            "alliance, and under how much US pressure?"
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from simulation._version import __version__

    parser.add_argument("--version", action="version", version=f"alliance-sim {__version__}")
    parser.add_argument(
        "--max-input-mb",
        type=input_mb,
        default=None,
        help="size limit of a scenario, sweep or other input file in MB (default 4); goes before the command",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for register in (_add_run, _add_params, _add_schema, add_sweep_commands, add_research_commands,
                     add_analysis_commands, add_seminar_commands, add_strategy_commands):  # fmt: skip
        register(sub)
    return parser


def printable(text: str) -> str:
    """Text any terminal can show: undecodable bytes of a file name (kept by Python as lone surrogates)
    are written as \\xNN instead of failing the print."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def check_file_names(args: argparse.Namespace) -> None:
    """Refuse, before any work, a file name that is not valid UTF-8: it cannot be shown, recorded in a
    manifest or pasted back into a command."""
    for name, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str | Path):
                continue
            try:
                str(item).encode("utf-8")
            except UnicodeEncodeError:
                flag = (
                    name
                    if name in ("scenario", "file", "files", "results", "patterns")
                    else "--" + name.replace("_", "-")
                )
                raise InputError(
                    printable(str(item)), flag, "the file name is not valid UTF-8 (bytes shown as \\xNN); rename it"
                ) from None


#: Commands that run the model on the posterior (unless told --parameters registry).
RUNS_THE_MODEL = ("cmd_run", "cmd_sweep", "cmd_handout", "cmd_compare", "cmd_sensitivity", "cmd_landscape",
                  "cmd_discover", "cmd_play", "cmd_classroom", "cmd_dashboard")  # fmt: skip


def note_pending_calibration(args: argparse.Namespace) -> None:
    """One line on stderr when the model runs with calibrated parameters the shipped posterior does not hold
    yet (they run at their registry value until a recalibration; manifests record them too)."""
    func = getattr(getattr(args, "func", None), "__name__", "")
    if func not in RUNS_THE_MODEL or getattr(args, "parameters", None) == "registry":
        return
    from simulation.behaviour import pending_calibration

    pending = pending_calibration()
    if pending:
        values = ", ".join(f"{k} = {v:g}" for k, v in pending.items())
        print(f"note: not yet calibrated, at the registry value until a recalibration: {values}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):  # a bare `alliance-sim`: the usage and every command
        parser.print_help()
        return 0
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and argument errors (already reported on one line)
        return exit_.code if isinstance(exit_.code, int) else 2
    from simulation.core.io import DEFAULT_INPUT_LIMIT_MB, input_limit, is_disk_full

    try:
        check_file_names(args)
        note_pending_calibration(args)
        with input_limit(args.max_input_mb if args.max_input_mb is not None else DEFAULT_INPUT_LIMIT_MB):
            return int(args.func(args) or 0)
    except InputError as err:
        print(f"error: {printable(as_flag(err, parser, args).one_line())}", file=sys.stderr)
        return 2
    except OSError as err:
        if not is_disk_full(err):
            raise
        import errno

        target = err.filename or getattr(args, "out", None) or getattr(args, "save", None) or "the output"
        why = (
            "read-only file system; write elsewhere"
            if err.errno == errno.EROFS
            else f"no room to write ({err.strerror}); free space and try again"
        )
        print(f"error: {printable(str(target))}: {why}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as err:
        from simulation.core.resources import missing_extra_message

        if (message := missing_extra_message(err)) is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
