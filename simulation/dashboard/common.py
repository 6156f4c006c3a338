"""What every page of the dashboard shares: the server's rooms, its public address, error guards,
the room-following hook and the page style (large type, visible focus, no sideways scrolling on
a phone). Nothing here builds a page."""

from __future__ import annotations

import gc
import logging
import os
import secrets
import threading
from datetime import datetime
from html import escape
from pathlib import Path
from urllib.parse import parse_qs

import ipyvue
import solara
import traitlets

from simulation.core.errors import InputError
from simulation.teaching.rooms import Room, RoomRegistry

logger = logging.getLogger("simulation.dashboard")

ROOMS_DIR = Path(os.environ["ALLIANCE_SIM_ROOMS_DIR"]) if os.environ.get("ALLIANCE_SIM_ROOMS_DIR") else None
PUBLIC_URL = os.environ.get("ALLIANCE_SIM_PUBLIC_URL", "http://127.0.0.1:8765").rstrip("/")
#: A page's thread checks the room's timer and its own devices at least this often (changes wake it at once).
WAKE_S = 1.0
GENERIC_ERROR = "Something went wrong on the server. Nothing was lost; the detail is in the server's log."


def _registry() -> RoomRegistry:
    key = os.environ.get("ALLIANCE_SIM_INSTRUCTOR_KEY")
    if not key:
        key = secrets.token_urlsafe(12)
        logger.warning("no instructor key given (ALLIANCE_SIM_INSTRUCTOR_KEY): this server's key is %s", key)
    idle_h = os.environ.get("ALLIANCE_SIM_ROOM_IDLE_HOURS")
    reg = RoomRegistry(instructor_key=key)
    if idle_h:
        try:
            reg.idle_s = max(0.05, min(72.0, float(idle_h))) * 3600
        except ValueError:
            logger.warning("ALLIANCE_SIM_ROOM_IDLE_HOURS=%r is not a number: rooms expire after 4 hours", idle_h)
    return reg


#: The rooms of this server: shared by every browser session on purpose (one room, one model).
ROOMS = _registry()


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


def esc(text: object) -> str:
    return escape(str(text))


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
    with solara.Div(attributes={"data-testid": "message", "role": "status"}):
        if kind == "error":
            solara.Error(text)
        elif kind == "success":
            solara.Success(text)
        elif kind == "warning":
            solara.Warning(text)
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


def use_room_version(room: Room | None, on_poll=None) -> int:
    """Follow a room: re-render when it changes. Each page's thread sleeps on the room until its version
    changes (or a second passes), so an advance wakes every page at once and an idle room costs little.

    ``on_poll``: called at least once a second (a team page checks in, so the instructor sees it connected);
    a change in what it returns re-renders too (a second device on a seat). Once a second the thread also
    plays the month if the room's timer has run out.
    """
    version, set_version = solara.use_state(-1)
    hook = solara.use_ref(None)
    hook.current = on_poll  # the newest render's callback (the thread outlives renders)

    def poll(cancel: threading.Event):
        seen = None
        while room is not None and not cancel.is_set():
            extra = None
            try:
                room.tick()
                if hook.current is not None:
                    extra = hook.current()
                else:
                    room.touch()
            except Exception:  # noqa: BLE001
                logger.exception("room timer failed")
            now = (room.version, extra)
            if now != seen:
                seen = now
                set_version(hash(now))
            room.wait_change(now[0], WAKE_S)

    # not intrusive: Solara's default traces every line the thread runs (to cancel it anywhere), and the
    # page's re-render runs in this thread, so tracing made rendering several times slower; the loop
    # checks ``cancel`` itself
    solara.use_thread(poll, dependencies=[room.code if room is not None else None], intrusive_cancel=False)
    return version


def html(content: str, testid: str | None = None, style: str = ""):
    attrs = {"data-testid": testid} if testid else {}
    with solara.Div(attributes=attrs, style=style):
        solara.HTML(tag="div", unsafe_innerHTML=content)


