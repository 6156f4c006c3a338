"""Run the hostile corpus of the newer features against a checkout and count what it handles, by command.

    python experiments/hostile_corpus.py                      # this checkout
    python experiments/hostile_corpus.py --checkout OTHER     # another checkout (e.g. an older commit)

The corpus is the hostile suite's (tests/test_hostile_validate_run.py, tests/test_hostile_counts_paths.py)
plus the data-safety cases of tests/test_hostile_outputs.py, built once in a temporary folder by this
checkout. Every case runs in its own process of the checkout under test (its ``main``, stdin answering
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


def build(root: Path) -> list[tuple[str, list[str], Path | None]]:
    """(command, argv, the file or folder it must leave unchanged)."""
    from simulation.cli import main
    from tests import test_hostile_counts_paths as counts
    from tests import test_hostile_validate_run as vr

    cases: list[tuple[str, list[str], Path | None]] = []
    files = root / "files"
    files.mkdir(parents=True)
    for _kind, path, argv, _ in vr.build_corpus(files):
        cases.append(("validate", ["validate", str(path)], path))
        cases.append((argv[0], argv, path))
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
    total = [sum(v[0] for v in tally.values()), sum(v[1] for v in tally.values())]
    print(f"| command | handled / cases ({args.checkout}) |\n|---|---|")
    for command, (handled, count) in sorted(tally.items()):
        print(f"| {command} | {handled} / {count} |")
    print(f"| **all** | **{total[0]} / {total[1]}** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
