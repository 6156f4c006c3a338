"""Argument types shared by every ``alliance-sim`` subcommand, and a parser whose errors are one line.

Every number has bounds, checked by argparse before anything is computed or allocated.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable

#: Largest seed: seeds are stored as int64 (R and Arrow read them exactly below 2**63).
MAX_SEED = 2**63 - 1
MAX_WORKERS = 512
MAX_STEPS = 600  # the scenario schema's own limit on ``steps``
MAX_CHUNK_SIZE = 100_000  # the sweep schema's own limit on ``chunk_size``
MAX_RUNS_LIMIT = 1_000_000_000
MAX_TOP = 1_000_000
MAX_INPUT_MB = 4096.0
#: Runs behind a handout's figures or a seminar's debrief: the batch engine keeps each run's path
#: (one byte per pair and month), so this and MAX_PATH_BYTES bound the memory before anything runs.
MAX_FIGURE_RUNS = 100_000
MAX_PATH_BYTES = 2 * 2**30
#: Dask scheduler addresses: protocol://host:port
SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss|inproc)://[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (naming the argument) with exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        sys.stderr.write(f"error: {self.prog}: {' '.join(message.split())} (see --help)\n")
        sys.exit(2)


def _integer(text: str, minimum: int, maximum: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text[:40]!r}") from None
    if not minimum <= value <= maximum:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return value


def bounded_int(minimum: int, maximum: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``minimum`` to ``maximum``."""

    def parse(text: str) -> int:
        return _integer(text, minimum, maximum, f"a whole number from {minimum:,} to {maximum:,}")

    parse.__name__ = "whole number"
    return parse


def bounded_float(minimum: float, maximum: float, *, open_low: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in [minimum, maximum] (or (minimum, maximum] when ``open_low``)."""
    what = f"a number {'above' if open_low else 'from'} {minimum:g} {'and at most' if open_low else 'to'} {maximum:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text[:40]!r}") from None
        low_ok = value > minimum if open_low else value >= minimum
        if not (math.isfinite(value) and low_ok and value <= maximum):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text[:40]}")
        return value

    parse.__name__ = "number"
    return parse


def seed_int(text: str) -> int:
    """A random seed: 0 to 2**63 - 1 (numpy's generators refuse negative seeds). The CSV export's text form
    (``s`` and the digits) is taken as pasted."""
    digits = text[1:] if text[:1] == "s" and text[1:].isdigit() else text
    return _integer(digits, 0, MAX_SEED, "a seed from 0 to 2**63-1")


def scheduler_address(text: str) -> str:
    """A Dask scheduler address such as tcp://10.0.0.5:8786."""
    if not SCHEDULER_ADDRESS.match(text) or int(text.rsplit(":", 1)[1]) > 65535:
        raise argparse.ArgumentTypeError(f"expected an address like tcp://10.0.0.5:8786, got {text[:60]!r}")
    return text


workers_int = bounded_int(1, MAX_WORKERS)
steps_int = bounded_int(1, MAX_STEPS)
chunk_size_int = bounded_int(1, MAX_CHUNK_SIZE)
max_runs_int = bounded_int(1, MAX_RUNS_LIMIT)
top_int = bounded_int(1, MAX_TOP)
input_mb = bounded_float(0.0, MAX_INPUT_MB, open_low=True)
figure_runs_int = bounded_int(1, MAX_FIGURE_RUNS)
rounds_int = bounded_int(1, MAX_STEPS)


def check_path_memory(runs: int, steps: int, actors: int, field: str) -> None:
    """Refuse, before any run, a batch whose kept paths (runs x months x actors^2 bytes) exceed MAX_PATH_BYTES."""
    from simulation.core.errors import InputError

    need = runs * (steps + 1) * actors * actors
    if need > MAX_PATH_BYTES:
        raise InputError(
            None,
            field,
            f"{runs:,} runs x {steps + 1} months x {actors}x{actors} actors need {need / 2**30:.1f} GiB, above the "
            f"{MAX_PATH_BYTES / 2**30:g} GiB limit; use at most {MAX_PATH_BYTES // ((steps + 1) * actors * actors):,} runs",
        )
