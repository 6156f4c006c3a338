"""A policy-search folder is sealed like a sweep folder (``simulation.sweeps.folder``).

The manifest records a fingerprint of everything that shapes results (the file, its base and reference
scenarios, every file under ``simulation/data`` including the posterior, the libraries' versions, pymoo's
among them). Each unit of work is a part file ``parts/<name>.parquet`` carrying, in its Parquet metadata,
the search id, the fingerprint and its name; the manifest records each part's SHA-256. A resumed search
keeps the parts that verify, computes the others again (with a warning), and replays the search from its
seed over them, so it reaches the same result as an uninterrupted one. ``--overwrite`` removes only the
files a policy search writes, and only in a folder whose manifest proves it made them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.core.errors import InputError
from simulation.reporting.manifest import base_manifest
from simulation.strategy.spec import PolicySearch
from simulation.sweeps.folder import (
    RESULT_LIBRARIES,
    SweepLock,
    describe_changes,
    fingerprint_hash,
    model_fingerprint,
    new_sweep_id,
    read_manifest,
    sha256_bytes,
    sha256_file,
    write_bytes_atomically,
)

log = logging.getLogger(__name__)

KIND = "policy-search"
PART_KEY = b"alliance_sim_policy_search_part"
#: Files a policy search writes at the top of its folder (the only ones --overwrite removes).
OUTPUT_FILES = (
    "manifest.json",
    "pareto.parquet",
    "evaluations.parquet",
    "per_draw.parquet",
    "reference_policies.parquet",
    "reevaluation.parquet",
    "convergence.csv",
    "report.md",
)
FIGURES = ("tradeoff_parallel", "tradeoff_front", "convergence", "failures")
SEARCH_LIBRARIES = (*RESULT_LIBRARIES, "pymoo")


def search_fingerprint(search: PolicySearch) -> dict[str, str]:
    return model_fingerprint("policy-search file and scenarios", search.spec_hash, search.base, SEARCH_LIBRARIES)


def is_search_manifest(manifest: dict[str, Any] | None) -> bool:
    return bool(manifest) and manifest.get("package") == "alliance-sim" and manifest.get("kind") == KIND


def save_manifest(out: Path, manifest: dict[str, Any]) -> None:
    write_bytes_atomically(out / "manifest.json", (json.dumps(manifest, indent=1, default=str) + "\n").encode())


def remove_search_files(out: Path) -> None:
    for name in OUTPUT_FILES:
        path = out / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
    figures = out / "figures"
    if figures.is_dir() and not figures.is_symlink():
        for stem in FIGURES:
            for suffix in (".png", ".svg"):
                (figures / f"{stem}{suffix}").unlink(missing_ok=True)
        if not any(figures.iterdir()):
            figures.rmdir()
    parts = out / "parts"
    if parts.is_dir() and not parts.is_symlink():
        for path in parts.iterdir():
            if path.suffix in (".parquet", ".tmp") and path.is_file():
                path.unlink()
        if not any(parts.iterdir()):
            parts.rmdir()


def prepare_folder(search: PolicySearch, out: Path, resume: bool, overwrite: bool, lock: SweepLock) -> dict[str, Any]:
    """Create or check the output folder (taking its lock); the manifest to update. Refusals change nothing."""
    from simulation.core.io import check_output_dir

    check_output_dir(out)
    manifest, unreadable = read_manifest(out)
    has_manifest = (out / "manifest.json").exists()
    if has_manifest and manifest is not None and not is_search_manifest(manifest):
        raise InputError(
            out,
            None,
            "holds a manifest.json that is not an alliance-sim policy search's; not touched (use another --out)",
        )
    if has_manifest and manifest is None:
        raise InputError(out, "manifest.json", f"is unreadable ({unreadable}); not touched: use another --out")
    if not has_manifest and out.exists() and any(p.name != ".lock" for p in out.iterdir()):
        what = (
            "is not a policy-search folder made by alliance-sim (no manifest.json)"
            if overwrite
            else "exists and is not empty"
        )
        raise InputError(out, None, f"{what}; not touched (use a new --out)")
    if has_manifest and not (resume or overwrite):
        done = manifest.get("complete")
        hint = "use a new --out or --overwrite" if done else "add --resume to finish it, or use a new --out"
        raise InputError(
            out, None, f"holds {'a finished' if done else 'an unfinished'} policy search; not overwritten ({hint})"
        )
    out.mkdir(parents=True, exist_ok=True)
    lock.acquire()
    components = search_fingerprint(search)
    if has_manifest and overwrite and not resume:
        remove_search_files(out)
        has_manifest = False
    if has_manifest:
        old = manifest.get("fingerprint")
        if old != components:
            why = describe_changes(old, components) if isinstance(old, dict) else "no fingerprint"
            raise InputError(
                out,
                None,
                f"the search or the model changed since this search started ({why}); refusing to mix "
                "results: use a new --out, or --overwrite to start again",
            )
        manifest["resumed_utc"] = base_manifest(KIND)["created_utc"]
        manifest.update({"spec": search.spec.model_dump(mode="json"), "spec_text": search.text})
    else:
        manifest = base_manifest(KIND)
        manifest.update(
            {
                "search_id": new_sweep_id(),
                "policy_search_file": None if search.source is None else str(search.source),
                "title": search.spec.title,
                "spec_hash": search.spec_hash,
                "spec": search.spec.model_dump(mode="json"),
                "spec_text": search.text,
                "base_scenario_ref": search.base_ref,
                "fingerprint": components,
                "fingerprint_hash": fingerprint_hash(components),
                "parts": {},
                "complete": False,
            }
        )
    (out / "parts").mkdir(exist_ok=True)
    save_manifest(out, manifest)
    return manifest


def part_path(out: Path, name: str) -> Path:
    return out / "parts" / f"{name}.parquet"


def part_bytes(name: str, keys: list[str], values: np.ndarray, measures: list[str], manifest: dict[str, Any]) -> bytes:
    """One part: a row per policy (its key) and, per measure, its per-draw values (a fixed-size list)."""
    columns: dict[str, Any] = {"key": pa.array(keys, pa.string())}
    for m, measure in enumerate(measures):
        flat = pa.array(np.ascontiguousarray(values[:, :, m]).ravel(), pa.float64())
        columns[measure] = pa.FixedSizeListArray.from_arrays(flat, values.shape[1])
    table = pa.table(columns)
    identity = {"search_id": manifest["search_id"], "fingerprint": manifest["fingerprint_hash"], "name": name}
    sink = pa.BufferOutputStream()
    pq.write_table(table.replace_schema_metadata({PART_KEY: json.dumps(identity).encode()}), sink)
    return sink.getvalue().to_pybytes()


def write_part(
    out: Path, name: str, keys: list[str], values: np.ndarray, measures: list[str], manifest: dict[str, Any]
) -> None:
    data = part_bytes(name, keys, values, measures, manifest)
    write_bytes_atomically(part_path(out, name), data)
    manifest["parts"][name] = sha256_bytes(data)
    save_manifest(out, manifest)


def read_parts(
    out: Path, manifest: dict[str, Any], measures: list[str], draws: dict[str, int]
) -> dict[str, np.ndarray]:
    """Every part that verifies: ``{"<set>:<policy key>": per-draw values [draws, measures]}``.

    A part whose checksum differs from the manifest, that belongs to another search, or whose shape
    is not this search's is left out (and its policies computed again), with a warning."""
    found: dict[str, np.ndarray] = {}
    recorded = dict(manifest.get("parts") or {})
    folder = out / "parts"
    names = sorted({*recorded, *(p.stem for p in folder.glob("*.parquet"))}) if folder.is_dir() else []
    for name in names:
        path = part_path(out, name)
        why = None
        if not path.is_file():
            why = "missing"
        elif name in recorded and sha256_file(path) != recorded[name]:
            why = "its checksum differs from the manifest (corrupted or replaced)"
        else:
            try:
                table = pq.read_table(path)
                identity = json.loads((table.schema.metadata or {})[PART_KEY])
            except (pa.ArrowException, OSError, KeyError, ValueError):
                table, identity, why = None, None, "unreadable, or not a part of a policy search"
            if identity is not None and (
                identity.get("search_id") != manifest["search_id"]
                or identity.get("fingerprint") != manifest["fingerprint_hash"]
                or identity.get("name") != name
            ):
                why = "it belongs to another search"
            set_name = name.split("-", 1)[0]
            if why is None and (set_name not in draws or any(m not in table.column_names for m in measures)):
                why = "not a part of this search's shape"
            if why is None:
                width = draws[set_name]
                keys = table.column("key").to_pylist()
                cols = [table.column(m).combine_chunks().flatten().to_numpy().reshape(len(keys), -1) for m in measures]
                if any(c.shape[1] != width for c in cols):
                    why = "not a part of this search's shape"
                else:
                    values = np.stack(cols, axis=2)
                    for i, key in enumerate(keys):
                        found[f"{set_name}:{key}"] = values[i]
                    recorded[name] = recorded.get(name) or sha256_file(path)
        if why is not None:
            log.warning("part %s of %s is computed again: %s", name, out, why)
            recorded.pop(name, None)
            if path.is_file():
                path.unlink()
    manifest["parts"] = recorded
    return found


__all__ = [
    "OUTPUT_FILES",
    "SweepLock",
    "is_search_manifest",
    "part_path",
    "prepare_folder",
    "read_parts",
    "save_manifest",
    "search_fingerprint",
    "write_part",
]
