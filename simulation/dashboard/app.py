"""The dashboard (Solara). Start it with ``alliance-sim dashboard [SCENARIO]``.

Three pages:

- ``/``: explore a scenario alone (each browser session has its own model, built inside the
  page with ``use_memo``), and open, restore or join a classroom room;
- ``/join?room=CODE``: a team's own panel in a room (its situation, the model's advice, its
  moves, a "why" box, and what became of last month's requests);
- ``/room?room=CODE``: the projector view of a room (network, timeline, event log, who has
  moved); with the instructor's key (``&key=...``, given when the room opens) it also shows the
  clock, save/export and the debrief.

Rooms live in one ``RoomRegistry`` per server process (``ROOMS``): that sharing is the point of
a room. Everything the browser sends is checked here or in ``teaching.rooms`` on the server;
scenarios are chosen by name from the shipped folder and the configured one, saved rooms go
to the browser (download/upload) or to the configured rooms folder under a fresh name. No
traceback reaches a browser: handlers and views show a short message and log the detail.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, quote

import solara

from simulation.core.calendar import month_label
from simulation.core.errors import InputError
from simulation.core.paths import shipped_dir
from simulation.core.references import REFERENCES, in_words
from simulation.core.stats import proportion
from simulation.dashboard import charts
from simulation.dashboard.controls import event_switches, parameter_sliders, pressure_sliders
from simulation.dashboard.upload import TextFileInput
from simulation.drivers.model import AllianceModel
from simulation.reporting.explain import event_log
from simulation.runner import run_batch
from simulation.teaching.rooms import MAX_DEBRIEF_RUNS, MAX_ROOM_BYTES, MAX_WHY, Room, RoomRegistry
from simulation.teaching.seminar import HumanMove
from simulation.world.scenario import Scenario, apply_overrides, load_scenario, parse_scenario

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,80}$")
DEFAULT_SCENARIO = os.environ.get("ALLIANCE_SIM_SCENARIO", "baseline_2018_2021")
PUBLIC_URL = os.environ.get("ALLIANCE_SIM_PUBLIC_URL", "http://127.0.0.1:8765").rstrip("/")
ROOMS_DIR = Path(os.environ["ALLIANCE_SIM_ROOMS_DIR"]) if os.environ.get("ALLIANCE_SIM_ROOMS_DIR") else None
PLAY_INTERVAL_S = 0.6
POLL_S = 0.25
MAX_REPLICATES = 5000
MIN_REPLICATES = 100
GENERIC_ERROR = "Something went wrong on the server. Nothing was lost; the detail is in the server's log."

#: The rooms of this server: shared by every browser session on purpose (one room, one model).
ROOMS = RoomRegistry()


# --------------------------------------------------------------------------- scenarios, by name only


def scenario_dirs() -> list[Path]:
    """The shipped scenarios folder and the configured ones (ALLIANCE_SIM_SCENARIOS, os.pathsep-separated)."""
    dirs = [shipped_dir("scenarios")]
    for part in os.environ.get("ALLIANCE_SIM_SCENARIOS", "").split(os.pathsep):
        if part and Path(part).is_dir() and Path(part).resolve() not in [d.resolve() for d in dirs]:
            dirs.append(Path(part))
    return dirs


def scenario_catalogue() -> dict[str, Path]:
    """Scenario name -> file; a configured folder's file wins over a shipped one of the same name."""
    out: dict[str, Path] = {}
    for folder in scenario_dirs():
        for path in sorted(folder.glob("*.yaml")):
            if _NAME.match(path.stem) and path.is_file():
                out[path.stem] = path
    return out


def scenario_by_name(name: object) -> Scenario:
    """The scenario called ``name`` in the catalogue; anything else (a path, ``../x``) is refused."""
    catalogue = scenario_catalogue()
    if not isinstance(name, str) or name not in catalogue:
        raise InputError(None, "scenario", f"unknown scenario (allowed: {', '.join(catalogue)})")
    return load_scenario(catalogue[name])


def build_scenario(name: str, overrides: dict, events_off: tuple[int, ...]) -> Scenario:
    sc = scenario_by_name(name)
    if events_off:
        data = sc.model_dump(exclude_none=True)
        data["events"] = [e for k, e in enumerate(data["events"]) if k not in events_off]
        sc = parse_scenario(data)
    return apply_overrides(sc, overrides) if overrides else sc


def check_replicates(runs: object) -> int:
    if not isinstance(runs, int) or isinstance(runs, bool) or not MIN_REPLICATES <= runs <= MAX_REPLICATES:
        raise InputError(None, "replicates", f"{runs} is out of range (allowed: {MIN_REPLICATES} to {MAX_REPLICATES})")
    return runs


# --------------------------------------------------------------------------- errors never reach the browser


