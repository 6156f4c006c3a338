"""The instructor's console (``/console?room=CODE&key=KEY``): the clock and timer, the seats with
their connected devices and seat codes, a message to every team, rehearsal bots, downloads (the
room, moves, the per-team summary), the debrief on the projector and a confirmed Close. It is
shown only with the server's instructor key; every action checks the key again on the server.
"""

from __future__ import annotations

from urllib.parse import quote

import solara

from simulation.dashboard import profiling
from simulation.dashboard.classroom import Choice, Projector
from simulation.dashboard.common import (
    PUBLIC_URL,
    ROOMS,
    ROOMS_DIR,
    Countdown,
    Message,
    esc,
    guarded,
    html,
    query,
    save_to_folder,
    use_room_version,
)
from simulation.dashboard.presenters import debrief_pages
from simulation.teaching.rooms import MAX_DEBRIEF_RUNS, Room

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

    version = use_room_version(room, on_poll=seats_now if room is not None else None)
    moved = room.superseded_by if room is not None else ROOMS.moved_to(q.get("room", ""))
    if moved is not None and ROOMS.is_instructor(key):
        solara.Markdown(f"# Room {esc(q.get('room', ''))[:12]} was restored as room {moved}")
        with solara.Div(attributes={"data-testid": "superseded"}):
            solara.Warning(
                f"A saved copy of this room was restored under the code {moved}. Its teams and projector were sent "
                "there; this room is closed."
            )
        solara.Button(f"Go to the console of room {moved}", on_click=lambda: router.push(console_url(moved, key)))
        return
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
    """The console's cards, each a component of its own with its own confirmations."""
    message, set_message = solara.use_state(None)
    note, set_note = solara.use_state("")

    def send():
        room.announce(note)
        set_message(("success", "Sent to every team's page." if note.strip() else "Message removed."))

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
        ClockCard(room, key, version, set_message)
        Message(message)
        SeatsCard(room, version, set_message)
        with solara.Card("Message to every team"), solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.InputText("Message", value=note, on_value=set_note, continuous_update=True)
            solara.Button("Send", on_click=guarded(send, set_message))
        RecordsCard(room, version, set_message)
        CloseCard(room, key, set_message)
    preview, set_preview = solara.use_state(False)
    solara.Button(
        "Hide the projector preview" if preview else "Show the projector preview",
        on_click=lambda: set_preview(not preview),
        classes=["outline-btn"],
        attributes={"aria-expanded": "true" if preview else "false"},
    )
    if preview:
        Projector(room, version)


@solara.component
def ClockCard(room: Room, key: str, version: int, set_message):
    """Advance (asking first while a team is still thinking) and the timer."""
    confirm_advance, set_confirm_advance = solara.use_state(-1)  # the month whose advance awaits a yes

    def advance():
        if room.waiting_for() and confirm_advance != room.month:
            set_confirm_advance(room.month)  # some teams have not moved: ask first
            return
        profiling.after_advance(room.code, room.month + 1)  # off unless ALLIANCE_SIM_PROFILE is set
        ROOMS.advance(room.code, key)
        set_confirm_advance(-1)
        set_message(None)

    def apply_timer(value):
        room.set_timer(int(value) if value else None)

    moved, teams = len(room.submitted()), len(room.teams)
    with solara.Card("Clock"), solara.Div(attributes={"data-testid": "clock"}):
        asking = confirm_advance == room.month and bool(room.waiting_for())
        solara.Button(
            f"Advance to the next month ({moved} of {teams} teams moved; the model plays the rest)",
            on_click=guarded(advance, set_message),
            color="primary",
            disabled=room.finished or asking,
        )
        if asking:
            waiting = room.waiting_for()
            with solara.Div(attributes={"data-testid": "confirm-advance"}, classes=["confirm"]):
                solara.Warning(
                    f"{', '.join(waiting)} "
                    + ("has not moved yet: the model plays it" if len(waiting) == 1
                       else "have not moved yet: the model plays them")
                    + " this month, and the month cannot be played again."
                )  # fmt: skip
                with solara.Row(style={"flex-wrap": "wrap"}):
                    solara.Button("Yes, play the month now", on_click=guarded(advance, set_message), color="primary")
                    solara.Button("Wait", on_click=lambda: set_confirm_advance(-1), classes=["outline-btn"])
        left = room.seconds_left()
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Text(f"Timer: {'off' if room.timer_s is None else f'{room.timer_s} s per month'}")
            Countdown.element(seconds=-1 if left is None else left, stamp=room.version)
        with solara.Row(style={"flex-wrap": "wrap"}):
            for s in (0, 60, 120, 180, 300):
                Choice(
                    "off" if s == 0 else f"{s} s",
                    (room.timer_s or 0) == s,
                    lambda s=s: guarded(apply_timer, set_message)(s),
                    aria=f"timer {s} seconds per month" if s else "timer off",
                )


