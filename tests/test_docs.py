"""The documentation site builds offline with warnings as errors (``mkdocs build --strict``) and
holds the README, the model description, the reports, the notebooks and the API reference."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_strict_with_every_part(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    pytest.importorskip("mkdocs_jupyter")
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "WARNING" not in proc.stderr
    index = (site / "index.html").read_text("utf-8")
    assert "alliance-sim" in index and "figures/heatmap_eu_coordination_0.png" in index
    assert (site / "figures" / "heatmap_eu_coordination_0.png").is_file()
    assert "Overview" in (site / "model.html").read_text("utf-8") or "ODD" in (site / "model.html").read_text("utf-8")
    for report in ("calibration", "sensitivity_sobol", "sensitivity_morris", "discovery", "landscape_baseline"):
        assert (site / f"{report}.html").is_file()
    api = (site / "api.html").read_text("utf-8")
    assert "run_batch" in api and "long_format" in api and "sweep_figures" in api
    for notebook in (ROOT / "examples").glob("*.ipynb"):
        page = site / "examples" / f"{notebook.stem}.html"
        assert page.is_file(), f"{notebook.name} is not rendered"
    assert "data:image/png" in (site / "examples" / "02_sweep_and_figures.html").read_text("utf-8")
    assert not (ROOT / ".cache").exists(), "the build should leave the checkout alone"
