"""User-facing errors: one line naming the file, the field and what is allowed."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input from a user file or argument. The CLI prints ``str(err)`` and exits 2."""

    def __init__(self, source: str | Path | None, field: str | None, message: str):
        self.source = None if source is None else str(source)
        self.field = field
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        parts = [p for p in (self.source, self.field) if p]
        prefix = ": ".join(parts)
        text = f"{prefix}: {self.message}" if prefix else self.message
        return " ".join(text.split())


def format_loc(loc: tuple[object, ...]) -> str:
    """Render a pydantic error location as a dotted field path (``pressure.targets.Russia[0].tariffs``)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"