def seats_html(room: Room) -> str:
    """The seats table: country, team, connected devices, seat code, moved or not."""
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
    return (
        '<table class="rt"><thead><tr><th>country</th><th>team</th><th>connected</th><th>seat code</th>'
        f"<th>this month</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


@solara.component
def SeatsCard(room: Room, version: int, set_message):
    """The seats, Free (asking first) and Rehearse."""
    confirm_free, set_confirm_free = solara.use_state(None)  # (actor, team name) awaiting a yes

    def free(actor: str, name: str):
        team = room.team_of(actor)
        if team is not None and team.name == name:
            room.leave(actor)
        set_confirm_free(None)

    def rehearse():
        seated = room.fill_with_bots()
        set_message(("success", f"Rehearsal: the model's advice plays {', '.join(seated) or 'no free country'}."))

    with solara.Card("Seats"), solara.Div(attributes={"data-testid": "seats"}):
        html(seats_html(room))
        with solara.Row(style={"flex-wrap": "wrap"}):
            for actor, t in list(room.teams.items()):
                solara.Button(
                    f"Free {actor} ({t.name})...",
                    on_click=lambda actor=actor, name=t.name: set_confirm_free((actor, name)),
                    classes=["outline-btn"],
                )
            if room.free_actors():
                solara.Button(
                    "Rehearse: fill free seats with model-played bots", on_click=guarded(rehearse, set_message)
                )
        if confirm_free is not None and room.team_of(confirm_free[0]) is not None:
            actor, name = confirm_free
            with solara.Div(attributes={"data-testid": "confirm-free"}, classes=["confirm"]):
                solara.Warning(
                    f"Free {actor}? Team {name} loses its seat and its seat code stops working; the model plays "
                    f"{actor} until another team joins."
                )
                with solara.Row(style={"flex-wrap": "wrap"}):
                    solara.Button(f"Yes, free {actor}", on_click=lambda: free(actor, name), color="error")
                    solara.Button("Cancel", on_click=lambda: set_confirm_free(None), classes=["outline-btn"])


@solara.component
def RecordsCard(room: Room, version: int, set_message):
    """The debrief on the projector, turned page by page, the downloads and the per-team summary."""
    runs, set_runs = solara.use_state(500)

    def page(step: int):
        pages = len(debrief_pages(room.debrief_result)) if room.debrief_result else 1
        room.show_debrief_page(room.debrief_page + step, pages)

    def show_debrief():
        room.debrief(runs)
        set_message(("success", "The debrief is on the projector."))

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
        if room.debrief_result:
            titles = debrief_pages(room.debrief_result)
            with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
                solara.Button(
                    "Previous page", on_click=lambda: page(-1), disabled=room.debrief_page <= 0,
                    classes=["outline-btn"],
                )  # fmt: skip
                solara.Button(
                    "Next page on the projector",
                    on_click=lambda: page(1),
                    disabled=room.debrief_page >= len(titles) - 1,
                    color="primary",
                )
                html(
                    f'<span data-testid="debrief-page" data-page="{room.debrief_page}">Projector shows page '
                    f"{room.debrief_page + 1} of {len(titles)}: <b>{esc(titles[room.debrief_page])}</b> "
                    "(or press the arrow keys on the projector's own keyboard or clicker)</span>"
                )
        downloads_row(room, set_message)
        summary = room.cached("team-summary", room.team_summary)
        if summary:
            html(team_summary_html(summary))


def downloads_row(room: Room, set_message) -> None:
    """The room (to restore), the moves, the per-team summary, everything, and a copy in the rooms folder."""
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.FileDownload(
            lambda: room.save_json(),
            filename=f"room-{room.code}-month{room.month}.json",
            label="Download the room (to restore later)",
        )
        solara.FileDownload(
            lambda: room.export_csv(), filename=f"room-{room.code}.csv", label="Moves (CSV)", mime_type="text/csv"
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


def team_summary_html(summary: list[dict]) -> str:
    """The per-team summary as a table: moves, advice taken, raises, levers and reasons."""
    return (
        '<table class="rt" data-testid="team-summary"><thead><tr><th>team</th><th>country</th>'
        "<th>months moved</th><th>model played</th><th>decisions</th><th>took advice / against</th>"
        "<th>raises done / asked</th><th>pressure, coordination</th><th>reasons</th></tr></thead><tbody>"
        + "".join(
            f"<tr><td>{esc(t['team'])}</td><td>{esc(t['country'])}</td><td>{t['months_moved']}</td>"
            f"<td>{t['months_model_played']}</td><td>{t['decisions']}</td>"
            f"<td>{t['followed_advice']} / {t['against_advice']}</td>"
            f"<td>{t['raises_done']} / {t['raises_asked']}</td>"
            f"<td>{esc(levers_text(t))}</td>"
            f"<td>{esc(t['reasons'])}</td></tr>"
            for t in summary
        )
        + "</tbody></table>"
    )


@solara.component
def CloseCard(room: Room, key: str, set_message):
    """Close the room, asking first."""
    router = solara.use_router()
    confirm_close, set_confirm_close = solara.use_state(False)

    def close():
        ROOMS.close(room.code, key=key)
        router.push(f"/?key={quote(key)}")

    with solara.Card("Close the room"):
        if not confirm_close:
            solara.Button("Close the room...", on_click=lambda: set_confirm_close(True), classes=["danger-btn"])
        else:
            solara.Warning(
                "Closing ends the game for every team and the projector. Download the room first if you may want "
                "to go on later."
            )
            with solara.Row():
                solara.Button("Yes, close the room", on_click=guarded(close, set_message), color="error")
                solara.Button("Cancel", on_click=lambda: set_confirm_close(False), classes=["outline-btn"])


def levers_text(row: dict) -> str:
    """'pressure on China 0.11 -> 0.21 (1 change)' for a team that sets levers, else empty."""
    if not row.get("levers"):
        return ""
    n = row.get("lever_changes", 0)
    return f"{row['levers']} ({n} change{'' if n == 1 else 's'})"


def console_url(code: str, key: str) -> str:
    return f"/console?room={code}&key={quote(key)}"
