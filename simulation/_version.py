"""The package version, alone: every module that records it imports it from here, not from the root."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("alliance-sim")  # the installed metadata is the one source
except _metadata.PackageNotFoundError:  # a checkout used without installing it
    __version__ = "0.0.0+checkout"
