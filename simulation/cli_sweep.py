"""Sweep-related subcommands (sweep, plot)."""

from __future__ import annotations

import argparse


def add_sweep_commands(sub: argparse._SubParsersAction) -> None:
    return None
