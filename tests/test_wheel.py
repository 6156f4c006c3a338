"""The package works anywhere: a wheel built from the checkout, installed into a fresh venv, run in
an empty folder (issue 9, item 7).

The venv is fresh (``python -m venv``, no system site-packages) and gets only the wheel, installed
with ``pip --no-index --no-deps``; its dependencies are made importable through a ``.pth`` file
naming the test interpreter's own site-packages (plain paths: that folder's ``.pth`` hooks, such
as an editable install of this checkout, are not run). So the test needs no network, and it is
the wheel's code and data that run. Slow (about 2 minutes on 2 cores: the compiled rules are
compiled afresh in the new venv); built once per session.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds a wheel and a fresh venv, compiles the rules there: minutes on 2 cores

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "results",
    "__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "sessions",
    "site",
)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    pytest.importorskip("build")
    pytest.importorskip("setuptools")
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=IGNORE)  # build from a copy: the checkout stays untouched
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(base / "dist"), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next((base / "dist").glob("alliance_sim-*.whl"))
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    home = base / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), MPLCONFIGDIR=str(base / "mplconfig"), PATH=f"{env_dir / 'bin'}:{env['PATH']}")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
        env=env,
    )
    # after the install: pip must not see the test interpreter's own alliance-sim
    (site / "_alliance_sim_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", "utf-8")
    work = base / "work"
    work.mkdir()
    return {
        "python": python,
        "cli": env_dir / "bin" / "alliance-sim",
        "site": site,
        "work": work,
        "env": env,
        "home": home,
        "package": site / "simulation",
        "before": _files(site / "simulation"),
    }


def _run(inst, *args, timeout=400):
    proc = subprocess.run(
        [str(inst["cli"]), *args], cwd=inst["work"], env=inst["env"], capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def test_the_wheel_carries_the_shipped_files_and_their_schemas(installed):
    data = installed["package"] / "data"
    assert (data / "scenarios" / "baseline_2018_2021.yaml").is_file()
    assert (data / "experiments" / "tiny_lhs.yaml").is_file()
    assert (data / "seminar" / "INSTRUCTOR_GUIDE.md").is_file()
    shipped = [
        *sorted((data / "scenarios").glob("*.yaml")),
        *sorted((data / "experiments").glob("*.yaml")),
        data / "patterns.yaml",
    ]
    assert {p.stem for p in (data / "scenarios").glob("*.yaml")} == {
        p.stem for p in (ROOT / "scenarios").glob("*.yaml")
    }
    for path in shipped:  # every $schema line points at a file that exists in the installed package
        first = path.read_text("utf-8").splitlines()[0]
        match = re.search(r"\$schema=(\S+)", first)
        assert match, f"{path.name} has no $schema line"
        assert (path.parent / match.group(1)).resolve().is_file(), f"{path.name}: {match.group(1)} does not exist"


def test_version_comes_from_the_installed_metadata_and_scenarios_are_listed(installed):
    proc = subprocess.run(
        [
            str(installed["python"]),
            "-c",
            "import simulation, importlib.metadata as m; "
            "print(simulation.__file__); print(simulation.__version__ == m.version('alliance-sim'))",
        ],
        cwd=installed["work"],
        env=installed["env"],
        capture_output=True,
        text=True,
        check=True,
    )
    where, same = proc.stdout.split()
    assert Path(where).is_relative_to(installed["site"]) and same == "True"
    out = _run(installed, "scenarios").stdout
    assert "baseline_2018_2021" in out and "tiny_lhs" in out


def test_run_sweep_plot_and_handout_write_only_under_the_current_folder(installed):
    work = installed["work"]
    _run(installed, "run", "baseline_2018_2021", "--seed", "3")
    run_dir = work / "results" / "baseline_2018_2021-seed3"
    assert (run_dir / "trajectories.parquet").is_file() and (run_dir / "manifest.json").is_file()

    _run(installed, "handout", "baseline_2018_2021", "--runs", "20")
    assert (work / "handouts" / "baseline_2018_2021" / "handout.html").is_file()

    _run(installed, "sweep", "tiny_lhs", "--workers", "1", "--quiet")
    assert (work / "results" / "tiny_lhs" / "results.parquet").is_file()
    figures = _run(installed, "plot", "results/tiny_lhs", "--kind", "main_effects").stdout.split()
    assert figures and all((work / f).is_file() for f in figures)

    # nothing written into the installed package (compiled-rule caches in __pycache__ aside), nor in
    # HOME (tools' own hidden settings folders aside)
    assert _files(installed["package"]) == installed["before"]
    home = installed["home"]
    assert not home.exists() or [p.name for p in home.iterdir() if not p.name.startswith(".")] == []
    # and the outputs are where the user is
    top = {p.name for p in work.iterdir()}
    assert top == {"results", "handouts"}


def test_a_sweep_file_of_the_user_names_a_shipped_base_scenario(installed):
    sweep = installed["work"] / "mine.yaml"
    sweep.write_text("title: mine\nbase_scenario: low_us_pressure\nreplicates: 3\nmaster_seed: 1\n", "utf-8")
    out = _run(installed, "validate", "mine.yaml").stdout
    assert "ok (sweep)" in out and "3 runs" in out
    sweep.unlink()


BATCH = (
    "import hashlib, sys; import pandas as pd; from simulation import load_scenario, run_batch; "
    "df = run_batch(load_scenario('baseline_2018_2021'), runs=300, master_seed=11); "
    "print(df.attrs['parameters']); "
    "print(hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes()).hexdigest()); "
    "print(float((df['max_level'] >= 4).mean()))"
)


def test_the_wheel_runs_the_checkouts_model_with_the_shipped_posterior(installed):
    """One model everywhere: the same 300 baseline runs from the wheel and from the checkout are identical
    (same posterior, same table hash), and both say they are posterior predictive."""
    wheel = subprocess.run(
        [str(installed["python"]), "-c", BATCH],
        cwd=installed["work"],
        env=installed["env"],
        capture_output=True,
        text=True,
        check=True,
        timeout=1200,
    ).stdout.split("\n")
    here = subprocess.run(
        [sys.executable, "-c", BATCH], cwd=ROOT, capture_output=True, text=True, check=True, timeout=1200
    ).stdout.split("\n")
    assert wheel[0] == here[0] == "posterior predictive (a parameter draw per run, draws x replicates)"
    assert wheel[1] == here[1], "the wheel's batch differs from the checkout's"
    assert (installed["package"] / "data" / "posterior.parquet").is_file()
