"""Sweeps that survive faults: Dask (local cluster, remote scheduler, a killed worker),
SIGKILL then --resume, refused resumes, Ctrl-C. And fuzzed loaders: always a one-line error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.cli import main
from simulation.core.errors import InputError
from simulation.sweeps.execute import read_results, run_sweep
from simulation.sweeps.spec import load_sweep, sweep_from_dict
from simulation.world.scenario import load_scenario
from tests.conftest import ROOT, SCENARIOS, scenario
from tests.test_sweep import small


def _reference(tmp_path: Path, data: dict) -> pd.DataFrame:
    sw = sweep_from_dict(data, scenario("baseline_2018_2021"))
    report = run_sweep(sw, tmp_path / "reference", workers=1, progress=False)
    return read_results(report.results)[0]


def _same_parquet(a: Path, b: Path) -> bool:
    """Identical Arrow tables: every column, type and value (the manifests' timestamps aside)."""
    import pyarrow.parquet as pq

    return pq.read_table(a).equals(pq.read_table(b))


# --------------------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
    )
    client = distributed.Client(cluster)
    yield cluster, client
    client.close()
    cluster.close()


def test_dask_remote_scheduler_gives_identical_results(tmp_path, dask_cluster):
    cluster, _ = dask_cluster
    data = small(chunk_size=9)
    sw = sweep_from_dict(data, scenario("baseline_2018_2021"))
    report = run_sweep(sw, tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(read_results(report.results)[0], _reference(tmp_path, data))
    assert _same_parquet(report.results, tmp_path / "reference" / "results.parquet")


def test_dask_worker_killed_mid_sweep(tmp_path, dask_cluster):
    cluster, client = dask_cluster
    data = small(chunk_size=15, replicates=400)  # 1,600 runs in 107 chunks
    sw = sweep_from_dict(data, scenario("baseline_2018_2021"))
    out = tmp_path / "killed"
    killed = []

    def kill_one_worker():
        parts = out / "parts"
        deadline = time.time() + 60
        while time.time() < deadline:
            if parts.exists() and len(list(parts.glob("*.parquet"))) >= 5:
                pids = client.run(os.getpid)
                pid = sorted(pids.values())[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.01)

    thread = threading.Thread(target=kill_one_worker)
    thread.start()
    report = run_sweep(sw, out, scheduler=cluster.scheduler_address, progress=False)
    thread.join()
    assert killed, "no worker was killed"
    df = read_results(report.results)[0]
    assert df["run"].tolist() == list(range(sw.total_runs))  # every run exactly once
    pd.testing.assert_frame_equal(df, _reference(tmp_path, data))
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker


# --------------------------------------------------------------------------- kill and resume


def _sweep_file(tmp_path: Path, name: str = "sweep.yaml", **extra) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(small(**extra)), "utf-8")
    return path


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted(tmp_path):
    data = dict(chunk_size=20, replicates=750)  # 3,000 runs in 150 chunks
    path = _sweep_file(tmp_path, **data)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulation.cli",
            "sweep",
            str(path),
            "--out",
            str(out),
            "--workers",
            "1",
            "--quiet",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if (out / "parts").exists() and len(list((out / "parts").glob("*.parquet"))) >= 10:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "results.parquet").exists()
    assert main(["sweep", str(path), "--out", str(out), "--workers", "2", "--quiet"]) == 2  # needs --resume
    assert main(["sweep", str(path), "--out", str(out), "--workers", "2", "--resume", "--quiet"]) == 0
    df = read_results(out)[0]
    assert df["run"].is_unique and len(df) == 3000
    pd.testing.assert_frame_equal(df, _reference(tmp_path, small(**data)))
    assert _same_parquet(out / "results.parquet", tmp_path / "reference" / "results.parquet")


def test_resume_into_a_different_sweep_is_refused(tmp_path, capsys):
    path = _sweep_file(tmp_path)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    other = _sweep_file(tmp_path, "other.yaml", master_seed=100)
    assert main(["sweep", str(other), "--out", str(out), "--resume", "--quiet"]) == 2
    assert "sweep file and base scenario changed" in capsys.readouterr().err
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["fingerprint"]["library numpy"] = "0.0-old"
    manifest["libraries"]["numpy"] = "0.0-old"  # the versions a reader of the manifest sees
    manifest_path.write_text(json.dumps(manifest))
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "numpy 0.0-old" in err and "refusing to mix" in err and len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------- fuzzed loaders

BASE_TEXT = (SCENARIOS / "baseline_2018_2021.yaml").read_text("utf-8")
YAML_ATOMS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.booleans(),
    st.none(),
)
NASTY = st.sampled_from(
    [
        "!!python/object/apply:os.system ['touch /tmp/alliance-sim-pwned']",
        "!!python/name:os.system",
        "!!binary aGVsbG8=",
        "&a [*a]",
        "*undefined",
        "{{{{",
        "- - - -",
        "[" * 200 + "]" * 200,
        "1e999",
        ".inf",
        "-.inf",
        ".nan",
        "0x7fffffffffffffffffff",
        "\t",
        "'",
    ]
)


def _mutate(data: dict, key: str, value) -> dict:
    out = dict(data)
    out[key] = value
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    choice=st.integers(0, 3),
    key=st.sampled_from(["title", "steps", "actors", "pressure", "events", "parameters", "start", "zzz"]),
    value=st.one_of(
        YAML_ATOMS, st.lists(YAML_ATOMS, max_size=3), st.dictionaries(st.text(max_size=5), YAML_ATOMS, max_size=3)
    ),
    nasty=NASTY,
    raw=st.binary(max_size=200),
)
def test_fuzzed_scenarios_end_in_one_line_errors(tmp_path, choice, key, value, nasty, raw):
    path = tmp_path / "fuzz.yaml"
    base = yaml.safe_load(BASE_TEXT)
    if choice == 0:
        path.write_text(yaml.safe_dump(_mutate(base, key, value)), "utf-8")
    elif choice == 1:
        path.write_text(BASE_TEXT.replace("steps: 48", f"steps: {nasty}"), "utf-8")
    elif choice == 2:
        path.write_bytes(raw)
    else:
        nested = value
        for _ in range(60):
            nested = {"x": nested}
        path.write_text(yaml.safe_dump(_mutate(base, "pressure", nested)), "utf-8")
    try:
        load_scenario(path)
    except InputError as err:
        text = err.one_line()
        assert "\n" not in text and str(path) in text
    assert not Path("/tmp/alliance-sim-pwned").exists()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(["replicates", "master_seed", "vary", "design", "chunk_size", "outcomes", "base_scenario"]),
    value=st.one_of(
        YAML_ATOMS, st.lists(YAML_ATOMS, max_size=3), st.dictionaries(st.text(max_size=5), YAML_ATOMS, max_size=3)
    ),
)
def test_fuzzed_sweeps_end_in_one_line_errors(tmp_path, key, value):
    data = small()
    data[key] = value
    path = tmp_path / "fuzz_sweep.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    try:
        load_sweep(path)
    except InputError as err:
        assert "\n" not in err.one_line() and str(path) in err.one_line()


def test_deep_nesting_and_huge_documents(tmp_path, capsys):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n", "utf-8")
    assert main(["validate", str(path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
