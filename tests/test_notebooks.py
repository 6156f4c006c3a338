"""The example notebooks execute from top to bottom (nbclient), each ending in a cell of checks on
its own results; they are documentation that cannot silently rot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))


def test_there_are_example_notebooks_with_checks():
    assert len(NOTEBOOKS) >= 3
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        assert "assert " in book.cells[-1].source, f"{path.name}: its last cell should check its results"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_and_its_checks_pass(path, tmp_path, monkeypatch):
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:  # run from a clean state, not from stored outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    # the kernel imports this checkout, as the tests do
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = nbclient.NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    images = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} should show at least one figure"
    streams = [o.get("text", "") for c in book.cells if c.cell_type == "code" for o in c.outputs]
    assert not [t for t in streams if "warn" in t.lower()], f"{path.name} shows a warning"
    assert not any(tmp_path.iterdir()), "a notebook should not write into the folder it runs in"
