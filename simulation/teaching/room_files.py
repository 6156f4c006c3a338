"""A room's saved file: its format, the signature that refuses an edited file, the key that signs it, and
reading a file back with every check made before any replay (size, format, signature, seed, countries and
months).

A file is signed with HMAC-SHA-256 under a secret kept in the user's configuration folder, so only a holder
of the key can make one that verifies; a file signed on another computer, or saved unsigned by an earlier
version, is restored only when the instructor confirms it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Any

from simulation._version import __version__
from simulation.core.errors import InputError
from simulation.teaching.room_limits import MAX_ROOM_ACTORS, MAX_ROOM_BYTES, MAX_ROOM_MONTHS, check_room_size
from simulation.teaching.seminar import check_seed
from simulation.world.scenario import Scenario, parse_scenario

ROOM_FORMAT = "alliance-sim room 3"
#: Saved with a plain sha256 of its content (anyone can recompute it): restored only after the instructor
#: confirms, and signed from then on (an explicit migration).
UNSIGNED_ROOM_FORMAT = "alliance-sim room 2"
#: Saved with no check at all: refused.
OLD_ROOM_FORMATS = ("alliance-sim room 1",)
#: Where the secret that signs room files is kept (a folder); default: the user's configuration folder.
CONFIG_ENV = "ALLIANCE_SIM_CONFIG_DIR"
SIGNING_KEY_FILE = "room-signing.key"


def model_version() -> str:
    """The package's version (the one a saved room is replayed with)."""
    return __version__


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a saved room")


def _canonical(data: dict[str, Any]) -> bytes:
    body = {k: v for k, v in data.items() if k != "content_hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def content_hash(data: dict[str, Any]) -> str:
    """The room file's signature: HMAC-SHA-256 of its content (everything but the signature, in a canonical
    form) under this computer's signing key. Only a holder of the key can make one that verifies."""
    return hmac.new(signing_key(), _canonical(data), hashlib.sha256).hexdigest()


def plain_hash(data: dict[str, Any]) -> str:
    """The unkeyed sha256 that unsigned room files (format 2) carried: it detects accidents, not edits."""
    return hashlib.sha256(_canonical(data)).hexdigest()


class NeedsConfirmation(InputError):
    """A room file that is intact as far as can be told but cannot be verified here (signed on another
    computer, or unsigned): restored only when the instructor confirms it in the console."""


#: What the console says about a file it cannot verify, before the instructor confirms.
CONFIRM_NOTE = "restore it only if you trust where it came from: its moves, seeds and seat codes cannot be checked here"


def check_signature(data: dict[str, Any], source: str, confirmed: bool) -> list[str]:
    """Verify a saved room's signature; returns the console's notes for a confirmed, unverifiable file."""
    given = data.get("content_hash")
    if data["format"] == UNSIGNED_ROOM_FORMAT:
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), plain_hash(data).encode()):
            raise InputError(
                source,
                "content_hash",
                "the file was changed after it was saved (its content hash does not match): restore the file "
                "exactly as it was downloaded",
            )
        if not confirmed:
            raise NeedsConfirmation(
                source, None, f"saved unsigned by an earlier version (format 2); {CONFIRM_NOTE} (confirm to restore)"
            )
        return ["Restored on your confirmation from an unsigned file (format 2); it is signed when you save it."]
    if not isinstance(given, str) or len(given) > 200:
        raise InputError(source, "content_hash", "missing: this file carries no signature; not restored")
    if data.get("signer") == signer_id():
        if not hmac.compare_digest(given.encode(), content_hash(data).encode()):
            raise InputError(
                source,
                "content_hash",
                "the file was changed after it was saved (its signature does not match): restore the file "
                "exactly as it was downloaded",
            )
        return []
    if not confirmed:
        raise NeedsConfirmation(source, None, f"signed on another computer; {CONFIRM_NOTE} (confirm to restore)")
    return ["Restored on your confirmation from a file signed on another computer: it could not be verified here."]


def config_dir() -> Path:
    """The folder of the user's alliance-sim configuration (``ALLIANCE_SIM_CONFIG_DIR`` overrides it)."""
    given = os.environ.get(CONFIG_ENV)
    if given:
        return Path(given)
    if os.name == "nt" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "alliance-sim"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "alliance-sim"


_KEYS: dict[str, bytes] = {}
_KEYS_LOCK = threading.Lock()


