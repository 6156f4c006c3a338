"""The dashboard in a real headless browser (Playwright driving Debian's Chromium).

Starts the dashboard's server on 127.0.0.1 and plays classroom rooms: teams on their own pages,
the projector (the world only) and the instructor's console (the key in its address). Covered:
a class playing months with a refusal reported with the partner's reason; the join race (nothing
pre-selected, a country taken meanwhile refused, the slower team seated nowhere); rejoining with
the seat code after a restore; one seat on two devices; the treaty warning; the projector's type
sizes and its log above the fold at 1920x1080; the phone layout at 390x844 (no sideways
scrolling, pressed states, focus, contrast, ``lang``, axe-core); screenshots at 1920x1080,
1366x768 and 390x844 in docs/screenshots. The project's set-up (./tasks test) installs Chromium
and axe-core where they are missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real server and headless Chromium: about two minutes in all

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed (./tasks test installs it)", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screenshots"
WAIT_MS = 30_000
#: The effective size in CSS pixels of each SVG text: font-size times the SVG's scale on screen.
TEXT_PX = """sel => Array.from(document.querySelectorAll(sel)).map(t => ({
    text: t.textContent, px: parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a}))"""


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
    yield url, proc.instructor_key
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


def open_room(browser, server, extra: str = ""):
    """The console of a new room (instructor's key in the address) and the room's code."""
    url, key = server
    console = new_page(browser, 1366, 768)
    console.goto(f"{url}/open?scenario=baseline_2018_2021&key={key}{extra}")
    console.wait_for_selector("[data-testid=console][data-month='0']", timeout=90_000)
    code = re.search(r"room=(\w+)", console.url).group(1)
    return console, code


def projector_of(browser, server, code: str, width=1920, height=1080):
    page = new_page(browser, width, height)
    page.goto(f"{server[0]}/room?room={code}")
    page.wait_for_selector("[data-testid=projector]", timeout=60_000)
    return page


def join_form(browser, server, code: str, width=1280, height=900):
    page = new_page(browser, width, height)
    page.goto(f"{server[0]}/join?room={code}")
    page.wait_for_selector("[data-testid=join-form]", timeout=WAIT_MS)
    return page


def join(browser, server, code: str, team: str, actor: str, width=1280, height=900):
    page = join_form(browser, server, code, width, height)
    page.get_by_label("Team name").fill(team)
    page.get_by_test_id(f"country-{actor}").click()
    page.get_by_test_id("join-button").click()
    page.wait_for_selector(f"[data-testid=team-panel][data-actor={actor}]", timeout=WAIT_MS)
    return page


def choose(page, partner: str, move: str):
    button = page.get_by_test_id(f"move-{partner}").get_by_role("button", name=f"{move} ties with {partner}")
    button.click()
    playwright.expect(button).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)


def submit(page, why: str = ""):
    if why:
        # typed, then Submit at once, as a hurried team would: no Enter, no pause for the text to sync
        page.get_by_label(re.compile("^Why")).fill(why)
    page.get_by_role("button", name="Submit our moves").click()
    page.wait_for_selector("[data-testid=submit-status][data-status=submitted]", timeout=WAIT_MS)


def advance(console, month: int):
    console.get_by_role("button", name=re.compile("^Advance to the next month")).click()
    console.wait_for_selector(f"[data-testid=console][data-month='{month}']", timeout=WAIT_MS)


def pressed(page, scope: str) -> list[str]:
    return [b.inner_text().strip() for b in page.locator(f"{scope} [aria-pressed=true]").all()]


def test_a_class_plays_months_and_a_refusal_carries_the_partners_reason(server, browser):
    console, code = open_room(browser, server)
    projector = projector_of(browser, server, code)
    assert "Advance" not in projector.inner_text("body") and "key" not in projector.url
    teams = {a: join(browser, server, code, f"Team {a}", a) for a in ("Russia", "EU", "China")}
    for actor, page in teams.items():
        text = page.inner_text("[data-testid=team-panel]")
        assert f"Team Team {actor}: you play {actor}" in text and "Advance" not in text
    choose(teams["Russia"], "EU", "raise")
    choose(teams["EU"], "Russia", "hold")
    submit(teams["Russia"], why="sanctions hurt us both")
    submit(teams["EU"], why="not after Crimea")
    projector.wait_for_function(
        "() => document.querySelectorAll('[data-testid=teams] [data-status=moved]').length === 2", timeout=WAIT_MS
    )
    advance(console, 1)
    projector.wait_for_selector("[data-testid=projector][data-month='1']", timeout=WAIT_MS)
    teams["Russia"].wait_for_selector("[data-testid=team-panel][data-month='1']", timeout=WAIT_MS)
    feedback = teams["Russia"].inner_text("[data-testid=feedback]")
    assert "Refused by EU" in feedback and 'Their reason: "not after Crimea"' in feedback
    assert "Since last month" in feedback
    # China's team did not submit: the model played it, and its page says so
    teams["China"].wait_for_selector("[data-testid=team-panel][data-month='1']", timeout=WAIT_MS)
    assert "did not submit in time" in teams["China"].inner_text("[data-testid=feedback]")
    log = projector.inner_text("[data-testid=room-log]")
    assert "Russia asked to raise ties with EU above" in log and "EU refused" in log
    # last month's choice is this month's starting point; the stale "moves in" status is gone
    assert "raise" in pressed(teams["Russia"], "[data-testid=move-EU]")
    assert teams["Russia"].get_attribute("[data-testid=submit-status]", "data-status") == "not submitted"
    # the console's per-team summary names who played and why
    console.wait_for_selector("[data-testid=team-summary]", timeout=WAIT_MS)
    assert "sanctions hurt us both" in console.inner_text("[data-testid=team-summary]")


def test_the_join_race_refuses_the_slower_team_and_seats_it_nowhere(server, browser):
    console, code = open_room(browser, server)
    a, b = join_form(browser, server, code), join_form(browser, server, code)
    assert pressed(a, "[data-testid=countries]") == [], "a country looked selected before anyone chose"
    for page, name in ((a, "Team A"), (b, "Team B")):
        page.get_by_label("Team name").fill(name)
        page.get_by_test_id("country-Russia").click()
    a.get_by_test_id("join-button").click()
    a.wait_for_selector("[data-testid=team-panel][data-actor=Russia]", timeout=WAIT_MS)
    # team B still sees its choice, now taken: it is told so and cannot join as anything else
    b.wait_for_selector("text=Russia was just taken by team Team A", timeout=WAIT_MS)
    assert b.get_by_test_id("join-button").is_disabled()
    assert b.locator("[data-testid=team-panel]").count() == 0
    assert pressed(b, "[data-testid=countries]") == []
    seats = console.inner_text("[data-testid=seats]")
    assert "Team A" in seats and "Team B" not in seats


def test_a_team_gets_its_seat_back_with_its_code_after_a_restore(server, browser, tmp_path):
    url, key = server
    console, code = open_room(browser, server)
    team = join(browser, server, code, "Reds", "Russia")
    seat = team.inner_text("[data-testid=seat-code]").strip()
    submit(team, why="wait and see")
    advance(console, 1)
    with console.expect_download() as download:
        console.get_by_role("button", name=re.compile("Download the room")).click()
    saved = tmp_path / "room.json"
    download.value.save_as(saved)
    data = json.loads(saved.read_text())
    assert data["teams"][0]["seat"] == seat and len(data["content_hash"]) == 64
    home = new_page(browser, 1366, 768)
    home.goto(f"{url}/?key={key}")
    home.wait_for_selector("[data-testid=classroom]", timeout=60_000)
    home.set_input_files("[data-testid=file-upload]", str(saved))
    home.wait_for_selector("[data-testid=console][data-month='1']", timeout=WAIT_MS)
    new_code = re.search(r"room=(\w+)", home.url).group(1)
    assert new_code != code
    phone = join_form(browser, server, new_code, 390, 844)  # another device, after the restore
    phone.get_by_label("Seat code").fill(seat.lower())
    phone.get_by_role("button", name="Get our seat back").click()
    phone.wait_for_selector("[data-testid=team-panel][data-actor=Russia]", timeout=WAIT_MS)
    assert "Team Reds: you play Russia" in phone.inner_text("[data-testid=team-panel]")
    # the same team name alone does not get a seat
    other = join_form(browser, server, new_code)
    other.get_by_label("Team name").fill("Reds")
    assert other.get_by_test_id("country-Russia").count() == 0


def test_one_seat_on_two_devices_is_flagged_and_both_show_the_latest_submit(server, browser):
    console, code = open_room(browser, server)
    laptop = join(browser, server, code, "Blues", "EU")
    phone = new_page(browser, 390, 844)
    phone.goto(laptop.url)
    phone.wait_for_selector("[data-testid=team-panel][data-actor=EU]", timeout=WAIT_MS)
    for page in (laptop, phone):
        page.wait_for_selector("[data-testid=two-devices]", timeout=WAIT_MS)
    choose(phone, "China", "raise")
    submit(phone, why="markets")
    laptop.wait_for_function(
        "() => document.querySelector('[data-testid=submit-status]').dataset.status === 'submitted'", timeout=WAIT_MS
    )
    assert "another device" in laptop.inner_text("[data-testid=submit-status]")
    laptop.wait_for_function(
        "() => Array.from(document.querySelectorAll('[data-testid=move-China] [aria-pressed=true]'))"
        ".some(b => b.textContent.trim() === 'raise')",
        timeout=WAIT_MS,
    )
    assert "2 devices" in console.inner_text("[data-testid=seats]")


def test_breaking_a_treaty_is_warned_before_submitting(server, browser):
    console, code = open_room(browser, server)
    us = join(browser, server, code, "Stars", "US")
    # the baseline's US and EU start in a formal alliance: only hold or lower are offered
    row = us.get_by_test_id("move-EU")
    assert row.get_by_role("button", name="raise ties with EU").count() == 0
    assert us.get_by_test_id("warning-EU").count() == 0
    choose(us, "EU", "lower")
    us.wait_for_selector("[data-testid=warning-EU]", timeout=WAIT_MS)
    assert "breaks your formal alliance with EU" in us.inner_text("[data-testid=warning-EU]")
    # the estranged Russia cannot be lowered further
    assert us.get_by_test_id("move-Russia").get_by_role("button", name="lower ties with Russia").count() == 0


def test_the_projector_is_readable_from_the_back_row(server, browser):
    console, code = open_room(browser, server)
    join(browser, server, code, "Reds", "Russia")
    for month in (1, 2, 3):
        advance(console, month)
    projector = projector_of(browser, server, code)
    projector.wait_for_selector("[data-testid=projector][data-month='3']", timeout=WAIT_MS)
    small = [t for t in projector.evaluate(TEXT_PX, "[data-testid=network] text, [data-testid=timeline] text")
             if t["px"] < 32]  # fmt: skip
    assert not small, f"labels under 32 px at 1920x1080: {small}"
    for sel in ("[data-testid=room-log] li", "[data-testid=pressure]", "[data-testid=teams] span"):
        size = projector.evaluate(f"parseFloat(getComputedStyle(document.querySelector('{sel}')).fontSize)")
        assert size >= 32, f"{sel} is {size} px"
    log_top = projector.evaluate("document.querySelector('[data-testid=room-log]').getBoundingClientRect().top")
    assert log_top < 1080 * 0.6, "the log starts below the fold"
    # the timeline is zoomed to the months played: month 3 sits past the axis's first third
    ticks = projector.evaluate(TEXT_PX, "[data-testid=timeline] text")
    assert any(t["text"] == "2018-07" for t in ticks) and not any(t["text"] == "2021-12" for t in ticks)
    assert projector.locator("[data-testid=join-info] svg").bounding_box()["width"] >= 200  # the QR code
    SHOTS.mkdir(parents=True, exist_ok=True)
    projector.screenshot(path=SHOTS / "classroom-projector-1920x1080.png")
    console.screenshot(path=SHOTS / "classroom-console-1366x768.png")
    # the debrief, asked for on the console, shows on the projector
    console.get_by_role("button", name="Debrief on the projector").click()
    projector.wait_for_selector("[data-testid=debrief]", timeout=60_000)
    assert "Discussion" in projector.inner_text("[data-testid=debrief]")
    projector.locator("[data-testid=debrief]").screenshot(path=SHOTS / "classroom-debrief-1920x1080.png")


def contrast(rgb_a: str, rgb_b: str) -> float:
    def lum(rgb: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r"\d+", rgb)[:3])
        f = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * f[0] + 0.7152 * f[1] + 0.0722 * f[2]

    hi, lo = sorted((lum(rgb_a), lum(rgb_b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_a_phone_shows_the_team_page_without_sideways_scrolling_and_passes_axe(server, browser):
    from simulation.dashboard.assets import axe_script

    console, code = open_room(browser, server)
    form = join_form(browser, server, code, 390, 844)
    form.screenshot(path=SHOTS / "classroom-join-390x844.png")
    form.get_by_label("Team name").fill("Reds")
    form.get_by_test_id("country-Russia").click()
    form.get_by_test_id("join-button").click()
    page = form
    page.wait_for_selector("[data-testid=team-panel][data-actor=Russia]", timeout=WAIT_MS)
    advance(console, 1)
    page.wait_for_selector("[data-testid=team-panel][data-month='1']", timeout=WAIT_MS)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    wide = page.evaluate(
        "() => Array.from(document.querySelectorAll('[data-testid=team-panel] *'))"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className)"
    )
    assert not wide, f"elements wider than the phone: {wide[:5]}"
    # selected and unselected choices differ by at least 3:1; focus looks different from selection
    chosen = page.locator("[data-testid=move-China] [aria-pressed=true]").first
    other = page.locator("[data-testid=move-China] [aria-pressed=false]").first
    bg = [b.evaluate("e => getComputedStyle(e).backgroundColor") for b in (chosen, other)]
    assert contrast(*bg) >= 3, bg
    other.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    outline = other.evaluate("e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth")
    assert outline.startswith("solid") and float(outline.split()[1][:-2]) >= 3, outline
    # keyboard: Enter on a choice selects it
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=move-China] [aria-pressed=true]').length === 1", timeout=WAIT_MS
    )
    for k, sel in enumerate(("[data-testid=team-panel]", "[data-testid=feedback]", "[data-testid=move-China]")):
        page.locator(sel).first.screenshot(path=SHOTS / f"classroom-team-390x844-{k}.png")
    page.screenshot(path=SHOTS / "classroom-team-390x844.png")
    axe = axe_script()
    if not axe.exists():
        if os.environ.get("CI"):
            pytest.fail(
                "axe-core is missing: ./tasks test fetches it (python -m simulation.dashboard.assets --test-tools)"
            )
        pytest.skip("axe-core is missing: python -m simulation.dashboard.assets --test-tools")
    page.add_script_tag(path=str(axe))
    result = page.evaluate(
        "async () => (await axe.run(document.querySelector('[data-testid=team-panel]'), "
        "{runOnly: ['wcag2a', 'wcag2aa']})).violations.map(v => ({id: v.id, impact: v.impact, "
        "nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
    )
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def test_the_explorer_steps_and_sessions_are_independent(server, browser):
    url, _ = server
    a, b = new_page(browser), new_page(browser)
    for page in (a, b):
        page.goto(url)
        page.wait_for_selector("[data-testid=header]", timeout=60_000)
    a.get_by_role("button", name="Step", exact=True).click()
    a.wait_for_selector("[data-testid=header][data-step='1']", timeout=WAIT_MS)
    assert b.get_attribute("[data-testid=header]", "data-step") == "0"
    assert "<svg" in a.inner_html("[data-testid=network]") and "<svg" in a.inner_html("[data-testid=timeline]")
    # without the key, the start page offers no way to open a room
    assert b.get_by_role("button", name="Open a room").count() == 0
    b.goto(f"{url}/open?scenario=baseline_2018_2021&key=guess")
    b.wait_for_selector("text=instructor's key is missing or wrong", timeout=WAIT_MS)
    b.goto(f"{url}/join?room=NOPE1")
    b.wait_for_selector("text=No open room with this code", timeout=WAIT_MS)


def test_a_malformed_websocket_message_is_one_log_line_and_the_server_goes_on(browser, tmp_path):
    from simulation.dashboard.server import free_port, start, stop

    log = tmp_path / "server.log"
    port = free_port()
    proc = start(None, port, log=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)
        page = new_page(browser)
        page.add_init_script(
            "const send = WebSocket.prototype.send;"
            "WebSocket.prototype.send = function (d) { window.__ws = this; return send.call(this, d); }"
        )
        page.goto(f"{url}/join?room=NOPE1")
        page.wait_for_selector("text=No open room with this code", timeout=60_000)
        before = log.read_text()
        page.evaluate("() => window.__ws.send('not json at all')")
        deadline = time.time() + 20
        while time.time() < deadline and "malformed websocket message" not in log.read_text():
            time.sleep(0.2)
        added = log.read_text()[len(before) :]
        assert "malformed websocket message" in added
        assert "Traceback" not in added and len(added.strip().splitlines()) == 1, added
        other = new_page(browser)  # the server goes on serving
        other.goto(f"{url}/join?room=NOPE2")
        other.wait_for_selector("text=No open room with this code", timeout=60_000)
    finally:
        stop(proc)
