"""The classroom server under abuse, measured: diagnostics, page-load limits, websocket junk, memory (not a test).

Starts the dashboard server (its log in a temporary file) and, as one hostile client on this machine:

1. asks for /resourcez without and with the instructor's key;
2. loads the start page 100 times as fast as it can (plain HTTP): how many are answered, how many throttled;
3. sends websocket messages a broken or hostile page could send: 12 MB of text, JSON nested 100,000 deep,
   binary junk; counts tracebacks in the server's log;
4. memory: after a warm-up visit, a browser opens the start page up to --loads times within --seconds, in new
   tabs (--window of them open at a time), each abandoned without the close message a browser sends (the
   hostile case: its session would wait for the 2-minute cull); reports the sessions the server held at most
   and its resident memory (RSS) before, at the peak and after the cull.

    PYTHONPATH=$PWD python experiments/server_abuse.py [--loads 300] [--seconds 60]

Prints the machine's load average beside the figures (the machine may be shared). Needs Chromium
(/usr/bin/chromium), Playwright and the websockets package.
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


def kernels_now(url: str, key: str) -> int:
    with urllib.request.urlopen(f"{url}/resourcez?key={key}", timeout=30) as r:
        return int(json.loads(r.read())["kernels"]["total"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--window", type=int, default=12, help="pages open at a time (default 12)")
    args = parser.parse_args()
    load_before = os.getloadavg()

    from playwright.sync_api import sync_playwright

    from simulation.dashboard.server import free_port, start, stop

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

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            time.sleep(65)  # the page-load bucket of this client refills (the HTTP probe above emptied it)
            warm = browser.new_context()
            page = warm.new_page()
            page.goto(url)
            page.wait_for_selector("[data-testid=classroom]", timeout=120_000)
            warm.close()
            time.sleep(CULL_S + 20)  # the warm-up session culled: the server's settled memory
            before = rss_mb(proc.pid)
            ctx = browser.new_context()
            ctx.route("**/_solara/api/close/**", lambda route: route.abort())  # never say goodbye
            pages, peak, loads, refused, sessions = [], before, 0, 0, 0
            t0 = time.monotonic()
            while loads < args.loads and time.monotonic() - t0 < args.seconds:
                page = ctx.new_page()
                response = page.goto(url, wait_until="commit", timeout=60_000)  # on at once: the page loads alone
                loads += 1
                refused += response is not None and response.status == 429
                pages.append(page)
                if len(pages) > args.window:  # the oldest abandoned, without the close message
                    pages.pop(0).close()
                if loads % 10 == 0:
                    peak = max(peak, rss_mb(proc.pid))
                    sessions = max(sessions, kernels_now(url, key))
            took = time.monotonic() - t0
            time.sleep(10)  # the last pages connect
            peak = max(peak, rss_mb(proc.pid))
            sessions = max(sessions, kernels_now(url, key))
            ctx.close()
            browser.close()
        print(
            f"{loads} page loads in {took:.0f} s ({args.window} open at a time): {refused} throttled (429); "
            f"at most {sessions} sessions held at once"
        )
        time.sleep(CULL_S + 30)
        after = rss_mb(proc.pid)
        print(
            f"server RSS: {before:.0f} MB before, peak {peak:.0f} MB (+{peak - before:.0f}), "
            f"{after:.0f} MB after the cull ({after - before:+.0f} MB; target within 50 MB)"
        )
    finally:
        stop(proc)
    print(f"load average before {load_before}, after {os.getloadavg()}")


if __name__ == "__main__":
    main()