def release_memory() -> None:
    """After a session closes: collect its cycles and hand freed heap pages back to the system."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the collector's work is all we can do
        pass


#: Page style: readable from the back row, a visible focus ring distinct from selection, and
#: nothing wider than a phone's screen.
CSS = """
html { -webkit-text-size-adjust: 100%; }
body, .v-application { overflow-x: hidden; }
h1, h2, h3, .v-card__title { overflow-wrap: break-word; word-break: normal; hyphens: manual; }
h1 { font-size: clamp(1.4rem, 4.5vw, 2.1rem); line-height: 1.2; }
:focus-visible, .v-btn:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible {
  outline: 4px solid #ff8f00 !important; outline-offset: 3px !important; box-shadow: 0 0 0 7px #1d3557 !important;
}
.v-btn:focus::before { opacity: 0 !important; }
.v-btn:not(.v-btn--icon) { min-height: 44px !important; height: auto !important; min-width: 44px !important; }
.v-input__slot, .v-input--selection-controls__input { min-height: 44px; }
.v-btn.outline-btn, .v-btn.v-btn--outlined { background: #ffffff !important; color: #0b4f8a !important;
  border: 2px solid #0b4f8a !important; }
.v-btn.v-btn--outlined.error--text { color: #a01c2c !important; border-color: #a01c2c !important; }
.v-btn.v-btn--disabled.outline-btn { color: #5c5c5c !important; border-color: #8a8a8a !important; }
.choice-row { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4em 0.6em; margin: 0.3em 0 0.6em 0; }
.choice-row .choice-label { min-width: 13em; font-size: 1.1em; font-weight: 600; }
.v-btn.choice { text-transform: none; font-size: 1.05em; min-width: 6.5em; letter-spacing: 0; }
.v-btn.choice.chosen { background: #0b4f8a !important; color: #ffffff !important; border: 3px solid #0b4f8a; }
.v-btn.choice.not-chosen { background: #ffffff !important; color: #0b4f8a !important; border: 3px solid #0b4f8a; }
.v-btn.choice.not-chosen.advice { border-style: dashed; }
.v-btn.choice.taken { background: #ececec !important; color: #4a4a4a !important; border: 2px dashed #9a9a9a;
  text-decoration: line-through; }
.advice-note { color: #3b3b3b; font-size: 0.95em; font-weight: normal; }
.warn-note { color: #7a2e00; background: #fff1e0; border-left: 5px solid #c05600; padding: 0.2em 0.5em; }
.panel { border: 1px solid #c8c8c8; border-radius: 0.5em; padding: 0.5em 0.9em; margin: 0.6em 0; }
.panel-title { font-size: 1.25em; margin: 0.1em 0 0.4em 0; }
.seat-code { font-family: monospace; font-size: 1.2em; font-weight: bold; letter-spacing: 0.12em; }
table.rt { border-collapse: collapse; width: 100%; }
table.rt th, table.rt td { border-bottom: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
.team-page { font-size: 1.05em; max-width: 70em; padding-bottom: 6.5em; }
.team-page h1.turn-title { font-size: clamp(1.25rem, 4vw, 1.7rem); margin: 0; }
.team-page p { margin: 0.15em 0; }
.turn-meta, .goal, .feedback-line { line-height: 1.3; }
.feedback-line { color: #1d3557; }
.move-row { border-top: 1px solid #d0d0d0; padding: 0.3em 0 0.2em 0; }
.move-row .choice-row { margin: 0.15em 0; }
.move-head { font-size: 1.05em; }
ul.effects { margin: 0 0 0.2em 0; padding: 0; list-style: none; font-size: 0.92em; color: #2b2b2b; }
ul.effects li { display: inline; margin-right: 1em; }
ul.effects li.is-chosen { font-weight: 600; }
ul.effects li.lever-note { display: block; margin-top: 0.1em; }
.stepper { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3em; margin-left: 0.6em; }
.stepper-label { font-weight: 600; }
.turn-actions { margin: 0.4em 0; }
.submit-bar { position: fixed; left: 0; right: 0; bottom: 0; z-index: 5; background: #f4f6f9;
  border-top: 2px solid #1d3557; padding: 0.4em 0.8em; display: flex; flex-wrap: wrap; gap: 0.2em 0.8em;
  align-items: center; }
.submit-bar .submit-btn { font-size: 1.05em; text-transform: none; letter-spacing: 0; }
.move-top { display: flex; flex-wrap: wrap; align-items: center; gap: 0.1em 1em; }
.move-top .move-head { min-width: 16em; }
.stepper .v-btn { text-transform: none; letter-spacing: 0; }
.submit-status { font-size: 0.95em; }
.countdown { font-weight: bold; color: #7a2e00; white-space: nowrap; }
.projector-clock { position: fixed; right: 0.4em; bottom: 0.2em; z-index: 5; font-size: 40px; background: #fff3cd;
  border: 2px solid #7a2e00; border-radius: 0.3em; padding: 0 0.3em; }
.confirm { border-left: 5px solid #a01c2c; padding-left: 0.5em; margin: 0.4em 0; }
.v-btn.danger-btn { background: #ffffff !important; color: #a01c2c !important; border: 2px solid #a01c2c !important; }
details.more { border: 1px solid #c8c8c8; border-radius: 0.5em; padding: 0.3em 0.7em; margin: 0.5em 0; }
details.more > summary { cursor: pointer; font-weight: bold; min-height: 44px; display: flex; align-items: center; }
.numbers-partner h3 { font-size: 1.05em; margin: 0.6em 0 0.2em 0; }
table.nt { border-collapse: collapse; width: 100%; font-size: 0.95em; }
table.nt th, table.nt td { border-bottom: 1px solid #ddd; padding: 0.2em 0.4em; text-align: left; vertical-align: top; }
table.nt td.num { font-weight: bold; white-space: nowrap; }
.src { color: #3b3b3b; font-style: italic; }
@media (max-width: 700px) {
  table.rt thead, table.nt thead { display: none; }
  table.rt tr { display: block; border: 1px solid #bbb; border-radius: 0.4em; margin: 0 0 0.6em 0; padding: 0.3em; }
  table.rt td { display: block; border: none; padding: 0.1em 0.3em; }
  table.rt td::before { content: attr(data-label) ": "; font-weight: bold; }
  table.nt tr { display: block; border-bottom: 1px solid #ddd; padding: 0.2em 0; }
  table.nt td { display: inline; border: none; padding: 0 0.3em 0 0; }
  .choice-row .choice-label { min-width: 100%; }
  .v-btn.choice { min-width: 5.5em; }
  ul.effects li { display: block; margin: 0; }
  .stepper { margin-left: 0; }
  .move-top .move-head { min-width: 0; }
  .solara-content-main, .v-main__wrap > div { padding-left: 0.4em !important; padding-right: 0.4em !important; }
}
"""


class Countdown(ipyvue.VueTemplate):
    """The time left in the month, counted down in the browser: the server sends the seconds left when
    the room changes (``stamp``), so no page re-renders every second to show it."""

    seconds = traitlets.Int(-1).tag(sync=True)
    stamp = traitlets.Int(0).tag(sync=True)
    template = traitlets.Unicode(
        "<template><span v-if='left >= 0' class='countdown' data-testid='countdown' :data-left='left' role='timer'>"
        "next month in {{ text }}</span><span v-else></span></template>\n"
        "<script>module.exports = {\n"
        "  data() { return { left: -1, end: 0, timer: null }; },\n"
        "  computed: { text() { const s = Math.max(0, this.left);"
        " return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0'); } },\n"
        "  watch: { seconds() { this.restart(); }, stamp() { this.restart(); } },\n"
        "  mounted() { this.restart(); this.timer = setInterval(() => this.tick(), 500); },\n"
        "  destroyed() { clearInterval(this.timer); },\n"
        "  methods: {\n"
        "    restart() { this.end = Date.now() + this.seconds * 1000; this.tick(); },\n"
        "    tick() { this.left = this.seconds < 0 ? -1 : Math.max(0, Math.round((this.end - Date.now()) / 1000)); }\n"
        "  }\n"
        "}</script>"
    ).tag(sync=True)


class LangTag(ipyvue.VueTemplate):
    """A tiny Vue component that sets ``<html lang="en">`` once mounted (Solara's page does not)."""

    template = traitlets.Unicode(
        "<template><span style='display:none'></span></template>\n"
        "<script>module.exports = { mounted() { document.documentElement.setAttribute('lang', 'en'); } }</script>"
    ).tag(sync=True)


@solara.component
def PageStyle():
    """The page style and the document's language (the page says it is English, for screen readers)."""
    solara.Style(CSS)
    LangTag.element()


__all__ = ["ROOMS", "PUBLIC_URL", "GENERIC_ERROR", "guarded", "Message", "Boundary", "query", "html", "esc"]
