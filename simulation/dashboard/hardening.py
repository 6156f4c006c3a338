"""The classroom server under abuse: bounded, throttled, and one line in the log for what a hostile page sends.

- **Malformed websocket messages** (not JSON, nested too deep, binary junk): one log line, the page's session
  closed at once (its memory handed back), never an ASGI traceback.
- **Rate limits per client** (its network address): page loads, new browser sessions, joins and seat-code
  guesses each have a token bucket (a burst, then a steady rate); a client over the limit gets a short message
  saying how long to wait. Wrong seat codes also have a limit for the whole server, whoever sends them, so that
  guessing a code takes longer than a school year even from many computers against full rooms
  (:func:`seat_guess_years`); a right code never counts, and while a limit holds no code is compared at all.
- **Memory per client is bounded**: at most ``MAX_SESSIONS_PER_CLIENT`` browser sessions per address are
  kept; a new one closes that address's oldest disconnected session first (instead of waiting for the
  2-minute cull), and is refused if all of them are still open.
- **Diagnostics** (Solara's ``/resourcez``) answer only the instructor's key (``?key=``); anyone else gets 404.
- **One seat per device**: a room option; a device (its browser session, and its address) that holds a seat in
  the room cannot take another.

The websocket message size limit is the server's own (``server.MAX_WS_MESSAGE_BYTES``, given to uvicorn).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import struct
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from simulation.core.errors import InputError

logger = logging.getLogger("simulation.dashboard")

MALFORMED = (
    ValueError, KeyError, TypeError, IndexError, AttributeError, UnicodeDecodeError, RecursionError, struct.error,
)  # fmt: skip
#: A binary websocket message is a Jupyter message in parts: a count, offsets, then the parts. Solara builds a
#: format string as long as the count it reads, so a junk count of two billion would cost gigabytes: counts
#: above this (the widgets send one or two) are refused before Solara reads the message.
MAX_BINARY_PARTS = 64

# ----------------------------------------------------------------------------- limits (documented in the README)

#: Page loads (HTML) per client: a burst of 20, then one every 3 s (20 a minute).
PAGE_BURST, PAGE_PER_S = 20, 1 / 3
#: New browser sessions (websocket connections) per client: a burst of 10, then one every 6 s (10 a minute);
#: each rendered page holds about 1.5 MB that the system may not get back after the page goes.
SESSION_BURST, SESSION_PER_S = 10, 1 / 6
#: Joins (taking a country) per client: 10, then one every 6 s.
JOIN_BURST, JOIN_PER_S = 10, 1 / 6
#: Wrong seat codes per client: 5, then one every 12 s (5 a minute): a student who mistypes twice is not slowed.
GUESS_BURST, GUESS_PER_S = 5, 1 / 12
#: Wrong seat codes on the whole server, all clients together: 60, then one every 10 s.
SERVER_GUESS_BURST, SERVER_GUESS_PER_S = 60, 0.1
#: Browser sessions kept per client address (each holds about 1.5 MB until it closes).
MAX_SESSIONS_PER_CLIENT = 12
#: Clients remembered per bucket (the oldest forgotten first): memory of the limiter itself is bounded.
MAX_TRACKED = 10_000
#: Set to 1 to hold this machine's own pages (127.0.0.1, ::1) to the page and session limits too; by default the
#: instructor's machine (console, projector, rehearsal tabs, load tests) is not slowed. Seat codes and joins are
#: limited for every address.
LIMIT_LOOPBACK_ENV = "ALLIANCE_SIM_LIMIT_LOOPBACK"
#: A school year, generously: 12 months of 30.4 days, in seconds.
SCHOOL_YEAR_S = 365 * 24 * 3600


@dataclass
class Throttle:
    """A token bucket per key: ``burst`` at once, then ``per_s`` per second. Thread-safe; remembers at most
    ``MAX_TRACKED`` keys (a forgotten key starts with a full bucket again, which only a long-idle key is)."""

    burst: float
    per_s: float
    what: str
    buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def blocked_s(self, key: str, now: float | None = None) -> float:
        """0 if ``key`` has a token now (none taken), else the seconds until it has one."""
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens, last = self.buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_s)
            return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.per_s

    def wait_s(self, key: str, now: float | None = None) -> float:
        """Take one token for ``key``: 0 if allowed, else the seconds until one is free (nothing taken)."""
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens, last = self.buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_s)
            if tokens >= 1.0:
                self.buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self.buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.per_s
            while len(self.buckets) > MAX_TRACKED:
                self.buckets.popitem(last=False)
            return wait

    def check(self, key: str, now: float | None = None) -> None:
        """Take a token or raise a one-line InputError saying how long to wait."""
        wait = self.wait_s(key, now)
        if wait > 0:
            raise InputError(
                None, self.what, f"too many tries from this computer; wait {math.ceil(wait)} s and try again"
            )

    def reset(self) -> None:
        with self.lock:
            self.buckets.clear()


PAGE_LOADS = Throttle(PAGE_BURST, PAGE_PER_S, "page")
SESSIONS = Throttle(SESSION_BURST, SESSION_PER_S, "page")
JOINS = Throttle(JOIN_BURST, JOIN_PER_S, "join")
SEAT_GUESSES = Throttle(GUESS_BURST, GUESS_PER_S, "seat code")
SERVER_GUESSES = Throttle(SERVER_GUESS_BURST, SERVER_GUESS_PER_S, "seat code")


def seat_code_space() -> int:
    from simulation.teaching.rooms import CODE_ALPHABET, SEAT_CODE_LENGTH

    return len(CODE_ALPHABET) ** SEAT_CODE_LENGTH


def seat_guess_years(per_s: float = SERVER_GUESS_PER_S) -> float:
    """Expected years (of 365 days, longer than a school year) to guess a seat code at ``per_s`` wrong codes a
    second, on a server with every room open and full (``MAX_ROOMS`` x ``MAX_ROOM_ACTORS`` seats): a guess hits
    one of those seats out of the code space, so the expected number of guesses is the space over the seats.
    The server-wide limit binds whatever the number of computers; the burst adds ``SERVER_GUESS_BURST`` guesses."""
    from simulation.teaching.rooms import MAX_ROOM_ACTORS, MAX_ROOMS

    seats = MAX_ROOMS * MAX_ROOM_ACTORS
    return (seat_code_space() / seats - SERVER_GUESS_BURST) / per_s / SCHOOL_YEAR_S


# ----------------------------------------------------------------------------- who is asking


#: Browser session (kernel id) -> the client's network address, while the server knows the session.
_CLIENT_OF: dict[str, str] = {}
#: Client address -> its browser sessions, oldest first.
_SESSIONS_OF: dict[str, OrderedDict[str, None]] = {}
_LOCK = threading.Lock()


def current_client() -> str:
    """The network address of the browser session running this code ("local" outside a server)."""
    try:
        from solara.server import kernel_context

        return _CLIENT_OF.get(kernel_context.get_current_context().id, "local")
    except Exception:  # noqa: BLE001 - outside a server (solara.render in tests)
        return "local"


def check_seat_guess() -> None:
    """Before a seat code is compared: while the client's or the server's limit of wrong codes holds, no code
    is compared at all (so a refusal says nothing about the code)."""
    wait = SEAT_GUESSES.blocked_s(current_client())
    if wait > 0:
        raise InputError(
            None, "seat code", f"too many wrong seat codes from this computer; wait {math.ceil(wait)} s and try again"
        )
    wait = SERVER_GUESSES.blocked_s("server")
    if wait > 0:
        raise InputError(
            None, "seat code", f"too many wrong seat codes on this server; wait {math.ceil(wait)} s and try again"
        )


def wrong_seat_guess() -> None:
    """A seat code that matched no seat: it counts against the client and the server."""
    SEAT_GUESSES.wait_s(current_client())
    SERVER_GUESSES.wait_s("server")


def url_seat_allowed(room: Any, seat: Any) -> bool:
    """A seat code in a page's address is a guess too: compared only within the limits, and a wrong one
    counts. True when the page may look the seat up."""
    if room is None or not seat:
        return True
    try:
        check_seat_guess()
    except InputError:
        return False
    if not any(t.seat == seat and not t.bot for t in room.teams.values()):
        wrong_seat_guess()
    return True


def guarded_rejoin(room: Any, code: Any) -> Any:
    """``room.rejoin(code)`` within the limits on wrong seat codes (the one way a page compares a code)."""
    check_seat_guess()
    try:
        return room.rejoin(code)
    except InputError:
        wrong_seat_guess()
        raise


def check_join() -> None:
    JOINS.check(current_client())


# ----------------------------------------------------------------------------- one seat per device

#: Room code -> {device or address: (actor, seat)} for rooms with the option on.
_ONE_SEAT: dict[str, dict[str, tuple[str, str]]] = {}


def set_one_seat_per_device(room_code: str, on: bool) -> None:
    with _LOCK:
        if on:
            _ONE_SEAT.setdefault(room_code, {})
        else:
            _ONE_SEAT.pop(room_code, None)


def one_seat_per_device(room_code: str) -> bool:
    return room_code in _ONE_SEAT


def _held(room: Any, record: tuple[str, str]) -> bool:
    actor, seat = record
    team = room.teams.get(actor)
    return team is not None and team.seat == seat and not team.bot


def check_device_seat(room: Any, device: str) -> None:
    """In a room limited to one seat per device: refuse a device (or address) that already holds a seat."""
    with _LOCK:
        seats = _ONE_SEAT.get(room.code)
        if seats is None:
            return
        for key in (f"device:{device}", f"address:{current_client()}"):
            record = seats.get(key)
            if record is not None and _held(room, record):
                raise InputError(
                    None,
                    "join",
                    f"this device already plays {record[0]} in this room (one seat per device); "
                    "ask the instructor if you need another",
                )


def record_device_seat(room: Any, device: str, actor: str, seat: str) -> None:
    with _LOCK:
        seats = _ONE_SEAT.get(room.code)
        if seats is None:
            return
        for key in (f"device:{device}", f"address:{current_client()}"):
            seats[key] = (actor, seat)
        while len(seats) > 4 * MAX_TRACKED // 100:  # bounded: stale records of freed seats go first
            seats.pop(next(iter(seats)))


# ----------------------------------------------------------------------------- sessions and memory


def _live(kernel_id: str) -> Any:
    from solara.server import kernel_context

    return kernel_context.contexts.get(kernel_id)


def page_limited(client: str) -> bool:
    """Whether the page and session limits apply to ``client`` (every address but this machine's own, unless
    ``ALLIANCE_SIM_LIMIT_LOOPBACK=1``)."""
    return client not in ("127.0.0.1", "::1", "localhost") or os.environ.get(LIMIT_LOOPBACK_ENV) == "1"


def admit_session(client: str, kernel_id: str) -> str | None:
    """Register a new browser session of ``client``; None if admitted, else why not. Over
    ``MAX_SESSIONS_PER_CLIENT``, that client's oldest disconnected sessions are closed first."""
    from solara.server import kernel_context

    if not page_limited(client):
        with _LOCK:
            _CLIENT_OF[kernel_id] = client
            _forget_closed()
        return None
    wait = SESSIONS.wait_s(client)
    if wait > 0:
        return f"too many new pages from {client}; wait {math.ceil(wait)} s"
    closed = []
    with _LOCK:
        mine = _SESSIONS_OF.setdefault(client, OrderedDict())
        for kid in [k for k in mine if k != kernel_id and _live(k) is None]:
            mine.pop(kid, None)  # culled or closed meanwhile
            _CLIENT_OF.pop(kid, None)
        if kernel_id not in mine:
            for kid in list(mine):
                if len(mine) < MAX_SESSIONS_PER_CLIENT:
                    break
                context = _live(kid)
                if context is not None and kernel_context.PageStatus.CONNECTED not in context.page_status.values():
                    mine.pop(kid)
                    _CLIENT_OF.pop(kid, None)
                    closed.append(context)
            if len(mine) >= MAX_SESSIONS_PER_CLIENT:
                return f"{client} already has {len(mine)} pages open on this server"
            mine[kernel_id] = None
        _CLIENT_OF[kernel_id] = client
        _forget_closed()
        while len(_SESSIONS_OF) > MAX_TRACKED:
            _SESSIONS_OF.pop(next(iter(_SESSIONS_OF)))
    for context in closed:
        _close(context, "a newer page of the same client")
    if closed:
        _release_memory()
    return None


