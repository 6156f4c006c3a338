"""The dashboard in a real headless browser (Playwright driving Debian's Chromium).

Starts `alliance-sim dashboard`'s server on 127.0.0.1 and plays a classroom room with six
browser contexts (five teams and the projector) for three months: each team sees only its own
panel, the projector shows which teams have moved, a refused request is reported to the
requesting team with the partner's reason, a team that reloads gets its seat back, and the
room downloaded from the instructor's page and uploaded again restores the same month, teams
and world. A second test steps the single-user explorer in two independent sessions.
The project's set-up (./tasks) installs Chromium where it is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.request

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed (./tasks test installs it)", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api")

ACTORS = ("Russia", "China", "US", "India", "EU")
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def server():
    from simulation.dashboard.server import free_port, start, stop

    port = free_port()
    proc = start(None, port)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        stop(proc)
        pytest.fail("the dashboard server did not start")
    yield url
    stop(proc)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM is not None, "Chromium is missing: run ./tasks test, which installs it"
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


def new_page(browser, width=1280, height=900):
    return browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True).new_page()


def join(browser, url: str, code: str, team: str, actor: str):
    page = new_page(browser)
    page.goto(f"{url}/join?room={code}")
    page.wait_for_selector("[data-testid=join-form]", timeout=WAIT_MS)
    page.get_by_label("Team name").fill(team)
    page.get_by_role("button", name=actor, exact=True).click()
    page.get_by_role("button", name="Join", exact=True).click()
    page.wait_for_selector(f"[data-testid=team-panel][data-actor={actor}]", timeout=WAIT_MS)
    return page


def choose(page, partner: str, move: str):
    page.locator(f".move-{partner}").get_by_role("button", name=move, exact=True).click()


def submit(page, why: str = ""):
    if why:
        # typed, then Submit at once, as a hurried team would: no Enter, no pause for the text to sync
        page.get_by_label(re.compile("^Why")).fill(why)
    page.get_by_role("button", name="Submit our moves").click()
    page.wait_for_selector("[data-testid=submit-status][data-status=submitted]", timeout=WAIT_MS)


def wait_month(page, selector: str, month: int):
    page.wait_for_selector(f"{selector}[data-month='{month}']", timeout=WAIT_MS)


def test_a_class_of_five_teams_and_a_projector_plays_three_months(server, browser, tmp_path):
    projector = new_page(browser, 1920, 1080)
    projector.goto(f"{server}/open?scenario=baseline_2018_2021")
    projector.wait_for_selector("[data-testid=projector][data-month='0']", timeout=60_000)
    code = re.search(r"room=(\w+)", projector.url).group(1)
    assert code in projector.inner_text("[data-testid=join-info]")
    teams = {actor: join(browser, server, code, f"Team {actor}", actor) for actor in ACTORS}

    # each team sees only its own panel: its actor, its team name, no other team's moves
    for actor, page in teams.items():
        assert page.locator("[data-testid=team-panel]").count() == 1
        text = page.inner_text("[data-testid=team-panel]")
        assert f"Team Team {actor}: you play {actor}" in text
        assert "Advance" not in text and not any(f"Team Team {o}:" in text for o in ACTORS if o != actor)

    for month in range(3):
        if month == 0:  # Russia asks the EU to raise; the EU's team refuses and says why
            choose(teams["Russia"], "EU", "raise")
            choose(teams["EU"], "Russia", "hold")
            submit(teams["Russia"], why="sanctions hurt us both")
            submit(teams["EU"], why="not after Crimea")
        for actor in ("China", "US", "India") + (() if month == 0 else ("Russia", "EU")):
            if not (month == 2 and actor == "India"):  # India's team misses the last month: the model plays it
                submit(teams[actor])
        # the projector shows who has moved
        projector.wait_for_function(
            "n => document.querySelectorAll('[data-testid=teams] [data-status=moved]').length === n",
            arg=4 if month == 2 else 5,
            timeout=WAIT_MS,
        )
        status = projector.get_attribute("[data-testid=teams] [data-actor=India]", "data-status")
        assert status == ("waiting" if month == 2 else "moved")
        projector.get_by_role("button", name=re.compile("^Advance to the next month")).click()
        wait_month(projector, "[data-testid=projector]", month + 1)
        for page in teams.values():
            wait_month(page, "[data-testid=team-panel]", month + 1)
        if month == 0:
            feedback = teams["Russia"].inner_text("[data-testid=feedback]")
            assert "Refused by EU" in feedback and 'Their reason: "not after Crimea"' in feedback
            log = projector.inner_text("[data-testid=room-log]")
            assert "Russia asked to raise ties with EU above" in log and "EU refused" in log
        if month == 1:  # a closed laptop: the team reloads and gets its seat back
            teams["China"].reload()
            teams["China"].wait_for_selector("[data-testid=team-panel][data-actor=China]", timeout=WAIT_MS)
    assert "did not submit in time" in teams["India"].inner_text("[data-testid=feedback]")

    # reload restores the room: download it from the instructor's page, upload it on the start page
    with projector.expect_download() as download:
        projector.get_by_role("button", name=re.compile("Download the room")).click()
    saved = tmp_path / "room.json"
    download.value.save_as(saved)
    data = json.loads(saved.read_text())
    assert len(data["rounds"]) == 3 and [t["name"] for t in data["teams"]] == [f"Team {a}" for a in ACTORS]
    assert data["rounds"][0]["moves"]["EU"]["why"] == "not after Crimea"
    network_before = projector.inner_html("[data-testid=network]")

    home = new_page(browser, 1920, 1080)
    home.goto(server)
    home.wait_for_selector("[data-testid=classroom]", timeout=60_000)
    home.set_input_files("[data-testid=file-upload]", str(saved))
    home.wait_for_selector("[data-testid=projector][data-month='3']", timeout=WAIT_MS)
    restored = home.inner_text("[data-testid=teams]")
    assert all(f"Team {a}" in restored for a in ACTORS)
    assert home.inner_html("[data-testid=network]") == network_before
    new_code = re.search(r"room=(\w+)", home.url).group(1)
    assert new_code != code


def test_the_explorer_steps_and_sessions_are_independent(server, browser):
    a, b = new_page(browser), new_page(browser)
    for page in (a, b):
        page.goto(server)
        page.wait_for_selector("[data-testid=header]", timeout=60_000)
    a.get_by_role("button", name="Step", exact=True).click()
    a.wait_for_selector("[data-testid=header][data-step='1']", timeout=WAIT_MS)
    assert b.get_attribute("[data-testid=header]", "data-step") == "0"
    assert "<svg" in a.inner_html("[data-testid=network]") and "<svg" in a.inner_html("[data-testid=timeline]")
    b.goto(f"{server}/join?room=NOPE1")
    b.wait_for_selector("text=No open room with this code", timeout=WAIT_MS)
