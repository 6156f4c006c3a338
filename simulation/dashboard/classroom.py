"""The classroom's pages for teams and the projector: a team's page (``/join``) and the projector
(``/room``); the instructor's console (``/console``) is in ``console.py``.

- The **team page** joins by country name (nothing pre-selected; a country taken meanwhile is
  refused with a message), shows the team's seat code (it brings the seat back on any device,
  also after a restore), offers only possible moves, starts from last month's choices with the
  model's advice beside each (one click takes it), warns before a choice resets treaty consent or
  breaks a treaty, flags a seat open on two devices, and keeps the "why" being typed on the server.
- The **projector** carries the world only: title, month, a large join code and QR code, who has
  moved, the network, the log (above the fold), a timeline zoomed to the months played, and the
  debrief once the instructor asks for it. Its HTML is built once per room version and shared.
- The **console** (``console.py``) holds the instructor's controls.

The HTML they show is built in ``presenters.py``, testable without a browser.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import ipyvue
import solara
import traitlets

from simulation.core.errors import InputError
from simulation.dashboard import hardening
from simulation.dashboard.common import ROOMS, Countdown, Message, esc, guarded, html, query, use_room_version
from simulation.dashboard.presenters import debrief_pages, feedback_html, glossary_html, projector_html
from simulation.dashboard.turn import feedback_line, lever_effects, move_effects, numbers_html, team_goal
from simulation.teaching.rooms import MAX_WHY, SEAT_CODE_LENGTH, Room, possible_moves
from simulation.teaching.seminar import HumanMove


def device_id() -> str:
    try:
        return str(solara.get_session_id())
    except Exception:  # noqa: BLE001 - outside a server (solara.render in tests)
        return "local"


# --------------------------------------------------------------------------- widgets


@solara.component
def Choice(label: str, chosen: bool, on_click, advice: bool = False, testid: str = "", aria: str = ""):
    """A toggle a screen reader announces as pressed or not; selection differs from focus by colour and border."""
    classes = ["choice", "chosen" if chosen else "not-chosen"] + (["advice"] if advice else [])
    attrs = {"aria-pressed": "true" if chosen else "false"}
    if testid:
        attrs["data-testid"] = testid
    if aria:
        attrs["aria-label"] = aria
    solara.Button(label, on_click=on_click, classes=classes, attributes=attrs, depressed=True)


# --------------------------------------------------------------------------- the team page


@solara.component
def JoinView():
    q = query()
    router = solara.use_router()
    room = ROOMS.get(q.get("room", ""))
    seat = q.get("seat")
    # a seat code in the address is a guess too: within the limits on wrong codes (dashboard/hardening.py)
    allowed = solara.use_memo(lambda: hardening.url_seat_allowed(room, seat), dependencies=[id(room), seat])
    team = None
    if room is not None and seat and allowed:
        team = next((t for t in room.teams.values() if t.seat == seat and not t.bot), None)
    device = solara.use_memo(device_id, dependencies=[])

    def check_in():
        if team is None:
            room.touch()
            return 0
        room.touch(team.actor, device)
        return len(room.devices(team.actor))

    version = use_room_version(room, on_poll=check_in if room is not None else None)
    moved = room.superseded_by if room is not None else ROOMS.moved_to(q.get("room", ""))
    if moved is not None:  # a restore of this room runs under a new code: the seat code works there too
        router.push(f"/join?room={moved}" + (f"&seat={quote(seat)}" if seat else ""))
        solara.Markdown(f"This room was restored as room {moved}: going there with your seat...")
        return
    if room is None:
        solara.Markdown("# Join a room")
        solara.Warning("No open room with this code on this server. Check the code on the projector.")
        solara.Button("Back to the start page", on_click=lambda: router.push("/"))
        return
    if team is None:
        JoinForm(room, seat, version, device)
        return
    TeamPanel(room, team.actor, team.seat, version, device)


@solara.component
def JoinForm(room: Room, old_seat: str | None, version: int, device: str = "local"):
    router = solara.use_router()
    team_name, set_team_name = solara.use_state("")
    choice, set_choice = solara.use_state(None)  # a country's name, never a position in a list
    message, set_message = solara.use_state(None)
    code, set_code = solara.use_state("")

    def go(seat: str):
        router.push(f"/join?room={room.code}&seat={quote(seat)}")

    def join():
        if choice is None:
            raise InputError(None, "country", "choose the country your team plays")
        hardening.check_join()
        hardening.check_device_seat(room, device)
        try:
            team = room.join(team_name, choice)
        except InputError:
            if choice in room.teams:  # taken meanwhile: nothing stays selected (a bad team name keeps the choice)
                set_choice(None)
            raise
        hardening.record_device_seat(room, device, team.actor, team.seat)
        go(team.seat)

    def rejoin():
        go(hardening.guarded_rejoin(room, code).seat)

    with solara.Div(attributes={"data-testid": "join-form"}):
        solara.Markdown(f"# Join room {room.code}\n{esc(room.title)}.")
        if old_seat:
            freed = room.freed.get(old_seat)
            solara.Warning(
                f"The instructor freed your seat ({freed}). Join again below as a new team."
                if freed
                else "This seat code is not in this room any more. Join below, or type your seat code."
            )
        if room.preset_names:
            solara.Info("The instructor hands out team names: you get one when you join.")
        else:
            solara.InputText("Team name", value=team_name, on_value=set_team_name, continuous_update=True)
        solara.Markdown("**Choose the country your team plays:**")
        taken_now = choice is not None and choice in room.teams
        with solara.Div(classes=["choice-row"], attributes={"data-testid": "countries"}):
            for actor in room.actors:
                owner = room.team_of(actor)
                if owner is None:
                    Choice(actor, choice == actor, lambda actor=actor: set_choice(actor), testid=f"country-{actor}")
                else:
                    solara.Button(
                        f"{actor}: taken by {owner.name}",
                        disabled=True,
                        classes=["choice", "taken"],
                        depressed=True,
                    )
        if taken_now:
            free = room.free_actors()
            solara.Warning(
                f"{choice} was just taken by team {room.teams[choice].name}: choose another country."
                if free
                else f"{choice} was just taken by team {room.teams[choice].name}, and every country is now taken: "
                "ask the instructor to free a seat for your team."
            )
        solara.Button(
            f"Join as {choice}" if choice is not None and not taken_now else "Join",
            on_click=guarded(join, set_message),
            color="primary",
            disabled=choice is None or taken_now or (not room.preset_names and not team_name.strip()),
            attributes={"data-testid": "join-button"},
        )
        Message(message)
        solara.Markdown(
            f"**Already joined?** Type your team's {SEAT_CODE_LENGTH}-character seat code to get your seat back "
            "on this device (it also works after the instructor restores a saved room)."
        )
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.InputText("Seat code", value=code, on_value=set_code, continuous_update=True)
            solara.Button("Get our seat back", on_click=guarded(rejoin, set_message), disabled=not code.strip())


@dataclass
class Turn:
    """A team page's edits this month: ``local`` the choices shown, ``latest`` the newest edits and "why" for the
    submit handler, and callbacks that stay the same object from render to render."""

    local: dict
    latest: Any
    choose: Callable
    set_why: Callable
    submit: Callable
    submit_ref: Any


def use_turn(room: Room, actor: str, seat: str, month: int, pending) -> Turn:
    """The hooks behind a team page's edits (called once per render of ``TeamPanel``, always in this order)."""
    stamp = (month, pending.serial if pending is not None else 0)
    state, set_state = solara.use_state((stamp, {}))
    # the newest edits for the submit handler (a click right after an edit runs the previous
    # render's closure); reset when the month or the seat's latest submit changes, and then the
    # "why" follows the latest submit too (a second device shows the reason that goes with the moves)
    latest = solara.use_ref({"stamp": None, "choices": {}, "why": "", "month": None})
    if latest.current["month"] != month:
        latest.current["month"] = month
        latest.current["why"] = room.drafts.get(actor, "")
    if latest.current["stamp"] != stamp:
        if latest.current["stamp"] is not None and pending is not None:
            latest.current["why"] = pending.why
        latest.current["stamp"] = stamp
        latest.current["choices"] = {}

    def set_choice(key: str, value):
        new = {**latest.current["choices"], key: value}
        latest.current["choices"] = new
        set_state((stamp, new))

    def set_why(value: str) -> None:
        latest.current["why"] = value or ""
        with contextlib.suppress(InputError):  # too long: said when submitting
            room.set_draft(actor, seat, value or "")

    # one callback for every row, the same object from render to render: a row whose words did not
    # change is not rendered again (30 pages re-render at every advance)
    chooser = solara.use_ref(set_choice)
    chooser.current = set_choice
    choose = solara.use_memo(lambda: lambda key, value: chooser.current(key, value), dependencies=[])
    submit_ref = solara.use_ref(None)
    submitter = solara.use_memo(lambda: lambda *args: submit_ref.current(*args), dependencies=[])
    why_ref = solara.use_ref(set_why)
    why_ref.current = set_why
    why_setter = solara.use_memo(lambda: lambda value: why_ref.current(value), dependencies=[])
    return Turn(state[1] if state[0] == stamp else {}, latest, choose, why_setter, submitter, submit_ref)


