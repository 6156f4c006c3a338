"""A sweep folder is a sealed record: what shaped its results, and which chunk holds which runs.

The manifest records a fingerprint of everything that shapes results: the sweep (its file and
resolved base scenario), the reference scenario file, every file under ``simulation/data`` (the
registry, the patterns, a shipped posterior), the versions of the libraries that compute or store
results, and the design matrix. Each chunk file records, inside its Parquet metadata, the folder's
sweep id, the fingerprint and its run range; the manifest records each chunk's run range and
SHA-256. ``--resume`` checks all of it: a chunk that is corrupted, swapped or from another sweep is
computed again (with a warning); a changed model is refused with one line saying what changed.
``--overwrite`` removes only the files a sweep writes, and only in a folder whose manifest proves it
is a sweep made by this tool. A lock file refuses a second writer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulation._version import __version__
from simulation.core.errors import InputError
from simulation.core.io import (
    MANIFEST_KEY,
    SWEEP_FILES,
    SWEEP_PARTS,
    FolderLock,
    input_limit,
    is_disk_full,
    load_json,
    sha256_file,
)

log = logging.getLogger(__name__)

CHUNK_KEY = b"alliance_sim_chunk"
#: Libraries whose versions can change a sweep's numbers or how they are stored.
RESULT_LIBRARIES = ("numpy", "scipy", "pandas", "pyarrow", "SALib", "mesa", "numba")
#: A manifest lists one record per chunk: allow large ones (50,000 chunks is about 10 MB).
MANIFEST_LIMIT_MB = 512


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _library_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def data_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "data"


def fingerprint(sweep: Any) -> dict[str, str]:
    """Named components of everything that shapes this sweep's results (hashes and versions)."""
    out = model_fingerprint("sweep file and base scenario", sweep.spec_hash, sweep.base, RESULT_LIBRARIES)
    points = np.ascontiguousarray(sweep.points, dtype=np.float64)
    out["design"] = sha256_bytes(points.tobytes() + str(points.shape).encode())
    return out


def model_fingerprint(label: str, spec_hash: str, base: Any, libraries: tuple[str, ...]) -> dict[str, str]:
    """The components every sealed folder records: the version, the file that made it (``label``: its hash), the
    base scenario's reference scenario, every file under ``simulation/data`` and the ``libraries``' versions."""
    out: dict[str, str] = {"alliance-sim": __version__, label: spec_hash}
    reference = getattr(base, "reference_scenario", None)
    if reference is not None:
        from simulation.core.paths import shipped_scenario

        try:
            out[f"reference scenario {reference}"] = sha256_file(shipped_scenario(reference))
        except (InputError, OSError):
            out[f"reference scenario {reference}"] = "missing"
    root = data_dir()
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            out[f"simulation/data/{path.relative_to(root).as_posix()}"] = sha256_file(path)
    for name in libraries:
        out[f"library {name}"] = _library_version(name)
    return out


def fingerprint_hash(components: dict[str, str]) -> str:
    return sha256_bytes(json.dumps(components, sort_keys=True).encode())[:32]


def describe_changes(old: dict[str, str], new: dict[str, str]) -> str:
    """'numpy 2.5.0 -> 2.6.0; simulation/data/registry.yaml changed' for the components that differ."""
    changes = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key.startswith("library ") or key == "alliance-sim":
            changes.append(f"{key.removeprefix('library ')} {a or 'none'} -> {b or 'none'}")
        elif a is None:
            changes.append(f"{key} added")
        elif b is None:
            changes.append(f"{key} removed")
        else:
            changes.append(f"{key} changed")
    return "; ".join(changes)


# --------------------------------------------------------------------------- the folder


def parts_dir(out: Path) -> Path:
    return out / SWEEP_PARTS


def part_path(out: Path, index: int) -> Path:
    return parts_dir(out) / f"chunk-{index:06d}.parquet"


