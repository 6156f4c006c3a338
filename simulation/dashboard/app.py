"""The dashboard (Solara). Start it with ``alliance-sim dashboard [SCENARIO]`` or ``alliance-sim classroom``.

Pages:

- ``/``: explore a scenario alone (each browser session has its own model, built inside the
  page with ``use_memo``), and (with the instructor's key) open or restore a classroom room;
- ``/join?room=CODE``: a team's own page in a room (``classroom.JoinView``);
- ``/room?room=CODE``: the projector view of a room: the world only (``classroom.RoomView``);
- ``/console?room=CODE&key=KEY``: the instructor's console (``classroom.ConsoleView``);
- ``/open?scenario=NAME&key=KEY``: open a room and go to its console.

Rooms live in one ``RoomRegistry`` per server process (``common.ROOMS``): that sharing is the point
of a room. Opening, restoring, advancing and closing need the instructor's key (printed by the
command that starts the server). Everything the browser sends is checked here or in
``teaching.rooms`` on the server; scenarios are chosen by name from the shipped folder and the
configured one, saved rooms go to the browser (download/upload) or to the configured rooms folder
under a fresh name. No traceback reaches a browser: handlers and views show a short message and
log the detail.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path

import solara
import solara.lab

from simulation.core.calendar import month_label
from simulation.core.errors import InputError
from simulation.core.paths import shipped_dir
from simulation.core.references import REFERENCES, in_words
from simulation.core.stats import proportion
from simulation.dashboard import charts, hardening
from simulation.dashboard.classroom import JoinView, RoomView, TeamPanel
from simulation.dashboard.common import (
    GENERIC_ERROR,
    ROOMS,
    ROOMS_DIR,
    Boundary,
    Message,
    PageStyle,
    guarded,
    html,
    query,
    release_memory,
    save_to_folder,
    saved_rooms,
)
from simulation.dashboard.console import ConsoleView, console_url
from simulation.dashboard.controls import event_switches, parameter_sliders, pressure_sliders
from simulation.dashboard.presenters import projector_html
from simulation.dashboard.upload import TextFileInput
from simulation.drivers.model import AllianceModel
from simulation.reporting.explain import event_log
from simulation.runner import run_batch
from simulation.teaching.rooms import MAX_ROOM_BYTES, NeedsConfirmation
from simulation.world.scenario import Scenario, apply_overrides, load_scenario, parse_scenario

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,80}$")
DEFAULT_SCENARIO = os.environ.get("ALLIANCE_SIM_SCENARIO", "baseline_2018_2021")
PLAY_INTERVAL_S = 0.6
MAX_REPLICATES = 5000
MIN_REPLICATES = 100


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
    if result is not None and "alliance_reached" in result:
        share, lo, hi = proportion(int(result["alliance_reached"].sum()), len(result))
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
            setting_controls(pressure_specs, parameter_specs, switches, overrides, set_override, events_off,
                             set_events_off)  # fmt: skip
        with solara.Column():
            explorer_views(model, version, name, lambda: build_scenario(name, overrides, events_off), message)


def _setting_slider(spec, overrides: dict, set_override, value_format: str, description: str) -> None:
    """A slider for one explorer setting (its current value in the label) and its description below it."""
    value = overrides.get(spec.path, spec.value)
    solara.FloatSlider(
        f"{spec.label}: {value_format.format(value)}",
        value=value,
        min=spec.min,
        max=spec.max,
        step=spec.step,
        on_value=lambda v: set_override(spec, v),
    )
    solara.Text(description, style={"font-size": "0.8em", "color": "#555"})


def setting_controls(pressure_specs, parameter_specs, switches, overrides: dict, set_override, events_off: tuple,
                     set_events_off) -> None:  # fmt: skip
    """The explorer's settings: US pressure and EU coordination, the events, the registry's parameters."""
    solara.Markdown("### US pressure and EU coordination")
    solara.Text(
        "Moving a slider or switch restarts the run from month 0 with the new setting.",
        style={"font-size": "0.85em", "font-style": "italic"},
    )
    for spec in pressure_specs:
        _setting_slider(spec, overrides, set_override, "{:.2f}", spec.description)
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
            _setting_slider(spec, overrides, set_override, "{:g}", in_words(spec.description))


def explorer_views(model: AllianceModel, version: int, name: str, scenario_factory, message) -> None:
    """The explorer's main column: the date, the pictures, the event log, many runs, the classroom, sources."""
    date = month_label(model.start, model.month)
    with solara.Div(attributes={"data-testid": "header", "data-step": str(model.month)}):
        solara.Markdown(
            f"# {model.resolved.scenario.title}\n**{date}**, month {model.month} of {model.horizon} "
            f"(seed {model.seed}, one run for explanation and teaching)"
        )
    Message(message)
    instructor = ROOMS.is_instructor(query().get("key", ""))
    if instructor:  # opening and restoring rooms come first for the instructor
        ClassroomCard(name)
    ModelView(model, version)
    with solara.Card("Why did they move? (event log)"):
        EventLogView(model, version)
    with solara.Card("Distribution: many runs of the current settings"):
        DistributionPanel(scenario_factory)
    if not instructor:
        ClassroomCard(name)
    with solara.Details("Sources"):
        solara.Markdown("\n".join(f"- **{r.short}**: {r.full}" for r in REFERENCES))


