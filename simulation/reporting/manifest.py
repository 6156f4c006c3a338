"""Manifests: what is needed to reproduce a run or a sweep."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from simulation._version import __version__
from simulation.behaviour import pending_calibration


def git_commit(path: Path | None = None) -> str | None:
    """The git commit of the checkout this package runs from, if any (clean or not).

    Parameters
    ----------
    path
        A folder inside the checkout (default: this package's).

    Returns
    -------
    str or None
        The commit hash, with ``-dirty`` when tracked files changed; None outside a checkout or without git.
    """
    where = Path(__file__).resolve().parent if path is None else path
    try:
        out = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    commit = out.stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=5,
    )
    return commit + ("-dirty" if dirty.stdout.strip() else "")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


#: Used when the package is not installed (a bare checkout): the core dependencies.
_FALLBACK = (
    "mesa",
    "numpy",
    "numba",
    "llvmlite",
    "pandas",
    "pyarrow",
    "pydantic",
    "PyYAML",
    "matplotlib",
    "networkx",
    "rich",
    "scipy",
    "SALib",
    "pyabc",
    "tabulate",
    "Markdown",
)
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def dependency_names() -> list[str]:
    """Every declared dependency of alliance-sim (extras included), from the installed metadata.

    Returns
    -------
    list of str
        Distribution names, sorted case-insensitively (the core set when the package is not installed).
    """
    try:
        requires = metadata.requires("alliance-sim") or []
    except metadata.PackageNotFoundError:
        return list(_FALLBACK)
    names = {m.group(1) for r in requires if (m := _NAME.match(r))}
    names.update(_FALLBACK)  # the core set, even where the installed metadata is older than the code
    return sorted(names, key=str.lower)


def library_versions() -> dict[str, str | None]:
    """Installed version of alliance-sim and of every dependency (None: not installed).

    Returns
    -------
    dict
        Distribution name -> version, or None.
    """
    out = {"alliance-sim": _version("alliance-sim")}
    out.update({name: _version(name) for name in dependency_names()})
    return out


def base_manifest(kind: str) -> dict[str, Any]:
    """The fields every manifest starts with: what made it, when, with which command, Python, platform and
    library versions (and the parameters not yet calibrated, when there are any).

    Parameters
    ----------
    kind
        What the manifest describes, e.g. ``run``, ``sweep``, ``posterior``.

    Returns
    -------
    dict
        The fields, ready for JSON.
    """
    return {
        "kind": kind,
        "package": "alliance-sim",
        "version": __version__,
        "git_commit": git_commit(),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "libraries": library_versions(),
        **_pending_calibration(),
    }


def _pending_calibration() -> dict[str, Any]:
    """``not_yet_calibrated``: calibrated parameters the shipped posterior lacks, run at their registry value
    (added since the last calibration); absent when there are none."""
    pending = pending_calibration()
    return {"not_yet_calibrated": pending} if pending else {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write a manifest as indented JSON, atomically (a reader never sees half a file).

    Parameters
    ----------
    path
        The file to write.
    data
        The manifest (values JSON cannot hold are written as text).
    """
    from simulation.core.io import write_atomic

    write_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
