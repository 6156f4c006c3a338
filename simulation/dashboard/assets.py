"""Offline assets for the dashboard.

Solara's server loads its JavaScript and CSS from a public CDN through a local proxy cache
(``<prefix>/share/solara/cdn``). Classrooms are often offline, so the set-up fills that cache
ahead of time: it reads which npm packages (and versions) the installed Solara asks for, and
unpacks each, fetched with the ordinary npm client (``npm pack``), to ``<cache>/<name>@<version>/``.

    python -m simulation.dashboard.assets               # fill the cache (idempotent)
    python -m simulation.dashboard.assets --check       # exit 1 if something is missing
    python -m simulation.dashboard.assets --test-tools  # axe-core for the browser tests' accessibility check

The browser tests' accessibility check injects axe-core (npm) into the page; ``--test-tools``
unpacks it, pinned, to ``<prefix>/share/alliance-sim/npm/axe-core@VERSION/`` beside Solara's cache
in the environment (the set-up's test task runs it, so a clean clone and CI have it).
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


#: npm packages the browser tests use (pinned), unpacked in the environment (not in the checkout).
TEST_TOOLS = {"axe-core": "4.10.2"}


def test_tools_dir() -> Path:
    return Path(sys.prefix) / "share" / "alliance-sim" / "npm"


def axe_script() -> Path:
    """Where axe-core's script is once ``--test-tools`` has run."""
    return test_tools_dir() / f"axe-core@{TEST_TOOLS['axe-core']}" / "axe.min.js"


def fill_test_tools() -> list[str]:
    dest = test_tools_dir()
    todo = [f"{n}@{v}" for n, v in TEST_TOOLS.items() if not (dest / f"{n}@{v}" / "package.json").exists()]
    return _unpack(todo, dest)


def missing(cache: Path | None = None) -> list[str]:
    cache = cache_dir() if cache is None else cache
    return [f"{n}@{v}" for n, v in wanted().items() if not (cache / f"{n}@{v}" / "package.json").exists()]


def fill(cache: Path | None = None) -> list[str]:
    """Fetch and unpack every missing package; returns what was added."""
    cache = cache_dir() if cache is None else cache
    return _unpack(missing(cache), cache)


def _unpack(todo: list[str], cache: Path) -> list[str]:
    """``npm pack`` each ``name@version`` and unpack it to ``cache/name@version``."""
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
    parser.add_argument("--test-tools", action="store_true", help="also fetch axe-core for the browser tests")
    args = parser.parse_args()
    if args.test_tools:
        added = fill_test_tools()
        print(
            f"added {', '.join(added)} to {test_tools_dir()}" if added else f"test tools present in {test_tools_dir()}"
        )
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
