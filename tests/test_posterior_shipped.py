"""One model everywhere (invariant 10): the shipped posterior is used, or its absence is a one-line error.

A missing, unhashed or damaged ``posterior.parquet`` never falls back to the registry's values in
silence (a wheel without it once gave P(entente) 0.000 where the checkout gave 0.42); the registry's
values are used only when asked for by name, and then the run says so.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from simulation import behaviour as post_mod
from simulation import cli
from simulation.core.errors import InputError


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch):
    """The shipped posterior copied to a folder the test may damage; the loader pointed at it."""
    table, manifest = post_mod.posterior_files()
    shutil.copy(table, tmp_path / "posterior.parquet")
    shutil.copy(manifest, tmp_path / "posterior.json")
    monkeypatch.setattr(
        post_mod, "posterior_files", lambda: (tmp_path / "posterior.parquet", tmp_path / "posterior.json")
    )
    post_mod._load_shipped.cache_clear()
    yield tmp_path
    post_mod._load_shipped.cache_clear()


def test_the_intact_copy_loads(shipped_copy):
    assert post_mod.shipped_posterior().samples.shape[0] > 0


@pytest.mark.parametrize(
    "damage, says",
    [
        (lambda d: (d / "posterior.parquet").unlink(), "missing from this installation"),
        (lambda d: (d / "posterior.json").unlink(), "manifest is missing"),
        (
            lambda d: (d / "posterior.parquet").write_bytes((d / "posterior.parquet").read_bytes()[:-40] + b"x" * 40),
            "damaged",
        ),
        (
            lambda d: (d / "posterior.json").write_text(
                json.dumps(
                    {k: v for k, v in json.loads((d / "posterior.json").read_text()).items() if k != "table_sha256"}
                )
            ),
            "records no hash",
        ),
    ],
)
def test_a_missing_or_damaged_posterior_is_one_line_naming_the_file(shipped_copy, damage, says, capsys):
    damage(shipped_copy)
    with pytest.raises(InputError, match=says):
        post_mod.shipped_posterior()
    assert cli.main(["run", "baseline_2018_2021", "--seed", "1", "--out", str(shipped_copy / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(shipped_copy) in err and "--parameters registry" in err
    assert not (shipped_copy / "run").exists()


def test_registry_values_only_by_name_and_labelled(shipped_copy):
    from simulation import load_scenario, run_batch

    (shipped_copy / "posterior.parquet").unlink()
    df = run_batch(load_scenario("baseline_2018_2021"), runs=20, master_seed=3, parameters="registry")
    assert "registry values" in df.attrs["parameters"]
    with pytest.raises(InputError):
        run_batch(load_scenario("baseline_2018_2021"), runs=20, master_seed=3)
    assert np.isfinite(df["max_level"]).all()