@solara.component
def TeamPanel(room: Room, actor: str, seat: str, version: int, device: str = "local"):
    """The turn first: month, countdown, goal, the moves with their effects, Submit; then, folded, last
    month's feedback, the numbers with their meaning and source, and the glossary."""
    month = room.month
    pending = room.pending.get(actor)
    situation = room.situation(actor)
    turn = use_turn(room, actor, seat, month, pending)
    message, set_message = solara.use_state(None)
    last = room.last_choices(actor)

    def base(partner: str, moves: tuple[str, ...]) -> str:
        if pending is not None and partner in pending.move.moves:
            return pending.move.moves[partner]
        word = last.get(partner)
        return word if word in moves else "hold"

    i = room.actors.index(actor)
    options = {
        v.partner: possible_moves(int(room.model.level[i, room.actors.index(v.partner)])) for v in situation.partners
    }
    current = {v.partner: turn.local.get(v.partner, base(v.partner, options[v.partner])) for v in situation.partners}
    team = room.team_of(actor)
    name = team.name if team is not None else "?"
    with solara.Div(
        classes=["team-page"],
        attributes={"data-testid": "team-panel", "data-actor": actor, "data-month": str(month)},
    ):
        html(room.cached(f"turn-head:{actor}:{name}:{seat}", lambda: turn_head_html(room, actor, name, seat)))
        team_notices(room, actor)
        with solara.Div(classes=["moves"], attributes={"data-testid": "moves"}):
            move_rows(room, actor, situation, options, current, turn, pending)
            solara.InputText(
                f"Why? (one or two sentences, up to {MAX_WHY} characters; partners see it if they are refused)",
                value=turn.latest.current["why"],
                on_value=turn.set_why,
                continuous_update=True,
            )

            def submit():
                choices, why = turn.latest.current["choices"], turn.latest.current["why"]
                if room.month != month:
                    raise InputError(None, "moves", "the month has just been played: look at the new situation")
                move = human_move(situation, current, choices, pending)
                problems = room.submit(actor, seat, move, why, device=device)
                if problems:
                    set_message((month, "error", "Refused: " + "; ".join(problems)))
                else:
                    set_message((month, "success", "Your moves are in. You can change them until the clock advances."))

            turn.submit_ref.current = guarded(submit, lambda m: set_message((month, *m)))
            if message and message[0] == month:
                Message(message[1:])
        submit_bar(room, pending, device, turn.submit)
        html(room.cached(f"turn-more:{actor}", lambda: more_html(room, actor)))
        html(
            '<details class="more" data-testid="glossary-box"><summary>What the terms mean (glossary, with '
            f"sources)</summary>{glossary_html()}</details>"
        )


