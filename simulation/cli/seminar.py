"""Seminar subcommands: ``play`` (the seminar in a terminal) and ``handout``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulation.cli.argtypes import bounded_int, check_path_memory, figure_runs_int, rounds_int, seed_int
from simulation.core.errors import InputError

HELP = (
    "Type moves as PARTNER=raise|hold|lower (e.g. 'China=raise US=lower'); partners you leave out follow "
    "the model's advice. The US player may add pressure:TARGET=0.7, the EU player coordination=0.5. "
    "Enter alone accepts the advice. Commands: save FILE, help, quit."
)


def _print_situation(console, session, actor: str) -> None:
    from rich.table import Table

    s = session.situation(actor)
    table = Table(title=f"{actor}, {s.date} (month {s.step + 1} of {session.model.horizon})")
    for col in (
        "partner",
        "relationship",
        "you fear them",
        "they fear you",
        "your trade share",
        "model advises",
        "because",
    ):
        table.add_column(col)
    for v in s.partners:
        table.add_row(
            v.partner,
            v.level,
            f"{v.threat_to_me:.2f}",
            f"{v.my_threat_to_them:.2f}",
            f"{v.trade_share:.1%}",
            v.advice,
            v.reasons_text(),
        )
    console.print(table)
    if s.controls_pressure:
        console.print(
            "Your pressure now: "
            + ", ".join(
                f"{k} {v:.2f}" for k, v in s.pressure.items() if v > 0 or k in session.model.resolved.focal_pair
            )
        )
    if s.controls_coordination:
        console.print(f"Your coordination with the US now: {s.coordination:.2f}")


def _parse_move(text: str):
    from simulation.teaching.seminar import HumanMove

    moves: dict[str, str] = {}
    pressure: dict[str, float] = {}
    coordination = None
    for token in text.split():
        key, _, value = token.partition("=")
        if not value:
            raise ValueError(f"'{token}' is not PARTNER=MOVE")
        if key.lower() == "coordination":
            coordination = float(value)
        elif key.lower().startswith("pressure:"):
            pressure[key.split(":", 1)[1]] = float(value)
        else:
            moves[key] = value.lower()
    return HumanMove(moves, pressure or None, coordination)


def cmd_play(args: argparse.Namespace) -> int:
    from rich.console import Console

    from simulation.core.io import check_new_file
    from simulation.teaching.seminar import SeminarSession
    from simulation.world.scenario import load_scenario

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    if args.save is not None:
        check_new_file(args.save, args.overwrite, "--save", inputs=(args.load,) if args.load else ())
    if args.load:
        session = SeminarSession.load(args.load)
    else:
        if args.scenario is None:
            raise InputError(None, "scenario", "give a scenario file to play, or --load a saved session")
        scenario = load_scenario(args.scenario)
        if not args.human:
            raise InputError(
                None, "--human", f"name at least one actor to play (allowed: {', '.join(scenario.actors)})"
            )
        try:
            session = SeminarSession(scenario, args.human, seed=args.seed)
        except ValueError as exc:
            raise InputError(None, "--human", str(exc)) from None
    check_path_memory(args.debrief_runs, session.scenario.steps, len(session.scenario.actors), "--debrief-runs")
    console.print(f"[bold]{session.title}[/bold]. People play {', '.join(session.humans)}; the model plays the rest.")
    console.print(HELP)
    rounds = 0
    while not session.finished and (args.rounds is None or rounds < args.rounds):
        for actor in session.humans:
            _print_situation(console, session, actor)
            while True:
                try:
                    line = input(f"{actor}> ").strip()
                except EOFError:  # input ended, nobody typed quit: what was played is kept, nothing else
                    if rounds == 0 and args.save is not None:
                        console.print(f"Input ended before a round was played; {args.save} not written.")
                        args.save = None
                    line = "quit"
                if line in ("quit", "exit"):
                    _finish(console, session, args)
                    return 0
                if line == "help":
                    console.print(HELP)
                    continue
                if line.startswith("save "):
                    try:
                        target = check_new_file(Path(line[5:].strip()), False, "save")
                        console.print(f"saved to {session.save(target)}", markup=False)
                    except InputError as err:
                        console.print(f"not saved: {err.one_line()}", markup=False, style="red")
                    except OSError as err:
                        console.print(f"not saved: {line[5:].strip()}: {err.strerror}", markup=False, style="red")
                    continue
                try:
                    move = _parse_move(line)
                except ValueError as exc:
                    console.print(f"[red]not understood: {exc}[/red]")
                    continue
                problems = session.submit(actor, move)
                if problems:
                    console.print("[red]refused: " + "; ".join(problems) + "[/red]")
                    continue
                break
        changes = session.play_round()
        rounds += 1
        console.print("This month: " + ("; ".join(changes) if changes else "no relationship changed") + ".")
    _finish(console, session, args)
    return 0


def _finish(console, session, args) -> None:
    if args.save:
        console.print(f"Session saved to {session.save(args.save)}")
    debrief = session.debrief(runs=args.debrief_runs)
    if "text" in debrief:
        console.print(f"[bold]Debrief.[/bold] {debrief['text']}")


def cmd_handout(args: argparse.Namespace) -> int:
    from simulation.core.io import check_new_folder
    from simulation.teaching.handout import write_handout
    from simulation.world.scenario import load_scenario, scenario_id

    if args.out is None:  # the default folder handout.write_handout would choose, checked by the same rule
        args.out = Path.cwd() / "handouts" / scenario_id(args.scenario)
    check_new_folder(args.out, args.overwrite)
    scenario = load_scenario(args.scenario)
    check_path_memory(args.runs, scenario.steps, len(scenario.actors), "--runs")
    paths = write_handout(args.scenario, Path(args.out) if args.out else None, runs=args.runs)
    for p in paths:
        print(p)
    return 0


def cmd_classroom(args: argparse.Namespace) -> int:
    from urllib.parse import quote

    from simulation.dashboard.server import public_url, serve, start

    name = args.scenario.stem if args.scenario is not None else "baseline_2018_2021"
    proc = start(args.scenario, args.port, args.host, args.rooms_dir)
    key = quote(proc.instructor_key)
    print(
        f"alliance-sim classroom: instructor, open http://127.0.0.1:{proc.port}/open?scenario={name}&key={key} on this "
        "machine: it opens a room and shows your console (clock, seats, debrief). Put the projector view it links "
        "to on the big screen. Keep this link to yourself: its key opens, advances and closes rooms. "
        "Ctrl-C stops the server."
    )
    print("Rehearse alone: add &rehearse=1 to that link (model-played bots take the free seats).")
    if args.host != "127.0.0.1":
        print(
            f"Students join at {public_url(args.host, proc.port)}/join (the projector shows the room's code and "
            "QR code). Anyone on this network can reach the dashboard: use a network you trust."
        )
    return serve(proc)


def cmd_dashboard(args: argparse.Namespace) -> int:
    from urllib.parse import quote

    from simulation.dashboard.server import public_url, serve, start

    proc = start(args.scenario, args.port, args.host, args.rooms_dir)
    print(
        f"alliance-sim dashboard: open http://127.0.0.1:{proc.port} in a browser (Ctrl-C stops it). "
        f"Instructor's link (opens and restores rooms): http://127.0.0.1:{proc.port}/?key={quote(proc.instructor_key)}"
    )
    if args.host != "127.0.0.1":
        print(
            f"Listening on {args.host}: anyone on this network can open {public_url(args.host, proc.port)}, "
            "explore and join rooms. Use it only on a network you trust (a classroom's, not a "
            "cafe's); see the README."
        )
    return serve(proc)


def _add_dashboard(sub: argparse._SubParsersAction) -> None:
    """Register ``dashboard``."""
    p = sub.add_parser(
        "dashboard",
        help="start the seminar dashboard in the browser (offline, 127.0.0.1)",
        description="Start the Solara dashboard on 127.0.0.1 and print its address: network of the "
        "actors, alignment over time, pressure, an event log explaining each decision, "
        "sliders from the scenario schema, a distribution panel, and classroom rooms (teams on "
        "their own laptops, one shared world on the projector). Works offline; outside a "
        "room every browser session gets its own model.",
    )
    p.add_argument("scenario", type=Path, nargs="?", help="scenario to open first (default: the baseline)")
    p.add_argument(
        "--port", type=bounded_int(1024, 65535), default=8765, help="port to listen on (1024-65535; default 8765)"
    )
    p.add_argument(
        "--rooms-dir",
        type=Path,
        default=None,
        help="a folder where the instructor may also save rooms on the server (unique names)",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 lets a classroom's "
        "laptops connect over the local network)",
    )
    p.set_defaults(func=cmd_dashboard)


def _add_classroom(sub: argparse._SubParsersAction) -> None:
    """Register ``classroom``."""
    p = sub.add_parser(
        "classroom",
        help="start the dashboard for a class and open a room on a scenario",
        description="Start the dashboard listening on the local network (--host 0.0.0.0 by default) "
        "and print the address that opens a room on SCENARIO: the room's projector view "
        "with the clock, its code, join address and QR code. Students join from their "
        "own laptops.",
    )
    p.add_argument("scenario", type=Path, nargs="?", help="scenario to play (default: the baseline)")
    p.add_argument(
        "--port", type=bounded_int(1024, 65535), default=8765, help="port to listen on (1024-65535; default 8765)"
    )
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0: the local network)")
    p.add_argument(
        "--rooms-dir",
        type=Path,
        default=None,
        help="a folder where the instructor may also save rooms on the server (unique names)",
    )
    p.set_defaults(func=cmd_classroom)


def _add_play(sub: argparse._SubParsersAction) -> None:
    """Register ``play``."""
    p = sub.add_parser(
        "play",
        help="seminar in the terminal: people play some actors, the model the rest",
        description="Play a scenario round by round: each human player sees their situation and the "
        "model's advice and chooses raise, hold or lower for each partner. " + HELP,
    )
    p.add_argument("scenario", type=Path, nargs="?", help="scenario YAML (not needed with --load)")
    p.add_argument("--human", action="append", default=[], help="an actor played by a person (repeatable)")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0)")
    p.add_argument("--rounds", type=rounds_int, default=None, help="stop after this many rounds (at most 600)")
    p.add_argument("--save", type=Path, help="save the session here at the end")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --save file")
    p.add_argument("--load", type=Path, help="continue a saved session")
    p.add_argument(
        "--debrief-runs",
        type=figure_runs_int,
        default=500,
        help="runs of the model's distribution in the debrief (1-100,000; default 500)",
    )
    p.set_defaults(func=cmd_play)


def _add_handout(sub: argparse._SubParsersAction) -> None:
    """Register ``handout``."""
    p = sub.add_parser(
        "handout",
        help="printable seminar brief for a scenario (Markdown and HTML)",
        description="Write a brief: the scenario's story, a parameter card per actor with values, "
        "ranges and quotes, figures of a small replicate run, discussion questions.",
    )
    p.add_argument("scenario", type=Path, help="scenario YAML or shipped name")
    p.add_argument("--out", type=Path, help="folder (default handouts/<scenario> in the current folder)")
    p.add_argument(
        "--runs",
        type=figure_runs_int,
        default=4000,
        help="replicates (1-100,000; default 4000: 200 posterior draws x 20 runs, for the spread across draws)",
    )
    p.add_argument("--overwrite", action="store_true", help="write into an existing --out folder that holds files")
    p.set_defaults(func=cmd_handout)


def add_seminar_commands(sub: argparse._SubParsersAction) -> None:
    """Register the seminar commands: dashboard, classroom, play, handout."""
    for register in (_add_dashboard, _add_classroom, _add_play, _add_handout):
        register(sub)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(1)
