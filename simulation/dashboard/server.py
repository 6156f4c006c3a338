"""Start the dashboard server: ``alliance-sim dashboard [SCENARIO] [--port N]``.

Listens on 127.0.0.1 only, with Solara's telemetry off and its JavaScript/CSS served from
the local asset cache (filled by ``python -m simulation.dashboard.assets``, which the set-up
runs), so it works with no internet access.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from ..errors import InputError


def dashboard_env(scenario: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
        "SOLARA_TELEMETRY_SENTRY_ENABLE": "false",
        "SOLARA_ASSETS_PROXY": "true",
        "SOLARA_THEME_SHOW_BANNER": "false",
        "MPLBACKEND": "Agg",
    })
    if scenario is not None:
        env["ALLIANCE_SIM_SCENARIO"] = scenario.stem
        env["ALLIANCE_SIM_SCENARIOS"] = str(scenario.resolve().parent)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def command(port: int, host: str = "127.0.0.1") -> list[str]:
    return [sys.executable, "-m", "solara", "run", "simulation.dashboard.app", "--host", host,
            "--port", str(port), "--production", "--no-open", "--log-level", "warning"]


def start(scenario: Path | None, port: int | None, host: str = "127.0.0.1") -> subprocess.Popen:
    """Start the server in a child process (used by the CLI and the browser tests)."""
    from .assets import fill, missing

    if scenario is not None:
        from ..scenario import load_scenario

        load_scenario(scenario)  # a bad file fails here, with a one-line error
    if missing():
        try:
            fill()
        except SystemExit as exc:
            raise InputError(None, "dashboard", str(exc).removeprefix("error: ")) from None
    port = free_port() if port is None else port
    return subprocess.Popen(command(port, host), env=dashboard_env(scenario), cwd=Path(__file__).resolve().parents[2])
