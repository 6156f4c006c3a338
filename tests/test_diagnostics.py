"""Model criticism from a reference table (simulation/calibration/diagnostics.py): shares, joint shares, lift,
share meeting every pattern, best-met sets, on tables whose answers can be worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.calibration.diagnostics import compatibility, compatibility_markdown, compatibility_text
from simulation.calibration.patterns import PatternsFile


def _patterns(ids: list[str]) -> PatternsFile:
    return PatternsFile.model_validate({"patterns": [
        {"id": i * 2, "claim": "c", "source": {"public": "p"}, "case": {"scenario": "baseline_2018_2021"},
         "measure": {"outcome": "alliance_reached"}, "target": {"high": 0.1, "tolerance": 0.05}} for i in ids]})  # fmt: skip


def test_independent_and_exclusive_pairs():
    # a met in draws 0, 1; b in 1, 2 (independent: lift 1); c in 2, 3 (never with a: lift 0)
    met, miss = 0.0, 1.0
    values = pd.DataFrame({"aa": [met, met, miss, miss], "bb": [miss, met, met, miss], "cc": [miss, miss, met, met]})
    c = compatibility(_patterns(["a", "b", "c"]), values)
    assert c.share.to_dict() == {"aa": 0.5, "bb": 0.5, "cc": 0.5}
    assert c.joint.loc["aa", "bb"] == pytest.approx(0.25) and c.lift.loc["aa", "bb"] == pytest.approx(1.0)
    assert c.joint.loc["aa", "cc"] == 0.0 and c.lift.loc["aa", "cc"] == 0.0
    assert c.all_met == 0.0 and c.best_count == 2
    worst = c.worst_pairs(1).iloc[0]
    assert {worst["a"], worst["b"]} == {"aa", "cc"}
    # the draws meeting the most (two of three) miss c (draw 1) or a (draw 2)
    assert {m for m, _ in c.best_missed[:2]} == {("cc",), ("aa",)}
    text = compatibility_text(c)
    assert "0.0000 meet every pattern" in text
    lines = "\n".join(compatibility_markdown(c.summary()))
    assert "| aa | cc | 0.500 | 0.500 | 0.0000 | 0.00 |" in lines


def test_all_met_share():
    values = pd.DataFrame({"aa": [0.0, 0.0, 1.0], "bb": [0.0, 1.0, 0.0]})
    c = compatibility(_patterns(["a", "b"]), values)
    assert c.all_met == pytest.approx(1 / 3)
    assert c.summary()["share_meeting_every_pattern"] == pytest.approx(0.3333, abs=1e-4)
