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
import json
import os
import stat
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


def check_output_file(path: str | Path, field: str = "--out") -> Path:
    """Check, before any work, that a file can be written at ``path`` (its folder must exist)."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            raise InputError(path, field, f"cannot write here ({exc.strerror})") from None
        if not stat.S_ISREG(mode):
            raise InputError(path, field, f"is {_kind_of(mode)}; give a file path to write")
        if not os.access(path, os.W_OK):
            raise InputError(path, field, "is not writable")
        return path
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise InputError(path, field, f"folder {parent} does not exist; create it first")
    if not parent.is_dir():
        raise InputError(path, field, f"{parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(path, field, f"folder {parent} is not writable")
    return path


def check_output_dir(path: str | Path, field: str = "--out") -> Path:
    """Check, before any work, that a folder can be written at ``path`` (missing parents are made later)."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise InputError(path, field, "is a file, not a folder; give a folder path")
        if not os.access(path, os.W_OK | os.X_OK):
            raise InputError(path, field, "folder is not writable")
        return path
    anchor = _nearest_existing(path.absolute())
    if not anchor.is_dir():
        raise InputError(path, field, f"{anchor} is a file, not a folder")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise InputError(path, field, f"folder {anchor} is not writable")
    return path


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