def guarded(handler, set_message):
    """``handler`` for a button: an InputError becomes its one line, anything else a generic message."""

    def run(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except InputError as err:
            set_message(("error", str(err)))
        except Exception:  # noqa: BLE001 - the browser gets a short message, the log the detail
            logger.exception("dashboard handler failed")
            set_message(("error", GENERIC_ERROR))
        return None

    return run


@solara.component
def Message(message):
    if not message:
        return
    kind, text = message
    with solara.Div(attributes={"data-testid": "message"}):
        if kind == "error":
            solara.Error(text)
        elif kind == "success":
            solara.Success(text)
        else:
            solara.Info(text)


@solara.component
def Boundary(view, *args):
    """Renders ``view(*args)``; if it fails, a short message and a retry instead of a traceback."""
    exc, clear = solara.use_exception()
    if exc is not None:
        logger.error("dashboard view failed", exc_info=exc)
        with solara.Div(attributes={"data-testid": "view-error"}):
            solara.Error(GENERIC_ERROR)
            solara.Button("Show it again", on_click=clear)
        return
    view(*args)


def query() -> dict[str, str]:
    router = solara.use_router()
    return {k: v[0] for k, v in parse_qs(router.search or "").items() if v}


def use_room_version(room: Room | None, with_clock: bool = False) -> int:
    """Follow a room: re-render when it changes (polled, so no session depends on another).

    ``with_clock``: also once a second while the room's timer runs (the projector's countdown).
    """
    version, set_version = solara.use_state(-1)

    def poll(cancel: threading.Event):
        seen = None
        while room is not None and not cancel.is_set():
            try:
                room.tick()
            except Exception:  # noqa: BLE001
                logger.exception("room timer failed")
            now = (room.version, room.seconds_left() if with_clock else None)
            if now != seen:
                seen = now
                set_version(hash(now))
            cancel.wait(POLL_S)

    solara.use_thread(poll, dependencies=[room.code if room is not None else None])
    return version


def html(content: str, testid: str | None = None, style: str = ""):
    attrs = {"data-testid": testid} if testid else {}
    with solara.Div(attributes=attrs, style=style):
        solara.HTML(tag="div", unsafe_innerHTML=content)


# --------------------------------------------------------------------------- the explorer (one model per session)


@solara.component
def EventLogView(model: AllianceModel, version: int, last: int = 8):
    decisions = model.datacollector.get_table_dataframe("decisions")
    if decisions.empty:
        text = "_No decisions yet: press Step._"
    else:
        recent = decisions[decisions["step"] >= max(0, model.month - 3)]
        entries = event_log(recent, model.levels_array(), model.resolved)[-last:]
        blocks = []
        for e in reversed(entries):
            changed = e["level_before"] != e["level_after"]
            move = f"{e['level_before']} -> {e['level_after']}" if changed else f"stays {e['level_before']}"
            explanation = in_words(e["explanation"]).replace("\n  - ", "\n- ")
            blocks.append(
                f"**{e['date']} {e['actor']} wishes to {e['intent']} ties with {e['partner']}: "
                f"{e['outcome']}** ({move})\n\n{explanation}"
            )
        text = "\n\n".join(blocks) or "_In the last months every actor held every relationship._"
    with solara.Div(attributes={"data-testid": "event-log", "data-step": str(model.month)}):
        solara.Markdown(text)


@solara.component
def DistributionPanel(scenario_factory):
    runs, set_runs = solara.use_state(500)
    result, set_result = solara.use_state(None)
    message, set_message = solara.use_state(None)

    def run():
        out = run_batch(scenario_factory(), runs=check_replicates(runs))
        set_message(None)
        set_result(out)

    solara.SliderInt(
        f"Replicates: {runs}", value=runs, min=MIN_REPLICATES, max=MAX_REPLICATES, step=100, on_value=set_runs
    )
    solara.Button("Run replicates on the batch engine", on_click=guarded(run, set_message), color="primary")
    Message(message)
    if result is not None and "alliance" in result:
        share, lo, hi = proportion(int(result["alliance"].sum()), len(result))
        finals = result["final_level"].value_counts(normalize=True).sort_index()
        from simulation.core.ladder import LEVEL_LABELS

        with solara.Div(attributes={"data-testid": "distribution"}):
            solara.Markdown(
                f"**P(formal alliance of the focal pair) = {share:.1%}** (95% interval {lo:.1%} to "
                f"{hi:.1%}, {len(result)} runs; parameters: {result.attrs.get('parameters', '')})"
            )
            html(
                charts.shares_svg(
                    {LEVEL_LABELS[int(k)]: float(v) for k, v in finals.items()}, title="Final level of the focal pair"
                )
            )


@solara.component
def ModelView(model: AllianceModel, version: int):
    levels = model.levels_array()
    fa, fb = model.structure.focal_index
    with solara.Columns([1, 1]):
        with solara.Column():
            html(charts.network_svg(model.level, model.actors, model.structure.focal_pair), "network")
            html(charts.legend_html())
        with solara.Column():
            html(charts.timeline_svg(levels, model.actors, model.start, model.horizon, focal=(fa, fb)), "timeline")
            PressureText(model)


@solara.component
def PressureText(model: AllianceModel):
    from simulation.teaching.seminar import situation

    s = situation(model, model.actors[0])
    parts = [
        f"**{model.structure.pressurer} pressure** (threat index, 0-1): "
        + ", ".join(f"on {k} {v:.2f}" for k, v in s.pressure.items() if v > 0 or k in model.structure.focal_pair)
    ]
    if s.coordination is not None:
        parts.append(f"**{model.structure.coordinator} coordination**: {s.coordination:.2f}")
    with solara.Div(attributes={"data-testid": "pressure"}):
        solara.Markdown("  \n".join(parts))


@solara.component
def Explorer():
    names = list(scenario_catalogue())
    name, set_name = solara.use_state(DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else names[0])
    seed, set_seed = solara.use_state(0)
    overrides, set_overrides = solara.use_state({})
    events_off, set_events_off = solara.use_state(())
    reset_count, set_reset_count = solara.use_state(0)
    version, set_version = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    message, set_message = solara.use_state(None)
    lock = solara.use_memo(threading.Lock, dependencies=[])

    base = solara.use_memo(lambda: scenario_by_name(name), dependencies=[name])
    pressure_specs, parameter_specs, switches = solara.use_memo(
        lambda: (pressure_sliders(base), parameter_sliders(base), event_switches(base)), dependencies=[name]
    )
    key = (name, tuple(sorted(overrides.items())), events_off)
    model: AllianceModel = solara.use_memo(
        lambda: AllianceModel(build_scenario(name, overrides, events_off), seed=seed),
        dependencies=[key, seed, reset_count],
    )

    def step():
        with lock:
            if model.month < model.horizon:
                model.step()
        set_version(lambda v: v + 1)

    def play_loop(cancel: threading.Event):
        while playing and not cancel.is_set() and model.month < model.horizon:
            if cancel.wait(PLAY_INTERVAL_S):
                break
            step()
        if model.month >= model.horizon:
            set_playing(False)

    solara.use_thread(play_loop, dependencies=[playing, id(model)])

    def set_override(spec, value):
        # Sliders snap the scenario's own value to their step and report it on load; only a
        # real move (more than half a step) replaces the scenario's schedule or value.
        if spec.path not in overrides and abs(value - spec.value) <= spec.step / 2:
            return
        set_overrides({**overrides, spec.path: value})

    def choose(v):
        scenario_by_name(v)  # refuses anything that is not a listed name
        set_name(v)
        set_overrides({})
        set_events_off(())

    with solara.Columns([1, 3]):
        with solara.Column(style={"max-width": "28em"}):
            solara.Markdown("## alliance-sim")
            solara.Select("Scenario", value=name, values=names, on_value=guarded(choose, set_message))
            solara.SliderInt(f"Seed: {seed}", value=seed, min=0, max=999, on_value=set_seed)
            with solara.Row():
                solara.Button("Step", on_click=step, disabled=model.month >= model.horizon, color="primary")
                solara.Button("Pause" if playing else "Play", on_click=lambda: set_playing(not playing))
                solara.Button("Reset", on_click=lambda: (set_playing(False), set_reset_count(reset_count + 1)))
            solara.Markdown("### US pressure and EU coordination")
            solara.Text(
                "Moving a slider or switch restarts the run from month 0 with the new setting.",
                style={"font-size": "0.85em", "font-style": "italic"},
            )
            for spec in pressure_specs:
                value = overrides.get(spec.path, spec.value)
                solara.FloatSlider(
                    f"{spec.label}: {value:.2f}",
                    value=value,
                    min=spec.min,
                    max=spec.max,
                    step=spec.step,
                    on_value=lambda v, spec=spec: set_override(spec, v),
                )
                solara.Text(spec.description, style={"font-size": "0.8em", "color": "#555"})
            if switches:
                solara.Markdown("### Events")
                for k, label in switches:
                    solara.Switch(
                        label=label,
                        value=k not in events_off,
                        on_value=lambda on, k=k: set_events_off(
                            tuple(sorted(set(events_off) - {k})) if on else tuple(sorted({*events_off, k}))
                        ),
                    )
            with solara.Details("Model parameters (registry)"):
                for spec in parameter_specs:
                    value = overrides.get(spec.path, spec.value)
                    solara.FloatSlider(
                        f"{spec.label}: {value:g}",
                        value=value,
                        min=spec.min,
                        max=spec.max,
                        step=spec.step,
                        on_value=lambda v, spec=spec: set_override(spec, v),
                    )
                    solara.Text(in_words(spec.description), style={"font-size": "0.8em", "color": "#555"})
        with solara.Column():
            date = month_label(model.start, model.month)
            with solara.Div(attributes={"data-testid": "header", "data-step": str(model.month)}):
                solara.Markdown(
                    f"# {model.resolved.scenario.title}\n**{date}**, month {model.month} of {model.horizon} "
                    f"(seed {model.seed}, one run for explanation and teaching)"
                )
            Message(message)
            ModelView(model, version)
            with solara.Card("Why did they move? (event log)"):
                EventLogView(model, version)
            with solara.Card("Distribution: many runs of the current settings"):
                DistributionPanel(lambda: build_scenario(name, overrides, events_off))
            ClassroomCard(name)
            with solara.Details("Sources"):
                solara.Markdown("\n".join(f"- **{r.short}**: {r.full}" for r in REFERENCES))


@solara.component
def ClassroomCard(name: str):
    router = solara.use_router()
    message, set_message = solara.use_state(None)
    code, set_code = solara.use_state("")
    room_seed, set_room_seed = solara.use_state(0)

    def open_room():
        room = ROOMS.open(scenario_by_name(name), name, room_seed)
        router.push(f"/room?room={room.code}&key={quote(room.instructor_key)}")

    def restore(payload):
        if not isinstance(payload, dict):
            return
        name = str(payload.get("name") or "uploaded room")[:80]
        text = payload.get("text")
        if not isinstance(text, str) or len(text) > MAX_ROOM_BYTES:
            raise InputError(name, None, f"too large for a saved room (limit {MAX_ROOM_BYTES // 1_000_000} MB)")
        room = ROOMS.restore(text, source=name)
        router.push(f"/room?room={room.code}&key={quote(room.instructor_key)}")

    def restore_saved(filename):
        files = saved_rooms()
        if filename not in files:
            raise InputError(None, "saved room", "not one of the saved rooms")
        room = ROOMS.restore(files[filename].read_bytes()[: MAX_ROOM_BYTES + 1], source=filename)
        router.push(f"/room?room={room.code}&key={quote(room.instructor_key)}")

    def join():
        if ROOMS.get(code) is None:
            raise InputError(None, "room code", f"no open room '{code.strip()[:12]}' on this server")
        router.push(f"/join?room={code.strip().upper()}")

    with solara.Card("Classroom: every team on its own laptop, one world on the projector"):
        with solara.Div(attributes={"data-testid": "classroom"}):
            solara.Markdown(
                f"**Open a room** on the scenario chosen above (*{name}*). You get a room code, a join "
                "address and a QR code to project; the page that opens is the projector view with "
                "your controls (keep its address to yourself)."
            )
            with solara.Row():
                solara.SliderInt(f"Room seed: {room_seed}", value=room_seed, min=0, max=999, on_value=set_room_seed)
                solara.Button("Open a room", on_click=guarded(open_room, set_message), color="primary")
            solara.Markdown("**Join a room** (students): type the code shown on the projector.")
            with solara.Row():
                solara.InputText("Room code", value=code, on_value=set_code, continuous_update=True)
                solara.Button("Join", on_click=guarded(join, set_message), disabled=not code.strip())
            solara.Markdown("**Restore a saved room** from a file you downloaded earlier (a new code is given).")
            TextFileInput.element(
                label="Choose the saved room file (.json):",
                max_bytes=MAX_ROOM_BYTES,
                on_payload=guarded(restore, set_message),
            )
            if ROOMS_DIR is not None:
                files = saved_rooms()
                if files:
                    solara.Select(
                        "Or restore from the server's rooms folder",
                        value=None,
                        values=list(files),
                        on_value=guarded(restore_saved, set_message),
                    )
        Message(message)


def saved_rooms() -> dict[str, Path]:
    if ROOMS_DIR is None or not ROOMS_DIR.is_dir():
        return {}
    return {p.name: p for p in sorted(ROOMS_DIR.glob("room-*.json"), reverse=True) if p.is_file()}


def save_to_folder(room: Room) -> Path:
    """Write the room into the configured folder under a name no other save uses (never overwrites)."""
    if ROOMS_DIR is None:
        raise InputError(None, "rooms folder", "no rooms folder is configured (start with --rooms-dir)")
    ROOMS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    text = room.save_json()
    for k in range(1000):
        path = ROOMS_DIR / f"room-{room.code}-{stamp}{'' if k == 0 else f'-{k}'}.json"
        try:
            with path.open("x", encoding="utf-8") as fh:
                fh.write(text)
            return path
        except FileExistsError:
            continue
    raise InputError(ROOMS_DIR, None, "could not find a free file name")


# --------------------------------------------------------------------------- a team's panel


@solara.component
def JoinView():
    q = query()
    router = solara.use_router()
    room = ROOMS.get(q.get("room", ""))
    seat_state, set_seat_state = solara.use_state(None)  # (actor, seat)
    team_name, set_team_name = solara.use_state("")
    actor_choice, set_actor_choice = solara.use_state(None)
    message, set_message = solara.use_state(None)
    version = use_room_version(room)
    if room is None:
        solara.Markdown("# Join a room")
        solara.Warning("No open room with this code on this server. Check the code on the projector.")
        solara.Button("Back to the start page", on_click=lambda: router.push("/"))
        return
    seat = seat_state
    if seat is None and q.get("actor") and q.get("seat"):  # a reload or a reconnect keeps the seat
        team = room.team_of(q["actor"])
        if team is not None and team.seat == q["seat"]:
            seat = (team.actor, team.seat)
    if seat is not None and (room.team_of(seat[0]) is None or room.team_of(seat[0]).seat != seat[1]):
        seat = None
    if seat is None:
        free = room.free_actors()

        def join():
            if actor_choice is None:
                raise InputError(None, "actor", "pick the actor your team plays")
            team = room.join(team_name, actor_choice)
            set_seat_state((team.actor, team.seat))
            router.push(f"/join?room={room.code}&actor={quote(team.actor)}&seat={quote(team.seat)}")

        with solara.Div(attributes={"data-testid": "join-form"}):
            solara.Markdown(
                f"# Join room {room.code}\n{_esc(room.title)}. Type your team's name and pick an actor "
                "that is still free. (Rejoining after a closed laptop: the same team name and actor "
                "give you your seat back.)"
            )
            solara.InputText("Team name", value=team_name, on_value=set_team_name, continuous_update=True)
            taken = {a: t.name for a, t in room.teams.items()}
            if free:
                solara.Markdown("**Pick the actor your team plays** (only free actors are shown):")
                solara.ToggleButtonsSingle(
                    value=actor_choice if actor_choice in free else None, values=free, on_value=set_actor_choice
                )
            if taken:
                solara.Markdown(
                    "Already taken: "
                    + ", ".join(f"{a} (team {t})" for a, t in taken.items())
                    + ("" if free else ". No actor is free: ask the instructor.")
                )
            solara.Button(
                "Join",
                on_click=guarded(join, set_message),
                color="primary",
                disabled=not team_name.strip() or actor_choice is None,
            )
        Message(message)
        return
    TeamPanel(room, seat[0], seat[1], version)


@solara.component
def TeamPanel(room: Room, actor: str, seat: str, version: int):
    month = room.month
    situation = solara.use_memo(lambda: room.situation(actor), dependencies=[room.code, month, actor])
    choices, set_state_choices = solara.use_state({})
    # The last values typed or clicked, for the submit handler: a click that follows an edit in the
    # same instant runs the closure of the previous render, whose `choices` are one edit old. The
    # ref always holds the newest edit.
    latest = solara.use_ref({"choices": {}, "why": ""})
    message, set_message = solara.use_state(None)

    def set_choices(value: dict) -> None:
        latest.current["choices"] = value
        set_state_choices(value)

    def set_why(value: str) -> None:
        # every keystroke reaches the server before a later click does (the messages are ordered),
        # so Submit sends the text as typed; it is kept in the ref alone, so typing re-renders only
        # the text box, not the team's page
        latest.current["why"] = value

    team = room.team_of(actor)
    name = team.name if team is not None else "?"
    pending = room.pending.get(actor)

    with solara.Div(
        attributes={"data-testid": "team-panel", "data-actor": actor, "data-month": str(month)},
        style={"font-size": "1.1em"},
    ):
        solara.Markdown(
            f"# Team {name}: you play {actor}\n**{room.date}**, month {month} of {room.horizon}, "
            f"room {room.code}. Only your team sees this page."
        )
        if room.finished:
            solara.Info("The game is over: look at the projector for the debrief.")
        feedback = room.feedback.get(actor, [])
        if feedback and month > 0:
            with (
                solara.Card(f"What became of your requests in {month_label(room.model.start, month - 1)}"),
                solara.Div(attributes={"data-testid": "feedback"}),
            ):
                colours = {
                    "done": "#2a7a3b",
                    "refused": "#b02a37",
                    "waiting": "#8a6d00",
                    "lowered": "#b02a37",
                    "held": "#555",
                    "not possible": "#555",
                }
                played = room.rounds[-1].moves.get(actor) if room.rounds else None
                if played is None:
                    solara.Markdown("_Your team did not submit in time: the model played for you._")
                quiet = [f.partner for f in feedback if f.request == "hold" and f.status == "held"]
                feedback = [f for f in feedback if f.partner not in quiet]
                if quiet:
                    solara.Markdown(f"You held your ties with {', '.join(quiet)}, and so did they: no change.")
                solara.Markdown(
                    "\n".join(
                        f"- {_badge(f.status, colours.get(f.status, '#555'))} **{f.partner}** (you asked to "
                        f"{f.request}): {_esc(f.text)}"
                        for f in feedback
                    )
                )
        with solara.Card("Your situation and the model's advice"):
            rows = [
                "| partner | relationship now | how much you fear them (0-1) | share of your trade | model advises | "
                "because (largest terms) |",
                "|---|---|---|---|---|---|",
            ]
            for v in situation.partners:
                rows.append(
                    f"| {v.partner} | {v.level} | {v.threat_to_me:.2f} | {v.trade_share:.1%} | **{v.advice}** "
                    f"| {v.reasons_text(3)} |"
                )
            solara.Markdown("\n".join(rows))
            solara.Markdown(
                "_In 'because', + pulls you closer and - holds you back. "
                "Raising needs both sides; either side can lower. A formal alliance needs both sides "
                f"to want it for {room.treaty_months} months in a row._"
            )
        with solara.Card(f"Your moves for {room.date}"):
            for v in situation.partners:
                key = f"{month}|{v.partner}"
                current = choices.get(key, pending.move.moves.get(v.partner, v.advice) if pending else v.advice)
                with solara.Row(classes=[f"move-{v.partner}"], style={"align-items": "center"}):
                    solara.Text(f"{v.partner} ({v.level}):", style={"min-width": "16em", "font-size": "1.1em"})
                    solara.ToggleButtonsSingle(
                        value=current,
                        values=["raise", "hold", "lower"],
                        on_value=lambda val, key=key: set_choices({**latest.current["choices"], key: val}),
                    )
            if situation.controls_pressure:
                for target, level in situation.pressure.items():
                    key = f"{month}|pressure|{target}"
                    value = choices.get(key, round(level, 2))
                    solara.FloatSlider(
                        f"Your pressure on {target}: {value:.2f}",
                        value=value,
                        min=0,
                        max=1,
                        step=0.05,
                        on_value=lambda val, key=key: set_choices({**latest.current["choices"], key: val}),
                    )
            if situation.controls_coordination:
                key = f"{month}|coordination"
                value = choices.get(key, round(situation.coordination or 0, 2))
                solara.FloatSlider(
                    f"Your coordination with {room.model.structure.pressurer}: {value:.2f}",
                    value=value,
                    min=0,
                    max=1,
                    step=0.05,
                    on_value=lambda val, key=key: set_choices({**latest.current["choices"], key: val}),
                )
            solara.InputText(
                f"Why? (one or two sentences, up to {MAX_WHY} characters; partners see it if they are refused)",
                value=latest.current["why"],
                on_value=set_why,
                continuous_update=True,
            )

            def submit():
                choices, why = latest.current["choices"], latest.current["why"]
                moves = {v.partner: choices.get(f"{month}|{v.partner}", v.advice) for v in situation.partners}
                pressure = {
                    t: float(choices[f"{month}|pressure|{t}"])
                    for t in situation.pressure
                    if f"{month}|pressure|{t}" in choices
                } or None
                coordination = choices.get(f"{month}|coordination")
                if room.month != month:
                    raise InputError(None, "moves", "the month has just been played: look at the new situation")
                problems = room.submit(actor, seat, HumanMove(moves, pressure, coordination), why)
                if problems:
                    set_message(("error", "Refused: " + "; ".join(problems)))
                else:
                    set_message(
                        ("success", "Your moves are in. You can change them until the instructor advances the clock.")
                    )

            solara.Button(
                "Submit our moves", on_click=guarded(submit, set_message), color="primary", disabled=room.finished
            )
            status = "submitted" if pending else "not submitted"
            with solara.Div(attributes={"data-testid": "submit-status", "data-status": status}):
                solara.Markdown(
                    f"**Status:** {'moves in for ' + room.date if pending else 'not yet submitted'}. "
                    f"Teams moved: {len(room.submitted())} of {len(room.teams)}."
                )
            Message(message)


# --------------------------------------------------------------------------- the projector


@solara.component
def RoomView():
    q = query()
    router = solara.use_router()
    room = ROOMS.get(q.get("room", ""))
    instructor = room is not None and ROOMS.instructor_room(room.code, q.get("key", "")) is not None
    version = use_room_version(room, with_clock=True)
    if room is None:
        solara.Markdown("# No such room")
        solara.Warning("No open room with this code on this server.")
        solara.Button("Back to the start page", on_click=lambda: router.push("/"))
        return
    if instructor:
        ClockBar(room, version)
    Projector(room, version)
    if instructor:
        InstructorControls(room, version)


@solara.component
def Projector(room: Room, version: int):
    """The shared world: one HTML block built once per room version and shared by every session."""
    content = room.cached("projector", lambda: projector_html(room), room.seconds_left())
    with solara.Div(style={"font-size": "1.35em"}):
        solara.HTML(tag="div", unsafe_innerHTML=content)


def projector_html(room: Room) -> str:
    """Title, month, join code and QR code, who has moved, network, timeline, pressure and log (escaped)."""
    model = room.model
    levels = room.levels()
    join_url = f"{PUBLIC_URL}/join?room={room.code}"
    s = room.situation(model.actors[0])
    pressure = ", ".join(
        f"on {_esc(k)} <b>{v:.2f}</b>" for k, v in s.pressure.items() if v > 0 or k in model.structure.focal_pair
    )
    coord = (
        f" &middot; {_esc(model.structure.coordinator)} coordination <b>{s.coordination:.2f}</b>"
        if s.coordination is not None
        else ""
    )
    network = charts.network_svg(model.level, model.actors, model.structure.focal_pair)
    timeline = charts.timeline_svg(levels, model.actors, model.start, model.horizon, focal=model.structure.focal_index)
    return (
        f'<div data-testid="projector" data-month="{room.month}">'
        '<div style="display:flex;align-items:center;justify-content:space-between">'
        f'<div data-testid="header" data-step="{room.month}">'
        f'<div style="font-size:2.2em;font-weight:bold;line-height:1.1">{_esc(room.title)}</div>'
        f'<div style="font-size:1.6em">{room.date} &middot; month {room.month} of {room.horizon}</div></div>'
        '<div data-testid="join-info" style="display:flex;align-items:center;gap:1em"><div style="text-align:right">'
        f'<div style="font-size:1.1em">Join at <b>{_esc(join_url)}</b></div>'
        f'<div style="font-size:2.6em;font-weight:bold;letter-spacing:0.15em">{room.code}</div></div>'
        f'<div style="width:150px">{qr_svg(join_url)}</div></div></div>'
        f"{teams_html(room)}"
        '<div style="display:grid;grid-template-columns:5fr 6fr;gap:1em;align-items:start">'
        f'<div data-testid="network">{network}</div>'
        f'<div><div data-testid="timeline">{timeline}</div>{charts.legend_html()}'
        f'<div data-testid="pressure" style="font-size:1.1em;margin-top:0.4em">'
        f"{_esc(model.structure.pressurer)} pressure (0-1): {pressure}{coord}</div></div></div>"
        f"{log_html(room)}</div>"
    )


def _badge(word: str, colour: str) -> str:
    return (
        f'<span style="background:{colour};color:white;border-radius:0.3em;padding:0 0.35em;font-size:0.85em">'
        f"{word}</span>"
    )


def _esc(text: str) -> str:
    from html import escape

    return escape(text)


@functools.lru_cache(maxsize=64)
def qr_svg(url: str) -> str:
    """A QR code of the join address as inline SVG (segno); empty if segno is not installed."""
    try:
        import segno
    except ImportError:
        return ""
    import io

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    svg = buf.getvalue().decode()
    return re.sub(r'width="\d+" height="\d+"', 'width="100%"', svg, count=1)


def teams_html(room: Room) -> str:
    """One chip per actor: the team's name and whether it has moved this month, or "model"."""
    chip = "padding:0.2em 0.7em;border-radius:1em;border:1px solid #ccc;"
    chips = []
    for actor in room.actors:
        team = room.team_of(actor)
        if team is None:
            chips.append(
                f'<span data-actor="{_esc(actor)}" data-status="model" style="{chip}background:#eee;'
                f'color:#555">{_esc(actor)}: model</span>'
            )
        else:
            done = actor in room.pending
            colour = "#d4edda" if done else "#fff3cd"
            mark = "has moved" if done else "thinking..."
            chips.append(
                f'<span data-actor="{_esc(actor)}" data-status="{"moved" if done else "waiting"}" '
                f'style="{chip}background:{colour}">{_esc(actor)}: <b>{_esc(team.name)}</b> {mark}</span>'
            )
    left = room.seconds_left()
    timer = (
        f'<span style="margin-left:1em">next month in <b>{left // 60}:{left % 60:02d}</b></span>'
        if (left is not None)
        else ""
    )
    return (
        f'<div data-testid="teams" style="display:flex;flex-wrap:wrap;gap:0.5em;font-size:1.15em;'
        f'align-items:center;margin:0.4em 0">{"".join(chips)}{timer}</div>'
    )


def log_html(room: Room, months: int = 2) -> str:
    """The last months of the room's event log, worded by kind (changed, refused, treaty talks)."""
    recent = [e for e in room.log if e.month >= room.month - months]
    badges = {
        "change": ("changed", "#1f6fb2"),
        "refusal": ("refused", "#b02a37"),
        "treaty": ("treaty talks", "#8a6d00"),
        "wish": ("wish", "#555"),
    }
    if recent:
        items = "".join(
            f'<li data-kind="{e.kind}"><b>{e.date}</b> {_badge(*badges.get(e.kind, (e.kind, "#555")))} '
            f"{_esc(e.text)}</li>"
            for e in reversed(recent)
        )
    else:
        items = "<li>No month played yet.</li>" if room.month == 0 else "<li>Every pair held last month.</li>"
    return (
        f'<div data-testid="room-log" style="font-size:1.15em"><b>What happened</b> last two months'
        f'<ul style="margin:0.2em 0 0 0;columns:2;column-gap:2em">{items}</ul></div>'
    )


@solara.component
def ClockBar(room: Room, version: int):
    """The instructor's clock, above the world: advance now, or set a timer."""
    message, set_message = solara.use_state(None)
    timer, set_timer = solara.use_state(room.timer_s or 0)

    def advance():
        room.advance()
        set_message(None)

    def apply_timer(value):
        room.set_timer(int(value) if value else None)
        set_timer(value)

    moved, teams = len(room.submitted()), len(room.teams)
    with solara.Row(
        style={
            "align-items": "center",
            "flex-wrap": "wrap",
            "background": "#f1f4f8",
            "padding": "0.3em",
            "border-radius": "0.4em",
        }
    ):
        with solara.Div(attributes={"data-testid": "clock"}):
            solara.Button(
                f"Advance to the next month ({moved} of {teams} teams moved; the model plays the rest)",
                on_click=guarded(advance, set_message),
                color="primary",
                disabled=room.finished,
            )
        solara.Text("Timer:")
        solara.ToggleButtonsSingle(
            value=timer, values=[0, 60, 120, 180, 300], on_value=guarded(apply_timer, set_message)
        )
        solara.Text(
            "seconds per month (0: only when you press Advance). Instructor controls are at the bottom.",
            style={"font-size": "0.9em"},
        )
    if "://127.0.0.1" in PUBLIC_URL or "://localhost" in PUBLIC_URL:
        solara.Warning(
            "This server listens on this machine only: students' laptops cannot join. Stop it and start it again "
            "with --host 0.0.0.0 (./tasks dashboard --host 0.0.0.0 or alliance-sim classroom)."
        )
    Message(message)


@solara.component
def InstructorControls(room: Room, version: int):
    router = solara.use_router()
    message, set_message = solara.use_state(None)
    runs, set_runs = solara.use_state(500)
    debrief, set_debrief = solara.use_state(None)

    def show_debrief():
        if not isinstance(runs, int) or not 50 <= runs <= MAX_DEBRIEF_RUNS:
            raise InputError(None, "runs", f"{runs} is out of range (allowed: 50 to {MAX_DEBRIEF_RUNS})")
        set_debrief(room.debrief(runs))

    def save_server():
        path = save_to_folder(room)
        set_message(("success", f"Saved as {path.name} in the rooms folder."))

    def close():
        ROOMS.close(room.code)
        router.push("/")

    with (
        solara.Card("Instructor (only on your screen: keep this page's address to yourself)"),
        solara.Div(attributes={"data-testid": "instructor"}),
    ):
        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.FileDownload(
                lambda: room.save_json(),
                filename=f"room-{room.code}-month{room.month}.json",
                label="Download the room (to reload later)",
            )
            solara.FileDownload(
                lambda: room.export_csv(),
                filename=f"room-{room.code}.csv",
                label="Export moves (CSV)",
                mime_type="text/csv",
            )
            solara.FileDownload(
                lambda: room.export_json(),
                filename=f"room-{room.code}-export.json",
                label="Export everything (JSON)",
                mime_type="application/json",
            )
            if ROOMS_DIR is not None:
                solara.Button("Save in the rooms folder", on_click=guarded(save_server, set_message))
        if room.teams:
            with solara.Details("Teams (free a seat if a team left for good)"):
                for actor, team in list(room.teams.items()):
                    with solara.Row():
                        solara.Text(f"{actor}: team {team.name}")
                        solara.Button("Free this seat", on_click=lambda actor=actor: room.leave(actor), text=True)
        with solara.Row(style={"align-items": "center"}):
            solara.SliderInt(
                f"Debrief runs: {runs}", value=runs, min=100, max=MAX_DEBRIEF_RUNS, step=100, on_value=set_runs
            )
            solara.Button(
                "Debrief: the class against the model",
                on_click=guarded(show_debrief, set_message),
                disabled=room.month == 0,
            )
            solara.Button("Close the room", on_click=guarded(close, set_message), color="error", text=True)
        Message(message)
    if debrief is not None:
        with solara.Card("Debrief"), solara.Div(attributes={"data-testid": "debrief"}):
            html(f'<div style="font-size:1.4em">{_esc(debrief.get("text", ""))}</div>')
            if debrief.get("model_final_levels"):
                html(
                    charts.shares_svg(
                        debrief["model_final_levels"],
                        marked=debrief.get("class_final_level"),
                        title=f"Where the model's {debrief['runs']} runs ended after "
                        f"{debrief['steps_played']} months ({debrief['focal_pair']})",
                    )
                )


# --------------------------------------------------------------------------- pages


@solara.component
def Home():
    solara.Title("alliance-sim")
    Boundary(Explorer)


@solara.component
def Join():
    solara.Title("alliance-sim: team")
    Boundary(JoinView)


@solara.component
def RoomPage():
    solara.Title("alliance-sim: room")
    Boundary(RoomView)


@solara.component
def Layout(children=[]):  # noqa: B006 - Solara's layout signature
    """No navigation bar: a team's page shows only the team's page, the projector only the world."""
    solara.Column(children=children, style={"padding": "0.5em 1.2em", "gap": "0.4em"})


@solara.component
def OpenRoom():
    """``/open?scenario=NAME``: open a room on a listed scenario and go to its instructor view."""
    router = solara.use_router()
    q = query()
    message, set_message = solara.use_state(None)

    def open_once():
        try:
            name = q.get("scenario", DEFAULT_SCENARIO)
            return ROOMS.open(scenario_by_name(name), name, 0)
        except InputError as err:
            set_message(("error", str(err)))
        return None

    room = solara.use_memo(open_once, dependencies=[q.get("scenario")])
    if room is not None:
        router.push(f"/room?room={room.code}&key={quote(room.instructor_key)}")
        solara.Markdown(f"Opening room {room.code}...")
    Message(message)


routes = [
    solara.Route(path="/", component=Home, label="Explore", layout=Layout),
    solara.Route(path="join", component=Join, label="Join", layout=Layout),
    solara.Route(path="room", component=RoomPage, label="Room", layout=Layout),
    solara.Route(path="open", component=OpenRoom, label="Open a room", layout=Layout),
]

__all__ = [
    "ROOMS",
    "routes",
    "scenario_by_name",
    "scenario_catalogue",
    "check_replicates",
    "save_to_folder",
]
