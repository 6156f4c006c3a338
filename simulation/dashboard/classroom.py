"""The classroom's pages: a team's page (``/join``), the projector (``/room``) and the instructor's
console (``/console``).

- The **team page** joins by country name (nothing pre-selected; a country taken meanwhile is
  refused with a message), shows the team's seat code (it brings the seat back on any device,
  also after a restore), offers only possible moves, starts from last month's choices with the
  model's advice beside each (one click takes it), warns before a choice resets treaty consent or
  breaks a treaty, flags a seat open on two devices, and keeps the "why" being typed on the server.
- The **projector** carries the world only: title, month, a large join code and QR code, who has
  moved, the network, the log (above the fold), a timeline zoomed to the months played, and the
  debrief once the instructor asks for it. Its HTML is built once per room version and shared.
- The **console** (the instructor's key in its address) holds the clock and timer, the seats with
  their connected devices, messages to teams, rehearsal bots, downloads, the debrief and a
  confirmed Close.

The HTML builders (``*_html``) are plain functions of a room, testable without a browser; every
text a person typed is escaped.
"""

from __future__ import annotations

import contextlib
import functools
import re
from urllib.parse import quote

import solara

from simulation.core.calendar import month_label
from simulation.core.errors import InputError
from simulation.dashboard import charts
from simulation.dashboard.common import (
    PUBLIC_URL,
    ROOMS,
    ROOMS_DIR,
    Message,
    esc,
    guarded,
    html,
    query,
    save_to_folder,
    use_room_version,
)
from simulation.teaching.rooms import (
    MAX_DEBRIEF_RUNS,
    MAX_WHY,
    SEAT_CODE_LENGTH,
    Room,
    glossary,
    possible_moves,
)
from simulation.teaching.seminar import HumanMove

STATUS_COLOURS = {
    "done": "#1e6b30",
    "refused": "#a01c2c",
    "waiting": "#6e5600",
    "lowered": "#a01c2c",
    "held": "#454545",
    "not possible": "#454545",
}
KIND_BADGES = {
    "change": ("changed", "#1a5d99"),
    "refusal": ("refused", "#a01c2c"),
    "treaty": ("treaty talks", "#6e5600"),
    "wish": ("wish", "#454545"),
}


def badge(word: str, colour: str) -> str:
    return (
        f'<span style="background:{colour};color:#fff;border-radius:0.3em;padding:0 0.35em;font-size:0.85em;'
        f'white-space:nowrap">{esc(word)}</span>'
    )


def device_id() -> str:
    try:
        return str(solara.get_session_id())
    except Exception:  # noqa: BLE001 - outside a server (solara.render in tests)
        return "local"


# --------------------------------------------------------------------------- presenters (no widgets)


def feedback_html(room: Room, actor: str) -> str:
    """Last month for this team: what became of each request, and what changed towards each partner."""
    feedback = room.feedback_for(actor)
    if not feedback or room.month == 0:
        return '<div data-testid="feedback" data-empty="1"></div>'
    played = room.rounds[-1].moves.get(actor) if room.rounds else None
    changes = room.changes_for(actor)
    items = []
    for f in feedback:
        change = changes.get(f.partner)
        more = f'<div style="color:#333;font-size:0.95em">Since last month: {esc(change.text)}</div>' if change else ""
        items.append(
            f'<li style="margin-bottom:0.5em">{badge(f.status, STATUS_COLOURS.get(f.status, "#454545"))} '
            f"<b>{esc(f.partner)}</b> (you asked to {esc(f.request)}): {esc(f.text)}{more}</li>"
        )
    note = "" if played is not None else "<p><i>Your team did not submit in time: the model played for you.</i></p>"
    return (
        f'<div data-testid="feedback" style="border:1px solid #bbb;border-radius:0.5em;padding:0.5em 0.8em">'
        f'<h2 style="font-size:1.25em;margin:0">What became of your requests in '
        f"{esc(month_label(room.model.start, room.month - 1))}</h2>{note}"
        f'<ul style="padding-left:1.1em;margin:0.3em 0">{"".join(items)}</ul></div>'
    )


