"""End to end: `alliance-sim run` prints a summary and writes every promised file."""

from __future__ import annotations

import json
import re

import pandas as pd

from simulation.cli import main
from tests.conftest import SCENARIOS


def test_run_writes_summary_files_and_manifest(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", str(SCENARIOS / "baseline_2018_2021.yaml"), "--seed", "11", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "Russia-China" in printed and "Final alignment" in printed and "formal alliance" in printed
    for name in (
        "trajectories.parquet",
        "decisions.parquet",
        "event_log.md",
        "events.jsonl",
        "alignment.png",
        "alignment.svg",
        "network.png",
        "network.svg",
        "manifest.json",
    ):
        assert (out / name).stat().st_size > 0, name
    traj = pd.read_parquet(out / "trajectories.parquet")
    assert len(traj) == 49 and "russia_china" in traj and traj["date"].iloc[-1] == "2021-12"
    decisions = pd.read_parquet(out / "decisions.parquet")
    assert len(decisions) == 48 * 5 * 4  # every actor, every partner, every month
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 11 and len(manifest["scenario_hash"]) == 16
    assert manifest["scenario"]["title"].startswith("Baseline")
    assert "alliance-sim" in manifest["package"] and manifest["version"]
    log = (out / "event_log.md").read_text()
    assert "wants to raise" in log and re.search(r"[A-Z][a-z]+ 20[12][0-9]: \"", log)  # cites document quotes in words


def test_same_seed_same_files(tmp_path):
    for k in (1, 2):
        main(["run", str(SCENARIOS / "high_us_pressure.yaml"), "--seed", "5", "--out", str(tmp_path / str(k))])
    a = pd.read_parquet(tmp_path / "1" / "decisions.parquet")
    b = pd.read_parquet(tmp_path / "2" / "decisions.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_params_lists_every_parameter(capsys, registry, tmp_path):
    assert main(["params", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["key"] for r in rows} == set(registry.keys())
    assert all(r["sources"] for r in rows)
    md = tmp_path / "params.md"
    assert main(["params", "--format", "markdown", "--out", str(md)]) == 0
    assert md.read_text().count("\n| ") >= len(registry)
