"""The classroom server under abuse, measured: diagnostics, page-load limits, websocket junk, memory (not a test).

Starts the dashboard server (its log in a temporary file) and, as one hostile client on this machine:

1. asks for /resourcez without and with the instructor's key;
2. loads the start page 100 times as fast as it can (plain HTTP): how many are answered, how many throttled;
3. sends websocket messages a broken or hostile page could send: 12 MB of text, JSON nested 100,000 deep,
   binary junk; counts tracebacks in the server's log;
4. memory: after a warm-up page, up to --loads pages within --seconds, each as a browser opens one (the HTML,
   the websocket, Solara's request to render the app; no browser needed) and abandoned once rendered without
   the close message a browser sends (the hostile case: its session would wait for the 2-minute cull);
   reports what the limits let through and the server's resident memory (RSS) before, at the peak and after
   the cull;
5. seat-code guessing (``--guess-seconds``, in this process, through the guard every page calls before it
   compares a code): clients sending random codes as fast as they can at a full room for that long; how many
   codes were compared at all, the steady rate after the server's burst, and the expected time to find one of
   the seats of a server with every room full at that rate (a school year is under one year).

    PYTHONPATH=$PWD python experiments/server_abuse.py [--loads 300] [--seconds 60] [--no-limits]
    PYTHONPATH=$PWD python experiments/server_abuse.py --guesses-only [--guess-seconds 120] [--guess-clients 8]

Prints the machine's load average beside the figures (the machine may be shared). Needs the websockets
package.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

CULL_S = 120


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 1e6


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def wait_up(url: str, timeout_s: float = 180) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            if status(url) == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the dashboard server did not start")


async def websocket_junk(port: int) -> dict[str, str]:
    import websockets

    out = {}
    cases = {
        "12 MB text": "x" * (12 * 2**20),
        "nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
        "binary junk": os.urandom(4096),
        "not JSON": "{{{{ not json",
    }
    for name, message in cases.items():
        uri = f"ws://127.0.0.1:{port}/jupyter/api/kernels/{uuid.uuid4()}/channels?session_id={uuid.uuid4()}"
        try:
            async with websockets.connect(uri, max_size=None, open_timeout=30) as ws:
                await ws.send(message)
                try:
                    await asyncio.wait_for(ws.recv(), timeout=10)
                    out[name] = "answered"
                except websockets.ConnectionClosed as closed:
                    out[name] = f"closed ({closed.rcvd.code if closed.rcvd else 'no code'})"
                except TimeoutError:
                    out[name] = "no answer in 10 s"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            out[name] = f"{type(exc).__name__}: {str(exc)[:80]}"
    return out


async def page(url: str, port: int) -> str:
    """One page as a browser opens it, without the browser: the HTML, then the websocket, then Solara's request
    to render the app; abandoned once rendered (no close message). Returns what happened."""
    import websockets

    try:
        code = await asyncio.to_thread(status, f"{url}/")
    except OSError:
        return "error"
    if code == 429:
        return "throttled"
    kernel, session, comm = uuid.uuid4(), uuid.uuid4().hex, uuid.uuid4().hex
    uri = f"ws://127.0.0.1:{port}/jupyter/api/kernels/{kernel}/channels?session_id={session}"

    def message(kind: str, content: dict) -> str:
        header = {"msg_id": uuid.uuid4().hex, "msg_type": kind, "username": "", "session": session, "date": "",
                  "version": "5.3"}  # fmt: skip
        return json.dumps({"header": header, "parent_header": {}, "metadata": {}, "content": content,
                           "buffers": [], "channel": "shell"})  # fmt: skip

    try:
        async with websockets.connect(uri, max_size=None, open_timeout=120) as ws:
            await ws.send(message("comm_open", {"comm_id": comm, "target_name": "solara.control", "data": {}}))
            run = {"method": "run", "args": {"path": "", "appName": None}}
            await ws.send(message("comm_msg", {"comm_id": comm, "data": run}))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                reply = await asyncio.wait_for(ws.recv(), timeout=120)
                if isinstance(reply, str) and '"finished"' in reply:
                    return "rendered"
            return "slow"
    except websockets.ConnectionClosed:
        return "refused"
    except Exception:  # noqa: BLE001 - counted, not raised
        return "error"


async def flood(url: str, port: int, loads: int, seconds: float, concurrency: int, pid: int, peak: list) -> dict:
    """Up to ``loads`` pages within ``seconds``, ``concurrency`` at a time; the server's RSS peak in ``peak``."""
    counts = {"rendered": 0, "throttled": 0, "refused": 0, "slow": 0, "error": 0}
    started = time.monotonic()
    tried = 0
    gate = asyncio.Semaphore(concurrency)

    async def one():
        async with gate:
            counts[await page(url, port)] += 1
            peak[0] = max(peak[0], rss_mb(pid))

    tasks = []
    while tried < loads and time.monotonic() - started < seconds:
        tasks.append(asyncio.create_task(one()))
        tried += 1
        await asyncio.sleep(seconds / loads)
    await asyncio.gather(*tasks)
    return {**counts, "tried": tried, "seconds": time.monotonic() - started}


