"""Handouts (Markdown and HTML) and dashboard controls generated from the schema and registry."""

from __future__ import annotations

import pytest

from simulation.dashboard.controls import field_bounds, parameter_sliders, pressure_sliders
from simulation.teaching.handout import write_handout
from simulation.world.registry import default_registry
from simulation.world.scenario import LevelSegment, PressureSegment
from tests.conftest import ROOT, SCENARIOS, scenario


def test_handout_has_story_cards_figures_and_questions(tmp_path):
    paths = write_handout(SCENARIOS / "china_india_crisis.yaml", tmp_path, runs=100)
    md = (tmp_path / "handout.md").read_text()
    sc = scenario("china_india_crisis")
    assert md.startswith(f"# {sc.title}")
    for actor in sc.actors:
        assert f"### {actor}" in md
    assert 'Cheang 2018: "would not allow it to accept a de facto junior partner status"' in md  # a card quote
    assert "000_13cebfda7c8178fb.txt" not in md and "**Cheang 2018**: Chris Cheang" in md  # sources in words
    assert "## Compared with the baseline" in md and "event: China-India border crisis for" in md
    questions = md.split("## Discussion questions")[1].split("## Sources")[0]
    assert sum(line[:2] in {f"{k}." for k in range(1, 10)} for line in questions.splitlines()) >= 3
    assert "China-India border crisis" in md and "Discussion questions" in md
    assert sc.discussion_questions[0] in md
    html = (tmp_path / "handout.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "@media print" in html
    assert "table, tr, blockquote { page-break-inside: avoid" in html  # tables do not split across pages
    assert all(p.exists() for p in paths)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_handouts_exist_for_every_scenario(path):
    folder = ROOT / "seminar" / "handouts" / path.stem
    assert (folder / "handout.md").exists() and (folder / "handout.html").exists()


def test_instructor_guide_is_a_90_minute_plan():
    guide = (ROOT / "seminar" / "INSTRUCTOR_GUIDE.md").read_text()
    assert "90" in guide and "| 75-90 |" in guide and "./tasks dashboard" in guide


def test_pressure_sliders_take_bounds_and_descriptions_from_the_schema():
    lo, hi, _ = field_bounds(PressureSegment, "tariffs")
    specs = {s.path: s for s in pressure_sliders(scenario("baseline_2018_2021"))}
    russia = specs["pressure.targets.Russia"]
    assert (russia.min, russia.max) == (lo, hi) == (0.0, 1.0)
    coord = specs["pressure.coordination"]
    assert coord.description == LevelSegment.model_fields["level"].description
    assert "US" not in [p.split(".")[-1] for p in specs]  # the pressurer is no target


def test_parameter_sliders_take_values_and_descriptions_from_the_registry():
    reg = default_registry()
    for spec in parameter_sliders(scenario("baseline_2018_2021", **{"parameters.status_concern.Russia": 0.95})):
        key = spec.path.removeprefix("parameters.")
        p = reg[key]
        assert spec.description.startswith(p.description)
        assert p.min <= spec.min < spec.max <= p.max
        expected = 0.95 if key == "status_concern.Russia" else p.value
        assert spec.value == expected
