"""Keep MODEL.md's parameter appendix in step with the registry: ``python -m simulation.reporting.odd``."""

from __future__ import annotations

import sys
from pathlib import Path

from simulation.world.registry import default_registry, registry_markdown

START, END = "<!-- registry:start -->", "<!-- registry:end -->"


def appendix() -> str:
    table = registry_markdown(default_registry()).split("\n", 4)[4]  # drop the page title
    return f"{START}\n{table.strip()}\n{END}"


def refresh(path: Path) -> bool:
    """Rewrite the appendix of ``path``; returns True if it changed."""
    text = path.read_text("utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = head + appendix() + tail
    if new != text:
        path.write_text(new, "utf-8")
        return True
    return False


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "MODEL.md"
    print(f"{target}: {'updated' if refresh(target) else 'already current'}")
