"""The classroom's HTML, built from a room without widgets: a team's feedback and situation, the
glossary, the projector (its header, teams, log, network, timeline) and the debrief. Every text a
person typed is escaped; each block is built once per room version and shared by the sessions
that show it (``Room.cached``), so 30 pages following a room cost one build.
"""

from __future__ import annotations

import functools
import re

from simulation.core.calendar import month_label
from simulation.dashboard import charts
from simulation.dashboard.common import PUBLIC_URL, esc
from simulation.teaching.rooms import Room, glossary

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
