"""Where the server's time goes after an advance: a small sampling profiler, off unless asked for.

With ``ALLIANCE_SIM_PROFILE=FILE`` in the server's environment (``experiments/classroom_load.py
--profile`` sets it), every *Advance* on a console samples every thread's stack every 2 ms for
``ALLIANCE_SIM_PROFILE_S`` seconds (default 3) and appends a summary to FILE: the share of busy
samples per function (on the stack anywhere, and at the top), and per part of the stack (the
room's month, rendering the pages, sending widget updates over the websockets). Threads waiting
(on a lock, a socket, a timer) are not counted as busy.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

#: Functions whose frames mean a thread is waiting, not working.
WAITING = {"wait", "select", "poll", "sleep", "acquire", "_wait_for_tstate_lock", "get", "recv", "accept",
           "_worker", "run_forever", "_run_once", "readline", "read", "serve_forever", "epoll"}  # fmt: skip
#: Parts of the work, by a module or function on the stack (the first that matches names the sample).
PARTS = (
    ("the month itself (rooms.advance, the model)", ("teaching/rooms.py:advance", "drivers/")),
    ("sending widget updates (comm, websocket, json)", ("comm", "websocket", "json/", "kernel.py:send", "session.py")),
    ("building the pages' words (presenters, turn)", ("dashboard/presenters.py", "dashboard/turn.py")),
    ("rendering the pages (reacton, widgets)", ("reacton/", "ipywidgets/", "ipyvue/", "ipyvuetify/", "traitlets/")),
)

_lock = threading.Lock()
_running = False


def enabled() -> Path | None:
    path = os.environ.get("ALLIANCE_SIM_PROFILE")
    return Path(path) if path else None


def _label(frame) -> str:
    code = frame.f_code
    parts = code.co_filename.replace("\\", "/").split("/")
    return f"{'/'.join(parts[-2:])}:{code.co_name}"


def sample(seconds: float, every: float = 0.002) -> dict:
    """Sample every thread but this one for ``seconds``: busy samples per function and per part."""
    me = threading.get_ident()
    cumulative: Counter = Counter()
    top: Counter = Counter()
    parts: Counter = Counter()
    busy = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for ident, frame in sys._current_frames().items():
            if ident == me or frame.f_code.co_name in WAITING:
                continue
            stack = []
            f = frame
            while f is not None:
                stack.append(_label(f))
                f = f.f_back
            busy += 1
            top[stack[0]] += 1
            for name in set(stack):
                cumulative[name] += 1
            part = next((p for p, keys in PARTS if any(k in s for s in stack for k in keys)), "other")
            parts[part] += 1
        time.sleep(every)
    return {"busy": busy, "cumulative": cumulative, "top": top, "parts": parts}


def after_advance(room_code: str, month: int) -> None:
    """On an advance: sample in the background and append the summary to the profile file."""
    path = enabled()
    global _running
    if path is None:
        return
    with _lock:
        if _running:
            return
        _running = True

    def run() -> None:
        global _running
        try:
            got = sample(float(os.environ.get("ALLIANCE_SIM_PROFILE_S", "3")))
            n = max(1, got["busy"])
            lines = [f"## room {room_code}, advance to month {month}: {got['busy']} busy samples (2 ms apart)"]
            lines += [f"part  {c / n:6.1%}  {p}" for p, c in got["parts"].most_common()]
            lines += [f"cum   {c / n:6.1%}  {f}" for f, c in got["cumulative"].most_common(30)]
            lines += [f"self  {c / n:6.1%}  {f}" for f, c in got["top"].most_common(15)]
            with path.open("a", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n\n")
        finally:
            with _lock:
                _running = False

    threading.Thread(target=run, name="advance-profile", daemon=True).start()
