"""Run the hostile corpus against a checkout and count what it handles, by command.

    python experiments/hostile_corpus.py                      # this checkout
    python experiments/hostile_corpus.py --checkout OTHER     # another checkout (e.g. an older commit)

The corpus is the hostile suite's (tests/test_hostile_validate_run.py, tests/test_hostile_counts_paths.py)
plus the data-safety cases of tests/test_hostile_outputs.py, built once in a temporary folder by this
checkout, and the cases of "read back, verified; written, owned", counted apart as "new": forged posteriors,
results without their manifest, edited, downgraded and foreign room files, tampered calibration parts, every
writer aimed at a file or folder it did not make or at its own earlier output without --overwrite, two writers
on one folder, writers on a full disk and on a read-only mount (both mounted as tmpfs when run as root), input
ending before a played round, and the crash list. Every case runs in its own process of the checkout under test
(its ``main``, stdin answering "quit" or at its end), stopped after its time limit (a case still running then
is doing work, not refusing). A refusal is handled when it exits 2 with exactly one line on stderr and no
traceback (naming what the case expects, where it says), and, where it aimed at a file or folder, leaves it
byte for byte as it was. A tampered calibration part is handled when ``--resume`` computes it again: exit 0 and
the posterior of the untouched calibration, value for value. Controls (an untouched room file, calibration,
posterior and sweep) must be accepted, so that refusing everything handles nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DRIVER = r"""
import builtins, contextlib, io, json, sys, traceback
case = json.load(open(sys.argv[1]))[int(sys.argv[2])]
argv = case["argv"]

def answer(prompt=""):
    if case["stdin"] == "eof":
        raise EOFError
    return "quit"

def restore_room(path, confirmed):
    # the console's restore: the instructor's registry, its key given, the file's text as uploaded
    from simulation.core.errors import InputError
    from simulation.teaching.rooms import RoomRegistry
    registry = RoomRegistry(instructor_key="k")
    try:
        registry.restore(open(path, "rb").read(), source=path, key="k", confirmed=confirmed)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if not registry.rooms else 1
    return 0

builtins.input = answer
err, std = io.StringIO(), io.StringIO()
with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
    try:
        if argv[0] == "@room":
            code = restore_room(argv[1], argv[2:] == ["confirmed"])
        else:
            from simulation.cli import main
            code = main(argv)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = "exception"
