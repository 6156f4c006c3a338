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
from urllib.parse import quote

import solara

from simulation.core.errors import InputError
from simulation.dashboard import hardening
from simulation.dashboard.common import ROOMS, Message, esc, guarded, html, query, use_room_version
from simulation.dashboard.presenters import feedback_html, glossary_html, projector_html, situation_html
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
            set_choice(None)  # taken meanwhile: nothing stays selected
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
                        f"{actor} (taken by {owner.name})",
                        disabled=True,
                        classes=["choice", "not-chosen"],
                        attributes={"aria-disabled": "true"},
                        depressed=True,
                    )
        if taken_now:
            solara.Warning(f"{choice} was just taken by team {room.teams[choice].name}: choose another country.")
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


@solara.component
def TeamPanel(room: Room, actor: str, seat: str, version: int, device: str = "local"):
    month = room.month
    pending = room.pending.get(actor)
    stamp = (month, pending.serial if pending is not None else 0)
    situation = room.situation(actor)
    state, set_state = solara.use_state((stamp, {}))
    # the newest edits for the submit handler (a click right after an edit runs the previous
    # render's closure); reset when the month or the seat's latest submit changes
    latest = solara.use_ref({"stamp": None, "choices": {}, "why": "", "month": None})
    if latest.current["month"] != month:
        latest.current["month"] = month
        latest.current["why"] = room.drafts.get(actor, "")
    if latest.current["stamp"] != stamp:
        latest.current["stamp"] = stamp
        latest.current["choices"] = {}
    message, set_message = solara.use_state(None)
    local = state[1] if state[0] == stamp else {}

    last = room.last_choices(actor)

    def base(partner: str, level_word: str, moves: tuple[str, ...]) -> str:
        if pending is not None and partner in pending.move.moves:
            return pending.move.moves[partner]
        word = last.get(partner)
        return word if word in moves else "hold"

    def set_choice(key: str, value):
        new = {**latest.current["choices"], key: value}
        latest.current["choices"] = new
        set_state((stamp, new))

    # one callback for every row, the same object from render to render: a row whose words did not
    # change is not rendered again (30 pages re-render at every advance)
    chooser = solara.use_ref(set_choice)
    chooser.current = set_choice
    choose = solara.use_memo(lambda: lambda key, value: chooser.current(key, value), dependencies=[])
    submit_ref = solara.use_ref(None)
    submitter = solara.use_memo(lambda: lambda *args: submit_ref.current(*args), dependencies=[])

    def set_why(value: str) -> None:
        latest.current["why"] = value or ""
        with contextlib.suppress(InputError):  # too long: said when submitting
            room.set_draft(actor, seat, value or "")

    why_ref = solara.use_ref(set_why)
    why_ref.current = set_why
    why_setter = solara.use_memo(lambda: lambda value: why_ref.current(value), dependencies=[])

    i = room.actors.index(actor)
    options = {
        v.partner: possible_moves(int(room.model.level[i, room.actors.index(v.partner)])) for v in situation.partners
    }
    current = {
        v.partner: local.get(v.partner, base(v.partner, v.level, options[v.partner])) for v in situation.partners
    }
    warnings = room.move_warnings(actor, current)
    team = room.team_of(actor)
    name = team.name if team is not None else "?"
    devices = room.devices(actor)

    with solara.Div(
        attributes={"data-testid": "team-panel", "data-actor": actor, "data-month": str(month)},
        style={"font-size": "1.1em", "max-width": "70em"},
    ):
        html(
            f'<h1 style="margin:0">Team {esc(name)}: you play {esc(actor)}</h1>'
            f"<p><b>{room.date}</b>, month {month} of {room.horizon}, room {room.code}. Only your team sees this page. "
            f'Seat code: <span class="seat-code" data-testid="seat-code">{esc(seat)}</span> '
            "(write it down: it gets your seat back on any device).</p>"
        )
        if room.announcement:
            with solara.Div(attributes={"data-testid": "announcement"}):
                solara.Info(f"From the instructor: {room.announcement[0]}")
        if len(devices) > 1:
            with solara.Div(attributes={"data-testid": "two-devices"}):
                solara.Warning(
                    f"This seat is open on {len(devices)} devices. Both show the latest moves submitted; "
                    "the last submit before the month is played counts."
                )
        if room.finished:
            solara.Info("The game is over: look at the projector for the debrief.")
        html(room.cached(f"feedback:{actor}", lambda: feedback_html(room, actor)))
        with solara.Div(classes=["panel"]):
            html(
                room.cached(
                    f"situation-html:{actor}",
                    lambda: (
                        '<h2 class="panel-title">Your situation and the model\'s advice</h2>'
                        + situation_html(room, actor)
                    ),
                )
            )
        with solara.Div(classes=["panel"]):
            solara.HTML(tag="h2", unsafe_innerHTML=f"Your moves for {room.date}", classes=["panel-title"])
            solara.HTML(
                tag="p",
                unsafe_innerHTML="Each row starts from your team's choice last month (or <i>hold</i>); the model's "
                "advice is beside it.",
            )
            advised = {v.partner: v.advice for v in situation.partners}
            for v in situation.partners:
                MoveRow(
                    v.partner,
                    v.level,
                    options[v.partner],
                    current[v.partner],
                    v.advice,
                    warnings.get(v.partner),
                    choose,
                )
            solara.Button(
                "Take all of the model's advice",
                on_click=lambda: [choose(p, a) for p, a in advised.items()],
                outlined=True,
                disabled=all(current[p] == advised[p] for p in current),
            )
            if situation.controls_pressure:
                for target, level in situation.pressure.items():
                    key = f"pressure|{target}"
                    Stepper(f"Your pressure on {target}", key, float(local.get(key, round(level, 2))), choose)
            if situation.controls_coordination:
                Stepper(
                    f"Your coordination with {room.model.structure.pressurer}",
                    "coordination",
                    float(local.get("coordination", round(situation.coordination or 0, 2))),
                    choose,
                )
            solara.InputText(
                f"Why? (one or two sentences, up to {MAX_WHY} characters; partners see it if they are refused)",
                value=latest.current["why"],
                on_value=why_setter,
                continuous_update=True,
            )

            def submit():
                choices, why = latest.current["choices"], latest.current["why"]
                moves = {p: choices.get(p, current[p]) for p in current}
                pressure = {
                    t: float(choices[f"pressure|{t}"]) for t in situation.pressure if f"pressure|{t}" in choices
                } or None
                coordination = choices.get("coordination")
                if room.month != month:
                    raise InputError(None, "moves", "the month has just been played: look at the new situation")
                problems = room.submit(actor, seat, HumanMove(moves, pressure, coordination), why, device=device)
                if problems:
                    set_message((month, "error", "Refused: " + "; ".join(problems)))
                else:
                    set_message((month, "success", "Your moves are in. You can change them until the clock advances."))

            submit_ref.current = guarded(submit, lambda m: set_message((month, *m)))
            solara.Button(
                "Submit our moves",
                on_click=submitter,
                color="primary",
                disabled=room.finished,
            )
            status = "submitted" if pending else "not submitted"
            with solara.Div(attributes={"data-testid": "submit-status", "data-status": status}):
                if pending is not None:
                    where = "this device" if pending.device == device else "another device of your team"
                    text = f"<b>Status:</b> moves in for {room.date} (latest submit from {where})."
                else:
                    text = f"<b>Status:</b> not yet submitted for {room.date}."
                solara.HTML(
                    tag="p",
                    unsafe_innerHTML=f"{text} Teams moved: {len(room.submitted())} of {len(room.teams)}.",
                )
            if message and message[0] == month:
                Message(message[1:])
        html(
            '<details data-testid="glossary-box"><summary style="cursor:pointer;font-weight:bold">What the terms mean '
            f"(glossary, with sources)</summary>{glossary_html()}</details>"
        )


