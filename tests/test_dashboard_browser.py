"""The dashboard in a real headless browser (Playwright driving Debian's Chromium).

Starts the dashboard's server on 127.0.0.1 and plays classroom rooms: teams on their own pages,
the projector (the world only) and the instructor's console (the key in its address). Covered:
a class playing months with a refusal reported with the partner's reason; the join race (nothing
pre-selected, a country taken meanwhile refused, the slower team seated nowhere); rejoining with
the seat code after a restore; one seat on two devices; the treaty warning; the projector's type
sizes and its log above the fold at 1920x1080; the phone layout at 390x844 (no sideways
scrolling, pressed states, focus, contrast, ``lang``, axe-core); the turn on the first screen of a
phone and a laptop; every lever on record; the debrief's pages inside 1920x1080; every network pair
labelled clear of other lines or in the key (five and six countries), and ticks clear of each other;
the room's lifecycle (the link again, a restore that supersedes, confirmations); tap targets and
axe-core on the join, team, projector and console pages.

Screenshots go to a temporary folder, never to the repository: ``experiments/classroom_screenshots.py``
runs these tests with ``ALLIANCE_SIM_SCREENSHOTS=docs/screenshots`` to regenerate the documented ones.
The project's set-up (./tasks test) installs Chromium and axe-core where they are missing.
"""

from __future__ import annotations

import contextlib
import csv
import io
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

WAIT_MS = 30_000
#: The effective size in CSS pixels of each SVG text: font-size times the SVG's scale on screen.
TEXT_PX = """sel => Array.from(document.querySelectorAll(sel)).map(t => { const m = t.getScreenCTM();
    return {text: t.textContent, px: parseFloat(t.getAttribute('font-size')) * Math.hypot(m.a, m.b)}; })"""


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: a temporary folder, or the one ALLIANCE_SIM_SCREENSHOTS names (the regenerate step)."""
    folder = os.environ.get("ALLIANCE_SIM_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


CONTEXTS: list = []


@pytest.fixture(autouse=True)
def close_pages():
    """Each test's pages close after it: open pages keep polling the server and load the machine."""
    yield
    while CONTEXTS:
        with contextlib.suppress(Exception):
            CONTEXTS.pop().close()


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
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    CONTEXTS.append(context)
    return context.new_page()


def open_room(browser, server, extra: str = "&new=1", scenario: str = "baseline_2018_2021"):
    """The console of a room (instructor's key in the address) and the room's code; ``&new=1``: a new room
    (the link without it returns to the room it opened before)."""
    url, key = server
    console = new_page(browser, 1366, 768)
    console.goto(f"{url}/open?scenario={scenario}&key={key}{extra}")
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
    """Advance; when teams are still thinking, the console asks first, and the test says yes."""
    console.get_by_role("button", name=re.compile("^Advance to the next month")).click()
    console.wait_for_selector(
        f"[data-testid=console][data-month='{month}'], [data-testid=confirm-advance]", timeout=WAIT_MS
    )
    if console.locator("[data-testid=confirm-advance]").count():
        console.get_by_role("button", name="Yes, play the month now").click()
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
    feedback = teams["Russia"].text_content("[data-testid=feedback]")  # folded below the turn
    assert "Refused by EU" in feedback and 'Their reason: "not after Crimea"' in feedback
    assert "Since last month" in feedback
    # China's team did not submit: the model played it, and its page says so
    teams["China"].wait_for_selector("[data-testid=team-panel][data-month='1']", timeout=WAIT_MS)
    china = teams["China"].text_content("[data-testid=feedback]")
    assert "did not submit in time" in china and "you asked to" not in china and "the model chose hold for you" in china
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
        # the status is re-rendered when the other device submits: between two renders it may be absent
        "() => document.querySelector('[data-testid=submit-status]')?.dataset.status === 'submitted'",
        timeout=WAIT_MS,
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


