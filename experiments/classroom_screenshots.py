"""Regenerate the classroom screenshots in docs/screenshots from the browser tests.

    PYTHONPATH=$PWD python experiments/classroom_screenshots.py

The browser tests write their screenshots to a temporary folder, so a test run never changes a
tracked file. This script runs the tests that take the documented screenshots with
``ALLIANCE_SIM_SCREENSHOTS`` pointing at docs/screenshots: the join form and a team's turn on a
phone (390x844), a team's turn on a laptop (1366x768), the projector and the first page of the
debrief (1920x1080) and the instructor's console (1366x768). Look at each one after running it.
Needs Chromium and Playwright (as the browser tests do).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screenshots"
TESTS = "readable_from_the_back_row or phone_shows_the_team_page or first_screen or debrief_fits_the_projector"


def main() -> int:
    SHOTS.mkdir(parents=True, exist_ok=True)
    before = {p.name: p.stat().st_mtime for p in SHOTS.glob("*.png")}
    env = {**os.environ, "ALLIANCE_SIM_SCREENSHOTS": str(SHOTS), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "pytest", "-q", "tests/test_dashboard_browser.py", "-k", TESTS]
    print("+", " ".join(cmd), flush=True)
    code = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
    for p in sorted(SHOTS.glob("*.png")):
        state = "new" if p.name not in before else "rewritten" if p.stat().st_mtime != before[p.name] else "unchanged"
        print(f"{state:>9}  {p.relative_to(ROOT)}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