def human_move(situation, current: dict, choices: dict, pending) -> HumanMove:
    """The team's move from its edits (``choices``) over what the page shows (``current``) and what it sent."""
    sent_pressure = pending.move.pressure or {} if pending is not None else {}
    sent_coordination = pending.move.coordination if pending is not None else None
    moves = {p: choices.get(p, current[p]) for p in current}
    pressure = {t: float(choices[f"pressure|{t}"]) for t in situation.pressure if f"pressure|{t}" in choices}
    return HumanMove(moves, {**sent_pressure, **pressure} or None, choices.get("coordination", sent_coordination))


def turn_head_html(room: Room, actor: str, name: str, seat: str) -> str:
    """Team, country, date, month, seat code, the goal in one line and last month's feedback in one line."""
    line = feedback_line(room, actor)
    return (
        f'<h1 class="turn-title">Team {esc(name)}: you play {esc(actor)}</h1>'
        f'<p class="turn-meta"><b data-testid="turn-date">{room.date}</b>, month {room.month} of '
        f"{room.horizon} &middot; seat code "
        f'<span class="seat-code" data-testid="seat-code">{esc(seat)}</span></p>'
        f'<p class="goal" data-testid="goal"><b>Your goal:</b> {esc(team_goal(room, actor))}</p>'
        + (f'<p class="feedback-line" data-testid="feedback-line">{esc(line)}</p>' if line else "")
    )