def signing_key() -> bytes:
    """The secret that signs room files: 32 random bytes kept in the user's configuration folder, made on
    first use with permissions 0600. A key file others can read or that is malformed is one InputError line."""
    path = config_dir() / SIGNING_KEY_FILE
    with _KEYS_LOCK:
        if str(path) in _KEYS:
            return _KEYS[str(path)]
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        except OSError as exc:
            raise InputError(path, None, f"cannot create the room-signing key ({exc.strerror})") from None
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
        try:
            info = os.stat(path)
            text = path.read_text("ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(path, None, f"cannot read the room-signing key ({exc})") from None
        if os.name != "nt" and info.st_mode & 0o077:
            raise InputError(
                path, None, f"the room-signing key is readable by others (mode {info.st_mode & 0o777:o}); chmod 600 it"
            )
        if not re.fullmatch(r"[0-9a-f]{64}", text):
            raise InputError(path, None, "not a room-signing key (64 hex digits); delete it to make a new one")
        _KEYS[str(path)] = bytes.fromhex(text)
        return _KEYS[str(path)]


def signer_id() -> str:
    """Names this computer's signing key in a room file (a hash of it; says nothing about the key)."""
    return hashlib.sha256(b"alliance-sim room signer\0" + signing_key()).hexdigest()[:16]


def read_room_file(text: str | bytes, source: str, confirmed: bool) -> tuple[dict[str, Any], list[str]]:
    """A saved room's content and the console's notes about it, once its size, JSON, format and signature
    pass (an edited file is refused; see :func:`check_signature` for a file that cannot be verified here)."""
    if len(text) > MAX_ROOM_BYTES:
        raise InputError(source, None, f"too large for a saved room (limit {MAX_ROOM_BYTES // 1_000_000} MB)")
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(source, None, f"not a saved room ({type(exc).__name__})") from None
    except ValueError as exc:  # Infinity, NaN (json.loads would read them as floats)
        raise InputError(source, None, f"not a saved room ({exc})") from None
    if isinstance(data, dict) and data.get("format") in OLD_ROOM_FORMATS:
        raise InputError(
            source,
            "format",
            f"'{data['format']}' was saved by an early version with no check against edits; it cannot be "
            "restored (play the room again, or restore it with that version)",
        )
    if not isinstance(data, dict) or data.get("format") not in (ROOM_FORMAT, UNSIGNED_ROOM_FORMAT):
        raise InputError(source, "format", f"not a saved alliance-sim room (expected format '{ROOM_FORMAT}')")
    warnings = check_signature(data, source, confirmed)
    if data.get("model_version") != model_version():
        warnings.append(
            f"This room was saved with alliance-sim {str(data.get('model_version'))[:40]} and replayed with "
            f"{model_version()}: if the model changed in between, the world may differ from the one played."
        )
    return data, warnings


def saved_world(data: dict[str, Any], source: str) -> tuple[int, Scenario, list[Any], list[Any]]:
    """The seed, scenario, teams and rounds of a saved room's content, checked before any replay: the seed,
    the room's size (before the scenario is even validated, then after), and no more months or teams than
    the scenario has. A missing or mistyped field raises KeyError or TypeError (the caller words them)."""
    seed = check_seed(data.get("seed"), source, "seed")
    raw = data["scenario"]
    if isinstance(raw, dict):  # the room's size, before the scenario is even validated
        if isinstance(raw.get("actors"), list) and len(raw["actors"]) > MAX_ROOM_ACTORS:
            raise InputError(
                source,
                "scenario.actors",
                f"{len(raw['actors'])} countries (allowed in a room: up to {MAX_ROOM_ACTORS})",
            )
        if isinstance(raw.get("steps"), int) and raw["steps"] > MAX_ROOM_MONTHS:
            raise InputError(
                source, "scenario.steps", f"{raw['steps']} months (allowed in a room: up to {MAX_ROOM_MONTHS})"
            )
    teams, rounds = data["teams"], data["rounds"]
    if not isinstance(teams, list) or not isinstance(rounds, list):
        raise InputError(source, "teams", "teams and rounds must be lists")
    if not isinstance(data["scenario"], dict):
        raise InputError(source, "scenario", "must be a scenario mapping")
    scenario = parse_scenario(data["scenario"], source)
    check_room_size(scenario, source)
    if len(rounds) > scenario.steps:
        raise InputError(source, "rounds", f"{len(rounds)} months played (the scenario has {scenario.steps})")
    if len(teams) > len(scenario.actors):
        raise InputError(source, "teams", f"{len(teams)} teams (the room has {len(scenario.actors)} countries)")
    return seed, scenario, teams, rounds
