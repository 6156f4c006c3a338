"""Execute the example notebooks from a clean state and store their outputs in place (what the docs site shows).

    PYTHONPATH=$PWD python experiments/execute_notebooks.py                 # every notebook in examples/
    PYTHONPATH=$PWD python experiments/execute_notebooks.py examples/03_sensitivity_and_discovery.ipynb

Each notebook runs as tests/test_notebooks.py runs it (this checkout on the kernel's path, figures inline, in a
temporary folder), so the stored outputs are today's: the outcome names, the figures and no warning. A notebook
whose run fails or shows a warning is not written. Execution times and kernel metadata are not stored, so that
an unchanged result leaves the file unchanged.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, timeout_s: int = 600) -> str:
    """Run ``path`` top to bottom and write it back with its outputs; returns what happened in a few words."""
    import nbclient
    import nbformat

    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="notebook-") as tmp:
        client = nbclient.NotebookClient(
            book, timeout=timeout_s, kernel_name="python3", resources={"metadata": {"path": tmp}}
        )
        client.execute()
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    if [o for o in outputs if o.output_type == "error"]:
        return "an error: not written"
    if [o for o in outputs if "warn" in o.get("text", "").lower()]:
        return "a warning in its output: not written"
    for cell in book.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
    nbformat.write(book, path)
    figures = sum("image/png" in o.get("data", {}) for o in outputs)
    return f"written: {figures} figure(s), {time.monotonic() - started:.0f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks (default: examples/*.ipynb)")
    args = parser.parse_args()
    failed = 0
    for path in args.notebooks or sorted((ROOT / "examples").glob("*.ipynb")):
        what = execute(path)
        failed += "not written" in what
        print(f"{path.name}: {what}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
