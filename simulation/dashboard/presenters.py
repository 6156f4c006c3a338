"""The classroom's HTML, built from a room without widgets: a team's feedback and situation, the
glossary, the projector (its header, teams, log, network, timeline) and the debrief. Every text a
person typed is escaped; each block is built once per room version and shared by the sessions
that show it (``Room.cached``), so 30 pages following a room cost one build.
"""

from __future__ import annotations

import functools
import re

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
    """Last month for this team: what became of each request (or of the model's choice when the team did not
    submit), what changed towards each partner, and the sources of the terms named."""
    from simulation.dashboard.turn import term_sources

    feedback = room.feedback_for(actor)
    if not feedback or room.month == 0:
        return '<div data-testid="feedback" data-empty="1"></div>'
    played = room.rounds[-1].moves.get(actor) if room.rounds else None
    changes = room.changes_for(actor)
    sources = term_sources(room, actor)
    items = []
    for f in feedback:
        change = changes.get(f.partner)
        src = sources.get(f.partner, "")
        more = (
            f'<div style="color:#333;font-size:0.95em">Since last month: {esc(change.text)}'
            + (f' <span class="src">(sources: {esc(src)})</span>' if src else "")
            + "</div>"
            if change
            else ""
        )
        asked = f"you asked to {f.request}" if played is not None else f"the model chose {f.request} for you"
        items.append(
            f'<li style="margin-bottom:0.5em">{badge(f.status, STATUS_COLOURS.get(f.status, "#454545"))} '
            f"<b>{esc(f.partner)}</b> ({asked}): {esc(f.text)}{more}</li>"
        )
    note = "" if played is not None else "<p><i>Your team did not submit in time: the model played for you.</i></p>"
    return (
        f'<div data-testid="feedback">{note}<ul style="padding-left:1.1em;margin:0.3em 0">{"".join(items)}</ul></div>'
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
    return (
        f'<div data-testid="teams" style="display:flex;flex-wrap:wrap;gap:0.4em;align-items:center">'
        f"{''.join(chips)}</div>"
    )


def log_html(room: Room, months: int = 2, limit: int | None = None) -> str:
    """The last months of the room's event log, newest first, worded by kind (at most ``limit`` entries)."""
    recent = [e for e in room.log if e.month >= room.month - months]
    recent = list(reversed(recent))[:limit] if limit else list(reversed(recent))
    if recent:
        items = "".join(
            f'<li data-kind="{e.kind}" style="margin-bottom:0.25em"><b>{e.date}</b> '
            f"{badge(*KIND_BADGES.get(e.kind, (e.kind, '#454545')))} {esc(e.text)}</li>"
            for e in recent
        )
    else:
        items = "<li>No month played yet.</li>" if room.month == 0 else "<li>Every pair held last month.</li>"
    return (
        f'<div data-testid="room-log"><div style="font-weight:bold">What happened</div>'
        f'<ul style="margin:0.2em 0 0 0;padding-left:1.1em">{items}</ul></div>'
    )


def debrief_sentences(result: dict) -> list[str]:
    """The class's game against the model's runs, in sentences that read right at 0% and 100% too."""
    needed = ("model_alliance_share", "runs", "steps_played", "focal_pair", "class_final_level", "class_percentile")
    if any(k not in result for k in needed):
        return [result.get("text", "")] if result.get("text") else []
    pair = result["focal_pair"]
    runs, months, share = result["runs"], result["steps_played"], result["model_alliance_share"]

    def of_runs(p: float) -> str:
        if p <= 0:
            return f"none of its {runs} runs"
        if p >= 1:
            return f"all of its {runs} runs"
        return f"{charts.share_words(p)} of its {runs} runs"

    if result.get("class_alliance_step") is not None:
        first = (
            f"The class reached a {pair} alliance in month {result['class_alliance_step']} "
            f"({result.get('class_alliance_date', '')}). Over the same {months} months the model does so in "
            f"{of_runs(share)}."
        )
    else:
        first = (
            f"The class did not reach a {pair} alliance. Over the same {months} months the model reaches one in "
            f"{of_runs(share)}."
        )
    final = result["class_final_level"]
    final_share = (result.get("model_final_levels") or {}).get(final, 0.0)
    second = f"The class ended at {final}, where the model ended in {of_runs(final_share)}."
    p = result["class_percentile"]
    if p >= 0.995:
        third = (
            f"On average over the months, {pair} were closer in the class's game than in every one of the model's runs."
        )
    elif p <= 0.005:
        third = (
            f"On average over the months, {pair} were less close in the class's game than in any of the model's runs."
        )
    else:
        third = (
            f"On average over the months, {pair} were closer in the class's game than in {p:.0%} of the model's runs "
            f"and less close than in {1 - p:.0%}."
        )
    return [first, second, third]


def debrief_pages(result: dict | None) -> list[str]:
    """The titles of the debrief's pages on the projector (stepped from the console or the keyboard)."""
    if not result:
        return []
    pages = ["The class against the model", "Each team's record"]
    if result.get("questions") or result.get("refusals") or result.get("treaty"):
        pages.append("Refusals and questions")
    return pages


def _debrief_chart(result: dict) -> str:
    if not result.get("model_final_levels"):
        return ""
    return charts.shares_svg(
        result["model_final_levels"],
        marked=result.get("class_final_level"),
        title=f"Where the model's {result['runs']} runs ended after {result['steps_played']} months",
        font=36,
    )


def debrief_page_html(room: Room, page: int) -> str:
    """One page of the debrief, sized for 1920x1080 read from the back row (no text under 28 px)."""
    result = room.debrief_result or {}
    titles = debrief_pages(result)
    page = max(0, min(page, len(titles) - 1))
    head = (
        f'<div class="debrief-head" style="display:flex;justify-content:space-between;align-items:baseline;gap:1em">'
        f'<div style="font-size:1.3em;font-weight:bold">Debrief: {esc(titles[page])}</div>'
        f'<div data-testid="debrief-page-of" style="white-space:nowrap">page {page + 1} of {len(titles)} '
        "&middot; arrow keys turn pages</div></div>"
    )
    if page == 0:
        sentences = "".join(f"<p style='margin:0.2em 0'>{esc(t)}</p>" for t in debrief_sentences(result))
        body = (
            f'<div data-testid="debrief-text">{sentences}</div>'
            '<div style="display:grid;grid-template-columns:minmax(0,50fr) minmax(0,50fr);gap:1em;align-items:start">'
            f'<div data-testid="debrief-chart">{_debrief_chart(result)}</div>'
            f"<div>{log_html(room, months=1, limit=6)}</div></div>"
        )
    elif titles[page] == "Each team's record":
        rows = "".join(
            f"<tr><td>{esc(t['team'])}</td><td>{esc(t['country'])}</td><td>{t['months_moved']}</td>"
            f"<td>{t['months_model_played']}</td><td>{t.get('decisions', '')}</td><td>{t['followed_advice']} / {t['against_advice']}</td>"
            f"<td>{t['raises_done']} of {t['raises_asked']}</td><td>{esc(t.get('levers', '')) or '-'}</td></tr>"
            for t in result.get("teams", [])
        )
        body = (
            '<table class="rt" data-testid="debrief-teams"><thead><tr><th>team</th><th>country</th><th>months moved'
            "</th><th>decisions</th><th>took advice / went against</th><th>raises done</th><th>pressure, "
            f"coordination</th></tr></thead><tbody>{rows}</tbody></table>"
            if rows
            else "<p>No team played.</p>"
        )
    else:
        refusals = "".join(
            f"<li><b>{esc(r['date'])}</b> {esc(r['text'])}" + (f" <i>{esc(r['reason'])}</i>" if r["reason"] else "")
            + "</li>"
            for r in result.get("refusals", [])[-3:]
        )  # fmt: skip
        treaty = "".join(f"<li><b>{esc(t['date'])}</b> {esc(t['text'])}</li>" for t in result.get("treaty", [])[-2:])
        questions = "".join(f"<li>{esc(q)}</li>" for q in result.get("questions", [])[:4])
        body = (
            f'<div data-testid="debrief-questions"><b>Discussion</b><ol style="margin:0.2em 0;padding-left:1.4em">'
            f"{questions}</ol>"
            + (f'<b>Refusals</b><ul style="margin:0.2em 0;padding-left:1.4em">{refusals}</ul>' if refusals else "")
            + (f'<b>Treaty talks</b><ul style="margin:0.2em 0;padding-left:1.4em">{treaty}</ul>' if treaty else "")
            + "</div>"
        )
    return (
        f'<div data-testid="debrief" data-page="{page}" data-pages="{len(titles)}" '
        f'style="border-top:4px solid #1d3557;padding-top:0.2em">{head}{body}</div>'
    )


def projector_html(room: Room, page: int | None = None) -> str:
    """The world for the projector; sized for a 1920x1080 screen read from the back row. With a debrief,
    ``page`` (default: the one the console shows) is one of its pages, under a one-line header."""
    model = room.model
    if room.debrief_result:
        page = room.debrief_page if page is None else page
        return (
            f'<div data-testid="projector" data-month="{room.month}" style="font-size:32px;line-height:1.25;'
            f'color:#111">'
            f'<div data-testid="header" data-step="{room.month}" style="font-size:0.9em">'
            f"<b>{esc(room.title)}</b> &middot; {room.date} &middot; month {room.month} of {room.horizon} "
            f"&middot; room {room.code}</div>{debrief_page_html(room, page)}</div>"
        )
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
        model.level, model.actors, model.structure.focal_pair, label_size=30, name_size=40, max_height="70vh",
        short_labels=True, key_names=False,
    )  # fmt: skip
    timeline = charts.timeline_svg(
        levels, model.actors, model.start, model.horizon, focal=model.structure.focal_index, font=40, zoom=True,
        short_rungs=True, max_height="48vh",
    )  # fmt: skip
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
        '<div style="display:grid;grid-template-columns:minmax(0,55fr) minmax(0,45fr);gap:0.8em;align-items:start">'
        f'<div data-testid="network">{network}</div>'
        f"<div>{log_html(room)}"
        f'<div data-testid="pressure" style="margin-top:0.3em">'
        f"{esc(model.structure.pressurer)} pressure (0-1): {pressure}{coord}</div>"
        f'<div data-testid="timeline">{timeline}</div></div></div>'
        f'<div style="font-size:1em">{charts.legend_html()}</div></div>'
    )
