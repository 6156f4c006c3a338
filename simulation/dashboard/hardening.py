"""The server's answer to a malformed websocket message: one log line, the page's session closed.

Solara reads every websocket message as JSON with a Jupyter header; a message that is not (sent by a
broken or hostile client) raised out of its loop, and the server's log got two or three tracebacks
per message while the session's memory waited for the kernel cull. ``install()`` wraps Solara's
per-connection loop so such a message logs one line and ends that page's session at once (its
memory is handed back by ``common.release_memory``), and collapses any traceback Solara's kernel
logger would still print about that dead connection into one line.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("simulation.dashboard")

MALFORMED = (ValueError, KeyError, TypeError, IndexError, AttributeError, UnicodeDecodeError)


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


def install() -> None:
    """Wrap Solara's websocket loop once per process (the dashboard's app module calls it)."""
    import solara.server.kernel_context as kernel_context
    import solara.server.server as server

    if getattr(server.app_loop, "_alliance_sim", False):
        return
    original = server.app_loop

    async def app_loop(ws, cookies, headers, session_id, kernel_id, page_id, user=None):
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
                try:
                    context.close()
                except Exception as close_exc:  # noqa: BLE001 - one line, never a traceback
                    logger.warning("closing that session failed (%s)", type(close_exc).__name__)

    app_loop._alliance_sim = True  # type: ignore[attr-defined]
    server.app_loop = app_loop
    for name in ("solara.server.kernel", "solara.server.server"):
        logging.getLogger(name).addFilter(OneLine())
