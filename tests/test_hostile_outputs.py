"""Nothing lost: outputs never replace what the tool did not make for that purpose, and finished results are
read only when they are the file their manifest recorded.

Every case checks the one-line refusal (exit 2) and, byte for byte, that the file it aimed at is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from simulation.behaviour import posterior_files
from simulation.cli import main
from tests.conftest import SCENARIOS

BASE_PATH = SCENARIOS / "baseline_2018_2021.yaml"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A finished tiny sweep (2 points x 4 replicates): the folder every test copies."""
    root = tmp_path_factory.mktemp("outputs")
    spec = root / "tiny.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "title": "tiny",
                "base_scenario": str(BASE_PATH),
                "design": {"method": "grid"},
                "vary": [{"path": "pressure.targets.China", "label": "china", "values": [0.2, 0.7]}],
                "replicates": 4,
                "master_seed": 1,
                "chunk_size": 4,
            }
        ),
        "utf-8",
    )
    out = root / "R"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    return out


@pytest.fixture
def folder(sweep, tmp_path) -> Path:
    copy = tmp_path / "R"
    shutil.copytree(sweep, copy)
    return copy


def _refused(capsys, argv: list[str], fragment: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, f"{argv}: exit {code}: {err}"
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert fragment in err, f"{fragment!r} not in {err!r}"
    return err


def test_export_never_replaces_its_input_a_manifest_or_sealed_files(folder, tmp_path, capsys):
    results, manifest = folder / "results.parquet", folder / "manifest.json"
    elsewhere = tmp_path / "copy"
    elsewhere.mkdir()
    shutil.copy(results, elsewhere / "their_results.parquet")
    (elsewhere / "manifest.json").write_text('{"mine": true}\n', "utf-8")
    (folder / "parts").mkdir()
    (folder / "parts" / "chunk-000000.parquet").write_bytes(b"x")
    post_dir = tmp_path / "posterior"
    post_dir.mkdir()
    for f in posterior_files():
        shutil.copy(f, post_dir / f.name)
    link = tmp_path / "link.parquet"
    link.symlink_to(results)
    targets = {
        results: "input of this command",
        manifest: "input of this command",
        link: "input of this command",
        elsewhere / "manifest.json": "is a manifest",
        elsewhere / "their_results.parquet": "results of a sweep",
        folder / "parts" / "chunk-000000.parquet": "chunks folder",
        post_dir / "posterior.parquet": "calibrated posterior",
        post_dir / "posterior.json": "calibrated posterior",
    }
    before = {t: _digest(t) for t in targets}
    for target, fragment in targets.items():
        for fmt in ([], ["--csv"]):
            _refused(capsys, ["export", str(folder), "--long", *fmt, "--overwrite", "--out", str(target)], fragment)
    assert {t: _digest(t) for t in targets} == before


def test_export_overwrite_replaces_only_an_earlier_export(folder, tmp_path, capsys):
    for suffix, fmt in ((".parquet", []), (".csv", ["--csv"])):
        out = tmp_path / f"long{suffix}"
        assert main(["export", str(folder), "--long", *fmt, "--out", str(out)]) == 0
        first = _digest(out)
        _refused(capsys, ["export", str(folder), "--long", *fmt, "--out", str(out)], "--overwrite")
        assert main(["export", str(folder), "--long", *fmt, "--out", str(out), "--overwrite"]) == 0
        assert _digest(out) == first  # the same export again
        theirs = tmp_path / f"thesis{suffix}"
        theirs.write_text("precious\n", "utf-8")
        _refused(capsys, ["export", str(folder), "--long", *fmt, "--out", str(theirs), "--overwrite"], "not written by")
        assert theirs.read_text("utf-8") == "precious\n"
    side = tmp_path / "other.csv.manifest.json"
    side.write_text("precious\n", "utf-8")
    _refused(capsys, ["export", str(folder), "--long", "--csv", "--out", str(tmp_path / "other.csv")], "exists")
    assert side.read_text("utf-8") == "precious\n" and not (tmp_path / "other.csv").exists()


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "other sweep", "unfinished manifest"])
def test_tampered_results_are_read_by_no_command(folder, sweep, tmp_path, capsys, damage):
    results = folder / "results.parquet"
    fragment = "results_sha256"
    if damage == "flipped byte":
        _flip_a_byte(results)
    elif damage == "truncated":
        results.write_bytes(results.read_bytes()[:-200] + b"PAR1")
    elif damage == "other sweep":
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        manifest["sweep_id"] = "another-sweep"
        (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
        fragment = "another sweep"
    else:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        manifest["complete"] = False
        (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
        fragment = "not finished"
    spec = sweep.parent / "tiny.yaml"
    commands = [
        ["export", str(folder), "--long", "--out", str(tmp_path / "x.parquet")],
        ["export", str(results), "--long", "--csv", "--out", str(tmp_path / "x.csv")],
        ["plot", str(folder), "--out", str(tmp_path / "figs")],
        ["discover", str(folder), "--out", str(tmp_path / "disc")],
        ["validate", str(folder)],
        ["validate", str(results)],
    ]
    if damage in ("flipped byte", "truncated"):
        commands.append(["sweep", str(spec), "--out", str(folder), "--resume", "--quiet"])
    before = {p.relative_to(folder): _digest(p) for p in folder.rglob("*") if p.is_file()}
    for argv in commands:
        if damage == "truncated" and argv[0] in ("plot", "discover", "export", "validate"):
            err = _refused(capsys, argv, "")  # an unreadable table or a hash mismatch: either is a refusal
            assert "results_sha256" in err or "Parquet" in err, err
        elif argv[0] == "sweep" and damage == "unfinished manifest":
            continue
        else:
            _refused(capsys, argv, fragment)
    assert not (tmp_path / "x.parquet").exists() and not (tmp_path / "figs").exists()
    assert {p.relative_to(folder): _digest(p) for p in folder.rglob("*") if p.is_file()} == before  # not even .lock


def test_an_intact_copy_is_read(folder, tmp_path, capsys):
    """The control: the same commands on the untouched copy succeed (the hash check refuses only changes)."""
    assert main(["validate", str(folder)]) == 0
    assert "hash verified" in capsys.readouterr().out
    assert main(["export", str(folder), "--long", "--out", str(tmp_path / "x.parquet")]) == 0
    copied = tmp_path / "copied"  # the folder copied whole (results with their manifest) is read too
    shutil.copytree(folder, copied)
    assert main(["export", str(copied / "results.parquet"), "--long", "--out", str(tmp_path / "y.parquet")]) == 0


@pytest.mark.parametrize("command", ["validate", "export", "plot", "discover"])
@pytest.mark.parametrize("how", ["alone", "without_manifest", "other_manifest", "planted_manifest"])
def test_results_without_their_manifest_are_refused(folder, tmp_path, capsys, command, how):
    """Only the hash recorded in manifest.json proves a table's values: the manifest embedded in the Parquet
    metadata survives an edit (replace_schema_metadata), so results away from their manifest.json, or beside
    one that is not the sweep's, are refused by every reader, with one line, before any output is written."""
    import pyarrow.parquet as pq

    table = pq.read_table(folder / "results.parquet")
    edited = table.set_column(
        table.column_names.index("alliance_reached"), "alliance_reached", pa.array([True] * table.num_rows)
    ).replace_schema_metadata(table.schema.metadata)  # values edited, embedded manifest kept
    target = tmp_path / "T"
    target.mkdir()
    pq.write_table(edited, target / "results.parquet")
    if how == "alone":
        shutil.copy(folder / "results.parquet", target / "results.parquet")
    elif how == "other_manifest":
        (target / "manifest.json").write_text((folder / "manifest.json").read_text("utf-8"), "utf-8")
    elif how == "planted_manifest":
        (target / "manifest.json").write_text('{"package": "alliance-sim", "kind": "sweep"}', "utf-8")
    results = target / "results.parquet"
    argv = {
        "validate": ["validate", str(results)],
        "export": ["export", str(results), "--long", "--out", str(tmp_path / "x.parquet")],
        "plot": ["plot", str(results), "--out", str(tmp_path / "figs")],
        "discover": ["discover", str(results), "--out", str(tmp_path / "disc")],
    }[command]
    before = {p.name: _digest(p) for p in target.iterdir()}
    fragment = {"other_manifest": "results_sha256", "planted_manifest": "another sweep"}.get(how, "no manifest.json")
    _refused(capsys, argv, fragment)
    assert {p.name: _digest(p) for p in target.iterdir()} == before
    assert not any((tmp_path / name).exists() for name in ("x.parquet", "figs", "disc"))


def test_sweep_overwrite_never_removes_results_a_planted_manifest_claims(sweep, folder, tmp_path, capsys):
    """`sweep --overwrite` on a folder holding the user's results.parquet and a minimal manifest.json planted
    beside it: the results are not proven to be the sweep's, so nothing is removed."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    shutil.copy(folder / "results.parquet", theirs / "results.parquet")
    (theirs / "manifest.json").write_text('{"package": "alliance-sim", "kind": "sweep"}', "utf-8")
    (theirs / "notes.txt").write_text("precious\n", "utf-8")
    before = {p.name: _digest(p) for p in theirs.iterdir()}
    spec = sweep.parent / "tiny.yaml"
    _refused(capsys, ["sweep", str(spec), "--out", str(theirs), "--overwrite", "--quiet"], "not removed")
    assert {p.name: _digest(p) for p in theirs.iterdir()} == before


def test_run_into_an_earlier_run_asks_for_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["run", str(BASE_PATH), "--steps", "2", "--seed", "4", "--out", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    first = {p.name: _digest(p) for p in out.iterdir()}
    _refused(capsys, argv, "--overwrite")
    assert {p.name: _digest(p) for p in out.iterdir()} == first
    assert main([*argv, "--overwrite"]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == sorted(first)
    (out / "notes.txt").write_text("mine\n", "utf-8")
    _refused(capsys, [*argv, "--overwrite"], "did not make")
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "thesis.tex").write_text("precious\n", "utf-8")
    for extra in ([], ["--overwrite"]):
        _refused(capsys, ["run", str(BASE_PATH), "--steps", "2", "--out", str(theirs), *extra], "not a run folder")
    assert sorted(p.name for p in theirs.iterdir()) == ["thesis.tex"]


def test_file_outputs_refuse_manifests_and_sealed_files(folder, capsys):
    """params, schema, landscape and calibration-report --out go through the same check as export."""
    before = _digest(folder / "manifest.json")
    results = _digest(folder / "results.parquet")
    for argv, fragment in (
        (["params", "--format", "markdown", "--out", str(folder / "manifest.json")], "is a manifest"),
        (["schema", "--out", str(folder / "results.parquet")], "sealed file of the sweep"),
        (["landscape", str(BASE_PATH), "--out", str(folder / "manifest.json")], "is a manifest"),
        (["calibration-report", "--out", str(folder / "manifest.json"), "--figures", str(folder / "f")], "manifest"),
    ):
        _refused(capsys, argv, fragment)
    assert _digest(folder / "results.parquet") == results
    assert _digest(folder / "manifest.json") == before


def test_landscape_out_is_not_its_input(tmp_path, capsys):
    table = tmp_path / "t.yaml"
    table.write_text(yaml.safe_dump({"sizes": {"A": 1.0, "B": 2.0, "C": 1.0}, "propensity": {"A-B": 0.5}}), "utf-8")
    before = _digest(table)
    _refused(capsys, ["landscape", str(table), "--out", str(table)], "input of this command")
    assert _digest(table) == before
