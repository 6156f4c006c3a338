"""Invariant 3 (provenance): every parameter has a source; quotes are verbatim; ranges span disagreements."""

from __future__ import annotations

import pytest

from simulation.world.registry import DocumentSource, normalise_text, registry_markdown


def test_every_parameter_has_a_source(registry):
    missing = [p.key for p in registry if len(p.sources) == 0]
    assert missing == []
    assert len(registry) > 100


def test_every_value_lies_in_its_range_and_bounds(registry):
    bad = [p.key for p in registry if not (p.min <= p.low <= p.value <= p.high <= p.max)]
    assert bad == []


def test_document_quotes_are_verbatim(registry, seeds):
    texts = {}
    problems = []
    for p in registry:
        for s in p.sources:
            if not isinstance(s, DocumentSource):
                continue
            path = seeds / s.document
            if not path.exists():
                problems.append(f"{p.key}: no such document {s.document}")
                continue
            if s.document not in texts:
                raw = path.read_text("utf-8")
                texts[s.document] = (
                    normalise_text(raw),
                    normalise_text(raw.replace("-\n", "")),
                )
            quote = normalise_text(s.quote)
            if not any(quote in t for t in texts[s.document]):
                problems.append(f"{p.key}: quote not found in {s.document}: {s.quote!r}")
    assert problems == []


@pytest.mark.parametrize(
    "key, reported",
    [
        ("vostok2018_chinese_troops", [3200, 3500]),  # 000/001 vs 002
        ("vostok2018_chinese_aircraft", [30, 6]),  # 000 vs 001
        ("russia_china_trade_growth_2018", [0.15, 0.20]),  # 001 vs 002
        ("russia_china_border_km", [2600 * 1.609, 4200, 4300]),  # 001 (miles) vs 002 vs 003
        ("putin_xi_meetings", [25, 30]),  # 001 vs 002
    ],
)
def test_disagreements_become_the_range(registry, key, reported):
    """Where the documents disagree, the range spans every reported value (tolerance 1 km / 0)."""
    p = registry[key]
    assert p.low <= min(reported) + 1 and p.high >= max(reported) - 1
    assert len([s for s in p.sources if isinstance(s, DocumentSource)]) >= 2


def test_gdp_figures_agree_with_the_documents(registry):
    """001: China's economy is 'more than seven times the size of Russia's'."""
    ratio = registry.value("gdp_usd_bn.China") / registry.value("gdp_usd_bn.Russia")
    assert ratio > 7


def test_trade_figures_agree_with_the_documents(registry):
    """001: China's US and EU trade is 'at least five times the value of its Russian account'."""
    west = registry.value("trade_usd_bn.China-US") + registry.value("trade_usd_bn.China-EU")
    assert west / registry.value("trade_usd_bn.China-Russia") >= 5


def test_markdown_lists_every_key(registry):
    text = registry_markdown(registry)
    missing = [p.key for p in registry if f"| {p.key} |" not in text]
    assert missing == []


def test_every_model_quantity_is_in_the_registry(registry):
    """The builder reads only registry keys (a missing key would raise KeyError), and every behavioural
    quantity of the registry reaches the rules' record under its own name."""
    from simulation.rules.params import field_name
    from simulation.world.build import behaviour_keys, build_params
    from simulation.world.resolve import resolve
    from simulation.world.scenario import load_scenario
    from tests.conftest import SCENARIOS

    params = build_params(resolve(load_scenario(SCENARIOS / "baseline_2018_2021.yaml"), registry))
    for key in behaviour_keys(registry):
        assert params.behaviour[0][field_name(key)] == registry.value(key)