@solara.component
def ClassroomCard(name: str):
    """Join a room by its code; with the instructor's key, open or restore one (``OpenOrRestore``)."""
    router = solara.use_router()
    q = query()
    message, set_message = solara.use_state(None)
    code, set_code = solara.use_state("")
    key, set_key = solara.use_state(q.get("key", ""))

    def join():
        if ROOMS.get(code) is None:
            raise InputError(None, "room code", f"no open room '{code.strip()[:12]}' on this server")
        router.push(f"/join?room={code.strip().upper()}")

    instructor = ROOMS.is_instructor(key)
    with solara.Card("Classroom: every team on its own device, one world on the projector"):
        with solara.Div(attributes={"data-testid": "classroom"}):
            solara.Markdown("**Join a room** (students): type the code shown on the projector.")
            with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
                solara.InputText("Room code", value=code, on_value=set_code, continuous_update=True)
                solara.Button("Join", on_click=guarded(join, set_message), disabled=not code.strip())
            if not instructor:
                solara.Markdown(
                    "**Instructors**: open this page with the link the server printed when it started (it carries "
                    "your key), or type the key here."
                )
                solara.InputText("Instructor's key", value=key, on_value=set_key, password=True)
            else:
                OpenOrRestore(name, key, set_message)
        Message(message)


@solara.component
def OpenOrRestore(name: str, key: str, set_message):
    """The instructor's part of the classroom card: open a room on the chosen scenario, or restore a saved one
    (from a file, or from the server's rooms folder), confirming a file this server cannot verify."""
    router = solara.use_router()
    room_seed, set_room_seed = solara.use_state(0)
    preset, set_preset = solara.use_state(False)
    one_seat, set_one_seat = solara.use_state(False)
    # a room file this server cannot verify (signed elsewhere, or unsigned): (text, source, why) until confirmed
    unverified, set_unverified = solara.use_state(None)

    def restore_checked(text, source: str, confirmed: bool = False) -> None:
        try:
            room = ROOMS.restore(text, source=source, key=key, confirmed=confirmed)
        except NeedsConfirmation as err:
            set_unverified((text, source, err.one_line()))
            return
        ROOMS.supersede(text, room)  # the open room it was saved from sends its pages here
        router.push(console_url(room.code, key))

    def confirm_restore():
        text, source, _ = unverified
        set_unverified(None)
        restore_checked(text, source, confirmed=True)

    def open_room():
        room = ROOMS.open(scenario_by_name(name), name, room_seed, key=key, preset_names=preset)
        hardening.set_one_seat_per_device(room.code, one_seat)
        router.push(console_url(room.code, key))

    def restore(payload):
        if not isinstance(payload, dict):
            return
        source = str(payload.get("name") or "uploaded room")[:80]
        text = payload.get("text")
        if not isinstance(text, str) or len(text) > MAX_ROOM_BYTES:
            raise InputError(source, None, f"too large for a saved room (limit {MAX_ROOM_BYTES // 1_000_000} MB)")
        restore_checked(text, source)

    def restore_saved(filename):
        files = saved_rooms()
        if filename not in files:
            raise InputError(None, "saved room", "not one of the saved rooms")
        ROOMS.check_key(key)
        restore_checked(files[filename].read_bytes()[: MAX_ROOM_BYTES + 1], filename)

    with solara.Div():
        solara.Markdown(
            f"**Open a room** on the scenario chosen above (*{name}*): you get the console (clock, seats, "
            "debrief) and a projector view with the room's code and QR code."
        )
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.SliderInt(f"Room seed: {room_seed}", value=room_seed, min=0, max=999, on_value=set_room_seed)
            solara.Checkbox(label="Hand out anonymised team names", value=preset, on_value=set_preset)
            solara.Checkbox(label="One seat per device", value=one_seat, on_value=set_one_seat)
            solara.Button("Open a room", on_click=guarded(open_room, set_message), color="primary")
        solara.Markdown("**Restore a saved room** from a file you downloaded earlier (a new code is given).")
        TextFileInput.element(
            label="Choose the saved room file (.json):",
            max_bytes=MAX_ROOM_BYTES,
            on_payload=guarded(restore, set_message),
        )
        if unverified is not None:
            with solara.Div(attributes={"data-testid": "confirm-restore"}, classes=["warn-note"]):
                solara.Markdown(f"**Not verified**: {unverified[2]}")
                with solara.Row():
                    solara.Button(
                        "Restore it anyway (I trust this file)",
                        on_click=guarded(confirm_restore, set_message),
                        color="warning",
                    )
                    solara.Button("Cancel", on_click=lambda: set_unverified(None), text=True)
        if ROOMS_DIR is not None and (files := saved_rooms()):
            solara.Select(
                "Or restore from the server's rooms folder",
                value=None,
                values=list(files),
                on_value=guarded(restore_saved, set_message),
            )