def test_the_projector_is_readable_from_the_back_row(server, browser, shots):
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
    # the timeline is zoomed to the months played: month 3 sits past the axis's first third; a point is the
    # state at the end of its month (run month 6 of a January 2018 start is June 2018, row 0 December 2017)
    ticks = projector.evaluate(TEXT_PX, "[data-testid=timeline] text")
    assert any(t["text"] == "2018-06" for t in ticks) and not any(t["text"] == "2021-12" for t in ticks)
    assert projector.locator("[data-testid=join-info] svg").bounding_box()["width"] >= 200  # the QR code
    projector.screenshot(path=shots / "classroom-projector-1920x1080.png")
    console.screenshot(path=shots / "classroom-console-1366x768.png")


def contrast(rgb_a: str, rgb_b: str) -> float:
    def lum(rgb: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r"\d+", rgb)[:3])
        f = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * f[0] + 0.7152 * f[1] + 0.0722 * f[2]

    hi, lo = sorted((lum(rgb_a), lum(rgb_b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_a_phone_shows_the_team_page_without_sideways_scrolling_and_passes_axe(server, browser, shots):
    from simulation.dashboard.assets import axe_script

    console, code = open_room(browser, server)
    form = join_form(browser, server, code, 390, 844)
    form.screenshot(path=shots / "classroom-join-390x844.png")
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
    page.screenshot(path=shots / "classroom-team-390x844.png")
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
    # the settings: each slider's label carries its value (pressure to two decimals), its description below it
    settings = a.inner_text("body")
    assert "US pressure on Russia: 0.36" in settings and "EU coordination with US: " in settings
    assert "Model parameters (registry)" in settings
    # without the key, the start page offers no way to open a room
    assert b.get_by_role("button", name="Open a room").count() == 0
    b.goto(f"{url}/open?scenario=baseline_2018_2021&key=guess")
    b.wait_for_selector("text=instructor's key is missing or wrong", timeout=WAIT_MS)
    b.goto(f"{url}/join?room=NOPE1")
    b.wait_for_selector("text=No open room with this code", timeout=WAIT_MS)


# --------------------------------------------------------------------------- classroom v3

#: Top and bottom (in page coordinates) of the first move control and of the Submit button.
TURN_POSITIONS = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; };
  const first = document.querySelector('[data-testid=moves] [aria-pressed]');
  const submit = Array.from(document.querySelectorAll('button')).find(b => b.textContent.trim() === 'Submit our moves');
  return {first: box(first), submit: box(submit)};
}"""


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 768)])
def test_the_turn_is_on_the_first_screen_of_a_phone_and_a_laptop(server, browser, shots, width, height):
    """The issue's target: at 390x844 the first move control on the first screen and Submit within two;
    at 1366x768 both above the fold; for a team with steppers (the US) too."""
    console, code = open_room(browser, server)
    console.get_by_role("button", name="timer 180 seconds per month").click()
    us = join(browser, server, code, "Stars", "US", width, height)
    ru = join(browser, server, code, "Reds", "Russia", width, height)
    advance(console, 1)  # both did not submit: the model played them
    for page in (us, ru):
        page.wait_for_selector("[data-testid=team-panel][data-month='1']", timeout=WAIT_MS)
        pos = page.evaluate(TURN_POSITIONS)
        assert pos["first"][1] <= height, f"first move control ends at {pos['first'][1]:.0f} px"
        assert pos["submit"][1] <= (2 * height if width < 700 else height), f"Submit ends at {pos['submit'][1]:.0f}"
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        text = page.inner_text("[data-testid=team-panel]")
        assert "Your goal:" in text and "2018-02" in text
        # the countdown is on team pages too, counted in the browser
        page.wait_for_selector("[data-testid=countdown]", timeout=WAIT_MS)
        assert re.search(r"next month in [0-3]:\d\d", page.inner_text("[data-testid=countdown]"))
        # a plain-words effect for each move; no greyed "take the advice" on every row
        assert re.search(r"raise: closer to \w+ \(\w[\w ]*\) if \w+ also raises", text)
        assert "stays " in text and "no consent needed" in text
        assert page.get_by_role("button", name=re.compile("^Take the advice")).count() == 0
        # a team that did not submit does not read that it asked for anything
        assert "you asked to" not in page.text_content("[data-testid=feedback]")
        assert "the model played for you" in page.inner_text("[data-testid=feedback-line]")
        # the numbers are below, folded, each with its meaning and its source
        numbers = page.text_content("[data-testid=numbers]")
        assert "how much you fear them" in numbers and "their share of your trade" in numbers
        assert re.search(r"(Cheang|Aron|Appel|Kaczmarski|Raigirdas) 20\d\d", numbers)
        assert page.locator("[data-testid=numbers-box]").get_attribute("open") is None
    # the US steppers say what one step does, from the model's own look-ahead
    china = us.inner_text("[data-testid=move-China]")
    assert re.search(r"pressure -0.05 / now / \+0.05: China's fear of US [\d.]+ / [\d.]+ / [\d.]+", china)
    us.screenshot(path=shots / f"classroom-team-{width}x{height}.png")


def test_every_lever_a_team_sets_is_in_the_records_with_who_decided(server, browser):
    console, code = open_room(browser, server)
    us = join(browser, server, code, "Stars", "US")
    eu = join(browser, server, code, "Blues", "EU")
    up = us.get_by_role("button", name="Your pressure on China: raise by 0.05")
    up.click()
    us.wait_for_selector("[data-testid='stepper-pressure|China'] >> text=0.16", timeout=WAIT_MS)
    eu.get_by_role("button", name=re.compile("coordination.*raise by 0.05")).click()
    eu.wait_for_selector("[data-testid=stepper-coordination] >> text=0.25", timeout=WAIT_MS)
    submit(us)
    submit(eu)
    advance(console, 1)
    advance(console, 2)  # nobody moved: the model played both
    console.wait_for_selector("[data-testid=team-summary]", timeout=WAIT_MS)
    with console.expect_download() as got:
        console.get_by_role("button", name="Moves (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(got.value.path()).read_text())))
    china = [
        (r["month"], r["pressure"], r["pressure_by"]) for r in rows if r["actor"] == "US" and r["partner"] == "China"
    ]
    assert china == [("0", "0.16", "team"), ("1", "0.16", "model")]
    coord = [(r["coordination"], r["coordination_by"]) for r in rows if r["actor"] == "EU" and r["partner"] == "China"]
    assert coord == [("0.25", "team"), ("0.25", "model")]
    with console.expect_download() as got:
        console.get_by_role("button", name="Per-team summary (CSV)").click()
    teams = {r["country"]: r for r in csv.DictReader(io.StringIO(Path(got.value.path()).read_text()))}
    assert int(teams["US"]["decisions"]) == 8 and teams["US"]["lever_changes"] == "1"
    assert "pressure on China 0.11 -> 0.16" in teams["US"]["levers"]
    assert teams["EU"]["levers"] == "coordination 0.20 -> 0.25"
    summary = console.inner_text("[data-testid=team-summary]")
    assert "pressure on China 0.11 -> 0.16" in summary and "(1 change)" in summary


#: Every element with its own text on the projector: its font size in CSS pixels (SVG text scaled).
TEXT_SIZES = """() => Array.from(document.querySelectorAll('[data-testid=projector] *')).filter(e =>
  Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())).map(e => ({
    text: e.textContent.trim().slice(0, 40),
    px: parseFloat(getComputedStyle(e).fontSize) * (e instanceof SVGElement ? e.getScreenCTM().a : 1),
    bottom: e.getBoundingClientRect().bottom}))"""


def test_the_debrief_fits_the_projector_in_pages_turned_from_the_console_or_the_keyboard(server, browser, shots):
    console, code = open_room(browser, server)
    ru = join(browser, server, code, "Reds", "Russia")
    choose(ru, "China", "raise")
    submit(ru, why="closer to Beijing")
    for month in (1, 2, 3, 4, 5):
        advance(console, month)
    projector = projector_of(browser, server, code)
    console.get_by_role("button", name="Debrief on the projector").click()
    projector.wait_for_selector("[data-testid=debrief][data-page='0']", timeout=60_000)
    pages = int(projector.get_attribute("[data-testid=debrief]", "data-pages"))
    assert pages >= 3
    text = projector.inner_text("[data-testid=debrief]")
    assert "above 100%" not in text and "in 0% of" not in text
    assert re.search(r"model (reaches one|does so) in (none|all|\d+(\.\d)?%) of its \d+ runs", text)
    projector.screenshot(path=shots / "classroom-debrief-1920x1080.png")
    for page in range(pages):
        if page:
            console.get_by_role("button", name="Next page on the projector").click()
            projector.wait_for_selector(f"[data-testid=debrief][data-page='{page}']", timeout=WAIT_MS)
        sizes = projector.evaluate(TEXT_SIZES)
        small = [t for t in sizes if t["px"] < 28]
        assert not small, f"page {page + 1}: text under 28 px: {small[:4]}"
        assert max(t["bottom"] for t in sizes) <= 1080, f"page {page + 1} runs below 1080 px"
        assert projector.evaluate("document.scrollingElement.scrollHeight") <= 1080
        if page == 0:  # the log and the key chart are on the first page
            assert projector.locator("[data-testid=debrief-chart] svg").count() == 1
            assert projector.locator("[data-testid=room-log] li").count() >= 1
        if page == 1:
            assert "Reds" in projector.inner_text("[data-testid=debrief-teams]")
    # the projector's own keyboard (or a clicker's Page Up) turns its pages back
    projector.keyboard.press("PageUp")
    projector.wait_for_selector(f"[data-testid=debrief][data-page='{pages - 2}']", timeout=WAIT_MS)
    console.get_by_role("button", name="Previous page").click()  # the console's page wins again
    console.wait_for_selector(f"[data-testid=debrief-page][data-page='{pages - 2}']", timeout=WAIT_MS)
    projector.wait_for_selector(f"[data-testid=debrief][data-page='{pages - 2}']", timeout=WAIT_MS)


#: For each network label or numbered badge: the other lines it touches (none may), each line widened by half
#: its stroke and taken into the label's own (turned) frame; and the pairs in the key under the picture.
LABEL_HITS = """() => {
  const svg = document.querySelector('[data-testid=network] svg');
  const lines = Array.from(svg.querySelectorAll('line')).map(l => ({
    pair: l.querySelector('title').textContent.split(':')[0].replace(' - ', '-'),
    x1: +l.getAttribute('x1'), y1: +l.getAttribute('y1'), x2: +l.getAttribute('x2'), y2: +l.getAttribute('y2'),
    half: +l.getAttribute('stroke-width') / 2}));
  const hits = (l, b) => { let lo = 0, hi = 1; const dx = l.x2 - l.x1, dy = l.y2 - l.y1;
    const x = b.x - l.half, y = b.y - l.half, w = b.width + 2 * l.half, h = b.height + 2 * l.half;
    for (const [p, q] of [[-dx, l.x1 - x], [dx, x + w - l.x1], [-dy, l.y1 - y], [dy, y + h - l.y1]]) {
      if (p === 0) { if (q < 0) return false; continue; }
      const r = q / p; if (p < 0) lo = Math.max(lo, r); else hi = Math.min(hi, r); if (lo > hi) return false; }
    return true; };
  const local = (el, l) => { const t = el.transform.baseVal.consolidate();
    if (!t) return l; const m = t.matrix.inverse();
    const a = new DOMPoint(l.x1, l.y1).matrixTransform(m), b = new DOMPoint(l.x2, l.y2).matrixTransform(m);
    return {...l, x1: a.x, y1: a.y, x2: b.x, y2: b.y}; };
  const marks = [...svg.querySelectorAll('text[data-pair]')].map(t => [t, t.dataset.pair])
    .concat([...svg.querySelectorAll('g[data-badge-pair] circle')].map(c => [c, c.parentNode.dataset.badgePair]));
  return {lines: lines.map(l => l.pair),
          keyed: [...svg.querySelectorAll('g[data-key-pair]')].map(g => g.dataset.keyPair),
          labels: marks.map(([el, pair]) => { const b = el.getBBox();
            return {pair, text: el.textContent, tag: el.tagName,
                    on: lines.filter(l => l.pair !== pair && hits(local(el, l), b)).map(l => l.pair)}; })};
}"""
TICK_BOXES = r"""() => Array.from(document.querySelectorAll('[data-testid=timeline] svg text'))
  .filter(t => /^\d{4}-\d\d$/.test(t.textContent)).map(t => { const r = t.getBoundingClientRect();
  return {text: t.textContent, left: r.left, right: r.right}; })"""


@pytest.mark.parametrize(("scenario", "months"), [("baseline_2018_2021", 9), ("baseline_with_japan", 4)])
def test_network_labels_sit_on_no_other_line_and_timeline_ticks_never_touch(server, browser, scenario, months):
    console, code = open_room(browser, server, scenario=scenario)
    projector = projector_of(browser, server, code)
    for month in range(1, months + 1):
        advance(console, month)
        projector.wait_for_selector(f"[data-testid=projector][data-month='{month}']", timeout=WAIT_MS)
        drawn = projector.evaluate(LABEL_HITS)
        on = [lb for lb in drawn["labels"] if lb["on"]]
        assert drawn["labels"] and not on, on
        words = {lb["pair"] for lb in drawn["labels"] if lb["tag"] == "text"}
        assert sorted(words | set(drawn["keyed"])) == sorted(drawn["lines"]), "a pair with no label and no key entry"
        assert not words & set(drawn["keyed"])
        small = [t for t in projector.evaluate(TEXT_PX, "[data-testid=network] text") if t["px"] < 32]
        assert not small, f"month {month}: network text under 32 px at 1920x1080 (the key included): {small}"
        ticks = sorted(projector.evaluate(TICK_BOXES), key=lambda t: t["left"])
        assert len(ticks) >= 2
        for a, b in zip(ticks, ticks[1:], strict=False):
            assert b["left"] - a["right"] >= 8, f"month {month}: {a['text']} and {b['text']} touch"


def test_the_link_again_returns_to_the_room_and_a_restore_supersedes_the_old_one(server, browser, tmp_path):
    url, key = server
    console, code = open_room(browser, server, "", scenario="hindcast_2014_2017")  # the printed link
    again = new_page(browser, 1366, 768)  # the same link, opened again
    again.goto(f"{url}/open?scenario=hindcast_2014_2017&key={key}")
    again.wait_for_selector("[data-testid=console]", timeout=60_000)
    assert re.search(r"room=(\w+)", again.url).group(1) == code, "the link opened another room"
    team = join(browser, server, code, "Reds", "Russia", 390, 844)
    projector = projector_of(browser, server, code)
    # freeing a seat asks first
    console.get_by_role("button", name="Free Russia (Reds)...").click()
    console.wait_for_selector("[data-testid=confirm-free]", timeout=WAIT_MS)
    assert "Reds" in console.inner_text("[data-testid=seats]")
    console.get_by_role("button", name="Cancel").click()
    console.wait_for_selector("[data-testid=confirm-free]", state="detached", timeout=WAIT_MS)
    # playing a month while a team is thinking asks first too
    console.get_by_role("button", name=re.compile("^Advance to the next month")).click()
    console.wait_for_selector("[data-testid=confirm-advance]", timeout=WAIT_MS)
    assert "Russia has not moved yet" in console.inner_text("[data-testid=confirm-advance]")
    console.get_by_role("button", name="Wait").click()
    assert console.get_attribute("[data-testid=console]", "data-month") == "0"
    submit(team)
    advance(console, 1)  # everyone moved: no question
    with console.expect_download() as download:
        console.get_by_role("button", name=re.compile("Download the room")).click()
    saved = tmp_path / "room.json"
    download.value.save_as(saved)
    home = new_page(browser, 1366, 768)
    home.goto(f"{url}/?key={key}")
    home.wait_for_selector("[data-testid=file-upload]", timeout=60_000)
    top = home.evaluate("document.querySelector('[data-testid=file-upload]').getBoundingClientRect().top")
    assert top < 768, f"the restore control is below the fold ({top:.0f} px)"
    home.set_input_files("[data-testid=file-upload]", str(saved))
    home.wait_for_selector("[data-testid=console][data-month='1']", timeout=WAIT_MS)
    new_code = re.search(r"room=(\w+)", home.url).group(1)
    assert new_code != code
    # the old room's pages are sent to the new one: the team keeps its seat, the projector follows
    team.wait_for_url(re.compile(f"room={new_code}"), timeout=WAIT_MS)
    team.wait_for_selector("[data-testid=team-panel][data-actor=Russia][data-month='1']", timeout=WAIT_MS)
    projector.wait_for_url(re.compile(f"room={new_code}"), timeout=WAIT_MS)
    console.wait_for_selector("[data-testid=superseded]", timeout=WAIT_MS)
    assert new_code in console.inner_text("body")


AXE_RUN = """async (sel) => (await axe.run(document.querySelector(sel), {runOnly: ['wcag2a', 'wcag2aa']}))
  .violations.filter(v => ['serious', 'critical'].includes(v.impact))
  .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"""
#: Buttons, summaries, checkboxes and input boxes smaller than 44 x 44 CSS pixels.
SMALL_TARGETS = """(sel) => Array.from(document.querySelector(sel).querySelectorAll(
  'button, summary, [role=button], .v-input__slot, input[type=checkbox]')).filter(e => e.offsetParent !== null)
  .map(e => { const r = e.getBoundingClientRect(); return {what: e.textContent.trim().slice(0, 30) || e.className,
  w: r.width, h: r.height}; }).filter(t => t.w < 44 || t.h < 44)"""


def test_touch_targets_and_axe_core_on_the_join_team_projector_and_console_pages(server, browser):
    from simulation.dashboard.assets import axe_script

    axe = axe_script()
    if not axe.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is missing: python -m simulation.dashboard.assets --test-tools")
        pytest.skip("axe-core is missing: python -m simulation.dashboard.assets --test-tools")
    console, code = open_room(browser, server)
    join(browser, server, code, "Reds", "Russia")
    form = join_form(browser, server, code, 390, 844)
    # a taken country looks taken, not more clickable than a free one
    taken = form.get_by_role("button", name=re.compile("^Russia: taken by Reds"))
    free = form.get_by_test_id("country-China")
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).textDecorationLine]"
    assert taken.evaluate(style) != free.evaluate(style) and "line-through" in taken.evaluate(style)[1]
    # a bad team name keeps the chosen country
    free.click()
    form.get_by_label("Team name").fill("<bad>")
    form.get_by_test_id("join-button").click()
    form.wait_for_selector("[data-testid=message]", timeout=WAIT_MS)
    assert pressed(form, "[data-testid=countries]") == ["China"]
    form.get_by_label("Team name").fill("Pandas")
    form.get_by_test_id("join-button").click()
    form.wait_for_selector("[data-testid=team-panel][data-actor=China]", timeout=WAIT_MS)
    advance(console, 1)
    form.wait_for_selector("[data-testid=team-panel][data-month='1']", timeout=WAIT_MS)
    small = form.evaluate(SMALL_TARGETS, "[data-testid=team-panel]")
    assert not small, f"tap targets under 44 px on the phone: {small[:5]}"
    projector = projector_of(browser, server, code)
    console.get_by_role("button", name="Show the projector preview").click()
    console.wait_for_selector("[data-testid=projector]", timeout=WAIT_MS)
    fresh = join_form(browser, server, code, 390, 844)
    assert not fresh.evaluate(SMALL_TARGETS, "[data-testid=join-form]")
    for name, page, sel in (
        ("join", fresh, "[data-testid=join-form]"),
        ("team", form, "[data-testid=team-panel]"),
        ("projector", projector, "[data-testid=projector]"),
        ("console", console, "body"),
    ):
        page.add_script_tag(path=str(axe))
        serious = page.evaluate(AXE_RUN, sel)
        assert not serious, f"{name}: {serious}"


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
