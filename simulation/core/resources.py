"""Shipped files (scenarios, sweep files, schemas, seminar material) and how names resolve to them.

In a checkout the top-level folders ``scenarios/``, ``experiments/``, ``schemas/`` and ``seminar/``
are the source of truth; a built wheel carries copies under ``simulation/data/<kind>/`` (see
``setup.py``). :func:`shipped_dir` finds whichever exists, so the same code works in both.

A *reference* to a scenario or sweep file is either a path to a user's file or the bare name of a
shipped one (``baseline_2018_2021``). A path that exists always wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simulation.core.errors import InputError
from simulation.core.paths import shipped_dir

#: Optional extras, and the top-level modules whose absence means the extra is missing.
EXTRAS: dict[str, tuple[str, ...]] = {
    "dashboard": ("solara", "ipyvue", "ipyvuetify", "reacton"),
    "dask": ("dask", "distributed"),
    "analysis": ("ema_workbench",),
    "smc": ("pyabc",),
    "search": ("pymoo",),
}


@dataclass(frozen=True)
class ShippedFile:
    """One shipped scenario or sweep file: its bare name, path and title.

    Parameters
    ----------
    name
        The bare name commands accept (the file's stem), e.g. ``baseline_2018_2021``.
    path
        The file in the package.
    title
        The file's ``title:``.
    """

    name: str
    path: Path
    title: str


def _title(path: Path) -> str:
    """The file's ``title:`` line, read without parsing the whole file (listing stays fast)."""
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("title:"):
            return line[len("title:") :].strip().strip("\"'")
    return ""


def shipped(kind: str) -> list[ShippedFile]:
    """Shipped ``kind`` files ("scenarios" or "experiments"), sorted by name.

    Parameters
    ----------
    kind
        ``"scenarios"`` or ``"experiments"``.

    Returns
    -------
    list of ShippedFile
        Every shipped file of that kind.
    """
    folder = shipped_dir(kind)
    return [ShippedFile(p.stem, p, _title(p)) for p in sorted(folder.glob("*.yaml"))]


def _is_bare_name(ref: str) -> bool:
    return "/" not in ref and "\\" not in ref and Path(ref).suffix in ("", ".yaml", ".yml")


def resolve_ref(
    ref: str | Path,
    kind: str = "scenarios",
    relative_to: Path | None = None,
    source: str | Path | None = None,
    field: str | None = None,
) -> Path:
    """The file a reference names: an existing path (relative to ``relative_to`` if given, else
    the current directory), otherwise the shipped ``kind`` file of that bare name.

    Parameters
    ----------
    ref
        A path, or the bare name of a shipped file.
    kind
        Where shipped files of that name are looked for: ``"scenarios"`` (default) or ``"experiments"``.
    relative_to
        The folder a relative path is read from (e.g. the sweep file's), else the current directory.
    source
        The file that holds the reference, named in errors.
    field
        The field that holds the reference, named in errors.

    Returns
    -------
    pathlib.Path
        The file (a path that does not exist only when no ``field`` names it: its reader then says so).

    Raises
    ------
    InputError
        Neither a file nor a shipped one of that name (one line naming ``source`` and ``field``).
    """
    text = str(ref)
    path = Path(text).expanduser()
    if not path.is_absolute() and relative_to is not None:
        path = relative_to / path
    if path.exists():
        return path
    if _is_bare_name(text):
        candidate = shipped_dir(kind) / f"{Path(text).stem}.yaml"
        if candidate.is_file():
            return candidate
        known = ", ".join(f.name for f in shipped(kind))
        what = "scenario" if kind == "scenarios" else "sweep"
        raise InputError(
            source or text, field, f"{what} file not found: {text} (nor a shipped {what} of that name: {known})"
        )
    if field is not None:
        what = "scenario" if kind == "scenarios" else "sweep"
        raise InputError(source or text, field, f"{what} file not found: {text}")
    return path  # the reader says it is missing, naming the file


def missing_extra(err: ModuleNotFoundError) -> str | None:
    """The optional extra whose absence raised ``err`` (``None`` if it is not an extra's module).

    Parameters
    ----------
    err
        The error an import raised.

    Returns
    -------
    str or None
        The extra's name (e.g. ``smc``), or None.
    """
    top = (err.name or "").split(".")[0]
    for extra, modules in EXTRAS.items():
        if top in modules:
            return extra
    return None


def missing_extra_message(err: ModuleNotFoundError) -> str | None:
    """One line naming the extra to install, or ``None`` if ``err`` is not about an extra.

    Parameters
    ----------
    err
        The error an import raised.

    Returns
    -------
    str or None
        E.g. ``this needs the 'smc' extra (pyabc is not installed): pip install 'alliance-sim[smc]'``.
    """
    extra = missing_extra(err)
    if extra is None:
        return None
    return f"this needs the '{extra}' extra ({err.name} is not installed): pip install 'alliance-sim[{extra}]'"
