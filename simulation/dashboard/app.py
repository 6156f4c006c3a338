"""The seminar dashboard (Solara). Start it with ``alliance-sim dashboard [SCENARIO]``.

Every browser session gets its own model: the model is created inside the ``Page``
component with ``use_memo``, never at module level, so one student's Step moves only their
own model.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import solara  # noqa: E402

from .. import plots  # noqa: E402
from ..explain import event_log, month_label  # noqa: E402
from ..model import AllianceModel  # noqa: E402
from ..outcomes import pair_names  # noqa: E402
from ..runner import run_batch  # noqa: E402
from ..scenario import apply_overrides, load_scenario  # noqa: E402
from ..seminar import HumanMove, SeminarSession  # noqa: E402
from ..state import LEVEL_LABELS  # noqa: E402
from ..stats import proportion  # noqa: E402
from .controls import event_switches, parameter_sliders, pressure_sliders  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = Path(os.environ.get("ALLIANCE_SIM_SCENARIOS", ROOT / "scenarios"))
SESSION_DIR = Path(os.environ.get("ALLIANCE_SIM_SESSIONS", ROOT / "seminar" / "sessions"))
DEFAULT_SCENARIO = os.environ.get("ALLIANCE_SIM_SCENARIO", "baseline_2018_2021")
PLAY_INTERVAL_S = 0.6


def scenario_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def build_scenario(name: str, overrides: dict, events_off: tuple[int, ...]):
    sc = load_scenario(SCENARIO_DIR / f"{name}.yaml")
    if events_off:
        data = sc.model_dump(exclude_none=True)
        data["events"] = [e for k, e in enumerate(data["events"]) if k not in events_off]
        from ..scenario import parse_scenario

        sc = parse_scenario(data)
    return apply_overrides(sc, overrides) if overrides else sc


# --------------------------------------------------------------------------- views


@solara.component
def LevelsTable(model: AllianceModel, version: int):
    levels = model.state.level[0]
    rows = ["| pair | alignment |", "|---|---|"]
    for i, j, name in pair_names(model.world.actors):
        rows.append(f"| {name} | {LEVEL_LABELS[int(levels[i, j])]} |")
    with solara.Div(attributes={"data-testid": "levels-table", "data-step": str(model.state.step)}):
        solara.Markdown("\n".join(rows))


@solara.component
def NetworkView(model: AllianceModel, version: int):
    date = month_label(model.world.start, model.state.step)
    fig = plots.alignment_network(model.state.level[0], model.world.actors, f"Alignment, {date}")
    with solara.Div(attributes={"data-testid": "network", "data-step": str(model.state.step)}):
        solara.FigureMatplotlib(fig, dependencies=[version, id(model)], format="png")
    plt.close(fig)


@solara.component
def TimeSeriesView(model: AllianceModel, version: int):
    traj = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    traj["date"] = [month_label(model.world.start, s) for s in range(len(traj))]
    pairs = [name for _, _, name in pair_names(model.world.actors)]
    fig = plots.alignment_over_time(traj, pairs, "Alignment of every pair")
    solara.FigureMatplotlib(fig, dependencies=[version, id(model)], format="png")
    plt.close(fig)


@solara.component
def PressureView(model: AllianceModel, version: int):
    w = model.world
    t = min(model.state.step, w.steps - 1)
    parts = [f"**{w.actors[w.pressurer]} pressure** (threat index, 0-1): "
             + ", ".join(f"on {w.actors[k]} {w.pressure_threat[t, k]:.2f}" for k in range(w.n) if k != w.pressurer)]
    if w.coordinator >= 0:
        parts.append(f"**{w.actors[w.coordinator]} coordination**: {w.coordination[t]:.2f}")
    with solara.Div(attributes={"data-testid": "pressure"}):
        solara.Markdown("  \n".join(parts))


@solara.component
def EventLogView(model: AllianceModel, version: int, last: int = 8):
    decisions = model.datacollector.get_table_dataframe("decisions")
    if decisions.empty:
        text = "_No decisions yet: press Step._"
    else:
        recent = decisions[decisions["step"] >= max(0, model.state.step - 3)]
        entries = event_log(recent, model.levels_array(), model.world)[-last:]
        text = "\n\n".join(
            f"**{e['date']} {e['actor']} - {e['partner']}: {e['intent']}**"
            + (f" ({e['level_before']} -> {e['level_after']})" if e["level_before"] != e["level_after"] else "")
            + "\n\n" + e["explanation"].replace("\n  - ", "\n\n- ", 1).replace("\n  - ", "\n- ")
            for e in reversed(entries)
        ) or "_This month every actor held every relationship._"
    with solara.Div(attributes={"data-testid": "event-log", "data-step": str(model.state.step)}):
        solara.Markdown(text)


@solara.component
def DistributionPanel(scenario_key: tuple, scenario_factory):
    runs, set_runs = solara.use_state(500)
    result, set_result = solara.use_state(None)

    def run():
        sc = scenario_factory()
        out = run_batch(sc, list(range(runs)))
        set_result(out)

    solara.SliderInt("Replicates", value=runs, min=100, max=5000, step=100, on_value=set_runs)
    solara.Button("Run replicates on the batch engine", on_click=run, color="primary")
    if result is not None and "rc_alliance" in result:
        share, lo, hi = proportion(int(result["rc_alliance"].sum()), len(result))
        with solara.Div(attributes={"data-testid": "distribution"}):
            solara.Markdown(f"**P(Russia-China formal alliance) = {share:.1%}** (95% interval {lo:.1%} to "
                            f"{hi:.1%}, {len(result)} runs)")
        fig = plots.time_to_alliance(result)
        solara.FigureMatplotlib(fig, format="png")
        plt.close(fig)


@solara.component
def SeminarPanel(session: SeminarSession, on_change, version: int):
    message, set_message = solara.use_state("")
    choices, set_choices = solara.use_state({})
    debrief, set_debrief = solara.use_state("")
    if session.finished:
        solara.Info("The game is over: open the debrief.")
    for actor in session.humans:
        s = session.situation(actor)
        with solara.Card(f"{actor} (played by a person), {s.date}"):
            rows = ["| partner | relationship | you fear them | trade share | model advises | because |",
                    "|---|---|---|---|---|---|"]
            for v in s.partners:
                rows.append(f"| {v.partner} | {v.level} | {v.threat_to_me:.2f} | {v.trade_share:.1%} | {v.advice} "
                            f"| {v.reasons_text()} |")
            solara.Markdown("\n".join(rows))
            for v in s.partners:
                key = f"{actor}|{v.partner}"
                current = choices.get(key, v.advice)
                with solara.Row(classes=[f"move-{actor}-{v.partner}"]):
                    solara.Text(f"{v.partner}:")
                    solara.ToggleButtonsSingle(value=current, values=["raise", "hold", "lower"],
                                               on_value=lambda val, key=key: set_choices({**choices, key: val}))
            if s.controls_pressure:
                for target, level in s.pressure.items():
                    key = f"{actor}|pressure|{target}"
                    solara.FloatSlider(f"Pressure on {target}", value=choices.get(key, round(level, 2)), min=0, max=1,
                                       step=0.05, on_value=lambda val, key=key: set_choices({**choices, key: val}))
            if s.controls_coordination:
                key = f"{actor}|coordination"
                solara.FloatSlider("Coordination with the US", value=choices.get(key, round(s.coordination or 0, 2)),
                                   min=0, max=1, step=0.05, on_value=lambda val, key=key: set_choices({**choices, key: val}))

    def submit():
        problems = []
        for actor in session.humans:
            s = session.situation(actor)
            moves = {v.partner: choices.get(f"{actor}|{v.partner}", v.advice) for v in s.partners}
            pressure = {t: choices[f"{actor}|pressure|{t}"] for t in s.pressure if f"{actor}|pressure|{t}" in choices} or None
            coordination = choices.get(f"{actor}|coordination")
            problems += [f"{actor}: {p}" for p in session.submit(actor, HumanMove(moves, pressure, coordination))]
        if problems:
            session.pending = {}
            set_message("Refused: " + "; ".join(problems))
            return
        changes = session.play_round()
        set_choices({})
        set_message("This month: " + ("; ".join(changes) if changes else "no relationship changed") + ".")
        on_change()

    def save():
        SESSION_DIR.mkdir(parents=True, exist_ok=True)
        path = session.save(SESSION_DIR / f"seminar-{datetime.now():%Y%m%d-%H%M%S}.json")
        set_message(f"Saved to {path}")

    def show_debrief():
        set_debrief(session.debrief(runs=300).get("text", "No Russia-China pair in this scenario."))

    with solara.Row():
        solara.Button("Submit moves and play the month", on_click=submit, color="primary", disabled=session.finished)
        solara.Button("Save session", on_click=save)
        solara.Button("Debrief", on_click=show_debrief)
    if message:
        with solara.Div(attributes={"data-testid": "seminar-message"}):
            solara.Markdown(message)
    if debrief:
        with solara.Div(attributes={"data-testid": "debrief"}):
            solara.Success(debrief)


# --------------------------------------------------------------------------- page


@solara.component
def Page():
    names = scenario_names()
    name, set_name = solara.use_state(DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else names[0])
    seed, set_seed = solara.use_state(0)
    overrides, set_overrides = solara.use_state({})
    events_off, set_events_off = solara.use_state(())
    humans, set_humans = solara.use_state([])
    seminar_on, set_seminar_on = solara.use_state(False)
    loaded, set_loaded = solara.use_state(None)
    reset_count, set_reset_count = solara.use_state(0)
    version, set_version = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    lock = solara.use_memo(threading.Lock, dependencies=[])
    load_path, set_load_path = solara.use_state("")

    base = solara.use_memo(lambda: load_scenario(SCENARIO_DIR / f"{name}.yaml"), dependencies=[name])
    # the controls depend on the scenario only: build them once per scenario, not on every render
    pressure_specs, parameter_specs, switches = solara.use_memo(
        lambda: (pressure_sliders(base), parameter_sliders(base), event_switches(base)), dependencies=[name])
    key = (name, tuple(sorted(overrides.items())), events_off)

    def make():
        if loaded is not None:
            return loaded
        sc = build_scenario(name, overrides, events_off)
        if seminar_on and humans:
            return SeminarSession(sc, humans, seed=seed)
        return AllianceModel(sc, seed=seed)

    holder = solara.use_memo(make, dependencies=[key, seed, seminar_on, tuple(humans), reset_count, id(loaded)])
    session = holder if isinstance(holder, SeminarSession) else None
    model: AllianceModel = holder.model if session is not None else holder

    def bump():
        set_version(lambda v: v + 1)

    def step():
        with lock:
            if model.state.step < model.world.steps and session is None:
                model.step()
        bump()

    def play_loop(cancel: threading.Event):
        while playing and not cancel.is_set() and model.state.step < model.world.steps:
            time.sleep(PLAY_INTERVAL_S)
            if cancel.is_set():
                break
            step()
        if model.state.step >= model.world.steps:
            set_playing(False)

    solara.use_thread(play_loop, dependencies=[playing, id(model)])

    def set_override(spec, value):
        # Sliders snap the scenario's own value to their step and report it on load; only a
        # real move (more than half a step) replaces the scenario's schedule or value.
        if spec.path not in overrides and abs(value - spec.value) <= spec.step / 2:
            return
        set_overrides({**overrides, spec.path: value})

    solara.Title("alliance-sim")
    with solara.Sidebar():
        solara.Markdown("## alliance-sim")
        solara.Select("Scenario", value=name, values=names,
                      on_value=lambda v: (set_name(v), set_overrides({}), set_events_off(()), set_loaded(None)))
        solara.SliderInt(f"Seed ({seed})", value=seed, min=0, max=999, on_value=set_seed)
        with solara.Row():
            solara.Button("Step", on_click=step, disabled=session is not None or model.state.step >= model.world.steps,
                          color="primary")
            solara.Button("Pause" if playing else "Play", on_click=lambda: set_playing(not playing),
                          disabled=session is not None)
            solara.Button("Reset", on_click=lambda: (set_playing(False), set_loaded(None),
                                                     set_reset_count(reset_count + 1)))
        if session is not None:
            solara.Info("Seminar mode: play each month with 'Submit moves' below the map.", dense=True)
        solara.Markdown("### US pressure and EU coordination")
        solara.Text("Moving a slider or switch restarts the run from month 0 with the new setting.",
                    style={"font-size": "0.8em", "font-style": "italic"})
        for spec in pressure_specs:
            solara.FloatSlider(spec.label, value=overrides.get(spec.path, spec.value), min=spec.min, max=spec.max,
                               step=spec.step, on_value=lambda v, spec=spec: set_override(spec, v))
            solara.Text(spec.description, style={"font-size": "0.75em", "color": "#555"})
        if switches:
            solara.Markdown("### Events")
            for k, label in switches:
                solara.Switch(label=label, value=k not in events_off,
                              on_value=lambda on, k=k: set_events_off(
                                  tuple(sorted(set(events_off) - {k})) if on else tuple(sorted({*events_off, k}))))
        with solara.Details("Model parameters (registry)"):
            for spec in parameter_specs:
                solara.FloatSlider(spec.label, value=overrides.get(spec.path, spec.value), min=spec.min, max=spec.max,
                                   step=spec.step, on_value=lambda v, spec=spec: set_override(spec, v))
                solara.Text(spec.description, style={"font-size": "0.75em", "color": "#555"})

    date = month_label(model.world.start, min(model.state.step, model.world.steps))
    with solara.Div(attributes={"data-testid": "header"}):
        solara.Markdown(f"# {model.scenario_spec.title}\n**{date}**, month {model.state.step} of {model.world.steps}"
                        f" (seed {model.seed}){' - seminar: ' + ', '.join(session.humans) + ' played by people' if session else ''}")
    with solara.Columns([1, 1]):
        with solara.Column():
            NetworkView(model, version)
            LevelsTable(model, version)
        with solara.Column():
            TimeSeriesView(model, version)
            PressureView(model, version)
    with solara.Card("Why did they move? (event log)"):
        EventLogView(model, version)
    with solara.Card("Distribution: many runs of the current settings"):
        DistributionPanel(key, lambda: build_scenario(name, overrides, events_off))
    with solara.Card("Seminar mode: students play countries"):
        if session is None:
            solara.SelectMultiple("Played by people", values=humans, all_values=list(base.actors), on_value=set_humans)
            with solara.Row():
                solara.Button("Start seminar", on_click=lambda: set_seminar_on(True), disabled=not humans, color="primary")
            solara.InputText("Load a saved session (path)", value=load_path, on_value=set_load_path)

            def load():
                set_loaded(SeminarSession.load(Path(load_path)))

            solara.Button("Load", on_click=load, disabled=not load_path)
        else:
            SeminarPanel(session, bump, version)
            solara.Button("Leave seminar mode", on_click=lambda: (set_seminar_on(False), set_loaded(None)))