def situation_html(room: Room, actor: str) -> str:
    """The team's situation as a table that becomes one card per partner on a phone."""
    s = room.situation(actor)
    head = ("partner", "relationship now", "how much you fear them (0-1)", "share of your trade", "model advises",
            "because (largest terms: + pulls closer, - holds back)")  # fmt: skip
    rows = []
    for v in s.partners:
        cells = (v.partner, v.level, f"{v.threat_to_me:.2f}", f"{v.trade_share:.1%}", v.advice, v.reasons_text(3))
        rows.append(
            "<tr>"
            + "".join(f'<td data-label="{esc(h)}">{esc(c)}</td>' for h, c in zip(head, cells, strict=True))
            + "</tr>"
        )
    return (
        '<table class="rt" data-testid="situation"><thead><tr>'
        + "".join(f"<th>{esc(h)}</th>" for h in head)
        + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<p style="font-size:0.95em;margin:0.4em 0 0 0">Raising needs both sides; either side can lower. A formal '
        f"alliance needs both sides to want it for {room.treaty_months} months in a row.</p>"
    )


@functools.lru_cache(maxsize=1)
def glossary_html() -> str:
    rows = "".join(
        f'<tr><td data-label="term"><b>{esc(g["term"])}</b></td><td data-label="effect">{esc(g["effect"])}, '
        f'{esc(g["when"])}</td><td data-label="meaning">{esc(g["meaning"])}</td>'
        f'<td data-label="source">{esc(g["source"])}</td></tr>'
        for g in glossary()
    )
    return (
        '<table class="rt" data-testid="glossary"><thead><tr><th>term</th><th>effect</th><th>what it means</th>'
        f"<th>source</th></tr></thead><tbody>{rows}</tbody></table>"
    )


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
    svg = re.sub(r'width="\d+" height="\d+"', 'width="100%" role="img" aria-label="QR code of the join address"', svg)
    return svg


def teams_html(room: Room) -> str:
    """One chip per country: its team and whether it has moved this month, or "model"."""
    chip = "padding:0.1em 0.6em;border-radius:1em;border:2px solid #777;white-space:nowrap;"
    chips = []
    for actor in room.actors:
        team = room.team_of(actor)
        if team is None:
            chips.append(
                f'<span data-actor="{esc(actor)}" data-status="model" style="{chip}background:#eee;color:#333">'
                f"{esc(actor)}: model</span>"
            )
        else:
            done = actor in room.pending
            colour = "#d4edda" if done else "#fff3cd"
            mark = "moved" if done else "thinking"
            chips.append(
                f'<span data-actor="{esc(actor)}" data-status="{"moved" if done else "waiting"}" '
                f'style="{chip}background:{colour};color:#111">{esc(actor)}: <b>{esc(team.name)}</b> {mark}</span>'
            )
    left = room.seconds_left()
    timer = (
        f'<span data-testid="countdown" style="font-weight:bold;color:#111">next month in {left // 60}:{left % 60:02d}'
        "</span>"
        if left is not None
        else ""
    )
    return (
        f'<div data-testid="teams" style="display:flex;flex-wrap:wrap;gap:0.4em;align-items:center">'
        f"{''.join(chips)}{timer}</div>"
    )


def log_html(room: Room, months: int = 2) -> str:
    """The last months of the room's event log, newest first, worded by kind."""
    recent = [e for e in room.log if e.month >= room.month - months]
    if recent:
        items = "".join(
            f'<li data-kind="{e.kind}" style="margin-bottom:0.25em"><b>{e.date}</b> '
            f"{badge(*KIND_BADGES.get(e.kind, (e.kind, '#454545')))} {esc(e.text)}</li>"
            for e in reversed(recent)
        )
    else:
        items = "<li>No month played yet.</li>" if room.month == 0 else "<li>Every pair held last month.</li>"
    return (
        f'<div data-testid="room-log"><div style="font-weight:bold">What happened</div>'
        f'<ul style="margin:0.2em 0 0 0;padding-left:1.1em">{items}</ul></div>'
    )


