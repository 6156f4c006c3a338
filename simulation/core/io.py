"""The one input gate and the one output-path check.

Every file the tool reads goes through :func:`read_input_bytes` (or :func:`check_input_file` for
Parquet tables): only regular files, never FIFOs, devices or folders, and text inputs below a size
limit (``--max-input-mb`` raises it). YAML goes through :func:`load_yaml`: safe loading (nothing is
executed) and duplicate keys refused, since a second ``parameters:`` block would otherwise silently
replace the first. Every output path is checked up front by :func:`check_output_file` or
:func:`check_output_dir`, before any computation, so a bad ``--out`` costs nothing. Every failure
is an :class:`~simulation.core.errors.InputError`: one line naming the file, the field and what is allowed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import yaml

from simulation.core.errors import InputError

#: Default size limit of a text input (scenario, sweep, seminar, landscape file); real ones are a few KB.
DEFAULT_INPUT_LIMIT_MB = 4.0
_INPUT_LIMIT_BYTES: ContextVar[int] = ContextVar("input_limit_bytes", default=int(DEFAULT_INPUT_LIMIT_MB * 2**20))

#: Names of what a sweep folder may hold; nothing else in a folder is ever removed.
SWEEP_FILES = ("manifest.json", "manifest.json.tmp", "results.parquet", "results.parquet.tmp", ".lock")
SWEEP_PARTS = "parts"


def input_limit_bytes() -> int:
    """The current size limit of text inputs, in bytes."""
    return _INPUT_LIMIT_BYTES.get()


@contextlib.contextmanager
def input_limit(megabytes: float) -> Iterator[None]:
    """Raise (or lower) the size limit of text inputs within a ``with`` block."""
    token = _INPUT_LIMIT_BYTES.set(int(megabytes * 2**20))
    try:
        yield
    finally:
        _INPUT_LIMIT_BYTES.reset(token)


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_input_file(path: str | Path, what: str, limit: int | None = None) -> os.stat_result:
    """Refuse anything but an existing regular file (below ``limit`` bytes when given)."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(path, None, f"{what} file not found") from None
    except OSError as exc:
        raise InputError(path, None, f"cannot read {what} file ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(path, None, f"expected a {what} file, got {_kind_of(info.st_mode)}")
    if limit is not None and info.st_size > limit:
        raise InputError(
            path,
            None,
            f"{info.st_size / 2**20:,.1f} MB is above the {limit / 2**20:g} MB limit for a {what} file "
            "(raise it with --max-input-mb)",
        )
    return info


def read_input_bytes(path: str | Path, what: str) -> bytes:
    """The bytes of a text input: a regular file below the size limit; every failure is one line."""
    path = Path(path)
    limit = input_limit_bytes()
    check_input_file(path, what, limit)
    try:
        # O_NONBLOCK: a file swapped for a FIFO between the check and the open still cannot hang us
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError(path, None, f"cannot read {what} file ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise InputError(path, None, f"expected a {what} file, got {_kind_of(os.fstat(handle.fileno()).st_mode)}")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise InputError(path, None, f"cannot read {what} file ({exc.strerror})") from None
    if len(data) > limit:
        raise InputError(
            path, None, f"above the {limit / 2**20:g} MB limit for a {what} file (raise it with --max-input-mb)"
        )
    return data


def read_input_text(path: str | Path, what: str) -> str:
    """The UTF-8 text of a text input (see :func:`read_input_bytes`)."""
    raw = read_input_bytes(path, what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, None, f"not UTF-8 text (bad byte at offset {exc.start})") from None


# --------------------------------------------------------------------------- YAML


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, line: int, first: int):
        super().__init__(f"duplicate key '{key}' at line {line} (first at line {first})")
        self.key, self.line, self.first = key, line, first


class _StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a key given twice in one mapping (merge keys ``<<`` still work)."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node)
                try:
                    hash(key)
                except TypeError:
                    continue
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _DuplicateKey(key, line, seen[key])
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping)


