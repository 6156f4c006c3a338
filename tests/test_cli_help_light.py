"""The first command a user types answers at once: the top-level help and every command's help load none
of the heavy libraries (pandas, pyarrow, numba, matplotlib, scipy); the commands load them when they run."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("pandas", "pyarrow", "numba", "matplotlib", "scipy")

#: In a fresh interpreter: build the parser, print every help through main(), report what is loaded.
PROBE = """
import argparse, contextlib, io, json, sys
from simulation.cli.app import build_parser, main
parser = build_parser()
(sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
codes = {}
for argv in [["--help"], ["-h"], *([name, "--help"] for name in sub.choices)]:
    with contextlib.redirect_stdout(io.StringIO()):
        codes[" ".join(argv)] = main(argv)
heavy = sorted(name for name in sys.modules if name.split(".")[0] in %r)
print(json.dumps({"codes": codes, "heavy": heavy}))
"""


def test_help_loads_no_heavy_library():
    proc = subprocess.run(
        [sys.executable, "-c", PROBE % (HEAVY,)], cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(report["codes"]) > 20 and set(report["codes"].values()) == {0}, report["codes"]
    assert report["heavy"] == [], f"--help loaded {sorted({m.split('.')[0] for m in report['heavy']})}"


def test_the_probe_would_see_a_heavy_library_loaded():
    """The check above can fail: the same probe after running code that needs pandas reports it."""
    probe = PROBE.replace("heavy = sorted", "import simulation.analysis.compare\nheavy = sorted")
    proc = subprocess.run(
        [sys.executable, "-c", probe % (HEAVY,)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "pandas" in json.loads(proc.stdout.strip().splitlines()[-1])["heavy"]
