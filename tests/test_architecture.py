"""Issue-level checks of the architecture: resolve once, provenance in the event log, Mesa conventions,
the focal pair as data, the rules layer importing nothing from the world-building layer."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.reporting.explain import event_log
from simulation.runner import run_batch, run_scenario
from tests.conftest import ROOT, scenario


def test_event_log_quotes_the_value_the_run_used_and_who_set_it():
    """A scenario override's value and its provenance ('set by the scenario') appear in the event log,
    not the registry's default."""
    sc = scenario("baseline_2018_2021", **{"parameters.threat.Russia->EU": 0.45})
    result = run_scenario(sc, seed=1)
    assert result.resolved.cite("threat.Russia->EU") == "threat.Russia->EU = 0.45 [set by the scenario]"
    threats = {r.month: r.threat for r in result.model.history}
    text = "\n".join(e["explanation"] for e in event_log(result.decisions, result.levels(), result.resolved, threats))
    assert "threat.Russia->EU = 0.45 [set by the scenario]" in text
    assert "threat.Russia->EU = 0.5 " not in text


def test_mesa_batch_run_with_iterations_and_scalar_levers():
    import mesa

    from simulation.drivers.model import AllianceModel

    rows = mesa.batch_run(AllianceModel, parameters={"pressure_on_china": [0.2, 0.6]}, iterations=3, max_steps=12,
                          number_processes=1, data_collection_period=-1, display_progress=False)  # fmt: skip
    df = pd.DataFrame(rows)
    assert len(df) == 6 and set(df["pressure_on_china"]) == {0.2, 0.6}
    assert (df["Step"] == 12).all() and "russia_china" in df


def test_levers_reach_the_model_and_unknown_levers_are_refused():
    import pytest

    from simulation.core.errors import InputError
    from simulation.drivers.model import AllianceModel

    model = AllianceModel(pressure_on_china=0.6, coordination=0.5, seed=1)
    c = model.structure.index("China")
    assert np.allclose(model.params.pressure_threat[0, :, c], 0.6)
    assert np.allclose(model.params.coordination[0, :, model.structure.index("EU")], 0.5)
    with pytest.raises(InputError):
        AllianceModel(pressure_on_mars=0.3)


def test_alignment_graph_is_a_networkx_graph_of_levels():
    from simulation.drivers.model import AllianceModel

    g = AllianceModel(seed=0).alignment_graph
    assert g.number_of_nodes() == 5 and g.number_of_edges() == 10
    assert g["US"]["EU"]["level"] == 5


def test_any_focal_pair_gets_the_same_outcomes():
    """The focal pair is data: China-India has the same outcome columns as Russia-China."""
    default = run_batch(scenario("baseline_2018_2021"), [1, 2, 3])
    other = run_batch(scenario("baseline_2018_2021", focal_pair=["China", "India"]), [1, 2, 3])
    assert list(default.columns) == list(other.columns)
    assert (other["final_level"].to_numpy() == other["final_china_india"].to_numpy()).all()


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(lint), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_the_layers_hold_and_a_tool_would_catch_an_upward_import(tmp_path):
    """import-linter's contracts (pyproject.toml) hold on the package, imports inside functions
    included; and the same contracts break when rules/ imports the runner from inside a function."""
    assert _lint_imports(ROOT).returncode == 0, _lint_imports(ROOT).stdout[-2000:]
    shutil.copytree(ROOT / "simulation", tmp_path / "simulation", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    terms = tmp_path / "simulation" / "rules" / "terms.py"
    terms.write_text(terms.read_text("utf-8") + "\n\ndef _upward():\n    from simulation.runner import run_batch\n\n"
                     "    return run_batch\n", "utf-8")  # fmt: skip
    broken = _lint_imports(tmp_path)
    assert broken.returncode != 0 and "simulation.rules.terms -> simulation.runner" in broken.stdout


def test_nothing_in_the_package_imports_its_root():
    """The version lives in simulation._version: no module imports the package root (which would
    load the public API, and with it the whole package, into every worker)."""
    offenders = []
    for path in (ROOT / "simulation").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "simulation":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} (relative import)")
    assert offenders == []


def test_importing_plots_leaves_a_notebooks_backend_alone():
    code = ("import matplotlib; matplotlib.use('svg'); import simulation.reporting.plots, simulation.runner; "
            "import matplotlib as m; print(m.get_backend())")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "svg"


def test_no_module_names_a_country():
    """Russia, China, ... appear in data files and docstrings only, never as code literals."""
    countries = {"Russia", "China", "US", "India", "EU"}
    offenders = []
    for path in (ROOT / "simulation").rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef |
                      ast.Module | ast.AsyncFunctionDef) and n.body and isinstance(n.body[0], ast.Expr)}  # fmt: skip
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:  # noqa: SIM102
                if node.value in countries:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert offenders == []


def test_only_the_cli_maps_a_library_field_to_its_flag():
    """The library names the argument it refuses (``chunk_size``); the CLI shows the flag the user typed
    (``--chunk-size``), and leaves a file's field path alone."""
    from simulation.cli.app import as_flag, build_parser
    from simulation.core.errors import InputError

    parser = build_parser()
    args = parser.parse_args(["sweep", "tiny_lhs", "--chunk-size", "100"])
    assert as_flag(InputError("R", "chunk_size", "must stay 400"), parser, args).one_line() == (
        "R: --chunk-size: must stay 400"
    )
    kept = InputError("s.yaml", "pressure.targets.China", "out of range")
    assert as_flag(kept, parser, args) is kept
