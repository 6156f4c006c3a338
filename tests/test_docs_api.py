"""Every object the API reference lists (docs/api.md's ``::: dotted.path`` entries; for a module, its public
functions and classes; for a class, its constructor and public methods) has a numpy-style docstring the docs
site can render: a Parameters section naming every parameter (self and cls aside), and a Returns (or, for a
generator, Yields) section unless it returns None. Parsed with griffe, the parser the docs site uses."""

from __future__ import annotations

import importlib
import logging
import re

import griffe
import pytest

from tests.conftest import ROOT

ENTRIES = re.findall(r"^::: ([\w.]+)\s*$", (ROOT / "docs" / "api.md").read_text("utf-8"), re.MULTILINE)


def _import(path: str) -> object:
    """The object at a dotted path, imported as a reader of the reference would."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)


@pytest.fixture(scope="module")
def package() -> griffe.Module:
    return griffe.load("simulation", search_paths=[str(ROOT)], docstring_parser="numpy")


def _public(members: dict) -> list:
    return [m for name, m in members.items() if not name.startswith("_") and not m.is_alias]


def documented(package: griffe.Module, path: str) -> list[griffe.Object]:
    """The callables an entry puts on the page: a function; a class and its public methods; a module's public
    functions and classes (with their methods): those of its ``__all__``, else those defined in it."""
    obj = package[path.removeprefix("simulation.")]
    if obj.is_function:
        return [obj]
    if obj.is_class:
        methods = [m for m in _public(obj.members) if m.is_function and "property" not in m.labels]
        return [obj, *methods]
    if obj.is_module:  # its ``__all__`` when it has one (re-exports included, as the page shows them)
        names = [str(n) for n in obj.exports] if obj.exports is not None else [m.name for m in _public(obj.members)]
        found = []
        for name in names:
            member = obj.members.get(name)
            if name.startswith("_") or member is None:
                continue
            target = member.final_target if member.is_alias else member
            if target.path.startswith("simulation.") and (target.is_function or target.is_class):
                found += documented(package, target.path)
        return found
    return []  # a constant (OUTCOMES): its comment is its documentation


def _signature(obj: griffe.Object) -> tuple[list[str], str | None, bool]:
    """Parameter names (self and cls aside; ``*args``, ``**kwargs`` with their stars), the return annotation
    (a class: its constructor's, None) and whether it is a generator (annotated ``Iterator`` or ``Generator``)."""
    stars = {"variadic positional": "*", "variadic keyword": "**"}
    names = [stars.get(p.kind.value, "") + p.name for p in obj.parameters if p.name not in ("self", "cls")]
    if obj.is_class:
        return names, "None", False
    returns = None if obj.returns is None else str(obj.returns)
    yields = bool(re.match(r"(collections\.abc\.|typing\.)?(Iterator|Generator)\b", returns or ""))
    return names, returns, yields


def docstring_problems(obj: griffe.Object) -> list[str]:
    """What the docs site would miss in one object's docstring."""
    where = f"{obj.path} ({obj.relative_filepath}:{obj.lineno})"
    names, returns, yields = _signature(obj)
    if obj.docstring is None:
        return [f"{where}: no docstring"]
    warnings: list[str] = []
    handler = _Collect(warnings)
    logger = logging.getLogger("griffe")
    logger.addHandler(handler)
    try:
        sections = obj.docstring.parse("numpy")
    finally:
        logger.removeHandler(handler)
    kinds = {s.kind.value: s for s in sections}
    problems = [f"{where}: {w}" for w in warnings]
    if names:
        given = [p.name for p in kinds["parameters"].value] if "parameters" in kinds else []
        missing = [n for n in names if n not in given and n.lstrip("*") not in given]
        if missing:
            problems.append(f"{where}: Parameters section does not name {', '.join(missing)}")
    if not obj.is_class and returns not in ("None", "NoReturn"):
        wanted = "yields" if yields else "returns"
        if wanted not in kinds:
            problems.append(f"{where}: no {wanted.capitalize()} section")
    return problems


class _Collect(logging.Handler):
    def __init__(self, into: list[str]):
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


def test_the_reference_lists_entries_that_import():
    assert len(ENTRIES) >= 20
    for path in ENTRIES:
        assert _import(path) is not None, path


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_listed_object_has_parameter_and_return_sections(package, entry):
    objects = documented(package, entry)
    assert objects or entry.endswith(".OUTCOMES"), f"{entry}: nothing documented"
    problems = [p for obj in objects for p in docstring_problems(obj)]
    assert not problems, "\n".join(problems)


def _visit(code: str) -> griffe.Module:
    return griffe.visit("toy", filepath=ROOT / "toy.py", code=code, docstring_parser="numpy")


def test_the_rule_sees_a_missing_parameter_a_missing_return_and_a_misnamed_parameter():
    prose = _visit('def f(a: int, *rest: int) -> int:\n    """Prose only."""\n')["f"]
    assert [p.split(": ", 1)[1] for p in docstring_problems(prose)] == [
        "Parameters section does not name a, *rest",
        "no Returns section",
    ]
    complete = _visit(
        'def f(a: int, *rest: int) -> int:\n    """Sum.\n\n    Parameters\n    ----------\n    a\n        First.\n'
        '    *rest\n        Others.\n\n    Returns\n    -------\n    int\n        The sum.\n    """\n'
    )["f"]
    assert docstring_problems(complete) == []
    misnamed = _visit(
        'def f(a: int) -> None:\n    """Do.\n\n    Parameters\n    ----------\n    b\n        Not there.\n    """\n'
    )["f"]
    assert any("does not appear in the function signature" in p for p in docstring_problems(misnamed))
    generator = _visit('def f() -> Iterator[int]:\n    """Count."""\n    yield 1\n')["f"]
    assert docstring_problems(generator)[-1].endswith("no Yields section")