@solara.component
def MoveRow(partner: str, level: str, options: tuple, chosen: str, advice: str, warning: str | None, choose):
    """One partner's moves: only the possible ones, the advice beside them, and a warning if any."""
    with solara.Div(classes=["choice-row", f"move-{partner}"], attributes={"data-testid": f"move-{partner}"}):
        solara.Text(f"{partner} ({level}):", classes=["choice-label"])
        for word in options:
            Choice(
                word,
                chosen == word,
                lambda word=word: choose(partner, word),
                advice=word == advice,
                aria=f"{word} ties with {partner}",
            )
        # always the same widgets (a button that disables), so nothing moves under a finger
        taken = chosen == advice
        solara.Text(f"model advises {advice}" + (": your choice" if taken else ""), classes=["advice-note"])
        solara.Button(
            f"Take the advice ({advice})",
            on_click=lambda: choose(partner, advice),
            text=True,
            disabled=taken,
            attributes={"aria-label": f"take the model's advice for {partner}: {advice}"},
        )
    if warning:
        with solara.Div(attributes={"data-testid": f"warning-{partner}"}):
            html(f'<div class="warn-note" role="alert">{esc(warning)}</div>')


@solara.component
def Stepper(label: str, key: str, value: float, choose):
    """A value from 0 to 1 in steps of 0.05 with two buttons: every key press or click counts."""

    def move(delta: float):
        choose(key, round(min(1.0, max(0.0, value + delta)), 2))

    with solara.Div(classes=["choice-row"], attributes={"data-testid": f"stepper-{key}"}):
        solara.Text(f"{label}: {value:.2f}", classes=["choice-label"])
        solara.Button(
            "- 0.05",
            on_click=lambda: move(-0.05),
            disabled=value <= 0,
            attributes={"aria-label": f"{label}: lower by 0.05"},
        )
        solara.Button(
            "+ 0.05",
            on_click=lambda: move(0.05),
            disabled=value >= 1,
            attributes={"aria-label": f"{label}: raise by 0.05"},
        )


# --------------------------------------------------------------------------- the projector


@solara.component
def RoomView():
    q = query()
    router = solara.use_router()
    room = ROOMS.get(q.get("room", ""))
    version = use_room_version(room, with_clock=True)
    if room is None:
        solara.Markdown("# No such room")
        solara.Warning("No open room with this code on this server.")
        solara.Button("Back to the start page", on_click=lambda: router.push("/"))
        return
    Projector(room, version)


@solara.component
def Projector(room: Room, version: int):
    """The shared world: one HTML block built once per room version (and second of the timer), shared by all."""
    content = room.cached("projector", lambda: projector_html(room), room.seconds_left())
    solara.HTML(tag="div", unsafe_innerHTML=content)


__all__ = ["JoinView", "TeamPanel", "RoomView", "Projector", "Choice", "projector_html"]
