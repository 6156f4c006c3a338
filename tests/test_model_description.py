"""MODEL.md (ODD) cannot drift from the code: every rule, term, level, family, rule of policy and
parameter field is described, and the parameter appendix is the registry's.

The lists are read from the code (the functions defined in kernels.py, terms.TERMS, the ladder,
the registry, Params), never written out here.
"""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path

import pytest

from simulation.core.ladder import LEVEL_LABELS
from simulation.reporting import odd
from simulation.rules import kernels, rng
from simulation.rules.params import Params
from simulation.rules.terms import TERMS
from simulation.world.policies import POLICY_RULES
from simulation.world.scenario import Event
from tests.conftest import ROOT

MODEL = (ROOT / "MODEL.md").read_text("utf-8")
BODY = MODEL.split(odd.START)[0]


def _tree(module) -> ast.Module:
    return ast.parse(Path(module.__file__).read_text("utf-8"))


def _defs(module, private: bool) -> list[str]:
    tree = _tree(module)
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and (private or not n.name.startswith("_"))]


def _section(title: str) -> str:
    start = BODY.index(title)
    end = BODY.index("\n## ", start + 1) if "\n## " in BODY[start + 1 :] else len(BODY)
    nxt = BODY.find("\n### ", start + 1)
    return BODY[start : min(end, nxt) if nxt > 0 else end]


@pytest.mark.parametrize("name", _defs(kernels, private=True) + _defs(rng, private=False))
def test_every_rule_function_is_described(name):
    assert f"`{name}`" in BODY


def test_the_month_is_described_in_the_order_advance_run_calls_the_rules():
    """The numbered list of 1.3 names the rules advance_run calls as statements, in their order."""
    tree = _tree(kernels)
    (advance,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "advance_run"]
    rules = set(_defs(kernels, private=True))
    statements = [
        n for n in ast.walk(advance)
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name)
        and n.value.func.id in rules
    ]  # fmt: skip
    called = [n.value.func.id for n in sorted(statements, key=lambda n: n.lineno)]
    listed = re.findall(r"^\d+\. `(\w+)`", _section("### 1.3"), flags=re.M)
    assert len(called) >= 8 and listed == called


def _term_row(name: str) -> str:
    rows = [line for line in BODY.splitlines() if line.startswith(f"| `{name}`")]
    assert len(rows) == 1, f"the term {name} needs exactly one row in the terms table"
    return rows[0]


@pytest.mark.parametrize("t", TERMS, ids=[t.name for t in TERMS])
def test_every_utility_term_is_described_with_sign_weight_equation_and_source(t):
    cells = [c.strip() for c in _term_row(t.name).strip("|").split("|")]
    assert len(cells) == 6, cells
    _, rung, sign, weight, equation, source = cells
    assert rung == t.rung
    assert sign.startswith("+" if t.sign > 0 else "-")
    assert weight == f"`{t.weight}`"
    assert equation.startswith("`") and equation.endswith("`") and len(equation) > 2
    assert source == t.rests_on  # the document and its quote, verbatim


@pytest.mark.parametrize("level, label", list(enumerate(LEVEL_LABELS)))
def test_every_ladder_level_is_described(level, label):
    assert f"{label} ({level})" in BODY


def test_every_registry_family_is_described(registry):
    missing = sorted({p.family for p in registry if not re.search(rf"`{p.family}[`.]", BODY)})
    assert missing == []


@pytest.mark.parametrize("rule", list(POLICY_RULES))
def test_every_policy_rule_is_described(rule):
    table = _section("**`apply_policy`**")
    assert f"| `{rule}` |" in table


@pytest.mark.parametrize("field", Params._fields)
def test_every_parameter_field_is_described(field):
    assert f"`{field}`" in _section("### 3.1")


def _event_kinds() -> list[str]:
    union = typing.get_args(Event)[0]
    return [typing.get_args(cls.model_fields["kind"].annotation)[0] for cls in typing.get_args(union)]


@pytest.mark.parametrize("kind", _event_kinds())
def test_every_scheduled_event_kind_is_described(kind):
    assert f"`{kind}`" in _section("### 3.2")


def test_parameter_appendix_matches_the_registry():
    assert odd.appendix() in MODEL, "run `python -m simulation.reporting.odd` to refresh MODEL.md"
