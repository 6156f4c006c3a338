"""The long CSV export reads back exactly in pandas, R and a spreadsheet.

pandas is checked directly. A spreadsheet (and R's ``read.csv`` without options) turns every field that
looks like a number into a 64-bit double; ``_greedy_reader`` does exactly that, so the check that every
value survives it runs on any machine. R itself runs the README's snippet when ``Rscript`` is installed
(``./tasks test`` installs ``r-base-core`` as root on Debian; elsewhere the R test is skipped and the
greedy reader stands in for it).
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.cli import main
from simulation.sweeps.execute import read_results
from simulation.sweeps.export import CSV_SEED_PREFIX, long_format, read_csv
from tests.conftest import ROOT, SCENARIOS

NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """An LHS sweep (factor values with 17 significant digits, seeds above 2**53) and its CSV export."""
    root = tmp_path_factory.mktemp("csv")
    spec = root / "lhs.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "title": "csv",
                "base_scenario": str(SCENARIOS / "baseline_2018_2021.yaml"),
                "design": {"method": "lhs", "samples": 6},
                "vary": [{"path": "pressure.targets.China", "label": "china", "range": {"low": 0.0, "high": 1.0}}],
                "replicates": 5,
                "master_seed": 7,
            }
        ),
        "utf-8",
    )
    assert main(["sweep", str(spec), "--out", str(root / "R"), "--workers", "1", "--quiet"]) == 0
    assert main(["export", str(root / "R"), "--long", "--csv", "--out", str(root / "long.csv")]) == 0
    df, manifest = read_results(root / "R")
    return root / "long.csv", long_format(df, manifest["design"]["factors"])


def test_pandas_reads_the_export_back_exactly(export):
    path, long = export
    assert (long["seed"] > 2**53).mean() > 0.9  # the case that needs care
    back = read_csv(path)
    pd.testing.assert_frame_equal(back, long, check_dtype=False)
    assert back["seed"].dtype == np.int64 and back["seed"].equals(long["seed"].astype("int64"))
    plain = pd.read_csv(path)  # no options at all: the seed is text, exact
    assert plain["seed"].tolist() == [f"{CSV_SEED_PREFIX}{s}" for s in long["seed"]]


def _greedy_reader(path: Path) -> list[dict[str, object]]:
    """What a spreadsheet or R's type.convert does: a field that looks like a number becomes a double."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: float(v) if NUMBER.match(v) else v for k, v in row.items()} for row in csv.DictReader(handle)]


def test_a_reader_that_makes_doubles_of_numbers_loses_nothing(export):
    path, long = export
    rows = _greedy_reader(path)
    assert len(rows) == len(long)
    seeds = [r["seed"] for r in rows]
    assert all(isinstance(s, str) for s in seeds)  # never parsed as a number
    assert [int(s.removeprefix(CSV_SEED_PREFIX)) for s in seeds] == long["seed"].tolist()
    for column in ("run", "point", "replicate", "china", "value", "month"):
        expected = long[column].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        got = np.array([np.nan if r[column] == "" else r[column] for r in rows], dtype=float)
        assert np.array_equal(got, expected, equal_nan=True), column
    assert all(abs(v) < 2**53 for r in rows for v in r.values() if isinstance(v, float) and np.isfinite(v))


def _readme_r_snippet() -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    blocks = re.findall(r"```r\n(.*?)```", text, flags=re.S)
    assert blocks, "the README's R snippet is missing"
    return blocks[0]


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed (apt-get install r-base-core)")
def test_r_reads_the_export_back_exactly_with_the_readme_snippet(export, tmp_path):
    path, long = export
    shutil.copy(path, tmp_path / "tiny_lhs_long.csv")
    script = _readme_r_snippet() + (
        'writeLines(runs$seed, "seeds.txt")\n'
        'writeLines(ifelse(is.na(runs$value), "NA", sprintf("%.17g", runs$value)), "values.txt")\n'
        'writeLines(sprintf("%.17g", runs$china), "china.txt")\n'
        'writeLines(as.character(is.na(runs$text)), "text_na.txt")\n'
        "p <- tapply(alliance$value, alliance$point, mean)\n"
        'writeLines(sprintf("%.17g", p), "p.txt")\n'
    )
    (tmp_path / "check.R").write_text(script, "utf-8")
    proc = subprocess.run(["Rscript", "check.R"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    seeds = (tmp_path / "seeds.txt").read_text().split()
    assert seeds == [f"{CSV_SEED_PREFIX}{s}" for s in long["seed"]]
    values = [np.nan if v == "NA" else float(v) for v in (tmp_path / "values.txt").read_text().split()]
    assert np.array_equal(np.array(values), long["value"].to_numpy(dtype=float, na_value=np.nan), equal_nan=True)
    china = [float(v) for v in (tmp_path / "china.txt").read_text().split()]
    assert china == long["china"].tolist()  # 17 significant digits, bit for bit
    assert (tmp_path / "text_na.txt").read_text().split() == [str(x).upper() for x in long["text"].isna()]
    alliance = long[long["outcome"] == "alliance_reached"]
    expected = alliance.groupby("point")["value"].mean().astype(float).tolist()
    got = [float(v) for v in (tmp_path / "p.txt").read_text().split()]
    assert np.allclose(got, expected, rtol=0, atol=1e-12)
