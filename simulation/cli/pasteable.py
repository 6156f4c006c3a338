"""Commands the tool prints for pasting: they start with the program as a new shell in this folder finds it.

A virtual environment's ``bin`` is on PATH only while it is activated, so a printed ``alliance-sim ...`` fails
in a new shell after ``./tasks setup`` (``bash: alliance-sim: command not found``). The rule:

- ``alliance-sim`` when the command on PATH is this very program and PATH does not hold it only because a
  virtual environment (or conda environment) is activated, e.g. a ``pipx`` or ``pip install --user`` install;
- otherwise the console script's path: relative to the current folder when it lies inside it
  (``.venv/bin/alliance-sim`` in the project folder), else absolute;
- with no console script at all (a checkout never installed), ``<python> -m simulation.cli``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

NAME = "alliance-sim"


def _script() -> Path | None:
    """The console script of the interpreter running now (not resolved: a venv's bin may hold symlinks)."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.stem == NAME and argv0.is_file():
        return argv0.absolute()
    bindir = Path(sys.executable).parent
    for candidate in (bindir / NAME, bindir / f"{NAME}.exe"):
        if candidate.is_file():
            return candidate
    return None


def _activated_bins() -> set[Path]:
    """Folders on PATH only because an environment is activated in this shell (not in a new one)."""
    out = set()
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        if os.environ.get(var):
            out |= {Path(os.environ[var]) / "bin", Path(os.environ[var]) / "Scripts"}
    return out


def _same(a: Path | str, b: Path | str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when inside it (``.venv/bin/x``), else absolute."""
    path = path.absolute()
    try:
        inside = path.relative_to(Path.cwd())
    except ValueError:
        return str(path)
    return str(inside) if len(inside.parts) > 1 else f"./{inside}"  # a bare name would be looked up on PATH


def program() -> list[str]:
    """The words that start an ``alliance-sim`` command pasted into a new shell in the current folder."""
    script = _script()
    if script is None:
        python = Path(sys.executable)
        return [_shown(python) if python.is_absolute() else str(python), "-m", "simulation.cli"]
    found = shutil.which(NAME)
    if found and _same(found, script):
        activated = {p.absolute() for p in _activated_bins()}
        if Path(found).absolute().parent not in activated:
            return [NAME]
    return [_shown(script)]


def command(*words: str) -> str:
    """A command line to paste: the program, then ``words`` quoted for a POSIX shell."""
    return shlex.join([*program(), *words])