def more_html(room: Room, actor: str) -> str:
    """Folded under the turn: last month's feedback (once there is one) and the numbers behind the advice."""
    return (
        (
            '<details class="more" data-testid="feedback-box"><summary>Last month: what became of your '
            f"requests</summary>{feedback_html(room, actor)}</details>"
            if feedback_line(room, actor)
            else ""
        )
        + '<details class="more" data-testid="numbers-box"><summary>The numbers behind the advice: what '
        f"each means and where it comes from</summary>{numbers_html(room, actor)}</details>"
    )


def team_notices(room: Room, actor: str) -> None:
    """The instructor's message, a seat open on two devices, the game's end."""
    if room.announcement:
        with solara.Div(attributes={"data-testid": "announcement"}):
            solara.Info(f"From the instructor: {room.announcement[0]}")
    devices = room.devices(actor)
    if len(devices) > 1:
        with solara.Div(attributes={"data-testid": "two-devices"}):
            solara.Warning(
                f"This seat is open on {len(devices)} devices. Both show the latest moves submitted; "
                "the last submit before the month is played counts."
            )
    if room.finished:
        solara.Info("The game is over: look at the projector for the debrief.")


def move_rows(room: Room, actor: str, situation, options: dict, current: dict, turn: Turn, pending) -> None:
    """A row per partner (with the pressure on it for the team that sets it), coordination for the team that
    sets it, and "Take all of the model's advice" (a hook: called once per render of ``TeamPanel``)."""
    warnings = room.move_warnings(actor, current)
    effects = move_effects(room, actor)
    levers = lever_effects(room, actor)
    sent_pressure = pending.move.pressure or {} if pending is not None else {}
    sent_coordination = pending.move.coordination if pending is not None else None
    advised = {v.partner: v.advice for v in situation.partners}
    for v in situation.partners:
        key = f"pressure|{v.partner}"
        lever = None
        if situation.controls_pressure and v.partner in situation.pressure:
            shown = sent_pressure.get(v.partner, situation.pressure[v.partner])
            lever = (key, float(turn.local.get(key, round(shown, 2))), levers.get(key, ""))
        MoveRow(v.partner, v.level, options[v.partner], current[v.partner], v.advice, warnings.get(v.partner),
                turn.choose, effects.get(v.partner, {}), lever)  # fmt: skip
    if situation.controls_coordination:
        shown = sent_coordination if sent_coordination is not None else situation.coordination or 0
        Stepper(
            f"Your coordination with {room.model.structure.pressurer}'s pressure",
            "coordination",
            float(turn.local.get("coordination", round(shown, 2))),
            turn.choose,
            levers.get("coordination", ""),
        )
    choose = turn.choose
    with solara.Div(classes=["turn-actions"]):
        take_all = solara.use_memo(
            lambda: lambda: [choose(p, a) for p, a in advised.items()],
            dependencies=[tuple(sorted(advised.items())), choose],
        )
        solara.Button(
            "Take all of the model's advice",
            on_click=take_all,
            classes=["outline-btn"],
            disabled=all(current[p] == advised[p] for p in current),
        )