# --------------------------------------------------------------------------- pages


@solara.component
def Home():
    solara.Title("alliance-sim")
    PageStyle()
    Boundary(Explorer)


@solara.component
def Join():
    solara.Title("alliance-sim: team")
    PageStyle()
    Boundary(JoinView)


@solara.component
def RoomPage():
    solara.Title("alliance-sim: projector")
    PageStyle()
    Boundary(RoomView)


@solara.component
def ConsolePage():
    solara.Title("alliance-sim: console")
    PageStyle()
    Boundary(ConsoleView)


@solara.component
def Layout(children=[]):  # noqa: B006 - Solara's layout signature
    """No navigation bar: a team's page shows only the team's page, the projector only the world."""
    solara.Column(children=children, style={"padding": "0.5em 1.2em", "gap": "0.4em", "max-width": "100vw"})


@solara.component
def OpenRoom():
    """``/open?scenario=NAME&key=KEY[&preset=1][&rehearse=1][&one_seat=1]``: open a room and go to its console."""
    router = solara.use_router()
    q = query()
    message, set_message = solara.use_state(None)

    def open_once():
        try:
            name = q.get("scenario", DEFAULT_SCENARIO)
            preset = q.get("preset") == "1"
            if q.get("new") == "1":  # a second room on purpose
                room, new = ROOMS.open(scenario_by_name(name), name, 0, key=q.get("key"), preset_names=preset), True
            else:  # the link opened again (a reload, another tab) returns to the room it opened
                room, new = ROOMS.open_by_link(scenario_by_name(name), name, key=q.get("key"), preset_names=preset)
            if new and q.get("rehearse") == "1":
                room.fill_with_bots()
            hardening.set_one_seat_per_device(room.code, q.get("one_seat") == "1")
            return room
        except InputError as err:
            set_message(("error", str(err)))
        return None

    room = solara.use_memo(open_once, dependencies=[q.get("scenario"), q.get("key")])
    PageStyle()
    if room is not None:
        router.push(console_url(room.code, q.get("key", "")))
        solara.Markdown(f"Opening room {room.code}...")
    Message(message)


def _on_kernel_start():
    """Each browser session: when it ends (page closed or culled), give its memory back."""
    return release_memory


solara.lab.on_kernel_start(_on_kernel_start)
hardening.install()

routes = [
    solara.Route(path="/", component=Home, label="Explore", layout=Layout),
    solara.Route(path="join", component=Join, label="Join", layout=Layout),
    solara.Route(path="room", component=RoomPage, label="Projector", layout=Layout),
    solara.Route(path="console", component=ConsolePage, label="Console", layout=Layout),
    solara.Route(path="open", component=OpenRoom, label="Open a room", layout=Layout),
]

__all__ = [
    "ROOMS",
    "GENERIC_ERROR",
    "Boundary",
    "TeamPanel",
    "guarded",
    "projector_html",
    "routes",
    "scenario_by_name",
    "scenario_catalogue",
    "check_replicates",
    "save_to_folder",
]
