"""MODEL.md (ODD) cannot drift from the code: every rule, term, level and parameter is described."""

from __future__ import annotations

import inspect

import pytest

from simulation import odd
from simulation.rules import consent, environment, events, step, utility
from simulation.state import LEVEL_LABELS
from tests.conftest import ROOT

MODEL = (ROOT / "MODEL.md").read_text("utf-8")
BODY = MODEL.split(odd.START)[0]


def _rule_functions():
    for module in (environment, utility, consent, events, step):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                yield name


@pytest.mark.parametrize("name", sorted(set(_rule_functions())))
def test_every_rule_function_is_described(name):
    assert f"`{name}`" in BODY or f"**{name}**" in BODY


@pytest.mark.parametrize("term", utility.TERMS)
def test_every_utility_term_is_described(term):
    assert term in BODY and f"weight.{term}" in BODY


@pytest.mark.parametrize("label", LEVEL_LABELS)
def test_every_ladder_level_is_described(label):
    assert label in BODY


def test_every_registry_family_is_described(registry):
    missing = sorted({p.family for p in registry if p.family not in BODY})
    assert missing == []


def test_parameter_appendix_matches_the_registry():
    assert odd.appendix() in MODEL, "run `python -m simulation.odd` to refresh MODEL.md"
