"""Start the dashboard server: ``alliance-sim dashboard [SCENARIO] [--port N] [--host H]``.

Listens on 127.0.0.1 unless told otherwise, with Solara's telemetry off and its JavaScript/CSS
served from the local asset cache (filled by ``python -m simulation.dashboard.assets``, which the
set-up runs), so it works with no internet access. The server runs in a child process that
stops with its parent: Ctrl-C or SIGTERM to ``alliance-sim dashboard`` stops it too.
"""

from __future__ import annotations

import errno
import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path

from simulation.core.errors import InputError

PORT_RANGE = (1024, 65535)
#: The largest websocket message the server reads (uvicorn's ``ws_max_size``; its default is 16 MiB): a saved
#: room (at most 2 MB, sent as JSON text) fits with room to spare; a larger message closes that page's connection.
MAX_WS_MESSAGE_BYTES = 8 * 2**20


def lan_address() -> str:
    """This machine's address on its local network (no packet is sent), or 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def public_url(host: str, port: int) -> str:
    """The address students type: the machine's LAN address when listening on every interface."""
    shown = lan_address() if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


def dashboard_env(
    scenario: Path | None,
    host: str = "127.0.0.1",
    port: int = 8765,
    rooms_dir: Path | None = None,
    instructor_key: str | None = None,
) -> dict[str, str]:
    env = dict(os.environ)
    env["ALLIANCE_SIM_INSTRUCTOR_KEY"] = instructor_key or new_instructor_key()
    env.update(
        {
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
            "SOLARA_TELEMETRY_SENTRY_ENABLE": "false",
            "SOLARA_ASSETS_PROXY": "true",
            "SOLARA_THEME_SHOW_BANNER": "false",
            "MPLBACKEND": "Agg",
            "PYTHONWARNINGS": "ignore:Cookies with samesite=none",
            # a laptop that drops off frees its session after 2 minutes (a closed page at once); the room
            # keeps the seat and the seat code gets it back
            "SOLARA_KERNEL_CULL_TIMEOUT": os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT", "2m"),
            "ALLIANCE_SIM_PUBLIC_URL": public_url(host, port),
        }
    )
    if scenario is not None:
        env["ALLIANCE_SIM_SCENARIO"] = scenario.stem
        env["ALLIANCE_SIM_SCENARIOS"] = str(scenario.resolve().parent)
    if rooms_dir is not None:
        env["ALLIANCE_SIM_ROOMS_DIR"] = str(rooms_dir.resolve())
    return env


def check_scenario_for_rooms(path: Path) -> None:
    """Everything a room on this scenario would refuse, before a server starts: the file, its size as a
    room and its reference scenario (which a run resolves only later)."""
    from simulation.teaching.rooms import check_room_size
    from simulation.world.resolve import resolve
    from simulation.world.scenario import load_scenario, scenario_path

    source = scenario_path(path)
    scenario = load_scenario(source)
    check_room_size(scenario, source)
    try:
        resolve(scenario).reference  # noqa: B018 - resolving the reference is the check
    except InputError as err:
        raise InputError(source, err.field, err.message) from None
    except ValueError as exc:
        raise InputError(source, "reference_scenario", str(exc)) from None


def new_instructor_key() -> str:
    return secrets.token_urlsafe(12)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_port(host: str, port: int) -> None:
    """One line if the port is out of range or already taken, before any server starts."""
    lo, hi = PORT_RANGE
    if not lo <= port <= hi:
        raise InputError(None, "--port", f"{port} is out of range (allowed: {lo} to {hi})")
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError(
                    None, "--port", f"port {port} is already in use: try another, e.g. --port {port + 1}"
                ) from None
            raise InputError(None, "--host", f"cannot listen on {host}:{port} ({exc.strerror})") from None


def command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The server's command line: Solara's ``run``, through :func:`run_solara` (the websocket size limit)."""
    return [
        sys.executable,
        "-m",
        "simulation.dashboard.server",
        "run",
        "simulation.dashboard.app",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--log-level",
        "warning",
    ]


def start(
    scenario: Path | None,
    port: int | None,
    host: str = "127.0.0.1",
    rooms_dir: Path | None = None,
    instructor_key: str | None = None,
    log: Path | None = None,
) -> subprocess.Popen:
    """Start the server in a child process (used by the CLI and the browser tests).

    The returned process carries ``instructor_key``: the key that opens, restores, advances and
    closes rooms on this server (given, or made fresh here).
    """
    from simulation.dashboard.assets import fill, missing

    if scenario is not None:
        check_scenario_for_rooms(scenario)  # a bad file or a missing reference fails here, in one line
    if rooms_dir is not None and rooms_dir.exists() and not rooms_dir.is_dir():
        raise InputError(rooms_dir, "--rooms-dir", "is not a folder")
    port = free_port() if port is None else port
    check_port(host, port)
    if missing():
        try:
            fill()
        except SystemExit as exc:
            raise InputError(None, "dashboard", str(exc).removeprefix("error: ")) from None
    key = instructor_key or new_instructor_key()
    out = None if log is None else open(log, "ab")  # noqa: SIM115 - the child holds it; closed below
    proc = subprocess.Popen(
        command(port, host),
        env=dashboard_env(scenario, host, port, rooms_dir, key),
        cwd=Path(__file__).resolve().parents[2],
        start_new_session=True,
        stdout=out,
        stderr=subprocess.STDOUT if out is not None else None,
    )
    if out is not None:
        out.close()
    proc.instructor_key = key  # type: ignore[attr-defined]
    proc.port = port  # type: ignore[attr-defined]
    return proc


def stop(proc: subprocess.Popen, timeout_s: float = 10) -> None:
    """Stop the server and everything it started (its own process group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout_s)


def run_solara(argv: list[str]) -> None:
    """Solara's command line, with uvicorn's websocket message limit set to ``MAX_WS_MESSAGE_BYTES`` (Solara's
    ``run`` has no option for it)."""
    import uvicorn

    original = uvicorn.Config.__init__

    def init(self, *args, **kwargs):
        kwargs["ws_max_size"] = min(int(kwargs.get("ws_max_size") or MAX_WS_MESSAGE_BYTES), MAX_WS_MESSAGE_BYTES)
        original(self, *args, **kwargs)

    uvicorn.Config.__init__ = init  # type: ignore[method-assign]
    from solara.__main__ import cli

    cli(argv)


def serve(proc: subprocess.Popen) -> int:
    """Wait for the server; Ctrl-C or SIGTERM to this process stops the server first."""

    def on_term(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        stop(proc)
        return 0
    finally:
        stop(proc)
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # the server's child process (see command())
    run_solara(sys.argv[1:])
