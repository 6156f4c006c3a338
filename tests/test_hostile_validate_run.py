"""validate == run: whatever a command would refuse, ``validate`` refuses first, with the same one line.

A corpus of bad scenarios, sweep files, patterns files, posterior folders and saved seminar sessions. For
each file, ``validate`` must exit 2 with one line holding the expected fragment, and the command that
would use the file (run, sweep, calibrate, calibration-report, play --load) must exit 2 with the very
same line, before any run starts. Every refusal here happens before the engine is compiled or run.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from simulation.behaviour import posterior_files
from simulation.cli import main
from simulation.world.scenario import ACTOR_FAMILIES
from tests.conftest import SCENARIOS

BASE_PATH = SCENARIOS / "baseline_2018_2021.yaml"
PATTERNS = Path(__file__).resolve().parents[1] / "simulation" / "data" / "patterns.yaml"


def _base() -> dict:
    return yaml.safe_load(BASE_PATH.read_text("utf-8"))


def _with_japan(d: dict) -> None:
    d["actors"] = [*d["actors"], "Japan"]
    d["parameters"] = {
        f"{family}.Japan": 0.5
        if family in ("liberal_democracy_index", "status_concern", "trade_vulnerability")
        else 10.0
        for family in ACTOR_FAMILIES
    }


def _without_india(d: dict) -> None:
    d["actors"] = ["Russia", "China", "US", "EU"]
    d["events"] = [e for e in d["events"] if e["kind"] != "border_crisis"]


#: (name, change to the baseline, fragment of the one line)
SCENARIO_CASES = [
    ("reference_more_actors", _with_japan, "reference_scenario"),
    ("reference_fewer_actors", _without_india, "reference_scenario"),
    ("reference_unknown", lambda d: d.update(reference_scenario="no_such_scenario"), "no shipped scenario"),
    ("coordination_on_pressurer", lambda d: d["pressure"].update(coordination={"US": 0.5}), "the pressurer"),
    ("coordination_on_coordinator", lambda d: d["pressure"].update(coordination={"EU": 0.5}), "coordinating actor"),
    ("coordination_on_non_target", lambda d: d["pressure"].update(coordination={"India": 0.5}), "not under pressure"),
    ("coordination_without_coordinator", lambda d: d["pressure"].update(coordinated_by=None), "coordinated_by is null"),
    (
        "follows_without_coordinator",
        lambda d: d["pressure"].update(
            coordinated_by=None, coordination=0.0, policy={"rule": "containment", "coordination_follows": 0.5}
        ),
        "coordination_follows",
    ),
    (
        "aggression_against_itself",
        lambda d: d["events"].append(
            {"kind": "aggression", "by": "Russia", "against": "Russia", "from_step": 3, "duration_steps": 2}
        ),
        "victim of its own aggression",
    ),
    ("coordination_empty_schedule", lambda d: d["pressure"].update(coordination={"Russia": []}), "at least 1 item"),
    ("coordination_not_a_schedule", lambda d: d["pressure"].update(coordination={"Russia": "x"}), "valid list"),
    ("coordination_not_a_number", lambda d: d["pressure"].update(coordination="lots"), "pressure.coordination"),
]


def _patterns() -> dict:
    return yaml.safe_load(PATTERNS.read_text("utf-8"))


PATTERN_CASES = [
    ("override_bad_path", lambda d: d["patterns"][0]["case"].update(overrides={"pressure.nothere.x": 1.0}), "nothere"),
    (
        "override_out_of_range",
        lambda d: d["patterns"][0]["case"].update(overrides={"parameters.status_concern.Russia": 7.0}),
        "out of range",
    ),
    (
        "override_bad_index",
        lambda d: d["patterns"][0]["case"].update(overrides={"events.9.intensity": 1.0}),
        "no such field",
    ),
    (
        "outcome_unknown_actor",
        lambda d: d["patterns"][0]["measure"].update(outcome="final_russia_japan"),
        "names no pair",
    ),
    (
        "contrast_bad_override",
        lambda d: d["patterns"][0].update(
            contrast={"scenario": "baseline_2018_2021", "overrides": {"pressure.coordinated_by": "Mars"}}
        ),
        "unknown actor",
    ),
    ("unknown_scenario", lambda d: d["patterns"][0]["case"].update(scenario="atlantis"), "no shipped scenario"),
    ("one_pattern", lambda d: d.update(patterns=d["patterns"][:1]), "needs at least 2"),
]


def _posterior(folder: Path, change) -> Path:
    """A copy of the shipped posterior with one change (to the table, the manifest or both)."""
    table_path, manifest_path = posterior_files()
    table = pq.read_table(table_path).to_pandas()
    manifest = json.loads(manifest_path.read_text("utf-8"))
    table, manifest = change(table, manifest)
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), folder / "posterior.parquet")
    if manifest.get("table_sha256") == "KEEP":  # a forgery: the shipped table's hash beside a changed table
        manifest = {**manifest, "table_sha256": json.loads(manifest_path.read_text("utf-8"))["table_sha256"]}
    elif manifest.get("table_sha256") == json.loads(manifest_path.read_text("utf-8"))["table_sha256"]:
        # the table's hash recorded afresh, so that the check behind the hash check is what refuses
        manifest = {**manifest, "table_sha256": hashlib.sha256((folder / "posterior.parquet").read_bytes()).hexdigest()}
    (folder / "posterior.json").write_text(json.dumps(manifest), "utf-8")
    return folder


def _set(table, column, row, value):
    table = table.copy()
    table.loc[row, column] = value
    return table


POSTERIOR_CASES = [
    ("outside_prior_box", lambda t, m: (_set(t, t.columns[0], 3, 1e6), m), "outside the prior box"),
    ("nan_value", lambda t, m: (_set(t, t.columns[1], 0, math.nan), m), "not finite"),
    (
        "missing_parameter",
        lambda t, m: (
            t.drop(columns=[t.columns[2]]),
            {**m, "parameters": [c for c in m["parameters"] if c != t.columns[2]]},
        ),
        "no column for 1 calibrated",
    ),
    ("unknown_column", lambda t, m: (t.assign(no_such_key=0.5), m), "not a registry parameter"),
    ("wrong_patterns_hash", lambda t, m: (t, {**m, "patterns_sha256": "0" * 64}), "other patterns"),
    ("not_a_posterior_manifest", lambda t, m: (t, {**m, "kind": "sweep"}), "not an alliance-sim posterior"),
    ("manifest_other_parameters", lambda t, m: (t, {**m, "parameters": m["parameters"][:-1]}), "do not match"),
    ("other_major_version", lambda t, m: (t, {**m, "version": "99.0.0"}), "calibrate again with this version"),
    ("negative_weights", lambda t, m: (_set(t, "weight", 0, -1.0), m), "weights must be finite"),
    # forgeries: the table is always checked against the hash its manifest recorded
    ("zeroed_hash", lambda t, m: (t, {**m, "table_sha256": "0" * 64}), "does not match the table_sha256"),
    ("no_hash", lambda t, m: (t, {k: v for k, v in m.items() if k != "table_sha256"}), "table_sha256"),
    (
        "edited_inside_prior_old_hash",
        lambda t, m: (_nudge(t), {**m, "table_sha256": "KEEP"}),
        "does not match",
    ),
    ("duplicated_rows", lambda t, m: (pd.concat([t, t.iloc[:5]], ignore_index=True), m), "repeat an earlier draw"),
    (
        "duplicated_rows_old_hash",
        lambda t, m: (pd.concat([t, t.iloc[:5]], ignore_index=True), {**m, "table_sha256": "KEEP"}),
        "does not match",
    ),
    ("one_draw", lambda t, m: (t.iloc[:1].assign(weight=1.0), m), "at least 2"),
]


def _nudge(table):
    """One value moved a little, still well inside its prior box."""
    table = table.copy()
    column = table.columns[0]
    table.loc[0, column] = (table[column].iloc[0] + table[column].iloc[1]) / 2
    return table


def _session(path: Path, **changes) -> Path:
    data = {
        "format": "alliance-sim seminar 1",
        "title": "t",
        "seed": 3,
        "humans": ["Russia"],
        "scenario": _base(),
        "history": [],
    }
    data.update(changes)
    path.write_text(json.dumps(data), "utf-8")
    return path


def _session_text(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[tuple[str, Path, list[str], str]]:
    return build_corpus(tmp_path_factory.mktemp("validate_run"))


def build_corpus(root: Path) -> list[tuple[str, Path, list[str], str]]:
    """(kind, file, the argv that would use it, fragment); experiments/hostile_corpus.py runs it too."""
    out: list[tuple[str, Path, list[str], str]] = []
    for name, change, fragment in SCENARIO_CASES:
        data = _base()
        change(data)
        path = root / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data), "utf-8")
        out.append(("scenario", path, ["run", str(path), "--out", str(root / f"run_{name}")], fragment))
        sweep = root / f"sweep_{name}.yaml"
        sweep.write_text(
            yaml.safe_dump(
                {
                    "title": name,
                    "base_scenario": str(path),
                    "design": {"method": "grid"},
                    "vary": [{"path": "pressure.targets.China", "values": [0.2, 0.7]}],
                    "replicates": 2,
                    "master_seed": 1,
                }
            ),
            "utf-8",
        )
        out.append(("sweep", sweep, ["sweep", str(sweep), "--out", str(root / f"sw_{name}")], fragment))
    for name, change, fragment in [
        (
            "vary_coordinator_to_a_number",
            lambda d: d.update(vary=[{"path": "pressure.coordinated_by", "values": [0.5]}]),
            "vary",
        ),
        (
            "vary_coordination_on_the_pressurer",
            lambda d: d.update(vary=[{"path": "pressure.coordination.US", "values": [0.1, 0.3]}]),
            "pressure.coordination.US",
        ),
    ]:
        data = {
            "title": name,
            "base_scenario": str(BASE_PATH),
            "design": {"method": "grid"},
            "vary": [],
            "replicates": 2,
            "master_seed": 1,
        }
        change(data)
        sweep = root / f"{name}.yaml"
        sweep.write_text(yaml.safe_dump(data), "utf-8")
        out.append(("sweep", sweep, ["sweep", str(sweep), "--out", str(root / f"sw_{name}")], fragment))
    for name, change, fragment in PATTERN_CASES:
        data = _patterns()
        change(data)
        path = root / f"patterns_{name}.yaml"
        path.write_text(yaml.safe_dump(data), "utf-8")
        out.append(("patterns", path, ["calibrate", str(path), "--out", str(root / f"cal_{name}")], fragment))
    for name, change, fragment in POSTERIOR_CASES:
        folder = _posterior(root / f"posterior_{name}", change)
        argv = ["calibration-report", "--posterior", str(folder), "--out", str(root / f"{name}.md")]
        out.append(("posterior", folder, [*argv, "--figures", str(root / f"fig_{name}")], fragment))
    sessions = [
        ("seed_2_64", _session(root / "s1.json", seed=2**64), "seed"),
        ("seed_float", _session(root / "s2.json", seed=1.7), "seed"),
        ("seed_true", _session(root / "s3.json", seed=True), "seed"),
        (
            "seed_1e308",
            _session_text(
                root / "s4.json", _session(root / "tmp.json").read_text().replace('"seed": 3', '"seed": 1e308')
            ),
            "seed",
        ),
        (
            "seed_infinity",
            _session_text(
                root / "s5.json", _session(root / "tmp.json").read_text().replace('"seed": 3', '"seed": Infinity')
            ),
            "seed",
        ),
        ("humans_not_list", _session(root / "s6.json", humans="Russia"), "humans"),
        (
            "nested_deep",
            _session_text(
                root / "s9.json", '{"format": "alliance-sim seminar 1", "title": ' + "[" * 100_000 + "]" * 100_000 + "}"
            ),
            "nesting too deep",
        ),
        ("title_huge", _session(root / "s7.json", title="x" * 2_000_000), "title"),
        (
            "reference_fewer",
            _session(root / "s8.json", scenario={**_base(), "actors": ["Russia", "China", "US", "EU"], "events": []}),
            "reference_scenario",
        ),
    ]
    for _name, path, fragment in sessions:
        out.append(("seminar", path, ["play", "--load", str(path)], fragment))
    return out


def _one_line(capsys, argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err.strip()


def test_validate_and_the_command_that_uses_the_file_agree(corpus, capsys, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt="": "quit")  # play must never wait for a person
    tally: Counter[str] = Counter()
    failures = []
    for kind, path, argv, fragment in corpus:
        code_v, err_v = _one_line(capsys, ["validate", str(path)])
        code_r, err_r = _one_line(capsys, argv)
        problems = []
        if code_v != 2 or len(err_v.splitlines()) != 1 or fragment not in err_v:
            problems.append(f"validate: exit {code_v}: {err_v[:300]}")
        if code_r != 2 or len(err_r.splitlines()) != 1:
            problems.append(f"{argv[0]}: exit {code_r}: {err_r[:300]}")
        elif err_r != err_v:
            problems.append(f"different lines:\n  validate: {err_v[:300]}\n  {argv[0]}: {err_r[:300]}")
        if "Traceback" in err_v + err_r:
            problems.append("traceback")
        if problems:
            failures.append(f"{kind} {path.name}: " + "; ".join(problems))
        tally[kind] += 1
    assert not failures, "\n".join(failures)
    assert sum(tally.values()) >= 40
    print("\nvalidate == run cases by kind:", dict(sorted(tally.items())))


def test_the_shipped_files_validate(capsys):
    """The control: every shipped scenario, sweep file, the patterns and the posterior pass the same gate."""
    shipped = [*sorted(SCENARIOS.glob("*.yaml")), PATTERNS, posterior_files()[0].parent / "posterior.parquet"]
    code = main(["validate", *map(str, shipped)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.count("ok (") == len(shipped)


def test_a_union_error_names_the_field_not_pydantic_internals(corpus, capsys):
    for kind, path, _, _ in corpus:
        if kind == "scenario" and path.stem.startswith("coordination_"):
            main(["validate", str(path)])
            err = capsys.readouterr().err
            assert "function-" not in err and "functools" not in err and "constrained-str" not in err, err


def test_a_patterns_change_that_is_fine_still_validates(tmp_path, capsys):
    """The patterns cross-checks refuse what cannot build, not what is merely new."""
    data = _patterns()
    data["patterns"][0]["case"]["overrides"] = {"parameters.status_concern.Russia": 0.7}
    data["patterns"][0]["measure"] = {"outcome": "final_russia_india", "statistic": "share_at_least", "threshold": 3}
    path = tmp_path / "ok_patterns.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err


def test_a_copied_posterior_is_accepted(tmp_path, capsys):
    """The control of the posterior cases: the same copy without a change passes."""
    folder = _posterior(tmp_path / "post", lambda t, m: (t, m))
    assert main(["validate", str(folder)]) == 0, capsys.readouterr().err