def _forget_closed() -> None:
    """Drop the addresses of sessions the server no longer holds, once there are many (called under _LOCK)."""
    if len(_CLIENT_OF) > MAX_TRACKED // 10:
        for kid in [k for k in _CLIENT_OF if _live(k) is None]:
            del _CLIENT_OF[kid]


def _close(context: Any, why: str) -> None:
    try:
        context.close()
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        logger.warning("closing a session (%s) failed (%s)", why, type(exc).__name__)


def _release_memory() -> None:
    from simulation.dashboard.common import release_memory

    release_memory()


def check_binary_message(message: bytes) -> None:
    """Refuse a binary websocket message whose header cannot be a Jupyter message's (ValueError)."""
    if len(message) < 8:
        raise ValueError("binary message shorter than its header")
    parts = struct.unpack("!i", message[:4])[0]
    if not 1 <= parts <= MAX_BINARY_PARTS or len(message) < 4 * (parts + 1):
        raise ValueError(f"binary message claims {parts} parts")


def guard_receive(ws: Any) -> None:
    """Check each binary message a page sends before Solara decodes it."""
    original = ws.receive

    async def receive():
        message = await original()
        if isinstance(message, bytes | bytearray | memoryview):
            check_binary_message(bytes(message))
        return message

    ws.receive = receive


