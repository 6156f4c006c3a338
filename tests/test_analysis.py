"""Credibility tools: sensitivity (SALib), scenario discovery (PRIM), landscape theory, calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.analysis.landscape import Landscape, energy, landscape_from_file
from simulation.analysis.sensitivity import morris_indices, sobol_indices
from simulation.cli import main
from tests.conftest import SCENARIOS


def test_sobol_indices_on_ishigami_match_published_values():
    """Ishigami & Homma (1990), a = 7, b = 0.1: S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    Tolerance 0.05 with N = 2048 base samples."""
    from SALib.sample import sobol
    from SALib.test_functions import Ishigami

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    x = sobol.sample(problem, 2048, calc_second_order=False, seed=1)
    table = sobol_indices(problem, Ishigami.evaluate(x), second_order=False, seed=1)
    np.testing.assert_allclose(table["S1"], [0.3139, 0.4424, 0.0], atol=0.05)
    np.testing.assert_allclose(table["ST"], [0.5576, 0.4424, 0.2437], atol=0.05)
    assert (table["ST_conf"] > 0).all()


def test_morris_on_a_linear_function_gives_its_slopes():
    """y = 3 x1 + x2 on [0, 1]^3: every elementary effect of x1 is 3, of x2 is 1, of x3 is 0."""
    from SALib.sample import morris

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[0, 1]] * 3}
    x = morris.sample(problem, 20, num_levels=4, seed=2)
    table = morris_indices(problem, x, 3 * x[:, 0] + x[:, 1], levels=4, seed=2)
    np.testing.assert_allclose(table["mu_star"], [3, 1, 0], atol=1e-9)
    np.testing.assert_allclose(table["sigma"], [0, 0, 0], atol=1e-9)


def test_prim_recovers_a_planted_box():
    from simulation.analysis.discovery import prim_boxes

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.uniform(0, 1, (3000, 4)), columns=["a", "b", "c", "d"])
    y = ((x.a > 0.6) & (x.b < 0.3)).to_numpy()
    result = prim_boxes(x, y, min_density=0.95)
    assert set(result.limits.index) == {"a", "b"}
    assert result.limits.loc["a", "min"] == pytest.approx(0.6, abs=0.03)
    assert result.limits.loc["b", "max"] == pytest.approx(0.3, abs=0.03)
    assert result.coverage > 0.85 and result.density >= 0.95


def test_landscape_energy_by_hand():
    # A and B like each other (+1); both dislike C (-1); sizes 1, 1, 2.
    land = Landscape(
        ("A", "B", "C"), np.array([1.0, 1.0, 2.0]), np.array([[0, 1, -1], [1, 0, -1], [-1, -1, 0]], dtype=float), "hand"
    )
    ranked = {tuple(sorted(("+".join(a), "+".join(b)))): e for e, a, b in land.energies()}
    assert ranked[("A+B", "C")] == pytest.approx(-4.0)  # separating both enemy pairs: -2 - 2
    assert ranked[("A", "B+C")] == pytest.approx(1 - 2)
    assert ranked[("A+C", "B")] == pytest.approx(1 - 2)
    assert ranked[("", "A+B+C")] == pytest.approx(0.0)
    assert [("+".join(a), "+".join(b)) for _, a, b in land.minima()] == [("A+B", "C")]
    assert energy(land.sizes, land.propensity, np.array([0, 0, 1])) == pytest.approx(-4.0)


def test_landscape_from_tables_and_scenario(tmp_path):
    yml = tmp_path / "t.yaml"
    yml.write_text(
        yaml.safe_dump(
            {"sizes": {"A": 1, "B": 1, "C": 2, "D": 1}, "propensity": {"A-B": 1, "A-C": -1, "B-C": -1, "C-D": 1}}
        )
    )
    assert landscape_from_file(yml).minima()[0][1:] == (("A", "B"), ("C", "D"))
    csv = tmp_path / "t.csv"
    csv.write_text("actor,size,A,B,C\nA,1,0,1,-1\nB,1,1,0,-1\nC,2,-1,-1,0\n")
    assert landscape_from_file(csv).minima()[0][1:] == (("A", "B"), ("C",))
    land = landscape_from_file(SCENARIOS / "baseline_2018_2021.yaml")
    e, a, b = land.minima()[0]
    blocs = {frozenset(a), frozenset(b)}
    assert frozenset({"China", "Russia"}) in blocs  # the documents' rapprochement
    bad = tmp_path / "bad.csv"
    bad.write_text("actor,size,A,B\nA,1,0,1\nB,1,2,0\n")
    assert main(["landscape", str(bad)]) == 2


@pytest.mark.parametrize(
    "name, text, fragment",
    [
        ("t.yaml", "sizes: [unclosed\n", "malformed YAML"),
        ("t.yaml", "sizes: {A: x, B: 1}\npropensity: {A-B: 1}\n", "sizes.A: expected a number"),
        ("t.yaml", "sizes: {A: 1, B: 1}\npropensity: {A-B: .nan}\n", "propensity.A-B: expected a finite number"),
        ("t.csv", "actor,size,A,B\nA,1,0,q\nB,1,1,0\n", "B[A]: expected a number"),
        ("t.yaml", "title: no actors here\nsteps: -1\n", "steps"),
    ],
)
def test_bad_landscape_files_give_one_line_errors(tmp_path, capsys, name, text, fragment):
    path = tmp_path / name
    path.write_text(text)
    assert main(["landscape", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and fragment in err, err


def _sweep_file(tmp_path, design, vary, replicates=5):
    data = {
        "title": "t",
        "base_scenario": str(SCENARIOS / "transatlantic_united_front.yaml"),
        "design": design,
        "vary": vary,
        "replicates": replicates,
        "master_seed": 3,
        "outcomes": ["alliance_reached", "alliance_month", "final_level", "max_level"],
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_sensitivity_cli_sobol(tmp_path):
    path = _sweep_file(
        tmp_path,
        {"method": "sobol", "samples": 32},
        [
            {"path": "pressure.targets.China", "range": {"low": 0, "high": 1}},
            {"path": "parameters.weight.affinity", "registry_range": True},
        ],
    )
    out = tmp_path / "sens"
    assert main(["sensitivity", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    table = pd.read_csv(out / "sobol_alliance_reached.csv", index_col=0)
    assert list(table.columns) == ["S1", "S1_conf", "ST", "ST_conf"]
    assert table.loc["pressure.targets.China", "ST"] > table.loc["parameters.weight.affinity", "ST"]
    assert (out / "sobol_alliance_reached.png").exists() and (out / "sensitivity.md").exists()


def test_sensitivity_needs_sobol_or_morris(tmp_path, capsys):
    path = _sweep_file(tmp_path, {"method": "grid"}, [{"path": "pressure.targets.China", "values": [0.1]}])
    assert main(["sensitivity", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "sobol or morris" in capsys.readouterr().err


def test_discover_cli(tmp_path):
    path = _sweep_file(
        tmp_path,
        {"method": "lhs", "samples": 80},
        [
            {"path": "pressure.targets.China", "label": "china", "range": {"low": 0, "high": 1}},
            {"path": "pressure.targets.Russia", "label": "russia", "range": {"low": 0, "high": 1}},
        ],
    )
    out = tmp_path / "sw"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    # under the united front most points reach entente (about 80%), so the default density (0.8)
    # would be met by the whole swept space: ask for a box where 95% of points are of interest
    args = ["discover", str(out), "--out", str(tmp_path / "d"), "--outcome", "entente_reached", "--min-density", "0.95"]
    assert main(args) == 0
    box = pd.read_csv(tmp_path / "d" / "prim_box.csv", index_col=0)
    assert list(box.index) == ["china"]  # the box restricts pressure on China, not on Russia
    assert box.loc["china", "min"] > box.loc["china", "swept_min"]