def submit_bar(room: Room, pending, device: str, submit: Callable) -> None:
    """Submit, whether the moves are in (and from which device), how many teams moved, the countdown."""
    status = "submitted" if pending else "not submitted"
    with solara.Div(classes=["submit-bar"], attributes={"data-testid": "submit-bar"}):
        solara.Button(
            "Submit our moves", on_click=submit, color="primary", disabled=room.finished, classes=["submit-btn"]
        )
        with solara.Div(classes=["submit-status"], attributes={"data-testid": "submit-status", "data-status": status}):
            if pending is not None:
                where = "this device" if pending.device == device else "another device of your team"
                text = f"<b>Moves in</b> for {room.date} (latest from {where})."
            else:
                text = f"<b>Not yet submitted</b> for {room.date}."
            left = room.seconds_left()
            solara.HTML(
                tag="span", unsafe_innerHTML=f"{text} Teams moved: {len(room.submitted())} of {len(room.teams)}. "
            )
            Countdown.element(seconds=-1 if left is None else left, stamp=room.version)


@solara.component
def MoveRow(
    partner: str,
    level: str,
    options: tuple,
    chosen: str,
    advice: str,
    warning: str | None,
    choose,
    effects: dict | None = None,
    lever: tuple | None = None,
):
    """One partner's moves: only the possible ones, the model's advice marked, each move's effect in words,
    the pressure on this partner for the team that sets it, and a warning if any."""
    with solara.Div(classes=["move-row", f"move-{partner}"], attributes={"data-testid": f"move-{partner}"}):
        with solara.Div(classes=["move-top"]):
            html(
                f'<div class="move-head"><b>{esc(partner)}</b>: {esc(level)} '
                f'<span class="advice-note">(model advises <b>{esc(advice)}</b>)</span></div>'
            )
            # the same callback objects from render to render: a button whose words did not change is left alone
            clicks = solara.use_memo(
                lambda: {w: (lambda w=w: choose(partner, w)) for w in ("raise", "hold", "lower")},
                dependencies=[partner, choose],
            )
            with solara.Div(classes=["choice-row"]):
                for word in options:
                    Choice(
                        word,
                        chosen == word,
                        clicks[word],
                        advice=word == advice,
                        aria=f"{word} ties with {partner}",
                    )
            if lever is not None:
                key, value, _words = lever
                StepperButtons(f"Your pressure on {partner}", key, value, choose, shown="your pressure")
        if effects:
            html(
                '<ul class="effects">'
                + "".join(
                    f'<li class="{"is-chosen" if w == chosen else ""}"><b>{esc(w)}</b>: {esc(effects[w])}</li>'
                    for w in options
                    if w in effects
                )
                + (
                    f'<li class="lever-note"><b>pressure -0.05 / now / +0.05</b>: {esc(lever[2])}</li>'
                    if lever is not None and lever[2]
                    else ""
                )
                + "</ul>"
            )
    if warning:
        with solara.Div(attributes={"data-testid": f"warning-{partner}"}):
            html(f'<div class="warn-note" role="alert">{esc(warning)}</div>')