def client_address(ws: Any, headers: Any = None) -> str:
    """The peer address of a websocket (Solara's wrapper around Starlette's); proxies' headers are not trusted."""
    inner = getattr(ws, "ws", ws)
    client = getattr(inner, "client", None)
    host = getattr(client, "host", None)
    return str(host) if host else "unknown"


# ----------------------------------------------------------------------------- installing it into Solara


class OneLine(logging.Filter):
    """A record with a traceback becomes one line: the message and the exception's type and text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(exc).__name__}: {str(exc)[:160]})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def _instructor_key() -> str | None:
    return os.environ.get("ALLIANCE_SIM_INSTRUCTOR_KEY") or None


def _guard_routes() -> None:
    """Page loads throttled per client; /resourcez only for the instructor's key (404 otherwise)."""
    import hmac

    import solara.server.starlette as app_module
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, PlainTextResponse
    from starlette.routing import Route, request_response

    def page(endpoint):
        async def throttled(request: Request):
            client = request.client.host if request.client else "unknown"
            wait = PAGE_LOADS.wait_s(client) if page_limited(client) else 0.0
            if wait > 0:
                return HTMLResponse(
                    f"<p>Too many page loads from this computer in a short time: wait {math.ceil(wait)} seconds, "
                    "then reload.</p>",
                    status_code=429,
                    headers={"Retry-After": str(math.ceil(wait))},
                )
            return await endpoint(request)

        return throttled

    def instructor_only(endpoint):
        async def guarded(request: Request):
            key = _instructor_key()
            given = request.query_params.get("key", "")
            if key is None or not hmac.compare_digest(given.encode(), key.encode()):
                return PlainTextResponse("Not Found", status_code=404)
            return await endpoint(request)

        return guarded

    for route in app_module.app.router.routes:
        if not isinstance(route, Route) or getattr(route.endpoint, "_alliance_sim", False):
            continue
        if route.path == "/resourcez":
            wrapped = instructor_only(route.endpoint)
        elif route.endpoint is getattr(app_module, "root", None):
            wrapped = page(route.endpoint)
        else:
            continue
        wrapped._alliance_sim = True  # type: ignore[attr-defined]
        route.endpoint = wrapped
        route.app = request_response(wrapped)