def debrief_html(result: dict) -> str:
    """The class's own game against the model, readable on the projector."""
    teams = "".join(
        f"<tr><td>{esc(t['team'])}</td><td>{esc(t['country'])}</td><td>{t['months_moved']}</td>"
        f"<td>{t['followed_advice']} / {t['against_advice']}</td><td>{t['raises_done']} of {t['raises_asked']}</td>"
        f"<td>{esc(t['ties_now'])}</td></tr>"
        for t in result.get("teams", [])
    )
    refusals = "".join(
        f"<li><b>{esc(r['date'])}</b> {esc(r['text'])}"
        + (f" <i>{esc(r['reason'])}</i>" if r["reason"] else "")
        + "</li>"
        for r in result.get("refusals", [])[-4:]
    )
    treaty = "".join(f"<li><b>{esc(t['date'])}</b> {esc(t['text'])}</li>" for t in result.get("treaty", [])[-3:])
    questions = "".join(f"<li>{esc(q)}</li>" for q in result.get("questions", []))
    chart = ""
    if result.get("model_final_levels"):
        chart = charts.shares_svg(
            result["model_final_levels"],
            marked=result.get("class_final_level"),
            title=f"Where the model's {result['runs']} runs ended after {result['steps_played']} months "
            f"({result['focal_pair']})",
        )
    return (
        '<div data-testid="debrief" style="border-top:4px solid #1d3557;margin-top:0.4em;padding-top:0.3em">'
        f'<div style="font-weight:bold;font-size:1.2em">Debrief</div><p>{esc(result.get("text", ""))}</p>'
        '<div style="display:grid;grid-template-columns:repeat(auto-fit,minmax(22em,1fr));gap:1em">'
        f'<div><b>Discussion</b><ol style="margin:0.2em 0;padding-left:1.6em">{questions}</ol>'
        + (f'<b>Refusals</b><ul style="margin:0.2em 0;padding-left:1.4em">{refusals}</ul>' if refusals else "")
        + (f'<b>Treaty talks</b><ul style="margin:0.2em 0;padding-left:1.4em">{treaty}</ul>' if treaty else "")
        + "</div>"
        f'<div style="max-width:34em">{chart}</div></div>'
        + (
            '<table class="rt" style="font-size:0.8em"><thead><tr><th>team</th><th>country</th><th>months moved</th>'
            "<th>took advice / went against</th><th>raises done</th><th>ties now</th></tr></thead>"
            f"<tbody>{teams}</tbody></table>"
            if teams
            else ""
        )
        + "</div>"
    )


def projector_html(room: Room) -> str:
    """The world for the projector; sized for a 1920x1080 screen read from the back row."""
    model = room.model
    levels = room.levels()
    join_url = f"{PUBLIC_URL}/join?room={room.code}"
    s = room.situation(model.actors[0])
    pressure = ", ".join(
        f"on {esc(k)} <b>{v:.2f}</b>" for k, v in s.pressure.items() if v > 0 or k in model.structure.focal_pair
    )
    coord = (
        f" &middot; {esc(model.structure.coordinator)} coordination <b>{s.coordination:.2f}</b>"
        if s.coordination is not None
        else ""
    )
    network = charts.network_svg(
        model.level, model.actors, model.structure.focal_pair, label_size=30, name_size=40, max_height="64vh"
    )
    timeline = charts.timeline_svg(
        levels, model.actors, model.start, model.horizon, focal=model.structure.focal_index, font=40, zoom=True,
        short_rungs=True, max_height="48vh",
    )  # fmt: skip
    debrief = debrief_html(room.debrief_result) if room.debrief_result else ""
    return (
        f'<div data-testid="projector" data-month="{room.month}" style="font-size:32px;line-height:1.25;color:#111">'
        '<div style="display:flex;align-items:flex-start;justify-content:space-between;gap:0.6em">'
        f'<div data-testid="header" data-step="{room.month}" style="min-width:0">'
        f'<div style="font-size:1.4em;font-weight:bold;line-height:1.1">{esc(room.title)}</div>'
        f'<div style="font-size:1.1em">{room.date} &middot; month {room.month} of {room.horizon}</div>'
        f"{teams_html(room)}</div>"
        '<div data-testid="join-info" style="display:flex;align-items:center;gap:0.4em;flex:none">'
        '<div style="text-align:right">'
        f'<div style="font-size:0.8em">Join at <b>{esc(join_url)}</b></div>'
        f'<div style="font-size:3em;font-weight:bold;letter-spacing:0.12em;line-height:1">{room.code}</div></div>'
        f'<div style="width:230px">{qr_svg(join_url)}</div></div></div>'
        f"{debrief}"
        '<div style="display:grid;grid-template-columns:minmax(0,55fr) minmax(0,45fr);gap:0.8em;align-items:start">'
        f'<div data-testid="network">{network}</div>'
        f"<div>{log_html(room)}"
        f'<div data-testid="pressure" style="margin-top:0.3em">'
        f"{esc(model.structure.pressurer)} pressure (0-1): {pressure}{coord}</div>"
        f'<div data-testid="timeline">{timeline}</div></div></div>'
        f'<div style="font-size:1em">{charts.legend_html()}</div></div>'
    )


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
    team = None
    if room is not None and seat:
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
        JoinForm(room, seat, version)
        return
    TeamPanel(room, team.actor, team.seat, version, device)


