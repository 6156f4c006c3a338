"""Offline assets for the dashboard.

Solara's server loads its JavaScript and CSS from a public CDN through a local proxy cache
(``<prefix>/share/solara/cdn``). Classrooms are often offline, so the set-up fills that cache
ahead of time: it reads which npm packages (and versions) the installed Solara asks for, and
unpacks each, fetched with the ordinary npm client (``npm pack``), to ``<cache>/<name>@<version>/``.

    python -m simulation.dashboard.assets          # fill the cache (idempotent)
    python -m simulation.dashboard.assets --check  # exit 1 if something is missing
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGES = (
    "@widgetti/solara-vuetify-app",
    "requirejs",
    "font-awesome",
    "@widgetti/vue-grid-layout",
    "mermaid",
    "katex",
)


def cache_dir() -> Path:
    import solara.server.settings as settings

    return Path(settings.assets.proxy_cache_dir)


def wanted() -> dict[str, str]:
    """npm packages (name -> version) that the installed Solara references."""
    import solara

    root = Path(solara.__file__).parent
    pattern = re.compile(r"(" + "|".join(re.escape(p) for p in PACKAGES) + r")@(\d+\.\d+\.\d+[\w.\-]*)")
    found: dict[str, str] = {}
    for path in root.rglob("*"):
        if path.suffix not in (".py", ".html", ".j2", ".js", ".vue") or not path.is_file():
            continue
        if path.suffix == ".js" and path.stat().st_size > 2_000_000:
            continue
        for name, version in pattern.findall(path.read_text("utf-8", errors="ignore")):
            found.setdefault(name, version)
    return found


def missing(cache: Path | None = None) -> list[str]:
    cache = cache_dir() if cache is None else cache
    return [f"{n}@{v}" for n, v in wanted().items() if not (cache / f"{n}@{v}" / "package.json").exists()]


def fill(cache: Path | None = None) -> list[str]:
    """Fetch and unpack every missing package; returns what was added."""
    cache = cache_dir() if cache is None else cache
    todo = missing(cache)
    if not todo:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "error: the dashboard's offline assets need npm (apt-get install npm) to fetch: " + ", ".join(todo)
        )
    added = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in todo:
            proc = subprocess.run(
                [npm, "pack", spec, "--silent", "--pack-destination", tmp], capture_output=True, text=True, timeout=300
            )
            if proc.returncode != 0:
                raise SystemExit(f"error: npm pack {spec} failed: {proc.stderr.strip().splitlines()[-1:]}")
            tarball = Path(tmp) / proc.stdout.strip().splitlines()[-1]
            target = cache / spec
            staging = Path(tmp) / (tarball.name + ".d")
            with tarfile.open(tarball) as tar:
                tar.extractall(staging, filter="data")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                shutil.rmtree(target)
            shutil.move(str(staging / "package"), target)
            added.append(spec)
    return added


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        gaps = missing()
        print("missing: " + ", ".join(gaps) if gaps else f"all dashboard assets present in {cache_dir()}")
        return 1 if gaps else 0
    added = fill()
    print(
        f"added {', '.join(added)} to {cache_dir()}" if added else f"dashboard assets already present in {cache_dir()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