def install() -> None:
    """Wrap Solara's websocket loop and routes once per process (the dashboard's app module calls it)."""
    import solara.server.kernel_context as kernel_context
    import solara.server.server as server

    if getattr(server.app_loop, "_alliance_sim", False):
        return
    original = server.app_loop

    async def app_loop(ws, cookies, headers, session_id, kernel_id, page_id, user=None):
        client = client_address(ws, headers)
        refused = admit_session(client, kernel_id)
        if refused is not None:
            logger.warning("page refused: %s", refused)
            with contextlib.suppress(Exception):  # the page may be gone already
                await ws.ws.close(code=1008, reason=refused[:120])
            return
        guard_receive(ws)
        try:
            await original(ws, cookies, headers, session_id, kernel_id, page_id, user)
        except MALFORMED as exc:
            logger.warning(
                "malformed websocket message from a page (%s: %s): its session is closed",
                type(exc).__name__,
                str(exc)[:120],
            )
            context = kernel_context.contexts.get(kernel_id)
            if context is not None:
                _close(context, "malformed message")

    app_loop._alliance_sim = True  # type: ignore[attr-defined]
    server.app_loop = app_loop
    try:
        _guard_routes()
    except Exception as exc:  # noqa: BLE001 - Solara moved its routes: the server still runs, and says so
        logger.warning("could not install the page limits (%s: %s)", type(exc).__name__, exc)
    for name in ("solara.server.kernel", "solara.server.server", "solara.server.starlette", "uvicorn.error"):
        logging.getLogger(name).addFilter(OneLine())
