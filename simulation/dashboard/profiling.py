"""Where the server's time goes after an advance: a small sampling profiler, off unless asked for.

With ``ALLIANCE_SIM_PROFILE=FILE`` in the server's environment (``experiments/classroom_load.py
--profile`` sets it), every *Advance* on a console samples every thread's stack every 2 ms for
``ALLIANCE_SIM_PROFILE_S`` seconds (default 3) and appends a summary to FILE: the CPU seconds
and their share per function (on the stack anywhere, and at the top), and per part of the stack (the
room's month, rendering the pages, sending widget updates over the websockets). A thread counts
as busy only when its CPU clock moved since the last sample: threads waiting on a lock, a socket
or a timer are not counted.
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
    ("the month itself (rooms.advance, the model)", ("teaching/room.py:advance", "drivers/")),
    ("rendering the pages (reacton, widgets)", ("reacton/",)),
    ("sending widget updates (comm, websocket, json)", ("comm/", "websocket", "json/", "kernel.py:send", "starlette")),
    ("building the pages' words (presenters, turn)", ("dashboard/presenters.py", "dashboard/turn.py")),
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


def _cpu(ident: int) -> float | None:
    """The CPU time a thread has used (Linux: its pthread's CPU clock), or None where unknown."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except (AttributeError, OSError, OverflowError):
        return None


def sample(seconds: float, every: float = 0.002) -> dict:
    """Sample every thread but this one for ``seconds``: CPU seconds per function and per part.

    Each sample of a thread weighs the CPU time the thread used since its sample before (a thread
    waiting on a lock or a socket shows a Python frame but uses no CPU), credited to the stack seen;
    where thread clocks are unknown, each sample of a thread not in a waiting function weighs
    ``every``."""
    me = threading.get_ident()
    cumulative: Counter = Counter()
    top: Counter = Counter()
    parts: Counter = Counter()
    busy = 0.0
    last: dict[int, float | None] = {}
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            cpu = _cpu(ident)
            before = last.get(ident)
            last[ident] = cpu
            if cpu is not None:
                weight = 0.0 if before is None else cpu - before  # the CPU it used since the last sample
                if weight <= 0:
                    continue
            elif frame.f_code.co_name in WAITING:
                continue
            else:
                weight = every
            stack = []
            f = frame
            while f is not None:
                stack.append(_label(f))
                f = f.f_back
            busy += weight
            top[stack[0]] += weight
            for name in set(stack):
                cumulative[name] += weight
            part = next((p for p, keys in PARTS if any(k in s for s in stack for k in keys)), "other")
            parts[part] += weight
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
            n = max(1e-9, got["busy"])
            lines = [
                f"## room {room_code}, advance to month {month}: {got['busy']:.2f} s of CPU in the server's threads"
            ]
            lines += [f"part  {c / n:6.1%} {c:6.3f} s  {p}" for p, c in got["parts"].most_common()]
            lines += [f"cum   {c / n:6.1%} {c:6.3f} s  {f}" for f, c in got["cumulative"].most_common(30)]
            lines += [f"self  {c / n:6.1%} {c:6.3f} s  {f}" for f, c in got["top"].most_common(15)]
            with path.open("a", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n\n")
        finally:
            with _lock:
                _running = False

    threading.Thread(target=run, name="advance-profile", daemon=True).start()
