"""The command line: parse and print only; one module per command group."""

from simulation.cli.app import main

__all__ = ["main"]
