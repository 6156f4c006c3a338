"""The code stays readable in pieces: no module of the package over 800 lines, and no function over 80 lines
(its ``def`` to its last line, docstring included) unless a one-line comment directly above it says why."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80


def _reason_above(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The comment (of three words or more) on the line directly above the ``def`` or above its first
    decorator, or None."""
    for first in (node.lineno, min([node.lineno, *(d.lineno for d in node.decorator_list)])):
        above = lines[first - 2].strip() if first >= 2 else ""
        text = above.removeprefix("#").strip()
        if above.startswith("#") and len(text.split()) >= 3:
            return text
    return None


def shape_problems(source: str, name: str) -> list[str]:
    """What breaks the rule in one module's source: its length, and each long function without a reason."""
    lines = source.splitlines()
    problems = []
    if len(lines) > MAX_MODULE_LINES:
        problems.append(f"{name}: {len(lines)} lines (at most {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES and _reason_above(lines, node) is None:
                problems.append(
                    f"{name}:{node.lineno} {node.name}: {length} lines (at most {MAX_FUNCTION_LINES}, "
                    "or a one-line comment above it saying why)"
                )
    return problems


def test_no_long_module_and_no_long_function_without_a_reason():
    problems = []
    for path in sorted((ROOT / "simulation").rglob("*.py")):
        problems += shape_problems(path.read_text("utf-8"), str(path.relative_to(ROOT)))
    assert not problems, "\n".join(problems)


def _function(lines: int, above: str = "", decorated: bool = False) -> str:
    body = "".join(f"    x{k} = {k}\n" for k in range(lines - 1))
    return f"{above}{'@decorator' + chr(10) if decorated else ''}def f():\n{body}"


def test_the_rule_sees_a_long_function_a_long_module_and_accepts_a_reason():
    assert shape_problems(_function(80), "m.py") == []
    assert len(shape_problems(_function(81), "m.py")) == 1  # one line over
    assert shape_problems(_function(81, "# one table of every case, read top to bottom\n"), "m.py") == []
    assert shape_problems(_function(81, "# why it is long\n", decorated=True), "m.py") == []
    between = _function(81, decorated=True).replace("def f", "# one table of every case\ndef f")
    assert shape_problems(between, "m.py") == []  # between the decorator and the def
    assert len(shape_problems(_function(81, "# two words\n"), "m.py")) == 1  # a reason says why: three words or more
    assert len(shape_problems(_function(81, "#\n"), "m.py")) == 1  # an empty comment is no reason
    assert len(shape_problems(_function(81, "x = 1  # a comment on code\n"), "m.py")) == 1
    nested = "def outer():\n" + "".join("    " + line + "\n" for line in _function(81).splitlines())
    assert len(shape_problems(nested, "m.py")) == 2  # the inner function too
    long_module = "x = 1\n" * 801
    assert shape_problems(long_module, "m.py") == ["m.py: 801 lines (at most 800)"]