@solara.component
def StepperButtons(label: str, key: str, value: float, choose, shown: str | None = None):
    """A value from 0 to 1 in steps of 0.05 with two buttons: every key press or click counts.
    ``shown``: a shorter visible label (in a partner's row, the partner goes without saying)."""

    def move(delta: float):
        choose(key, round(min(1.0, max(0.0, value + delta)), 2))

    down, up = solara.use_memo(lambda: (lambda: move(-0.05), lambda: move(0.05)), dependencies=[key, value, choose])
    with solara.Div(classes=["stepper"], attributes={"data-testid": f"stepper-{key}"}):
        solara.Text(f"{shown or label}: {value:.2f}", classes=["stepper-label"])
        solara.Button(
            "-0.05",
            on_click=down,
            disabled=value <= 0,
            attributes={"aria-label": f"{label}: lower by 0.05"},
        )
        solara.Button(
            "+0.05",
            on_click=up,
            disabled=value >= 1,
            attributes={"aria-label": f"{label}: raise by 0.05"},
        )


@solara.component
def Stepper(label: str, key: str, value: float, choose, words: str = ""):
    """A stepper on its own row, with what one step does."""
    with solara.Div(classes=["move-row"]):
        StepperButtons(label, key, value, choose)
        if words:
            html(f'<ul class="effects"><li class="lever-note"><b>-0.05 / now / +0.05</b>: {esc(words)}</li></ul>')


# --------------------------------------------------------------------------- the projector


@solara.component
def RoomView():
    q = query()
    router = solara.use_router()
    room = ROOMS.get(q.get("room", ""))
    version = use_room_version(room)
    moved = room.superseded_by if room is not None else ROOMS.moved_to(q.get("room", ""))
    if moved is not None:  # a restore of this room runs under a new code: follow it
        router.push(f"/room?room={moved}")
        solara.Markdown(f"This room was restored as room {moved}: going there...")
        return
    if room is None:
        solara.Markdown("# No such room")
        solara.Warning("No open room with this code on this server.")
        solara.Button("Back to the start page", on_click=lambda: router.push("/"))
        return
    Projector(room, version, keys=True)


class PageKeys(ipyvue.VueTemplate):
    """Arrow keys, Page Up/Down and a presentation clicker turn this projector's debrief pages (this view only:
    the console's page comes back whenever the instructor turns a page there)."""

    page = traitlets.Int(0).tag(sync=True)
    pages = traitlets.Int(1).tag(sync=True)
    template = traitlets.Unicode(
        "<template><span style='display:none'></span></template>\n"
        "<script>module.exports = {\n"
        "  mounted() { this.handler = (e) => {\n"
        "    const next = ['ArrowRight', 'ArrowDown', 'PageDown', ' '].includes(e.key);\n"
        "    const back = ['ArrowLeft', 'ArrowUp', 'PageUp'].includes(e.key);\n"
        "    if (!next && !back) return;\n"
        "    e.preventDefault();\n"
        "    this.page = Math.max(0, Math.min(this.pages - 1, this.page + (next ? 1 : -1)));\n"
        "  }; window.addEventListener('keydown', this.handler); },\n"
        "  destroyed() { window.removeEventListener('keydown', this.handler); }\n"
        "}</script>"
    ).tag(sync=True)


@solara.component
def Projector(room: Room, version: int, keys: bool = False):
    """The shared world: one HTML block built once per room version, shared by all; during the debrief, the
    page the console shows, or the one this view's keyboard turned to since."""
    console_page = room.debrief_page
    local, set_local = solara.use_state((console_page, None))
    page = local[1] if local[0] == console_page and local[1] is not None else console_page
    pages = len(debrief_pages(room.debrief_result))
    content = room.cached(f"projector:{page}", lambda: projector_html(room, page))
    solara.HTML(tag="div", unsafe_innerHTML=content)
    left = room.seconds_left()
    if left is not None:
        with solara.Div(classes=["projector-clock"]):
            Countdown.element(seconds=left, stamp=room.version)
    if keys and pages:
        PageKeys.element(page=page, pages=pages, on_page=lambda p: set_local((console_page, int(p))))


__all__ = ["JoinView", "TeamPanel", "RoomView", "Projector", "Choice", "projector_html"]
