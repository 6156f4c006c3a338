"""Every code block of the README and of the documentation site's pages runs as written.

Shell blocks run line by line through bash in a scratch folder that holds the project's `scenarios/` and
`experiments/` (as the project folder does), with the environment's `bin` on PATH (an activated virtual
environment, as the README's Install section says). A line that cannot run here is listed in CANNOT_RUN with
the reason, and is checked as far as it can be: its arguments parse, the files it names exist, the script it
calls answers --help. Lines of tens of thousands of runs are in SLOW; both sets of lines are in the slow set
(a process per line). Python blocks are executed
and their results checked; the R block is run by tests/test_export_csv.py (when Rscript is installed)."""

from __future__ import annotations

import importlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")
#: The documentation site's pages with code: the README (its home page) and docs/*.md (docs/hooks.py adds
#: MODEL.md and the instructor guide, which hold no code blocks; a test below keeps it so).
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", flags=re.S | re.M)

#: Lines that cannot run in a test, with the reason; they are checked (arguments, files, --help) instead.
CANNOT_RUN: list[tuple[str, str]] = [
    (r"^\./tasks ", "sets up .venv (installs packages into the environment); checked: the task exists"),
    (r"^alliance-sim (dashboard|classroom)\b", "starts a web server that runs until stopped; checked: arguments"),
    (r"^alliance-sim play\b", "interactive: people type their moves; checked: arguments and files"),
    (
        r"^alliance-sim (calibrate|calibration-report)\b",
        "a calibration takes about 25 min on 2 cores; checked: arguments",
    ),
    (
        r"^dask (scheduler|worker)\b",
        "starts a Dask cluster process that runs until stopped; checked: dask is installed",
    ),
    (r"--scheduler tcp://HOST", "needs a Dask cluster at HOST; checked: arguments and files"),
    (r"^pip install ", "installs into the environment; tests/test_wheel.py installs the wheel in a fresh venv"),
    (r"experiments/benchmark\.py", "a benchmark of minutes; checked: the script answers --help"),
    (r"experiments/classroom_load\.py", "a load test of 30 browser sessions; checked: the script answers --help"),
    (
        r"^alliance-sim policy-search experiments/us_strategy\.yaml",
        "the shipped study, about 2 million runs (minutes on 2 cores); checked: arguments and files",
    ),
    (r"experiments/us_strategy_benchmark\.py", "times the shipped study (minutes); checked: the script answers --help"),
    (
        r"experiments/model_v4_report\.py",
        "rewrites docs/model_v4.md in the checkout from a calibration folder (minutes); checked: --help",
    ),
]
#: Lines that run in the slow set (tens of thousands of runs each), in this order.
SLOW = (r"flagship_us_pressure", r"document_uncertainty\.yaml")


def blocks(path: Path) -> list[tuple[str, str, int]]:
    """(language, code, line) of every fenced block of a Markdown file."""
    text = path.read_text("utf-8")
    return [(m.group(2), textwrap.dedent(m.group(3)), text[: m.start()].count("\n") + 1) for m in FENCE.finditer(text)]


def shell_lines(path: Path) -> list[list[tuple[str, str]]]:
    """Every bash block's command lines (comments dropped), each with its place, block by block."""
    out = []
    for lang, code, line in blocks(path):
        if lang != "bash":
            continue
        lines = []
        for k, raw in enumerate(code.splitlines()):
            command = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
            if command:
                lines.append((command, f"{path.name}:{line + 1 + k}"))
        out.append(lines)
    return out


#: A block runs in a folder of its own (README sections are independent); one that works on an earlier
#: section's output gets it made first.
PREPARE = {r"^alliance-sim export results/tiny_lhs": "alliance-sim sweep tiny_lhs --quiet"}


def _cannot_run(command: str) -> str | None:
    return next((reason for pattern, reason in CANNOT_RUN if re.search(pattern, command)), None)


def _is_slow(command: str) -> bool:
    return any(re.search(p, command) for p in SLOW)


def _blocks_of_lines() -> list[list[tuple[str, str]]]:
    return [block for page in PAGES for block in shell_lines(page)]


def _all_lines() -> list[tuple[str, str]]:
    return [item for block in _blocks_of_lines() for item in block]


