"""Data safety of sweep folders: nothing of the user's deleted, nothing computed lost, nothing mixed.

One test per case of the data-safety matrix (see the README, "Safety and bad input"): overwrite guard,
a changed model, swapped / foreign / corrupted chunks, a truncated manifest, a full disk, a second
writer, Ctrl-C, a killed parent, and the merge's run-id check.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

import simulation.sweeps.execute as sweep_runner
from simulation.cli import main
from simulation.core.errors import InputError
from simulation.sweeps import folder as sweep_folder
from simulation.sweeps.execute import merge_parts, read_results, run_sweep
from simulation.sweeps.spec import sweep_from_dict
from tests.conftest import ROOT, scenario
from tests.test_sweep import small

DATA = dict(chunk_size=10)  # 4 points x 30 replicates = 120 runs in 12 chunks


def _sweep(**extra):
    return sweep_from_dict(small(**{**DATA, **extra}), scenario("baseline_2018_2021"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("reference") / "out"
    report = run_sweep(_sweep(), out, workers=1, progress=False)
    return read_results(report.results)[0]


def _interrupted(out: Path, monkeypatch, after: int, **extra) -> None:
    """A sweep stopped by Ctrl-C after ``after`` chunks (one worker, in this process)."""
    real = sweep_runner.run_chunk
    calls = {"n": 0}

    def counting(task):
        if calls["n"] >= after:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(task)

    monkeypatch.setattr(sweep_runner, "run_chunk", counting)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(_sweep(**extra), out, workers=1, progress=False)
    monkeypatch.setattr(sweep_runner, "run_chunk", real)
    assert len(list((out / "parts").glob("chunk-*.parquet"))) == after


def _resume(out: Path, caplog=None, **extra) -> pd.DataFrame:
    report = run_sweep(_sweep(**extra), out, workers=1, progress=False, resume=True)
    return read_results(report.results)[0]


def _write_sweep_file(tmp_path: Path, **extra) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(small(**{**DATA, **extra})), "utf-8")
    return path


# --------------------------------------------------------------------------- overwrite


def test_overwrite_never_removes_a_folder_that_is_not_a_sweep(tmp_path, monkeypatch, capsys):
    user = tmp_path / "thesis"
    user.mkdir()
    (user / "chapter1.tex").write_text("precious", "utf-8")
    path = _write_sweep_file(tmp_path)
    for out in (user, Path(".")):
        monkeypatch.chdir(user)
        assert main(["sweep", str(path), "--out", str(out), "--overwrite", "--quiet"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "not a sweep folder" in err
    assert sorted(os.listdir(user)) == ["chapter1.tex"]


def test_overwrite_removes_only_the_sweeps_own_files(tmp_path, reference):
    out = tmp_path / "out"
    run_sweep(_sweep(), out, workers=1, progress=False)
    (out / "notes.txt").write_text("mine", "utf-8")
    (out / "figures").mkdir()
    report = run_sweep(_sweep(), out, workers=1, progress=False, overwrite=True)
    assert (out / "notes.txt").read_text("utf-8") == "mine" and (out / "figures").is_dir()
    pd.testing.assert_frame_equal(read_results(report.results)[0], reference)


def test_a_foreign_manifest_is_not_a_sweep(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"kind": "run", "package": "alliance-sim"}), "utf-8")
    (out / "data.csv").write_text("1,2\n", "utf-8")
    assert main(["sweep", str(_write_sweep_file(tmp_path)), "--out", str(out), "--overwrite", "--quiet"]) == 2
    assert "not an alliance-sim sweep" in capsys.readouterr().err
    assert sorted(os.listdir(out)) == ["data.csv", "manifest.json"]


# --------------------------------------------------------------------------- a changed model


def test_resume_after_a_registry_change_is_refused_naming_it(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    shutil.copytree(sweep_folder.data_dir(), data)
    monkeypatch.setattr(sweep_folder, "data_dir", lambda: data)
    out = tmp_path / "out"
    _interrupted(out, monkeypatch, after=3)
    registry = data / "registry.yaml"
    registry.write_text(registry.read_text("utf-8") + "\n# a changed value, same version string\n", "utf-8")
    path = _write_sweep_file(tmp_path)
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "simulation/data/registry.yaml changed" in err and "refusing to mix" in err
    assert len(list((out / "parts").glob("chunk-*.parquet"))) == 3  # nothing removed


# --------------------------------------------------------------------------- chunks


def test_swapped_chunk_is_recomputed(tmp_path, monkeypatch, caplog, reference):
    out = tmp_path / "out"
    _interrupted(out, monkeypatch, after=4)
    shutil.copyfile(out / "parts" / "chunk-000000.parquet", out / "parts" / "chunk-000002.parquet")
    df = _resume(out)
    assert "chunk 2" in caplog.text and "checksum" in caplog.text
    assert df["run"].tolist() == list(range(120))
    pd.testing.assert_frame_equal(df, reference)


def test_swapped_chunk_without_a_record_is_recomputed(tmp_path, monkeypatch, caplog, reference):
    """Even where the manifest has no checksum (a chunk written just before a kill), identity is checked."""
    out = tmp_path / "out"
    _interrupted(out, monkeypatch, after=4)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    manifest["chunks"].pop("2")
    (out / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    shutil.copyfile(out / "parts" / "chunk-000000.parquet", out / "parts" / "chunk-000002.parquet")
    df = _resume(out)
    assert "swapped" in caplog.text
    pd.testing.assert_frame_equal(df, reference)


def test_chunk_from_another_sweep_is_recomputed(tmp_path, monkeypatch, caplog, reference):
    other = tmp_path / "other"
    run_sweep(_sweep(master_seed=12345), other, workers=1, progress=False, keep_parts=True)
    out = tmp_path / "out"
    _interrupted(out, monkeypatch, after=3)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    manifest["chunks"].pop("1")
    (out / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    shutil.copyfile(other / "parts" / "chunk-000001.parquet", out / "parts" / "chunk-000001.parquet")
    df = _resume(out)
    assert "another sweep" in caplog.text
    pd.testing.assert_frame_equal(df, reference)


def test_corrupted_chunk_is_recomputed_with_a_warning(tmp_path, monkeypatch, capsys, reference):
    out = tmp_path / "out"
    path = _write_sweep_file(tmp_path)
    _interrupted(out, monkeypatch, after=3)
    part = out / "parts" / "chunk-000001.parquet"
    raw = bytearray(part.read_bytes())
    raw[len(raw) // 2 : len(raw) // 2 + 64] = b"\0" * 64
    part.write_bytes(bytes(raw))
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--workers", "1", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "warning: chunk 1" in err and "Traceback" not in err
    pd.testing.assert_frame_equal(read_results(out)[0], reference)


def test_truncated_manifest_is_rebuilt_on_resume(tmp_path, monkeypatch, capsys, reference):
    out = tmp_path / "out"
    path = _write_sweep_file(tmp_path)
    _interrupted(out, monkeypatch, after=5)
    text = (out / "manifest.json").read_text("utf-8")
    (out / "manifest.json").write_text(text[: len(text) // 3], "utf-8")
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unreadable" in err and "--resume" in err
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--resume", "--quiet"]) == 0
    assert "rebuilding" in capsys.readouterr().err
    pd.testing.assert_frame_equal(read_results(out)[0], reference)


def test_merge_checks_every_run_id_exactly_once(tmp_path):
    sw = _sweep()
    out = tmp_path / "out"
    run_sweep(sw, out, workers=1, progress=False, keep_parts=True)
    shutil.copyfile(out / "parts" / "chunk-000003.parquet", out / "parts" / "chunk-000004.parquet")
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    with pytest.raises(InputError, match="does not hold exactly runs 40..49"):
        merge_parts(out, sw.chunks(), manifest)
    assert not (out / "results.parquet.tmp").exists()


# --------------------------------------------------------------------------- full disk, second writer


def test_full_disk_gives_one_line_and_a_resumable_folder(tmp_path, monkeypatch, capsys, reference):
    path = _write_sweep_file(tmp_path)
    out = tmp_path / "out"
    real = sweep_runner.write_bytes_atomically
    calls = {"n": 0}

    def filling(target: Path, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] > 8:  # the manifest, then 4 chunks with their manifest updates, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        real(target, data)

    monkeypatch.setattr(sweep_runner, "write_bytes_atomically", filling)
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    errors = [line for line in err.splitlines() if line.startswith("error:")]  # after the sweep's header
    assert len(errors) == 1 and err.splitlines()[-1] == errors[0] and "Traceback" not in err
    assert "no room to write" in errors[0] and "--resume" in errors[0]
    assert not list((out / "parts").glob("*.tmp"))
    kept = len(list((out / "parts").glob("chunk-*.parquet")))
    assert kept >= 3
    monkeypatch.setattr(sweep_runner, "write_bytes_atomically", real)
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--resume", "--quiet"]) == 0
    pd.testing.assert_frame_equal(read_results(out)[0], reference)


def test_a_second_writer_is_refused_with_one_line(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    path = _write_sweep_file(tmp_path)
    _interrupted(out, monkeypatch, after=2)
    lock = sweep_folder.SweepLock(out).acquire()  # another process's resume, in effect
    try:
        assert main(["sweep", str(path), "--out", str(out), "--resume", "--quiet"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "another alliance-sim sweep is writing" in err
    finally:
        lock.release()
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--workers", "1", "--quiet"]) == 0


def test_run_into_a_sweep_folder_is_refused(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    _interrupted(out, monkeypatch, after=2)
    before = (out / "manifest.json").read_bytes()
    assert main(["run", str(ROOT / "scenarios" / "baseline_2018_2021.yaml"), "--out", str(out)]) == 2
    assert "holds a sweep" in capsys.readouterr().err
    assert (out / "manifest.json").read_bytes() == before


# --------------------------------------------------------------------------- Ctrl-C and a killed parent


def _start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _wait_for_parts(out: Path, proc: subprocess.Popen, count: int) -> None:
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if (out / "parts").exists() and len(list((out / "parts").glob("chunk-*.parquet"))) >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"fewer than {count} chunks appeared (exit {proc.poll()})")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_ctrl_c_stops_the_sweep_between_chunks_and_keeps_them(tmp_path):
    """One worker: chunks run one by one in the parent, each saved at once; Ctrl-C is checked between
    them. The event is asserted, not a wall-clock limit (a loaded machine once took 4.6 s): the sweep
    ends on its own (the 120 s timeout is only a guard), long before its 300 chunks, with exit 130,
    a resume command and every kept chunk recorded."""
    path = _write_sweep_file(tmp_path, chunk_size=20, replicates=1500)  # 6,000 runs in 300 chunks
    out = tmp_path / "out"
    proc = _start(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    _wait_for_parts(out, proc, 5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "--resume" in err and "Traceback" not in err, err
    kept = len(list((out / "parts").glob("chunk-*.parquet")))
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert 5 <= kept < 300 and len(manifest["chunks"]) == kept  # every kept chunk recorded with its checksum


def test_killing_the_parent_stops_its_workers(tmp_path):
    path = _write_sweep_file(tmp_path, chunk_size=20, replicates=1500)
    out = tmp_path / "out"
    proc = _start(["sweep", str(path), "--out", str(out), "--workers", "2", "--quiet"])
    try:
        _wait_for_parts(out, proc, 2)
        children = _children(proc.pid)
        assert children, "no worker processes found"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(c) for c in children):
            time.sleep(0.1)
        left = [c for c in children if _alive(c)]
        assert not left, f"workers still running after the parent was killed: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
    kept = len(list((out / "parts").glob("chunk-*.parquet")))
    assert kept >= 2
    assert all(pq.read_table(p).num_rows == 20 for p in (out / "parts").glob("chunk-*.parquet"))
