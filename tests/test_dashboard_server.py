"""The dashboard serves only what it ships: scenarios by name, limits on the server, unique saves,
no traceback in the browser, one line for a busy port, and the server stops with its command."""

from __future__ import annotations

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
    monkeypatch.setattr(app, "ROOMS_DIR", tmp_path / "rooms")
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