def seat_guessing(seconds: float, clients: int) -> dict:
    """Clients guessing seat codes at a full room for ``seconds`` (real time), through ``guarded_rejoin``."""
    import secrets

    from simulation.core.errors import InputError
    from simulation.dashboard import hardening
    from simulation.teaching import rooms
    from simulation.world.scenario import load_scenario

    room = rooms.Room(load_scenario("baseline_2018_2021"), "baseline_2018_2021", seed=1)
    for k, actor in enumerate(room.actors):
        room.join(f"team {k}", actor)  # every seat taken: the most a guess can hit
    seats = {t.seat for t in room.teams.values() if not t.bot}
    for bucket in (hardening.SEAT_GUESSES, hardening.SERVER_GUESSES):
        bucket.reset()
    counts = {"tried": 0, "compared": 0, "hit": 0, "refused": 0}
    compared_at: list[float] = []
    names = [f"10.0.0.{k}" for k in range(clients)]
    original = hardening.current_client
    started = time.monotonic()
    try:
        while time.monotonic() - started < seconds:
            client = names[counts["tried"] % clients]
            hardening.current_client = lambda client=client: client
            code = "".join(secrets.choice(rooms.CODE_ALPHABET) for _ in range(rooms.SEAT_CODE_LENGTH))
            counts["tried"] += 1
            try:
                hardening.guarded_rejoin(room, code)
                counts["hit"] += 1
            except InputError as err:
                if "too many" in str(err):
                    counts["refused"] += 1
                    continue
            counts["compared"] += 1
            compared_at.append(time.monotonic() - started)
            time.sleep(0.0005)  # a thousand tries a second or so, far above any limit, without eating the machine
    finally:
        hardening.current_client = original
    elapsed = time.monotonic() - started
    # the bursts are spent within the first half (client bursts, then the server's): the second half is steady
    steady = sum(t > elapsed / 2 for t in compared_at) / (elapsed / 2)
    space = hardening.seat_code_space()
    full = rooms.MAX_ROOMS * rooms.MAX_ROOM_ACTORS
    years = (space / full) / steady / hardening.SCHOOL_YEAR_S if steady > 0 else float("inf")
    return {**counts, "seconds": elapsed, "seats": len(seats), "steady_per_s": steady, "years": years}


def report_guessing(seconds: float, clients: int) -> None:
    g = seat_guessing(seconds, clients)
    print(
        f"seat-code guessing, {clients} clients for {g['seconds']:.0f} s: {g['tried']:,} codes sent, {g['compared']} "
        f"compared ({g['hit']} hits), {g['refused']:,} refused unseen; steady rate in the second half "
        f"{g['steady_per_s']:.3f} codes/s: finding one of the 160 seats of a full server takes about "
        f"{g['years']:.1f} years (target: longer than a school year)"
    )


def kernels_now(url: str, key: str) -> int:
    with urllib.request.urlopen(f"{url}/resourcez?key={key}", timeout=30) as r:
        return int(json.loads(r.read())["kernels"]["total"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=8, help="pages opened at a time (default 8)")
    parser.add_argument(
        "--no-limits",
        action="store_true",
        help="the comparison: this machine's pages are exempt from the page and session limits (the default for "
        "127.0.0.1), as every client was before the limits",
    )
    parser.add_argument("--guess-seconds", type=float, default=120, help="seat-code guessing for this long")
    parser.add_argument("--guess-clients", type=int, default=8, help="computers guessing at once (default 8)")
    parser.add_argument("--guesses-only", action="store_true", help="only the seat-code guessing (no server)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    if args.guesses_only:
        report_guessing(args.guess_seconds, args.guess_clients)
        print(f"load average before {load_before}, after {os.getloadavg()}")
        return

    from simulation.dashboard.server import free_port, start, stop

    if not args.no_limits:
        os.environ["ALLIANCE_SIM_LIMIT_LOOPBACK"] = "1"  # this machine plays the hostile client: no exemption
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="server-abuse-")) / "server.log"
    proc = start(None, port, log=log)
    url = f"http://127.0.0.1:{port}"
    key = proc.instructor_key
    try:
        wait_up(f"{url}/readyz")
        print(
            f"/resourcez without the key: {status(f'{url}/resourcez')}; with it: {status(f'{url}/resourcez?key={key}')}"
        )
        codes = [status(f"{url}/") for _ in range(100)]
        print(f"100 page loads (HTTP) at once: {codes.count(200)} answered, {codes.count(429)} throttled (429)")
        for name, what in asyncio.run(websocket_junk(port)).items():
            print(f"websocket {name}: {what}")
        time.sleep(2)
        text = log.read_text("utf-8", "replace")
        print(f"server log: {text.count('Traceback')} tracebacks, {len(text.splitlines())} lines")

        time.sleep(65)  # this client's page-load bucket refills (the HTTP probe above emptied it)
        asyncio.run(page(url, port))  # warm-up: one page rendered (imports, compiled rules), then abandoned
        time.sleep(CULL_S + 20)  # the warm-up session culled: the server's settled memory
        before = rss_mb(proc.pid)
        peak = [before]
        outcome = asyncio.run(flood(url, port, args.loads, args.seconds, args.concurrency, proc.pid, peak))
        time.sleep(10)
        sessions = kernels_now(url, key)
        peak[0] = max(peak[0], rss_mb(proc.pid))
        print(
            f"{outcome['tried']} page loads in {outcome['seconds']:.0f} s ({args.concurrency} at a time): "
            f"{outcome['rendered']} rendered, {outcome['throttled']} throttled (429), {outcome['refused']} sessions "
            f"refused; {sessions} sessions held 10 s after"
        )
        time.sleep(CULL_S + 30)
        after = rss_mb(proc.pid)
        peak = peak[0]
        print(
            f"server RSS: {before:.0f} MB before, peak {peak:.0f} MB (+{peak - before:.0f}), "
            f"{after:.0f} MB after the cull ({after - before:+.0f} MB; target within 50 MB)"
        )
    finally:
        stop(proc)
    report_guessing(args.guess_seconds, args.guess_clients)
    print(f"load average before {load_before}, after {os.getloadavg()}")


if __name__ == "__main__":
    main()