def read_manifest(out: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The manifest of ``out`` and None, or None and why it cannot be read."""
    path = out / "manifest.json"
    if not path.exists():
        return None, "no manifest.json"
    try:
        with input_limit(MANIFEST_LIMIT_MB):
            data = load_json(path, "manifest")
    except InputError as err:
        return None, err.message
    if not isinstance(data, dict):
        return None, "manifest.json is not a mapping"
    return data, None


def is_sweep_manifest(manifest: dict[str, Any] | None) -> bool:
    return bool(manifest) and manifest.get("package") == "alliance-sim" and manifest.get("kind") == "sweep"


def verify_results(path: Path, embedded: dict[str, Any] | None = None) -> None:
    """A finished sweep's results.parquet must be the file its manifest.json recorded (``results_sha256``):
    a table edited, truncated or swapped after the sweep finished is refused, never read. A results file
    without its manifest.json beside it is refused too: the manifest embedded in the Parquet metadata survives
    an edit of the values (``replace_schema_metadata``), so only the hash recorded in manifest.json proves them."""
    path = Path(path)
    folder = path.parent
    if not (folder / "manifest.json").exists():
        raise InputError(
            path,
            None,
            "has no manifest.json beside it, so it cannot be verified (a hash inside the file proves nothing): "
            "not read; use the sweep's folder as it was written",
        )
    manifest, unreadable = read_manifest(folder)
    if manifest is None:
        raise InputError(
            folder / "manifest.json", None, f"unreadable ({unreadable}); the results beside it cannot be verified"
        )
    if not is_sweep_manifest(manifest):
        raise InputError(
            folder / "manifest.json",
            None,
            "is not an alliance-sim sweep's manifest; the results beside it cannot be verified: not read",
        )
    if embedded is not None and embedded.get("sweep_id") != manifest.get("sweep_id"):
        raise InputError(
            path, None, f"belongs to another sweep than {folder / 'manifest.json'} (sweep_id differs); not read"
        )
    if not manifest.get("complete") or not manifest.get("results_sha256"):
        raise InputError(
            path,
            None,
            f"the sweep in {folder} is not finished (its manifest records no results); finish it with --resume",
        )
    if sha256_file(path) != manifest["results_sha256"]:
        raise InputError(
            path,
            None,
            "does not match the results_sha256 its manifest.json recorded (changed after the sweep finished); "
            "not read: restore it, or run the sweep again with --overwrite",
        )


def unproven_results(out: Path) -> str | None:
    """Why ``--overwrite`` must not remove the results.parquet in ``out`` (None: it may, or there is none):
    only a table whose hash (or embedded sweep id) its own manifest.json records is the sweep's."""
    results = out / "results.parquet"
    if not (results.exists() or results.is_symlink()):
        return None
    manifest, _ = read_manifest(out)
    if manifest is None or not is_sweep_manifest(manifest):
        return "its manifest.json is not a sweep's"
    if results.is_symlink() or not results.is_file():
        return "it is not a regular file"
    recorded = manifest.get("results_sha256")
    if isinstance(recorded, str) and sha256_file(results) == recorded:
        return None
    try:
        meta = pq.read_schema(results).metadata or {}
        embedded = json.loads(meta[MANIFEST_KEY]) if MANIFEST_KEY in meta else None
    except (pa.ArrowException, OSError, ValueError):
        embedded = None
    sweep_id = manifest.get("sweep_id")
    if isinstance(embedded, dict) and isinstance(sweep_id, str) and embedded.get("sweep_id") == sweep_id:
        return None
    return "neither its hash nor its sweep id is the one manifest.json records"


def check_removable(out: Path) -> None:
    """Refuse, before anything is touched, an ``--overwrite`` that would remove a results.parquet the
    folder's manifest does not prove the sweep wrote (a planted manifest.json deletes nothing)."""
    why = unproven_results(out)
    if why is not None:
        raise InputError(
            out / "results.parquet",
            "--overwrite",
            f"is not proven to be this folder's sweep results ({why}); not removed: move it away or use another --out",
        )


def remove_sweep_files(out: Path) -> None:
    """Remove the files a sweep writes (manifest, results, chunk files); anything else is left alone, and a
    results.parquet the manifest does not prove the sweep wrote is refused (:func:`check_removable`)."""
    check_removable(out)
    for name in SWEEP_FILES:
        if name == ".lock":
            continue  # held by this process
        path = out / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
    parts = parts_dir(out)
    if parts.is_dir() and not parts.is_symlink():
        for path in parts.iterdir():
            if path.name.startswith("chunk-") and path.suffix in (".parquet", ".tmp") and path.is_file():
                path.unlink()
        if not any(parts.iterdir()):
            parts.rmdir()


class SweepLock(FolderLock):
    """An exclusive lock on a sweep's (or a policy search's) folder, as every writer's: ``.lock``, released when
    the process ends, however it ends; the refusal names no option (the folder is the command's argument)."""

    def __init__(self, out: Path, what: str = "sweep"):
        super().__init__(out, what, field=None)


# --------------------------------------------------------------------------- chunks


@dataclass
class ChunkCheck:
    """What --resume found in the parts folder."""

    good: dict[int, dict[str, Any]] = field(default_factory=dict)  # index -> record
    redo: dict[int, str] = field(default_factory=dict)  # index -> why it is computed again


def chunk_bytes(table: pa.Table, sweep_id: str, fp_hash: str, index: int, start: int, stop: int) -> bytes:
    """The Parquet bytes of one chunk, with its identity in the file's metadata."""
    meta = dict(table.schema.metadata or {})
    meta[CHUNK_KEY] = json.dumps(
        {"sweep_id": sweep_id, "fingerprint": fp_hash, "index": index, "start": start, "stop": stop}
    ).encode()
    sink = pa.BufferOutputStream()
    pq.write_table(table.replace_schema_metadata(meta), sink)
    return sink.getvalue().to_pybytes()


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file, flush it to disk, then rename (a reader never sees half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def chunk_identity(path: Path) -> dict[str, Any] | None:
    """The identity a chunk file carries, or None if the file is unreadable or carries none."""
    try:
        meta = pq.read_schema(path).metadata or {}
        return json.loads(meta[CHUNK_KEY]) if CHUNK_KEY in meta else None
    except (pa.ArrowException, OSError, ValueError):
        return None


def verify_chunk(
    path: Path, index: int, start: int, stop: int, sweep_id: str | None, fp_hash: str, recorded_sha: str | None
) -> tuple[str | None, str | None]:
    """(sha256, None) if the chunk file is sound and belongs here, else (None, why not)."""
    if not path.is_file():
        return None, "missing"
    try:
        sha = sha256_file(path)
    except OSError as exc:
        return None, f"unreadable ({exc.strerror})"
    if recorded_sha is not None and sha != recorded_sha:
        return None, "its checksum differs from the manifest (corrupted or replaced)"
    identity = chunk_identity(path)
    if identity is None:
        return None, "unreadable or not a chunk of an alliance-sim sweep"
    if identity.get("fingerprint") != fp_hash or (sweep_id is not None and identity.get("sweep_id") != sweep_id):
        return None, "it belongs to another sweep"
    if (identity.get("index"), identity.get("start"), identity.get("stop")) != (index, start, stop):
        return None, f"it holds chunk {identity.get('index')} (swapped)"
    try:
        runs = pq.read_table(path, columns=["run"]).column("run").to_numpy()
    except (pa.ArrowException, OSError, KeyError):
        return None, "unreadable Parquet"
    if not np.array_equal(runs, np.arange(start, stop)):
        return None, f"its run ids are not {start}..{stop - 1}"
    return sha, None


def check_chunks(out: Path, chunks: list[tuple[int, int]], manifest: dict[str, Any], fp_hash: str) -> ChunkCheck:
    """Verify every chunk file against the manifest and its own metadata."""
    records = manifest.get("chunks", {}) or {}
    sweep_id = manifest.get("sweep_id")
    result = ChunkCheck()
    for index, (start, stop) in enumerate(chunks):
        record = records.get(str(index))
        path = part_path(out, index)
        if record is None and not path.exists():
            continue  # never computed
        sha, why = verify_chunk(
            path, index, start, stop, sweep_id, fp_hash, None if record is None else record.get("sha256")
        )
        if why is None:
            result.good[index] = {"runs": [start, stop], "sha256": sha}
        else:
            result.redo[index] = why
    return result


def disk_full_error(out: Path, exc: OSError, what: str, chunks_kept: int) -> InputError:
    return InputError(
        out,
        None,
        f"no room to write {what} ({exc.strerror}); the {chunks_kept} finished chunks "
        "are kept: free some space, then run the same command with --resume",
    )


def new_sweep_id() -> str:
    return uuid.uuid4().hex


__all__ = [
    "ChunkCheck",
    "SweepLock",
    "check_chunks",
    "check_removable",
    "chunk_bytes",
    "chunk_identity",
    "describe_changes",
    "disk_full_error",
    "fingerprint",
    "model_fingerprint",
    "fingerprint_hash",
    "is_disk_full",
    "is_sweep_manifest",
    "new_sweep_id",
    "part_path",
    "parts_dir",
    "read_manifest",
    "remove_sweep_files",
    "verify_chunk",
    "write_bytes_atomically",
]
