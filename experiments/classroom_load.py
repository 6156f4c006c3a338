"""Load test of a classroom room: one server, many browser sessions (not a timed test).

Starts the dashboard server, opens a room from the instructor's console, then opens SESSIONS browser
sessions on it: five teams that join and move, and the rest either more team pages (devices on the
same seats, by their seat codes: ``--views team``, the default) or projector views
(``--views projector``). The instructor's console is one of the sessions. Reports:

- first-render latency of each session (page load until its room view is shown);
- advance latency: the instructor presses Advance until every session shows the new month;
- the server's memory (resident set): idle, with every session open, and after they all close;
- the CPU time the server and the Chromium pages used over each advance (the pages run on the same
  machine, so on 2 cores the advance takes at least their sum over 2).

    PYTHONPATH=$PWD python experiments/classroom_load.py [--sessions 30] [--months 3] [--views team]

and the machine's load average (1, 5, 15 minutes) before and after, since the machine may be shared.

Needs Chromium (/usr/bin/chromium) and Playwright. The browser runs on the same machine, so on a
2-core laptop the figures include the browser's own load: a class's laptops would do better.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import time
import urllib.request
from pathlib import Path

ACTORS = ("Russia", "China", "US", "India", "EU")
WATCH = """sel => { window.__seen = null; const id = setInterval(() => {
  if (document.querySelector(sel)) { window.__seen = Date.now(); clearInterval(id); } }, 20); }"""


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 1e6


def cpu_s(pid: int) -> float:
    import psutil

    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def browsers_cpu_s() -> float:
    """CPU seconds used so far by the Chromium processes this script started (all 30 pages' renderers)."""
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name().lower():
                t = child.cpu_times()
                total += t.user + t.system
        except psutil.Error:  # a renderer that ended meanwhile
            continue
    return total


def wait_up(url: str, timeout_s: float = 90) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the dashboard server did not start")


def summary(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return f"median {statistics.median(values):.2f} s, 90th percentile {p90:.2f} s, max {values[-1]:.2f} s"


def open_sessions(browser, url: str, key: str, args) -> tuple:
    """The instructor's console and SESSIONS - 1 more pages on its room: (console, [(selector, page)], first
    render times, browser contexts)."""
    contexts = []

    def page():
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        ctx.set_default_timeout(args.timeout * 1000)  # a shared machine can be slow: wait, do not fail
        ctx.set_default_navigation_timeout(args.timeout * 1000)
        contexts.append(ctx)
        return ctx.new_page()

    instructor = page()
    instructor.goto(f"{url}/open?scenario=baseline_2018_2021&key={key}")
    instructor.wait_for_selector("[data-testid=console]", timeout=args.timeout * 1000)
    code = re.search(r"room=(\w+)", instructor.url).group(1)
    first_render, sessions, seats = [], [], []
    for k in range(args.sessions - 1):
        pg = page()
        t0 = time.perf_counter()
        if k < len(ACTORS):
            pg.goto(f"{url}/join?room={code}")
            pg.wait_for_selector("[data-testid=join-form]", timeout=args.timeout * 1000)
            first_render.append(time.perf_counter() - t0)
            pg.get_by_label("Team name").fill(f"Team {ACTORS[k]}")
            pg.get_by_test_id(f"country-{ACTORS[k]}").click()
            pg.get_by_test_id("join-button").click()
            pg.wait_for_selector("[data-testid=team-panel]", timeout=args.timeout * 1000)
            sessions.append(("[data-testid=team-panel]", pg))
            seats.append(pg.url)
        elif args.views == "team":  # another device of a team, on its seat
            pg.goto(seats[k % len(seats)])
            pg.wait_for_selector("[data-testid=team-panel]", timeout=args.timeout * 1000)
            first_render.append(time.perf_counter() - t0)
            sessions.append(("[data-testid=team-panel]", pg))
        else:
            pg.goto(f"{url}/room?room={code}")
            pg.wait_for_selector("[data-testid=projector]", timeout=args.timeout * 1000)
            first_render.append(time.perf_counter() - t0)
            sessions.append(("[data-testid=projector]", pg))
    sessions.append(("[data-testid=console]", instructor))
    return instructor, sessions, first_render, contexts


def play_months(instructor, sessions: list, server_pid: int, args) -> tuple[list, list, list]:
    """Each month: the teams submit, the instructor advances; (advance latencies, server CPU, browsers' CPU)."""
    advance, server_cpu, browser_cpu = [], [], []
    for month in range(args.months):
        for _sel, pg in sessions[: len(ACTORS)]:
            pg.get_by_role("button", name="Submit our moves").click()
            pg.wait_for_selector("[data-testid=submit-status][data-status=submitted]", timeout=args.timeout * 1000)
        # each page notes (in its own clock, the machine's) when it first shows the new month
        for sel, pg in sessions:
            pg.evaluate(WATCH, f"{sel}[data-month='{month + 1}']")
        cpu0, browsers0 = cpu_s(server_pid), browsers_cpu_s()
        t0 = time.time() * 1000
        instructor.get_by_role("button", name=re.compile("^Advance to the next month")).click()
        if month == 0 and instructor.locator("[data-testid=confirm-advance]").count():
            instructor.get_by_role("button", name="Yes, play the month now").click()
        seen = []
        for _sel, pg in sessions:
            pg.wait_for_function("() => window.__seen !== null", timeout=args.timeout * 1000)
            seen.append(pg.evaluate("() => window.__seen"))
        advance.append((max(seen) - t0) / 1000)
        server_cpu.append(cpu_s(server_pid) - cpu0)
        browser_cpu.append(browsers_cpu_s() - browsers0)
    return advance, server_cpu, browser_cpu


def report(args, load_before, first_render, advance, server_cpu, browser_cpu, memory: dict) -> None:
    extra = "team pages on the same seats" if args.views == "team" else "projector views"
    print(f"sessions: {args.sessions} (5 teams, {args.sessions - 6} more {extra}, and the instructor's console)")
    load_after = os.getloadavg()
    print(
        "machine load average (1/5/15 min): before "
        + "/".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + "/".join(f"{x:.2f}" for x in load_after)
        + f" on {os.cpu_count()} cores"
    )
    print(f"first render: {summary(first_render)}")
    print(f"advance, until every session shows the new month: {summary(advance)} over {args.months} months")
    print(f"server CPU per advance (the rest is the browsers sharing this machine): {summary(server_cpu)}")
    print(f"browsers' CPU per advance (the {args.sessions} Chromium pages on this machine): {summary(browser_cpu)}")
    months = ", ".join(
        f"{a:.2f} / {c:.2f} / {b:.2f} s" for a, c, b in zip(advance, server_cpu, browser_cpu, strict=True)
    )
    print(f"per month (advance / server CPU / browsers' CPU): {months}")
    idle, after = memory["idle"], memory["after"]
    print(
        f"server memory (RSS): idle after one warm-up visit {idle:.0f} MB, {args.sessions} sessions open "
        f"{memory['loaded']:.0f} MB, after "
        f"{args.months} months {memory['peak']:.0f} MB, 15 s after all closed {after:.0f} MB "
        f"({(after - idle) / idle:+.0%} of idle)"
    )
    if args.profile is not None and args.profile.exists():
        print(f"where the server's time went after each Advance: {args.profile}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--views", choices=("team", "projector"), default="team")
    parser.add_argument("--timeout", type=float, default=180, help="seconds a page may take to load or answer")
    parser.add_argument(
        "--profile",
        type=Path,
        help="sample the server's threads for 3 s after each Advance and write where the time went to this file",
    )
    args = parser.parse_args()
    if args.profile is not None:
        args.profile.unlink(missing_ok=True)
        os.environ["ALLIANCE_SIM_PROFILE"] = str(args.profile.resolve())
    load_before = os.getloadavg()

    from playwright.sync_api import sync_playwright

    from simulation.dashboard.server import free_port, start, stop

    port = free_port()
    proc = start(None, port)
    url = f"http://127.0.0.1:{port}"
    key = proc.instructor_key

    def close_room(page) -> None:
        page.get_by_role("button", name="Close the room...").click()
        page.get_by_role("button", name="Yes, close the room").click()

    memory = {}
    try:
        wait_up(url)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            # idle: the server after one warm-up visit (imports and compiled rules loaded), no session open
            warm = browser.new_context()
            wp = warm.new_page()
            wp.goto(f"{url}/open?scenario=baseline_2018_2021&key={key}")
            wp.wait_for_selector("[data-testid=console]", timeout=args.timeout * 1000)
            close_room(wp)
            time.sleep(1)
            warm.close()
            time.sleep(10)
            memory["idle"] = rss_mb(proc.pid)
            instructor, sessions, first_render, contexts = open_sessions(browser, url, key, args)
            memory["loaded"] = rss_mb(proc.pid)
            advance, server_cpu, browser_cpu = play_months(instructor, sessions, proc.pid, args)
            memory["peak"] = rss_mb(proc.pid)
            close_room(instructor)
            time.sleep(1)
            for ctx in contexts:
                ctx.close()
            browser.close()
        time.sleep(15)  # closed pages end their sessions; the server collects them
        gc.collect()
        memory["after"] = rss_mb(proc.pid)
    finally:
        stop(proc)
    report(args, load_before, first_render, advance, server_cpu, browser_cpu, memory)


if __name__ == "__main__":
    main()
