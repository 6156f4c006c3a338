"""Argument types shared by every ``alliance-sim`` subcommand, and a parser whose errors are one line."""

from __future__ import annotations

import argparse
import sys


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (naming the argument) with exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        sys.stderr.write(f"error: {self.prog}: {message} (see --help)\n")
        sys.exit(2)


def _integer(text: str, minimum: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return value


def positive_int(text: str) -> int:
    """A count: 1 or more."""
    return _integer(text, 1, "a whole number of at least 1")


def seed_int(text: str) -> int:
    """A random seed: 0 or more (numpy's generators refuse negative seeds)."""
    return _integer(text, 0, "a seed of 0 or more")