@solara.component
def JoinForm(room: Room, old_seat: str | None, version: int):
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
        try:
            team = room.join(team_name, choice)
        except InputError:
            set_choice(None)  # taken meanwhile: nothing stays selected
            raise
        go(team.seat)

    def rejoin():
        go(room.rejoin(code).seat)

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


# --------------------------------------------------------------------------- the instructor's console


@solara.component
def ConsoleView():
    q = query()
    router = solara.use_router()
    key = q.get("key", "")
    room = ROOMS.instructor_room(q.get("room", ""), key)

    def seats_now():  # the seat list follows devices connecting and leaving
        room.touch()
        return tuple(sorted(room.connected().items()))

    version = use_room_version(room, with_clock=True, on_poll=seats_now if room is not None else None)
    if room is None:
        solara.Markdown("# Instructor's console")
        solara.Warning(
            "No open room with this code, or the instructor's key in this address is wrong "
            "(use the link the server printed when it started)."
        )
        solara.Button("Back to the start page", on_click=lambda: router.push("/"))
        return
    Console(room, key, version)


@solara.component
def Console(room: Room, key: str, version: int):
    router = solara.use_router()
    message, set_message = solara.use_state(None)
    runs, set_runs = solara.use_state(500)
    confirm_close, set_confirm_close = solara.use_state(False)
    note, set_note = solara.use_state("")

    def advance():
        ROOMS.advance(room.code, key)
        set_message(None)

    def apply_timer(value):
        room.set_timer(int(value) if value else None)

    def show_debrief():
        room.debrief(runs)
        set_message(("success", "The debrief is on the projector."))

    def close():
        ROOMS.close(room.code, key=key)
        router.push(f"/?key={quote(key)}")

    def rehearse():
        seated = room.fill_with_bots()
        set_message(("success", f"Rehearsal: the model's advice plays {', '.join(seated) or 'no free country'}."))

    def send():
        room.announce(note)
        set_message(("success", "Sent to every team's page." if note.strip() else "Message removed."))

    moved, teams = len(room.submitted()), len(room.teams)
    with solara.Div(attributes={"data-testid": "console", "data-month": str(room.month)}):
        html(
            f'<h1 style="margin:0">Console: room {room.code}</h1><p>{esc(room.title)} &middot; <b>{room.date}</b>, '
            f'month {room.month} of {room.horizon}. Projector view (no controls): <a href="/room?room={room.code}" '
            f'target="_blank">/room?room={room.code}</a>. Teams join at <b>{esc(PUBLIC_URL)}/join?room={room.code}'
            "</b>. Keep this page's address to yourself: it carries your key.</p>"
        )
        for w in room.warnings:
            solara.Warning(w)
        if "://127.0.0.1" in PUBLIC_URL or "://localhost" in PUBLIC_URL:
            solara.Warning(
                "This server listens on this machine only: students' laptops cannot join. Start it with "
                "alliance-sim classroom (it listens on the local network)."
            )
        with solara.Card("Clock"), solara.Div(attributes={"data-testid": "clock"}):
            solara.Button(
                f"Advance to the next month ({moved} of {teams} teams moved; the model plays the rest)",
                on_click=guarded(advance, set_message),
                color="primary",
                disabled=room.finished,
            )
            left = room.seconds_left()
            solara.Markdown(
                f"Timer: {'off' if room.timer_s is None else f'{room.timer_s} s per month'}"
                + (f", next month in {left // 60}:{left % 60:02d}" if left is not None else "")
            )
            with solara.Row(style={"flex-wrap": "wrap"}):
                for s in (0, 60, 120, 180, 300):
                    Choice(
                        "off" if s == 0 else f"{s} s",
                        (room.timer_s or 0) == s,
                        lambda s=s: guarded(apply_timer, set_message)(s),
                        aria=f"timer {s} seconds per month" if s else "timer off",
                    )
        Message(message)
        with solara.Card("Seats"), solara.Div(attributes={"data-testid": "seats"}):
            connected = room.connected()
            rows = []
            for actor in room.actors:
                t = room.team_of(actor)
                if t is None:
                    rows.append(f"<tr><td>{esc(actor)}</td><td colspan=4><i>free: the model plays it</i></td></tr>")
                    continue
                n = connected.get(actor, 0)
                state = "bot" if t.bot else ("not connected" if n == 0 else f"{n} device{'s' if n > 1 else ''}")
                rows.append(
                    f"<tr><td>{esc(actor)}</td><td>{esc(t.name)}</td><td>{state}</td>"
                    f'<td class="seat-code" style="font-size:1em">{esc(t.seat)}</td>'
                    f"<td>{'moved' if actor in room.pending else 'thinking'}</td></tr>"
                )
            html(
                '<table class="rt"><thead><tr><th>country</th><th>team</th><th>connected</th><th>seat code</th>'
                f"<th>this month</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            )
            with solara.Row(style={"flex-wrap": "wrap"}):
                for actor, t in list(room.teams.items()):
                    solara.Button(f"Free {actor} ({t.name})", on_click=lambda actor=actor: room.leave(actor), text=True)
                if room.free_actors():
                    solara.Button(
                        "Rehearse: fill free seats with model-played bots", on_click=guarded(rehearse, set_message)
                    )
        with solara.Card("Message to every team"), solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.InputText("Message", value=note, on_value=set_note, continuous_update=True)
            solara.Button("Send", on_click=guarded(send, set_message))
        with solara.Card("Debrief and records"):
            with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
                solara.SliderInt(
                    f"Model runs for the debrief: {runs}", value=runs, min=100, max=MAX_DEBRIEF_RUNS, step=100,
                    on_value=set_runs,
                )  # fmt: skip
                solara.Button(
                    "Debrief on the projector",
                    on_click=guarded(show_debrief, set_message),
                    disabled=room.month == 0,
                    color="primary",
                )
            with solara.Row(style={"flex-wrap": "wrap"}):
                solara.FileDownload(
                    lambda: room.save_json(),
                    filename=f"room-{room.code}-month{room.month}.json",
                    label="Download the room (to restore later)",
                )
                solara.FileDownload(
                    lambda: room.export_csv(),
                    filename=f"room-{room.code}.csv",
                    label="Moves (CSV)",
                    mime_type="text/csv",
                )
                solara.FileDownload(
                    lambda: room.team_summary_csv(),
                    filename=f"room-{room.code}-teams.csv",
                    label="Per-team summary (CSV)",
                    mime_type="text/csv",
                )
                solara.FileDownload(
                    lambda: room.export_json(),
                    filename=f"room-{room.code}-export.json",
                    label="Everything (JSON)",
                    mime_type="application/json",
                )
                if ROOMS_DIR is not None:
                    solara.Button(
                        "Save in the rooms folder",
                        on_click=guarded(
                            lambda: set_message(("success", f"Saved as {save_to_folder(room).name}.")), set_message
                        ),
                    )
            summary = room.cached("team-summary", room.team_summary)
            if summary:
                html(
                    '<table class="rt" data-testid="team-summary"><thead><tr><th>team</th><th>country</th>'
                    "<th>months moved</th><th>model played</th><th>took advice / against</th><th>raises done / asked</th>"
                    "<th>reasons</th></tr></thead><tbody>"
                    + "".join(
                        f"<tr><td>{esc(t['team'])}</td><td>{esc(t['country'])}</td><td>{t['months_moved']}</td>"
                        f"<td>{t['months_model_played']}</td><td>{t['followed_advice']} / {t['against_advice']}</td>"
                        f"<td>{t['raises_done']} / {t['raises_asked']}</td><td>{esc(t['reasons'])}</td></tr>"
                        for t in summary
                    )
                    + "</tbody></table>"
                )
        with solara.Card("Close the room"):
            if not confirm_close:
                solara.Button(
                    "Close the room...", on_click=lambda: set_confirm_close(True), color="error", outlined=True
                )
            else:
                solara.Warning(
                    "Closing ends the game for every team and the projector. Download the room first if you may want "
                    "to go on later."
                )
                with solara.Row():
                    solara.Button("Yes, close the room", on_click=guarded(close, set_message), color="error")
                    solara.Button("Cancel", on_click=lambda: set_confirm_close(False))
    with solara.Details("Projector preview"):
        Projector(room, version)


def console_url(code: str, key: str) -> str:
    return f"/console?room={code}&key={quote(key)}"


__all__ = ["JoinView", "TeamPanel", "RoomView", "ConsoleView", "projector_html", "console_url"]
