"""The dashboard serves only what it ships: scenarios by name, limits on the server, unique saves,
no traceback in the browser, one line for a busy port, and the server stops with its command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import solara

from simulation.core.errors import InputError
from simulation.dashboard import app
from simulation.dashboard.server import check_port, free_port
from simulation.teaching.rooms import Room
from tests.conftest import ROOT, scenario


@pytest.mark.parametrize(
    "name",
    ["/etc/passwd", "../scenarios/baseline_2018_2021", "baseline_2018_2021.yaml", "", None, 3, "../../etc/hosts"],
)
def test_scenarios_are_chosen_by_listed_name_only(name):
    with pytest.raises(InputError, match="unknown scenario"):
        app.scenario_by_name(name)
    assert app.scenario_by_name("baseline_2018_2021").title


def test_a_configured_folder_adds_its_scenarios(tmp_path, monkeypatch):
    (tmp_path / "my_class.yaml").write_text((ROOT / "scenarios" / "baseline_2018_2021.yaml").read_text())
    (tmp_path / "bad name!.yaml").write_text("title: x\n")
    monkeypatch.setenv("ALLIANCE_SIM_SCENARIOS", str(tmp_path))
    names = app.scenario_catalogue()
    assert "my_class" in names and "baseline_2018_2021" in names and "bad name!" not in names


@pytest.mark.parametrize("runs", [200_000, 0, -5, 99, 5001, 1.5, "500", True])
def test_the_replicates_limit_is_checked_on_the_server(runs):
    with pytest.raises(InputError, match="replicates"):
        app.check_replicates(runs)
    assert app.check_replicates(500) == 500


def test_room_debrief_runs_are_bounded_on_the_server():
    room = Room(scenario("baseline_2018_2021"), "baseline_2018_2021")
    with pytest.raises(InputError, match="allowed: 50 to 2000"):
        room.debrief(200_000)


def test_two_saves_in_the_same_second_write_two_files(tmp_path, monkeypatch):
    from simulation.dashboard import common

    monkeypatch.setattr(common, "ROOMS_DIR", tmp_path / "rooms")
    room = Room(scenario("baseline_2018_2021"), "baseline_2018_2021")
    first, second = app.save_to_folder(room), app.save_to_folder(room)
    assert first != second and first.exists() and second.exists()
    assert set(app.saved_rooms()) == {first.name, second.name}
    assert Room.from_json(second.read_text()).month == 0


def test_a_failing_handler_shows_a_short_message_not_a_traceback(caplog):
    messages = []

    def boom():
        raise RuntimeError("secret detail /etc/shadow")

    app.guarded(boom, messages.append)()
    assert messages == [("error", app.GENERIC_ERROR)]
    assert "secret detail" in caplog.text  # the log keeps the detail
    app.guarded(lambda: (_ for _ in ()).throw(InputError(None, "team name", "too long")), messages.append)()
    assert messages[-1] == ("error", "team name: too long")


def test_a_failing_view_shows_a_short_message_not_a_traceback():
    @solara.component
    def Broken():
        raise ValueError("internal state /home/x")

    import ipywidgets

    box, rc = solara.render(app.Boundary(Broken), handle_error=False)
    rc.find(attributes={"data-testid": "view-error"}).assert_single()
    shown = " ".join(
        str(getattr(w, "value", "")) + str(getattr(w, "children", "")) for w in rc.find(ipywidgets.Widget).widgets
    )
    assert app.GENERIC_ERROR in shown and "internal state" not in shown


def test_a_busy_port_is_one_line_suggesting_another():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(InputError, match=f"port {port} is already in use: try another, e.g. --port"):
            check_port("127.0.0.1", port)
        proc = subprocess.run(
            [sys.executable, "-m", "simulation.cli", "dashboard", "--port", str(port)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--port" in proc.stderr
    with pytest.raises(InputError, match="allowed: 1024 to 65535"):
        check_port("127.0.0.1", 70000)


def test_sigterm_to_the_command_stops_its_server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", "dashboard", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        else:
            pytest.fail("the server did not start")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        time.sleep(0.5)
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, "the server outlived its command"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_partners_reason_cannot_inject_html_into_a_team_page():
    import ipywidgets

    from simulation.teaching.seminar import HumanMove

    room = Room(scenario("baseline_2018_2021"), "baseline_2018_2021")
    ru, eu = room.join("Reds", "Russia").seat, room.join("Blues", "EU").seat
    room.submit("Russia", ru, HumanMove({"EU": "raise"}))
    room.submit("EU", eu, HumanMove({"Russia": "hold"}), why='<img src=x onerror="alert(1)">')
    room.advance()
    box, rc = solara.render(app.TeamPanel(room, "Russia", ru, room.version), handle_error=False)
    shown = " ".join(str(getattr(w, k, "")) for w in rc.find(ipywidgets.Widget).widgets for k in w.keys)
    assert "Refused by EU" in shown and "&lt;img" in shown and "<img" not in shown


# ---- the server under abuse: rate limits, bounded sessions, diagnostics, one seat per device


@pytest.fixture
def limits():
    from simulation.dashboard import hardening

    for bucket in (hardening.PAGE_LOADS, hardening.SESSIONS, hardening.JOINS, hardening.SEAT_GUESSES,
                   hardening.SERVER_GUESSES):  # fmt: skip
        bucket.reset()
    yield hardening
    for bucket in (hardening.SEAT_GUESSES, hardening.SERVER_GUESSES, hardening.JOINS):
        bucket.reset()


def test_a_token_bucket_allows_its_burst_then_its_rate(limits):
    bucket = limits.Throttle(burst=5, per_s=0.5, what="x")
    assert [bucket.wait_s("a", now=100.0) for _ in range(5)] == [0.0] * 5
    assert bucket.wait_s("a", now=100.0) == pytest.approx(2.0)  # one token every 2 s
    assert bucket.wait_s("b", now=100.0) == 0.0  # per client
    assert bucket.wait_s("a", now=102.0) == 0.0 and bucket.wait_s("a", now=102.0) > 0
    with pytest.raises(InputError, match=r"wait 2 s"):
        bucket.check("a", now=102.0)


def test_guessing_a_seat_code_takes_longer_than_a_school_year(limits):
    """The arithmetic from the code space and the rate: 31 letters, 6 long = 887,503,681 codes; a server with
    every room open and full holds 20 x 8 seats; wrong codes from all computers together are limited to one every
    10 s after a burst of 60: the expected search is about 1.8 years (a school year is under one)."""
    from simulation.teaching.rooms import CODE_ALPHABET, MAX_ROOM_ACTORS, MAX_ROOMS, SEAT_CODE_LENGTH

    space = len(CODE_ALPHABET) ** SEAT_CODE_LENGTH
    assert space == 887_503_681 == limits.seat_code_space()
    guesses = space / (MAX_ROOMS * MAX_ROOM_ACTORS) - limits.SERVER_GUESS_BURST
    years = guesses / limits.SERVER_GUESS_PER_S / limits.SCHOOL_YEAR_S
    assert years == pytest.approx(limits.seat_guess_years()) and years > 1.0
    # one computer alone is slower still: its own limit is one wrong code every 12 s
    assert limits.seat_guess_years(limits.GUESS_PER_S) > years


def test_a_student_who_mistypes_is_told_so_and_a_guesser_is_stopped_without_an_answer(limits):
    room = Room(scenario("baseline_2018_2021"), "baseline_2018_2021")
    seat = room.join("Reds", "Russia").seat
    wrong = "ABCDEF" if seat != "ABCDEF" else "ABCDEG"
    for _ in range(2):  # a mistype or two: the clear message, not a wait
        with pytest.raises(InputError, match="no seat in this room has that code"):
            limits.guarded_rejoin(room, wrong)
    assert limits.guarded_rejoin(room, seat).actor == "Russia"  # a right code never counts
    for _ in range(3):
        with pytest.raises(InputError, match="no seat in this room has that code"):
            limits.guarded_rejoin(room, wrong)
    with pytest.raises(InputError, match=r"too many wrong seat codes from this computer; wait \d+ s") as err:
        limits.guarded_rejoin(room, seat)  # blocked: even the right code is not compared (no oracle)
    assert "\n" not in str(err.value)
    assert not limits.url_seat_allowed(room, seat)  # a code in the page's address is a guess too


def test_wrong_codes_from_many_computers_hit_the_servers_limit(limits, monkeypatch):
    room = Room(scenario("baseline_2018_2021"), "baseline_2018_2021")
    room.join("Reds", "Russia")
    clients = iter(f"10.0.{k // 250}.{k % 250}" for k in range(10_000))
    monkeypatch.setattr(limits, "current_client", lambda: next(clients))
    refused_at = None
    for k in range(200):
        try:
            limits.guarded_rejoin(room, "ZZZZZZ")
        except InputError as err:
            if "on this server" in str(err):
                refused_at = k
                break
    assert refused_at == limits.SERVER_GUESS_BURST


def test_one_seat_per_device_is_a_room_option(limits):
    room = Room(scenario("baseline_2018_2021"), "baseline_2018_2021", code="ONESE")
    limits.set_one_seat_per_device(room.code, True)
    try:
        limits.check_device_seat(room, "phone-1")
        team = room.join("Reds", "Russia")
        limits.record_device_seat(room, "phone-1", team.actor, team.seat)
        with pytest.raises(InputError, match="already plays Russia in this room"):
            limits.check_device_seat(room, "phone-1")
        room.leave("Russia")  # the seat freed: the device may join again
        limits.check_device_seat(room, "phone-1")
    finally:
        limits.set_one_seat_per_device(room.code, False)
    limits.check_device_seat(room, "phone-1")  # option off: no limit


def test_a_clients_sessions_are_bounded_and_its_oldest_disconnected_ones_closed(limits, monkeypatch):
    from solara.server import kernel_context

    class Fake:
        def __init__(self, connected: bool):
            self.page_status = {"p": kernel_context.PageStatus.CONNECTED if connected else "disconnected"}
            self.closed = False

        def close(self):
            self.closed = True

    fakes = {f"k{n}": Fake(connected=n >= 10) for n in range(limits.MAX_SESSIONS_PER_CLIENT + 5)}
    monkeypatch.setattr(kernel_context, "contexts", dict(fakes))
    monkeypatch.setattr(limits, "_release_memory", lambda: None)
    monkeypatch.setattr(limits, "SESSIONS", limits.Throttle(1000, 1000, "page"))
    admitted = [limits.admit_session("10.0.0.9", kid) for kid in fakes]
    assert admitted[: limits.MAX_SESSIONS_PER_CLIENT] == [None] * limits.MAX_SESSIONS_PER_CLIENT
    assert all(a is None for a in admitted)  # each newer page closed an older disconnected one
    assert [k for k, f in fakes.items() if f.closed] == [f"k{n}" for n in range(5)]
    # every session connected: the next is refused rather than growing without bound
    more = {f"c{n}": Fake(connected=True) for n in range(limits.MAX_SESSIONS_PER_CLIENT)}
    monkeypatch.setattr(kernel_context, "contexts", dict(more))
    results = [limits.admit_session("10.0.0.10", kid) for kid in more] + [limits.admit_session("10.0.0.10", "new")]
    assert results[-1] is not None and "pages open" in results[-1]


@pytest.mark.slow
def test_the_server_guards_its_diagnostics_and_page_loads_and_logs_junk_in_one_line(tmp_path):
    """A live server: /resourcez answers only the instructor's key; a burst of page loads is throttled (429);
    a websocket message above the size limit, JSON nested 100,000 deep and binary junk leave no traceback."""
    import asyncio
    import urllib.error
    import urllib.request
    import uuid

    import websockets

    from simulation.dashboard.hardening import PAGE_BURST
    from simulation.dashboard.server import MAX_WS_MESSAGE_BYTES, start, stop

    def status(url):
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as err:
            return err.code

    log = tmp_path / "server.log"
    os.environ["ALLIANCE_SIM_LIMIT_LOOPBACK"] = "1"  # the test plays a client on the network
    try:
        proc = start(None, free_port(), log=log)
    finally:
        del os.environ["ALLIANCE_SIM_LIMIT_LOOPBACK"]
    url = f"http://127.0.0.1:{proc.port}"
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            try:
                if status(f"{url}/readyz") == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the server did not start")
        assert status(f"{url}/resourcez") == 404
        assert status(f"{url}/resourcez?key=wrong") == 404
        assert status(f"{url}/resourcez?key={proc.instructor_key}") == 200
        codes = [status(f"{url}/") for _ in range(PAGE_BURST + 10)]
        assert codes[:PAGE_BURST].count(200) >= PAGE_BURST - 1 and 429 in codes[PAGE_BURST - 1 :]

        async def send(message):
            uri = f"ws://127.0.0.1:{proc.port}/jupyter/api/kernels/{uuid.uuid4()}/channels?session_id={uuid.uuid4()}"
            async with websockets.connect(uri, max_size=None, open_timeout=60) as ws:
                await ws.send(message)
                try:
                    await asyncio.wait_for(ws.recv(), timeout=10)
                except websockets.ConnectionClosed as closed:
                    return closed.rcvd.code if closed.rcvd else None
                except TimeoutError:
                    return "open"
            return "answered"

        assert asyncio.run(send("x" * (MAX_WS_MESSAGE_BYTES + 1))) == 1009  # message too big: closed unread
        for junk in ("[" * 100_000 + "]" * 100_000, bytes(range(256)) * 16, "{{ not json"):
            asyncio.run(send(junk))
        time.sleep(2)
        text = log.read_text("utf-8", "replace")
        assert "Traceback" not in text, text[-2000:]
    finally:
        stop(proc)


def test_a_binary_message_claiming_billions_of_parts_is_refused_before_solara_reads_it(limits):
    """Solara builds a format string as long as the part count it reads: a junk count of two billion would cost
    gigabytes and stall the server, so the count is checked first (a ValueError: one log line, session closed)."""
    import struct

    with pytest.raises(ValueError, match="claims 2000000000 parts"):
        limits.check_binary_message(struct.pack("!i", 2_000_000_000) + b"\0" * 64)
    with pytest.raises(ValueError, match="shorter than its header"):
        limits.check_binary_message(b"\x00\x00")
    good = struct.pack("!iI", 1, 8) + b'{"a": 1}'
    limits.check_binary_message(good)  # a well-formed one-part message passes