json.dump({"code": code, "err": err.getvalue(), "out": std.getvalue()[-4000:]}, open(sys.argv[3], "w"))
"""
#: A refusal takes a few seconds at most (imports included); a case still running after this is doing work.
SECONDS_PER_CASE = 45
#: A resumed calibration computes a part again and writes its posterior: minutes on a loaded machine.
SECONDS_PER_RESUME = 300


@dataclass
class Case:
    """One hostile case: the command line (or ``["@room", file]``: the console's restore of a room file), the
    file or folder it must leave as it was, and what handling it means (``expect``): ``refused`` (exit 2, one
    line, ``fragment`` in it when given), ``recomputed`` (exit 0 and ``produced`` equal to ``reference``, value
    for value), ``kept`` (exit 0, the target as it was) or ``accepted`` (a control: exit 0)."""

    command: str
    argv: list[str]
    target: Path | None = None
    expect: str = "refused"
    stdin: str = "quit"
    seconds: float = SECONDS_PER_CASE
    fragment: str | None = None
    produced: Path | None = None
    reference: Path | None = None
    #: the integrity case it belongs to (one of INTEGRITY), if any
    group: str | None = None
    #: a folder whose writer lock another writer holds while the case runs: (folder, what)
    lock: tuple[Path, str] | None = None
    #: an untouched file or folder, counted apart: refusing everything must not pass for handling
    control: bool = False


#: The forgery and tamper cases of "every file read back is verified", each held when all its variants are.
INTEGRITY = (
    "posterior: zeroed or missing hash",
    "posterior: values edited inside the prior",
    "posterior: duplicated rows",
    "sweep results without their manifest",
    "room file edited, its hash recomputed",
    "room file format downgrade",
    "calibration part edited",
    "calibration part renamed",
    "calibration part truncated",
)
POSTERIOR_GROUPS = {
    "posterior_zeroed_hash": INTEGRITY[0], "posterior_no_hash": INTEGRITY[0],
    "posterior_edited_inside_prior_old_hash": INTEGRITY[1],
    "posterior_duplicated_rows": INTEGRITY[2], "posterior_duplicated_rows_old_hash": INTEGRITY[2],
}  # fmt: skip


def _digest(path: Path) -> str | None:
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if path.is_dir():
        return json.dumps(sorted((str(p.relative_to(path)), _digest(p)) for p in path.rglob("*") if p.is_file()))
    return None


#: Files of the validate/run corpus added with the integrity cases (counted as new, not in the earlier 464).
NEW_FILES = {
    "posterior_zeroed_hash", "posterior_no_hash", "posterior_edited_inside_prior_old_hash", "posterior_duplicated_rows",
    "posterior_duplicated_rows_old_hash", "posterior_one_draw", "patterns_one_pattern.yaml", "s9.json",
}  # fmt: skip


def build(root: Path, mounts: contextlib.ExitStack) -> list[Case]:
    """The cases (new cases' commands end in " (new)"); file systems mounted for them are unmounted by ``mounts``."""
    from simulation.cli import main
    from tests import test_hostile_counts_paths as counts
    from tests import test_hostile_validate_run as vr

    cases: list[Case] = []
    files = root / "files"
    files.mkdir(parents=True)
    for _kind, path, argv, _ in vr.build_corpus(files):
        tag = " (new)" if path.name in NEW_FILES else ""
        group = POSTERIOR_GROUPS.get(path.name)
        cases.append(Case("validate" + tag, ["validate", str(path)], path, group=group))
        cases.append(Case(argv[0] + tag, argv, path, group=group))
    paths = root / "paths"
    paths.mkdir()
    for command, argv, _ in counts.corpus(paths):
        cases.append(Case(command, argv, None))
    bad = os.fsdecode(bytes(root) + b"/\xff\xfe-name")
    with open(os.fsencode(bad), "w") as handle:
        handle.write("title: x\n")
    base = str(vr.BASE_PATH)
    for argv in (["validate", bad], ["run", bad], ["run", base, "--out", bad], ["sweep", bad], ["export", bad, "--long"],
                 ["handout", base, "--out", bad], ["play", "--load", bad], ["calibrate", bad]):  # fmt: skip
        cases.append(Case(argv[0], argv, None))
    # data safety: a finished tiny sweep, copied for every case that aims at it
    spec = root / "tiny.yaml"
    spec.write_text(yaml.safe_dump({"title": "tiny", "base_scenario": base, "design": {"method": "grid"},
                                    "vary": [{"path": "pressure.targets.China", "values": [0.2, 0.7]}],
                                    "replicates": 4, "master_seed": 1, "chunk_size": 4}), "utf-8")  # fmt: skip
    sweep = root / "sweep"
    assert main(["sweep", str(spec), "--out", str(sweep), "--workers", "1", "--quiet"]) == 0
    n = 0

    def copy() -> Path:
        nonlocal n
        n += 1
        target = root / f"R{n}"
        shutil.copytree(sweep, target)
        return target

    for fmt in ([], ["--csv"]):
        r = copy()
        cases.append(
            Case("export", ["export", str(r), "--long", *fmt, "--overwrite", "--out", str(r / "results.parquet")], r)
        )
        r = copy()
        cases.append(
            Case("export", ["export", str(r), "--long", *fmt, "--overwrite", "--out", str(r / "manifest.json")], r)
        )
        r = copy()
        other = root / f"other{n}.parquet"
        shutil.copy(r / "results.parquet", other)
        cases.append(Case("export", ["export", str(r), "--long", *fmt, "--overwrite", "--out", str(other)], other))
        thesis = root / f"thesis{n}.csv"
        thesis.write_text("precious\n", "utf-8")
        cases.append(
            Case("export", ["export", str(copy()), "--long", *fmt, "--overwrite", "--out", str(thesis)], thesis)
        )
    for argv_of in (
        lambda r: ["export", str(r), "--long", "--out", str(root / f"x{n}.parquet")],
        lambda r: ["plot", str(r), "--out", str(root / f"figs{n}")],
        lambda r: ["discover", str(r), "--out", str(root / f"disc{n}")],
        lambda r: ["validate", str(r / "results.parquet")],
        lambda r: ["sweep", str(spec), "--out", str(r), "--resume", "--quiet"],
    ):
        r = copy()
        data = bytearray((r / "results.parquet").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (r / "results.parquet").write_bytes(bytes(data))
        argv = argv_of(r)
        cases.append(Case(argv[0], argv, r))
    run_dir = root / "run"
    assert main(["run", base, "--steps", "2", "--out", str(run_dir)]) == 0
    cases.append(Case("run", ["run", base, "--steps", "2", "--out", str(run_dir)], run_dir))
    theirs = root / "theirs"
    theirs.mkdir()
    (theirs / "thesis.tex").write_text("precious\n", "utf-8")
    cases.append(Case("run", ["run", base, "--steps", "2", "--out", str(theirs)], theirs))
    cases += new_cases(root / "new", sweep, spec, base)
    cases += writer_cases(root / "writers", sweep, spec, base)
    cases += room_cases(root / "rooms")
    cases += part_cases(root / "parts")
    cases += mount_cases(root / "mounts", sweep, spec, base, mounts)
    return cases


def new_cases(root: Path, sweep: Path, spec: Path, base: str) -> list[Case]:
    """Read back, verified; written, owned: every writer aimed at what it did not make, results away from their
    manifest, the crash list. Each command's name ends in " (new)"."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from simulation.behaviour import posterior_files
    from simulation.calibration.patterns import shipped_patterns_path

    root.mkdir()
    cases: list[Case] = []
    n = 0

    def fresh(kind: str) -> Path:
        nonlocal n
        n += 1
        path = root / f"{kind}{n}"
        if kind == "file":
            path.write_text("precious\n", "utf-8")
        elif kind == "folder":
            path.mkdir()
            (path / "thesis.tex").write_text("precious\n", "utf-8")
        elif kind == "sweep":
            shutil.copytree(sweep, path)
        elif kind == "calibration":
            path.mkdir()
            for f in posterior_files():
                shutil.copy(f, path / f.name)
        return path

    def add(argv: list, target: Path | None, group: str | None = None, **kw) -> None:
        argv = [str(a) for a in argv]
        cases.append(Case(argv[0] + " (new)", argv, target, group=group, **kw))

    # writers over a file they did not make (none without --overwrite)
    for argv in (["params", "--format", "markdown", "--out"], ["schema", "--out"], ["schema", "--kind", "sweep", "--out"],
                 ["landscape", base, "--out"]):  # fmt: skip
        target = fresh("file")
        add([*argv, target], target)
    target = fresh("file")
    add(["calibration-report", "--out", target, "--figures", root / "figs-never"], target)
    target = fresh("file")
    add(["play", base, "--human", "Russia", "--save", target], target)
    # writers into a folder holding files they did not make
    for argv_of in (
        lambda t: ["handout", base, "--runs", "5", "--out", t],
        lambda t: ["compare", "baseline_2018_2021", "low_us_pressure", "--runs", "10", "--out", t],
        lambda t: ["plot", sweep, "--out", t],
        lambda t: ["discover", sweep, "--out", t],
        lambda t: ["calibration-report", "--out", root / f"r{n}.md", "--figures", t],
        lambda t: ["calibrate", "--out", t],
        lambda t: ["run", base, "--steps", "2", "--out", t, "--overwrite"],
    ):
        target = fresh("folder")
        add(argv_of(target), target)
    # its own earlier output: replaced only with --overwrite
    figures = root / "own-figures"
    from simulation.cli import main

    assert main(["plot", str(sweep), "--kind", "probability", "--out", str(figures)]) == 0
    add(["plot", sweep, "--kind", "probability", "--out", figures], figures)
    for argv_of in (
        lambda t: ["calibrate", "--out", t, "--draws", "16", "--accept", "4"],
        lambda t: ["calibrate", "--out", t, "--method", "smc", "--population", "4", "--generations", "1"],
    ):
        target = fresh("calibration")
        add(argv_of(target), target)
    theirs = root / "their-posterior"
    theirs.mkdir()
    (theirs / "posterior.json").write_text('{"mine": true}\n', "utf-8")
    add(["calibrate", "--out", theirs, "--overwrite"], theirs)
    # sweep --overwrite on a planted minimal manifest beside the user's results
    planted = root / "planted"
    planted.mkdir()
    shutil.copy(sweep / "results.parquet", planted / "results.parquet")
    (planted / "manifest.json").write_text('{"package": "alliance-sim", "kind": "sweep"}', "utf-8")
    add(["sweep", spec, "--out", planted, "--overwrite", "--quiet"], planted)
    # results without their manifest (or beside one that is not theirs): every reader refuses
    table = pq.read_table(sweep / "results.parquet")
    edited = table.set_column(
        table.column_names.index("alliance_reached"), "alliance_reached", pa.array([True] * table.num_rows)
    ).replace_schema_metadata(table.schema.metadata)
    for how in ("alone", "edited_alone", "planted_manifest", "other_manifest"):
        for argv_of in (
            lambda r: ["validate", r],
            lambda r: ["export", r, "--long", "--out", root / f"x-{r.parent.name}.parquet"],
            lambda r: ["plot", r, "--out", root / f"f-{r.parent.name}"],
            lambda r: ["discover", r, "--out", root / f"d-{r.parent.name}"],
        ):
            folder = root / f"{how}{n}"
            n += 1
            folder.mkdir()
            if how == "alone":
                shutil.copy(sweep / "results.parquet", folder / "results.parquet")
            else:
                pq.write_table(edited, folder / "results.parquet")
            if how == "planted_manifest":
                (folder / "manifest.json").write_text('{"package": "alliance-sim", "kind": "sweep"}', "utf-8")
            elif how == "other_manifest":
                shutil.copy(sweep / "manifest.json", folder / "manifest.json")
            add(argv_of(folder / "results.parquet"), folder, INTEGRITY[3])
    # controls: an untouched posterior and an untouched sweep are read
    posterior = fresh("calibration")
    add(["validate", posterior], posterior, expect="accepted", control=True)
    copy = fresh("sweep")
    add(["validate", copy], copy, expect="accepted", control=True)
    add(["export", copy, "--long", "--out", root / "control.parquet"], copy, expect="accepted", control=True)
    # the crash list
    target = fresh("file")
    add(["plot", sweep, "--out", target], target)
    for where in ("/proc/alliance-sim-x", "/sys/alliance-sim-x", "/proc/self"):
        add(["plot", sweep, "--out", where], None)
    add(["plot", sweep, "--fix", "pressure.targets.China=0.5", "--out", root / "fix-never"], None)
    add(["plot", sweep, "--fix", "nope=1", "--out", root / "fix-never2"], None)
    csv = root / "extra.csv"
    csv.write_text("actor,size,A,B,Z\nA,1,0,0.5,3\nB,2,0.5,0,1\n", "utf-8")
    add(["landscape", csv], csv)
    add(["validate", csv], csv)
    data = yaml.safe_load(shipped_patterns_path().read_text("utf-8"))
    data["patterns"] = data["patterns"][:1]
    one = root / "one.yaml"
    one.write_text(yaml.safe_dump(data), "utf-8")
    add(["validate", "--kind", "patterns", one], one)
    add(["calibrate", one, "--out", root / "cal-never"], one)
    deep = root / "deep.json"
    deep.write_text('{"format": "alliance-sim seminar 1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "utf-8")
    add(["validate", deep], deep)
    add(["play", "--load", deep], deep)
    return cases


def _new(command: str, argv: list, target: Path | None = None, **kw) -> Case:
    argv = [str(a) for a in argv]
    return Case(f"{command} (new)", argv, target, **kw)


def writer_cases(root: Path, sweep: Path, spec: Path, base: str) -> list[Case]:
    """Every writer aimed at a user's file, into a user's folder and at its own earlier output, without
    --overwrite; two writers on one folder; input that ends before a round is played."""
    from simulation.cli import main

    root.mkdir()
    morris = root / "morris.yaml"
    morris.write_text(yaml.safe_dump({"title": "tiny morris", "base_scenario": base,
                                      "design": {"method": "morris", "samples": 2, "levels": 4},
                                      "vary": [{"path": "pressure.targets.China", "range": {"low": 0.2, "high": 0.8}},
                                               {"path": "pressure.targets.Russia", "range": {"low": 0.2, "high": 0.8}}],
                                      "replicates": 2, "master_seed": 1}), "utf-8")  # fmt: skip
    #: writer -> its argv up to (not including) the output path; folder writers first, then file writers
    folders = {
        "run": ["run", base, "--steps", "2", "--out"],
        "sweep": ["sweep", spec, "--quiet", "--workers", "1", "--out"],
        "plot": ["plot", sweep, "--kind", "probability", "--out"],
        "discover": ["discover", sweep, "--outcome", "mean_level", "--threshold", "3.5", "--out"],
        "compare": ["compare", "baseline_2018_2021", "low_us_pressure", "--runs", "10", "--out"],
        "handout": ["handout", base, "--runs", "5", "--out"],
        "sensitivity": ["sensitivity", morris, "--workers", "1", "--quiet", "--out"],
        "calibrate": ["calibrate", "--draws", "16", "--accept", "4", "--sbc-truths", "0", "--out"],
        "calibration-report": ["calibration-report", "--out", root / "never.md", "--figures"],
    }
    files = {
        "params": ["params", "--format", "markdown", "--out"],
        "schema": ["schema", "--out"],
        "landscape": ["landscape", base, "--out"],
        "export": ["export", sweep, "--long", "--out"],
        "calibration-report": ["calibration-report", "--figures", root / "figs-never", "--out"],
        "play": ["play", base, "--human", "Russia", "--debrief-runs", "10", "--save"],
    }
    cases: list[Case] = []
    n = 0

    def fresh(kind: str) -> Path:
        nonlocal n
        n += 1
        path = root / f"{kind}{n}"
        if kind == "file":
            path.write_text("precious\n", "utf-8")
        else:
            path.mkdir()
            (path / "thesis.tex").write_text("precious\n", "utf-8")
        return path

    for command, argv in folders.items():
        target = fresh("file")  # a folder writer aimed at a user's file
        cases.append(_new(command, [*argv, target], target))
        target = fresh("folder")  # into a user's folder
        cases.append(_new(command, [*argv, target], target))
    for command, argv in files.items():
        target = fresh("file")  # over a user's file
        cases.append(_new(command, [*argv, target], target))
        target = fresh("folder")  # a file writer aimed at a user's folder
        cases.append(_new(command, [*argv, target], target))
    # its own earlier output, made here first: replaced only with --overwrite
    for command, argv in [*((c, a) for c, a in folders.items() if c in ("run", "discover", "compare", "handout")),
                          *((c, a) for c, a in files.items() if c in ("params", "schema", "landscape", "export"))]:  # fmt: skip
        n += 1
        own = root / f"own-{command}{n}" / ("out.md" if command in files else "")
        if command in files:
            own.parent.mkdir()
            own = own.with_suffix(".parquet" if command == "export" else ".md")
        assert main([str(a) for a in [*argv, own]]) == 0, command
        cases.append(_new(command, [*argv, own], own))
        if command == "discover":  # and another discovery into the folder of this one
            other = [a if a != "3.5" else "3.2" for a in argv]
            cases.append(_new(command, [*other, own], own, fragment="--overwrite"))
    own = root / "own-sweep"
    assert main([str(a) for a in folders["sweep"][:-1]] + ["--out", str(own)]) == 0
    cases.append(_new("sweep", [*folders["sweep"], own], own))  # a finished sweep: --resume or --overwrite
    # two writers on one folder: the second is refused while the first holds the folder
    busy = root / "busy-calibration"
    busy.mkdir()
    argv = [*folders["calibrate"], busy]
    cases.append(_new("calibrate", argv, busy, lock=(busy, "calibration"), fragment="another alliance-sim"))
    busy = root / "busy-sweep"  # a sweep another process is resuming
    shutil.copytree(sweep, busy)
    argv = [*folders["sweep"], busy, "--resume"]
    cases.append(_new("sweep", argv, busy, lock=(busy, "sweep"), fragment="another alliance-sim"))
    # input that ends before a round is played: nothing saved, nothing replaced
    target = fresh("file")
    cases.append(_new("play", [*files["play"], target, "--overwrite"], target, expect="kept", stdin="eof"))
    cases.append(_new("play", [*files["play"], root / "never.json"], root / "never.json", expect="kept", stdin="eof"))
    return cases


def room_cases(root: Path) -> list[Case]:
    """Room files as the console restores them: edited with the plain hash recomputed, edited and left,
    downgraded to an older format, signed on another computer; an untouched file is the control."""
    from simulation.teaching.rooms import CONFIG_ENV, Room, plain_hash
    from simulation.teaching.seminar import HumanMove
    from tests.conftest import scenario

    root.mkdir()
    room = Room(scenario("baseline_2018_2021"), "baseline_2018_2021", seed=5)
    seat = room.join("Reds", "Russia").seat
    room.submit("Russia", seat, HumanMove({"China": "raise"}))
    room.advance()
    text = room.save_json()
    cases: list[Case] = []

    def write(name: str, data: dict | str, **kw) -> None:
        path = root / f"{name}.json"
        path.write_text(data if isinstance(data, str) else json.dumps(data), "utf-8")
        cases.append(_new("room restore", ["@room", path], path, **kw))

    edits = {
        "seed": lambda d: d.update(seed=6),
        "past_move": lambda d: d["rounds"][0]["moves"]["Russia"]["moves"].update(China="lower"),
        "scenario": lambda d: d["scenario"].update(steps=12),
        "seat_code": lambda d: d["teams"][0].update(seat="ABCDEF"),
        "title": lambda d: d.update(title="Another game"),
    }
    for name, edit in edits.items():
        data = json.loads(text)
        edit(data)
        write(f"edited_{name}", data, group=INTEGRITY[4], fragment="signature does not match")
        data["content_hash"] = plain_hash(data)
        write(f"edited_{name}_rehashed", data, group=INTEGRITY[4], fragment="signature does not match")
    for fmt, fragment in (("alliance-sim room 1", "cannot be restored"), ("alliance-sim room 2", "unsigned")):
        data = {**json.loads(text), "format": fmt, "seed": 6}
        data["content_hash"] = plain_hash(data)
        write(f"downgraded_{fmt[-1]}", data, group=INTEGRITY[5], fragment=fragment)
    data = {**json.loads(text), "seed": 6}
    data.pop("signer", None)
    data["content_hash"] = plain_hash(data)
    write("signer_removed", data, fragment="confirm to restore")
    here = os.environ.get(CONFIG_ENV)
    os.environ[CONFIG_ENV] = str(root / "another-computer")
    try:
        elsewhere = room.save_json()
    finally:
        os.environ[CONFIG_ENV] = here or ""
    write("signed_elsewhere", elsewhere, fragment="signed on another computer")
    write("untouched", text, expect="accepted", control=True)
    return cases


# a calibration's reference-table parts, tampered between a run and its --resume
def _edit(part: Path) -> None:
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part.write_bytes(bytes(data))


def _truncate(part: Path) -> None:
    part.write_bytes(part.read_bytes()[:300])


def _drop_rows(part: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(pq.read_table(part).slice(0, 60), part)


def _rename(part: Path) -> None:
    other = part.with_name("part-00002.parquet")
    other.unlink()
    part.rename(other)


def _garbage(part: Path) -> None:
    part.write_bytes(b"PAR1 not a table")


def _other_table(part: Path) -> None:
    """Valid Parquet, the same columns and draws, another table's numbers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(part)
    column = table.column(1).to_numpy() + 0.5
    pq.write_table(table.set_column(1, table.column_names[1], pa.array(column)), part)


def _no_index(part: Path) -> None:
    (part.parent.parent / "parts.json").unlink()


def _bad_index(part: Path) -> None:
    (part.parent.parent / "parts.json").write_text("{not json", "utf-8")


CALIBRATE = ["calibrate", "--draws", "256", "--waves", "1", "--replicates", "2", "--accept", "8", "--seed", "3",
             "--sbc-truths", "0", "--workers", "1"]  # fmt: skip
TAMPERS = [(_edit, INTEGRITY[6]), (_garbage, INTEGRITY[6]), (_other_table, INTEGRITY[6]), (_rename, INTEGRITY[7]),
           (_truncate, INTEGRITY[8]), (_drop_rows, INTEGRITY[8]), (_no_index, None), (_bad_index, None)]  # fmt: skip


def part_cases(root: Path) -> list[Case]:
    """A small calibration, then copies with one part tampered: ``--resume`` must compute it again and give the
    untouched calibration's posterior; the untouched copy resumed is the control."""
    from simulation.cli import main

    untouched = root / "untouched"
    assert main([*CALIBRATE, "--out", str(untouched)]) == 0
    cases = []
    for tamper, group in [*TAMPERS, (None, None)]:
        name = tamper.__name__.strip("_") if tamper else "control"
        out = root / name
        shutil.copytree(untouched, out)
        if tamper is not None:
            tamper(out / "reference_table" / "parts" / "part-00001.parquet")
        cases.append(_new("calibrate --resume", [*CALIBRATE, "--out", out, "--resume"], None, group=group,
                          expect="recomputed", seconds=SECONDS_PER_RESUME, produced=out / "posterior.parquet",
                          reference=untouched / "posterior.parquet", control=tamper is None))  # fmt: skip
    return cases


@contextlib.contextmanager
def _tmpfs(folder: Path, options: str) -> Iterator[Path]:
    folder.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def can_mount() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount") is not None


def mount_cases(root: Path, sweep: Path, spec: Path, base: str, mounts: contextlib.ExitStack) -> list[Case]:
    """Every writer on a full disk (a tmpfs filled to its last byte) and on a read-only mount: one line each,
    the disk's files as they were (nothing half-written left behind). Root only; none otherwise."""
    if not can_mount():
        return []
    full = mounts.enter_context(_tmpfs(root / "full", "size=256k"))
    with contextlib.suppress(OSError), open(full / "filler.bin", "wb") as handle:
        while True:  # to the last byte: every later write fails with ENOSPC
            handle.write(b"\0" * 4096)
            handle.flush()
    ro = mounts.enter_context(_tmpfs(root / "ro", "ro,size=64k"))
    writers = {
        "run": ["run", base, "--steps", "2", "--out", "{}/run"],
        "params": ["params", "--format", "markdown", "--out", "{}/params.md"],
        "schema": ["schema", "--out", "{}/schema.json"],
        "landscape": ["landscape", base, "--out", "{}/landscape.md"],
        "export": ["export", sweep, "--long", "--out", "{}/long.parquet"],
        "export --csv": ["export", sweep, "--long", "--csv", "--out", "{}/long.csv"],
        "plot": ["plot", sweep, "--kind", "probability", "--out", "{}/figs"],
        "discover": ["discover", sweep, "--outcome", "mean_level", "--threshold", "3.5", "--out", "{}/disc"],
        "compare": ["compare", "baseline_2018_2021", "low_us_pressure", "--runs", "10", "--out", "{}/cmp"],
        "handout": ["handout", base, "--runs", "5", "--out", "{}/handout"],
        "calibration-report": ["calibration-report", "--out", "{}/report.md", "--figures", "{}/figs"],
    }
    cases = []
    for disk, fragment in ((full, "no room"), (ro, "read-only")):
        for command, argv in writers.items():
            argv = [str(a).replace("{}", str(disk)) for a in argv]
            cases.append(_new(command.split()[0], argv, disk, fragment=fragment))
    # a sweep on the read-only mount is refused before work (on a full disk it keeps its finished chunks by design)
    cases.append(_new("sweep", ["sweep", spec, "--quiet", "--out", ro / "sweep"], ro, fragment="read-only"))
    return cases


def _same_table(a: Path | None, b: Path | None) -> bool:
    import pyarrow.parquet as pq

    try:
        return a is not None and b is not None and pq.read_table(a).equals(pq.read_table(b))
    except Exception:  # noqa: BLE001 - an unreadable or missing posterior is simply not the same
        return False


def handled(case: Case, result: dict, before: str | None) -> bool:
    """Whether ``case`` was handled (see the module's description)."""
    err = result["err"]
    if result["code"] == "exception" or "Traceback" in err:
        return False
    if case.target is not None and _digest(case.target) != before:
        return False
    if case.expect == "refused":
        lines = err.strip().splitlines()
        return result["code"] == 2 and len(lines) == 1 and (case.fragment is None or case.fragment in err)
    if case.expect == "recomputed":
        return result["code"] == 0 and _same_table(case.produced, case.reference)
    return result["code"] == 0  # kept, accepted


def run(checkout: Path, cases: list[Case], work: Path) -> dict[str, list[int]]:
    """Run every case in its own process; returns {command: [handled, cases]}, integrity groups as
    "integrity: <group>" and controls as "control: <command>"."""
    from simulation.core.io import FolderLock

    (work / "cases.json").write_text(json.dumps([{"argv": c.argv, "stdin": c.stdin} for c in cases]), "utf-8")
    (work / "driver.py").write_text(DRIVER, "utf-8")
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for k, case in enumerate(cases):
        out = work / f"out{k}.json"
        with contextlib.ExitStack() as held:
            if case.lock is not None:
                held.enter_context(FolderLock(*case.lock))  # the first writer, still at work
            before = _digest(case.target) if case.target is not None else None
            proc = subprocess.Popen([sys.executable, str(work / "driver.py"), str(work / "cases.json"), str(k), str(out)],
                                    cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
            try:
                proc.wait(timeout=case.seconds)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the case's own process group: it and its workers
                proc.wait()
            result = json.loads(out.read_text("utf-8")) if out.exists() else {"code": "timeout", "err": ""}
            ok = handled(case, result, before)
        key = f"control: {case.command}" if case.control else case.command
        tally[key][0] += ok
        tally[key][1] += 1
        if case.group is not None:
            tally[f"integrity: {case.group}"][0] += ok
            tally[f"integrity: {case.group}"][1] += 1
        if not ok and os.environ.get("HOSTILE_VERBOSE"):
            text = f"NOT HANDLED {case.command}: {' '.join(case.argv)[:200]}: exit {result['code']}: {result['err'].strip()[-300:]}"
            print(text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"), flush=True)
    return dict(tally)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout to run the corpus against")
    parser.add_argument("--new-only", action="store_true", help="run only the new cases (and the controls)")
    args = parser.parse_args()
    from simulation.teaching.rooms import CONFIG_ENV

    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp, contextlib.ExitStack() as mounts:
        root = Path(tmp)
        os.environ[CONFIG_ENV] = str(root / "config")  # the room-signing key of the computer under test
        cases = build(root / "corpus", mounts)
        if args.new_only:
            cases = [c for c in cases if c.command.endswith(" (new)")]
        tally = run(args.checkout.resolve(), cases, root)
    print(f"| command | handled / cases ({args.checkout}) |\n|---|---|")
    for command, (done, count) in sorted(tally.items()):
        print(f"| {command} | {done} / {count} |")
    commands = {k: v for k, v in tally.items() if not k.startswith(("integrity: ", "control: "))}
    for group, label in ((False, "earlier"), (True, "new")):
        chosen = [v for k, v in commands.items() if k.endswith(" (new)") == group]
        print(f"| **all {label}** | **{sum(v[0] for v in chosen)} / {sum(v[1] for v in chosen)}** |")
    held = sum(tally.get(f"integrity: {g}", [0, 1])[0] == tally.get(f"integrity: {g}", [0, 1])[1] for g in INTEGRITY)
    print(f"| **integrity cases held (every variant handled)** | **{held} / {len(INTEGRITY)}** |")
    controls = [v for k, v in tally.items() if k.startswith("control: ")]
    print(f"| **controls accepted** | **{sum(v[0] for v in controls)} / {sum(v[1] for v in controls)}** |")
    if not can_mount():
        print("(not run as root: the full-disk and read-only-mount cases were left out)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