@pytest.fixture
def project_like(tmp_path) -> Path:
    """A scratch folder with the project's input folders: commands read them and write only here."""
    for name in ("scenarios", "experiments"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def _run(command: str, cwd: Path, where: str) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    env["PYTHONPATH"] = str(ROOT)  # the environment may be installed from another checkout
    proc = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, f"{where}: {command}\n{proc.stderr[-3000:]}"


def test_every_shell_line_is_run_or_has_a_reason():
    lines = _all_lines()
    assert len(lines) >= 30
    runnable = [c for c, _ in lines if _cannot_run(c) is None]
    assert len(runnable) >= 15
    for command, where in lines:  # usage placeholders are not commands: write an example, explain in prose
        assert not re.search(r"\[--|\.\.\.|<[a-z]", command), f"{where}: not runnable as written: {command}"


@pytest.mark.slow  # about 20 commands, a process each (about 1 min on an idle 2-core machine)
def test_the_quick_shell_lines_run_as_written(project_like):
    for k, block in enumerate(_blocks_of_lines()):
        quick = [(c, w) for c, w in block if _cannot_run(c) is None and not _is_slow(c)]
        if not quick:
            continue
        folder = project_like / f"block{k}"
        folder.mkdir()
        for name in ("scenarios", "experiments"):
            (folder / name).symlink_to(ROOT / name)
        for pattern, first in PREPARE.items():
            if any(re.search(pattern, c) for c, _ in quick):
                _run(first, folder, "(prepared)")
        for command, where in quick:
            _run(command, folder, where)
    made = {p.relative_to(project_like).as_posix().split("/", 1)[1] for p in project_like.glob("block*/**/*")}
    assert {"results/baseline_2018_2021-seed7/manifest.json", "tiny_lhs_long.csv", "results/compare"} <= made


@pytest.mark.slow  # the flagship sweep (48,400 runs) and the document-uncertainty sweep (20,000)
def test_the_slow_shell_lines_run_as_written(project_like):
    slow = [(c, w) for c, w in _all_lines() if _cannot_run(c) is None and _is_slow(c)]
    assert len(slow) >= 4
    for command, where in slow:
        _run(command, project_like, where)
    assert (project_like / "results" / "flagship_us_pressure" / "figures").is_dir()


def test_the_lines_that_cannot_run_are_right_as_far_as_they_can_be_checked():
    from simulation.cli.app import build_parser

    tasks = (ROOT / "tasks").read_text("utf-8")
    for command, where in _all_lines():
        if _cannot_run(command) is None:
            continue
        words = shlex.split(command)
        words = [w for w in words if "=" not in w or w.startswith("-") or "/" not in w.split("=")[0]]
        for word in words:  # every input file named exists in the project
            if re.fullmatch(r"(scenarios|experiments)/[\w.-]+\.(yaml|py)", word):
                assert (ROOT / word).is_file(), f"{where}: {word} does not exist"
        if words[0] == "./tasks":
            assert re.search(rf"^\s*{re.escape(words[1])}\)", tasks, flags=re.M), f"{where}: no task {words[1]}"
        elif words[0] == "alliance-sim":
            try:
                build_parser().parse_args(words[1:])
            except SystemExit as exit_:
                pytest.fail(f"{where}: the arguments do not parse ({exit_.code}): {command}")
        elif words[0] == "dask":
            assert shutil.which("dask", path=str(Path(sys.executable).parent)), f"{where}: no dask command"
        elif words[0] == "pip":
            assert (ROOT / "tests" / "test_wheel.py").is_file()
        else:  # a script: it answers --help
            script = next(w for w in words if w.endswith(".py"))
            proc = subprocess.run(
                [sys.executable, str(ROOT / script), "--help"],
                env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert proc.returncode == 0, f"{where}: {script} --help: {proc.stderr[-2000:]}"


def test_python_blocks_run(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # from any folder, not only the checkout's root
    python = [code for lang, code, _ in blocks(ROOT / "README.md") if lang == "python"]
    assert len(python) == 3
    for code in python:
        namespace: dict = {}
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
        if "outcomes" in namespace:  # the library quick look
            assert 0.0 <= namespace["outcomes"]["alliance_reached"].mean() <= 1.0
            assert namespace["result"].summary()["scenario"].startswith("A trans-Atlantic")
        elif "spread_for" in namespace:  # a probability and its spread across posterior draws
            spread = namespace["runs"].attrs["spread"]["entente_at_end"]
            assert spread["draws"] == 200 and spread["runs_per_draw"] == 20
            assert namespace["s"].pooled == spread["pooled"] and namespace["s"].q05 <= namespace["s"].q95
        else:  # Mesa users: batch_run over a scalar lever, 3 replicates of each value
            assert {r["pressure_on_china"] for r in namespace["rows"]} == {0.2, 0.6}
            assert len({r["RunId"] for r in namespace["rows"]}) == 6
            assert namespace["model"].alignment_graph.number_of_edges() == 10


def test_the_docs_pages_python_blocks_run(tmp_path):
    """Each in a fresh interpreter: a block may register things (an event kind) for the whole process."""
    ran = 0
    for page in PAGES[1:]:
        for _, code, line in (b for b in blocks(page) if b[0] == "python"):
            proc = subprocess.run(
                [sys.executable, "-c", code], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert proc.returncode == 0, f"{page.name}:{line}: {proc.stderr[-2000:]}"
            ran += 1
    assert ran >= 1


def test_only_known_kinds_of_blocks_and_no_code_in_pages_the_site_pulls_in():
    kinds = {lang for page in PAGES for lang, _, _ in blocks(page)}
    assert kinds <= {"bash", "python", "r", "text", "yaml", ""}, kinds  # yaml: file excerpts, not run
    for page in (ROOT / "MODEL.md", ROOT / "seminar" / "INSTRUCTOR_GUIDE.md"):
        assert not [b for b in blocks(page) if b[0] in ("bash", "python")], f"{page.name}: run its blocks here"
    for lang, code, line in blocks(ROOT / "README.md"):
        if lang == "":  # a diagram or a listing: never a command
            assert not re.search(r"^\s*alliance-sim \w", code, flags=re.M), f"README.md:{line}: a command unlabelled"


def test_every_dotted_name_the_docs_mention_exists():
    """`simulation.x.y` in the README and docs pages names a module or an attribute that is there."""
    names = {m for page in PAGES for m in re.findall(r"`(simulation(?:\.\w+)+)", page.read_text("utf-8"))}
    assert names
    for name in sorted(names):
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            for attr in parts[cut:]:
                assert hasattr(obj, attr), f"{name}: no {attr!r}"
                obj = getattr(obj, attr)
            break
        else:
            pytest.fail(f"{name}: no such module")


def test_from_simulation_import_the_mesa_model():
    from simulation import AllianceModel
    from simulation.drivers.model import AllianceModel as Model

    assert AllianceModel is Model


def test_quickstart_has_exactly_two_commands_and_ci_runs_the_second():
    quick = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    block = re.search(r"```bash\n(.*?)```", quick, flags=re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    assert commands == ["./tasks flagship", "./tasks test"]
    assert "./tasks test" in (ROOT / ".ci" / "run").read_text()
