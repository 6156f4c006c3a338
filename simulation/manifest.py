"""Manifests: what is needed to reproduce a run or a sweep."""

from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__


def git_commit(path: Path | None = None) -> str | None:
    """The git commit of the checkout this package runs from, if any (clean or not)."""
    where = Path(__file__).resolve().parent if path is None else path
    try:
        out = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
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


def base_manifest(kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "package": "alliance-sim",
        "version": __version__,
        "git_commit": git_commit(),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": {d: _version(d) for d in ("mesa", "numpy", "pandas", "pyarrow", "pydantic")},
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n", "utf-8")
    tmp.replace(path)
