"""Run the hostile corpus of the newer features against a checkout and count what it handles, by command.

    python experiments/hostile_corpus.py                      # this checkout
    python experiments/hostile_corpus.py --checkout OTHER     # another checkout (e.g. an older commit)

The corpus is the hostile suite's (tests/test_hostile_validate_run.py, tests/test_hostile_counts_paths.py)
plus the data-safety cases of tests/test_hostile_outputs.py, built once in a temporary folder by this
checkout, and the cases of "read back, verified; written, owned" (tests/test_hostile_writers.py: forged
posteriors, results without their manifest, every writer aimed at a file or folder it did not make, the
crash list), counted apart as "new". Every case runs in its own process of the checkout under test (its ``main``, stdin answering
"quit"), stopped after SECONDS_PER_CASE (a case still running then is doing work, not refusing). A case is handled when it exits 2 with exactly one line on stderr and no traceback, and,
where it aimed at a file or folder, leaves it byte for byte as it was.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DRIVER = r"""
import builtins, contextlib, io, json, sys, traceback
builtins.input = lambda prompt="": "quit"
from simulation.cli import main
argv = json.load(open(sys.argv[1]))[int(sys.argv[2])]
err, std = io.StringIO(), io.StringIO()
with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = "exception"
json.dump({"code": code, "err": err.getvalue()}, open(sys.argv[3], "w"))
"""
#: A refusal takes a few seconds at most (imports included); a case still running after this is doing work.
SECONDS_PER_CASE = 45


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


def build(root: Path) -> list[tuple[str, list[str], Path | None]]:
    """(command, argv, the file or folder it must leave unchanged); new cases' commands end in " (new)"."""
    from simulation.cli import main
    from tests import test_hostile_counts_paths as counts
    from tests import test_hostile_validate_run as vr

    cases: list[tuple[str, list[str], Path | None]] = []
    files = root / "files"
    files.mkdir(parents=True)
    for _kind, path, argv, _ in vr.build_corpus(files):
        tag = " (new)" if path.name in NEW_FILES else ""
        cases.append(("validate" + tag, ["validate", str(path)], path))
        cases.append((argv[0] + tag, argv, path))
    paths = root / "paths"
    paths.mkdir()
    for command, argv, _ in counts.corpus(paths):
        cases.append((command, argv, None))
    bad = os.fsdecode(bytes(root) + b"/\xff\xfe-name")
    with open(os.fsencode(bad), "w") as handle:
        handle.write("title: x\n")
    base = str(vr.BASE_PATH)
    for argv in (["validate", bad], ["run", bad], ["run", base, "--out", bad], ["sweep", bad], ["export", bad, "--long"],
                 ["handout", base, "--out", bad], ["play", "--load", bad], ["calibrate", bad]):  # fmt: skip
        cases.append((argv[0], argv, None))
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
            ("export", ["export", str(r), "--long", *fmt, "--overwrite", "--out", str(r / "results.parquet")], r)
        )
        r = copy()
        cases.append(
            ("export", ["export", str(r), "--long", *fmt, "--overwrite", "--out", str(r / "manifest.json")], r)
        )
        r = copy()
        other = root / f"other{n}.parquet"
        shutil.copy(r / "results.parquet", other)
        cases.append(("export", ["export", str(r), "--long", *fmt, "--overwrite", "--out", str(other)], other))
        thesis = root / f"thesis{n}.csv"
        thesis.write_text("precious\n", "utf-8")
        cases.append(("export", ["export", str(copy()), "--long", *fmt, "--overwrite", "--out", str(thesis)], thesis))
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
        cases.append((argv[0], argv, r))
    run_dir = root / "run"
    assert main(["run", base, "--steps", "2", "--out", str(run_dir)]) == 0
    cases.append(("run", ["run", base, "--steps", "2", "--out", str(run_dir)], run_dir))
    theirs = root / "theirs"
    theirs.mkdir()
    (theirs / "thesis.tex").write_text("precious\n", "utf-8")
    cases.append(("run", ["run", base, "--steps", "2", "--out", str(theirs)], theirs))
    cases += new_cases(root / "new", sweep, spec, base)
    return cases


def new_cases(root: Path, sweep: Path, spec: Path, base: str) -> list[tuple[str, list[str], Path | None]]:
    """Read back, verified; written, owned: every writer aimed at what it did not make, results away from their
    manifest, the crash list. Each command's name ends in " (new)"."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from simulation.behaviour import posterior_files
    from simulation.calibration.patterns import shipped_patterns_path

    root.mkdir()
    cases: list[tuple[str, list[str], Path | None]] = []
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

    def add(argv: list, target: Path | None) -> None:
        argv = [str(a) for a in argv]
        cases.append((argv[0] + " (new)", argv, target))

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
            add(argv_of(folder / "results.parquet"), folder)
    # the crash list
    target = fresh("file")
    add(["plot", sweep, "--out", target], target)
    for where in ("/proc/alliance-sim-x", "/sys/alliance-sim-x", "/proc/self"):
        add(["plot", sweep, "--out", where], None)
    add(["plot", sweep, "--fix", "china=0.5", "--out", root / "fix-never"], None)
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


def run(checkout: Path, cases: list[tuple[str, list[str], Path | None]], work: Path) -> dict[str, list[int]]:
    before = [_digest(t) if t is not None else None for _, _, t in cases]
    (work / "cases.json").write_text(json.dumps([argv for _, argv, _ in cases]), "utf-8")  # \udcff stays escaped
    (work / "driver.py").write_text(DRIVER, "utf-8")
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    results = []
    for k in range(len(cases)):
        out = work / f"out{k}.json"
        proc = subprocess.Popen([sys.executable, str(work / "driver.py"), str(work / "cases.json"), str(k), str(out)],
                                cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        try:
            proc.wait(timeout=SECONDS_PER_CASE)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the case's own process group: it and its workers
            proc.wait()
        results.append(json.loads(out.read_text("utf-8")) if out.exists() else {"code": "timeout", "err": ""})
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (command, argv, target), b, r in zip(cases, before, results, strict=True):
        lines = r["err"].strip().splitlines()
        ok = r["code"] == 2 and len(lines) == 1 and "Traceback" not in r["err"]
        if target is not None and _digest(target) != b:
            ok = False
        tally[command][0] += ok
        tally[command][1] += 1
        if not ok and os.environ.get("HOSTILE_VERBOSE"):
            text = f"NOT HANDLED {command}: {' '.join(argv)[:160]}: exit {r['code']}: {r['err'].strip()[-200:]}"
            print(text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))
    return dict(tally)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout to run the corpus against")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        root = Path(tmp)
        cases = build(root / "corpus")
        tally = run(args.checkout.resolve(), cases, root)
    print(f"| command | handled / cases ({args.checkout}) |\n|---|---|")
    for command, (handled, count) in sorted(tally.items()):
        print(f"| {command} | {handled} / {count} |")
    for group, label in ((False, "earlier"), (True, "new")):
        chosen = [v for k, v in tally.items() if k.endswith(" (new)") == group]
        print(f"| **all {label}** | **{sum(v[0] for v in chosen)} / {sum(v[1] for v in chosen)}** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