def parse_yaml(text: str, source: str | Path | None) -> Any:
    """Parse YAML text safely; malformed YAML and duplicate keys are one-line errors."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as exc:
        raise InputError(
            source, str(exc.key), f"duplicate key at line {exc.line} (first at line {exc.first}); give each key once"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(source, None, f"malformed YAML: {where}{problem}") from None
    except RecursionError:
        raise InputError(source, None, "malformed YAML: nesting too deep") from None


def load_yaml(path: str | Path, what: str) -> Any:
    """Read and parse a YAML input file through the gate."""
    return parse_yaml(read_input_text(path, what), path)


def load_json(path: str | Path, what: str) -> Any:
    """Read and parse a JSON input file through the gate (duplicate keys refused)."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise InputError(path, key, "duplicate key; give each key once")
            out[key] = value
        return out

    text = read_input_text(path, what)
    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError(path, None, f"malformed JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError(path, None, "malformed JSON: nesting too deep") from None


# --------------------------------------------------------------------------- outputs


def _nearest_existing(path: Path) -> Path:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


#: The kernel's pseudo file systems: nothing the tool writes belongs there.
PSEUDO_ROOTS = ("/proc", "/sys", "/dev")


def _refuse_pseudo(path: Path, field: str) -> None:
    try:
        resolved = str(Path(path).absolute().resolve())
    except (OSError, RuntimeError):
        return
    for root in PSEUDO_ROOTS:
        if resolved == root or resolved.startswith(root + "/"):
            raise InputError(path, field, f"cannot write under {root} (a system pseudo file system); write elsewhere")


def _probe_writable(folder: Path, path: Path, field: str) -> None:
    """Create and remove a scratch file in ``folder``: permission bits say nothing to root, and
    pseudo file systems (/proc, /sys) refuse writes whatever they say."""
    _refuse_pseudo(path, field)
    try:
        fd, name = tempfile.mkstemp(prefix=".alliance-sim-probe-", dir=folder)
    except OSError as exc:
        if exc.errno == errno.EROFS:
            raise InputError(path, field, f"{folder} is on a read-only file system; write elsewhere") from None
        raise InputError(path, field, f"cannot write in {folder} ({exc.strerror or exc})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)


#: The files a single run writes into its folder (reporting.run_output.write_run); a run folder holds nothing else it made.
RUN_FILES = (
    "manifest.json",
    "trajectories.parquet",
    "decisions.parquet",
    "event_log.md",
    "events.jsonl",
    "alignment.png",
    "alignment.svg",
    "network.png",
    "network.svg",
)
#: Parquet metadata key of the manifest every sweep results table embeds, and of an export's own marker.
MANIFEST_KEY = b"alliance_sim_manifest"
EXPORT_KEY = b"alliance_sim_export"


def tool_manifest(folder: Path, name: str = "manifest.json") -> dict[str, Any] | None:
    """The alliance-sim manifest ``name`` in ``folder`` (a run's, a sweep's, posterior.json ...), or None."""
    path = Path(folder) / name
    try:
        if not path.is_file() or path.stat().st_size > 64 * 2**20:
            return None
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("package") == "alliance-sim" else None


def _is_sweep_results(path: Path) -> bool:
    """A Parquet file carrying a sweep's embedded manifest (not a long export of one)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(-4, os.SEEK_END)
            if handle.read(4) != b"PAR1":
                return False
        import pyarrow.parquet as pq

        meta = pq.read_schema(path).metadata or {}
    except Exception:  # noqa: BLE001 - an unreadable file is simply not results
        return False
    return MANIFEST_KEY in meta and EXPORT_KEY not in meta


def protected_output(path: str | Path) -> str | None:
    """Why ``path`` must never be written by an output (None: it may). Outputs never replace what the
    tool did not make for that purpose: a manifest, the sealed files of a sweep or a run, sweep results,
    a calibrated posterior."""
    path = Path(path)
    if path.name == "manifest.json" or (path.name.endswith(".manifest.json") and path.exists()):
        return "is a manifest (what reproduces a run or a sweep); no output replaces one"
    folder = path.parent
    sealed = tool_manifest(folder)
    if sealed is not None:
        kind = sealed.get("kind")
        if kind == "sweep" and (path.name in SWEEP_FILES or path.name == SWEEP_PARTS):
            return f"is a sealed file of the sweep in {folder}; write elsewhere"
        if kind == "run" and path.name in RUN_FILES:
            return f"belongs to the run in {folder}; write elsewhere"
    if folder.name == SWEEP_PARTS and (tool_manifest(folder.parent) or {}).get("kind") == "sweep":
        return f"is inside the chunks folder of the sweep in {folder.parent}; write elsewhere"
    if path.name in ("posterior.parquet", "posterior.json") and (
        (tool_manifest(folder, "posterior.json") or {}).get("kind") == "posterior"
    ):
        return f"is part of the calibrated posterior in {folder}; write elsewhere"
    if path.is_file() and path.suffix.lower() == ".parquet" and _is_sweep_results(path):
        return "holds the results of a sweep (they carry its manifest); no output replaces them"
    return None


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when two paths name one file (through links and relative paths)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def check_output_file(path: str | Path, field: str = "--out", inputs: tuple[str | Path, ...] = ()) -> Path:
    """Check, before any work, that a file can be written at ``path`` (its folder must exist) and that it
    replaces nothing it must not: an input of the command, a manifest, a sealed file, sweep results."""
    path = Path(path)
    _refuse_pseudo(path, field)
    for source in inputs:
        if source is not None and (path.exists() or Path(source).exists()) and same_file(path, source):
            raise InputError(path, field, "is an input of this command; write the output to another file")
    reason = protected_output(path)
    if reason is not None:
        raise InputError(path, field, reason)
    if path.exists() or path.is_symlink():
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            raise InputError(path, field, f"cannot write here ({exc.strerror})") from None
        if not stat.S_ISREG(mode):
            raise InputError(path, field, f"is {_kind_of(mode)}; give a file path to write")
        if not os.access(path, os.W_OK):
            raise InputError(path, field, "is not writable")
        _probe_writable(path.parent if str(path.parent) else Path("."), path, field)
        return path
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise InputError(path, field, f"folder {parent} does not exist; create it first")
    if not parent.is_dir():
        raise InputError(path, field, f"{parent} is not a folder")
    _probe_writable(parent, path, field)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(path, field, f"folder {parent} is not writable")
    return path


def check_output_dir(path: str | Path, field: str = "--out") -> Path:
    """Check, before any work, that a folder can be written at ``path`` (missing parents are made later)."""
    path = Path(path)
    _refuse_pseudo(path, field)
    if path.name == SWEEP_PARTS and (tool_manifest(path.parent) or {}).get("kind") == "sweep":
        raise InputError(path, field, f"is the chunks folder of the sweep in {path.parent}; write elsewhere")
    if path.exists():
        if not path.is_dir():
            raise InputError(path, field, "is a file, not a folder; give a folder path")
        _probe_writable(path, path, field)
        if not os.access(path, os.W_OK | os.X_OK):
            raise InputError(path, field, "folder is not writable")
        return path
    anchor = _nearest_existing(path.absolute())
    if not anchor.is_dir():
        raise InputError(path, field, f"{anchor} is a file, not a folder")
    _probe_writable(anchor, path, field)
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise InputError(path, field, f"folder {anchor} is not writable")
    return path


def check_run_folder(path: str | Path, overwrite: bool, field: str = "--out") -> Path:
    """A run writes into an empty (or new) folder, or replaces an earlier run's files with ``--overwrite``;
    a folder holding anything else is never touched."""
    path = check_output_dir(path, field)
    refuse_sweep_folder(path, field)
    if not path.is_dir():
        return path
    entries = [p for p in path.iterdir()]
    if not entries:
        return path
    manifest = tool_manifest(path)
    if manifest is not None and manifest.get("kind") == "run":
        foreign = sorted(p.name for p in entries if p.name not in RUN_FILES)
        if not overwrite:
            raise InputError(
                path,
                field,
                f"holds an earlier run (seed {manifest.get('seed')}, {manifest.get('created_utc')}); "
                "add --overwrite to replace it, or use another --out",
            )
        if foreign:
            raise InputError(
                path,
                field,
                f"holds files the run did not make ({', '.join(foreign[:3])}); not touched (use another --out)",
            )
        return path
    raise InputError(path, field, "exists and is not a run folder made by alliance-sim; not touched (use a new --out)")


def refuse_sweep_folder(path: str | Path, field: str = "--out") -> None:
    """A single run must not write into a sweep's folder (it would replace the sweep's manifest)."""
    manifest = Path(path) / "manifest.json"
    if not manifest.is_file():
        return
    try:
        kind = json.loads(manifest.read_text("utf-8")[: 2**20]).get("kind")
    except (OSError, ValueError, AttributeError):
        kind = None
    if kind == "sweep" or (Path(path) / SWEEP_PARTS).is_dir():
        raise InputError(path, field, "holds a sweep; write this run to another folder")


def is_disk_full(exc: BaseException) -> bool:
    """True for the OSErrors that mean 'no room to write' (full disk, quota, read-only file system)."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG)


# --------------------------------------------------------------------------- the writer rule

#: What every refusal of the writer rule tells the user to do.
OVERWRITE_HINT = "add --overwrite to replace it, or write elsewhere"


def check_new_file(
    path: str | Path, overwrite: bool, field: str = "--out", inputs: tuple[str | Path, ...] = ()
) -> Path:
    """The writer rule for one output file, checked before any work: the file is new, or it exists and
    ``--overwrite`` was given (and it is none of what :func:`check_output_file` protects whatever the flag)."""
    path = check_output_file(path, field, inputs)
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise InputError(path, field, f"already exists; not replaced ({OVERWRITE_HINT})")
    return path


def check_new_folder(path: str | Path, overwrite: bool, field: str = "--out") -> Path:
    """The writer rule for an output folder, checked before any work: a new or empty folder, or, with
    ``--overwrite``, a folder holding files (the command replaces only the files it writes; nothing else in
    the folder is removed)."""
    path = check_output_dir(path, field)
    if path.is_dir() and not overwrite:
        try:
            holds = next(iter(path.iterdir()), None)
        except OSError as exc:
            raise InputError(path, field, f"cannot list this folder ({exc.strerror})") from None
        if holds is not None:
            raise InputError(
                path,
                field,
                f"exists and holds files (e.g. {holds.name}); not written into "
                "(add --overwrite to replace this command's files in it, or use a new folder)",
            )
    return path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; on success it is flushed and renamed over ``path``
    at once, on any failure removed: a reader (or a full disk) never leaves half a file under the final name."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write text (UTF-8) or bytes to ``path`` through :func:`atomic_path`."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


class FolderLock:
    """An exclusive lock on an output folder (``.lock`` in it), held while a command writes there: a second
    writer is refused with one line naming ``what`` writes there (and ``field``, the option that chose the
    folder, when given). Released when the process ends, however it ends. A context manager, or
    ``acquire()`` / ``release()``."""

    def __init__(self, folder: str | Path, what: str, field: str | None = "--out"):
        self.path = Path(folder) / ".lock"
        self.what = what
        self.field = field
        self.handle: Any = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> FolderLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.path, "a+")  # noqa: SIM115 - held until __exit__
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks
            return self
        try:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.seek(0)
            owner = self.handle.read().strip()[:40]
            self.handle.close()
            self.handle = None
            who = f" (process {owner})" if owner else ""
            raise InputError(
                self.path.parent,
                self.field,
                f"another alliance-sim {self.what} is writing to this folder{who}; "
                "wait for it to finish or use another --out",
            ) from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(str(os.getpid()))
        self.handle.flush()
        return self

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in blocks of 1 MiB (a table or a part of any size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
