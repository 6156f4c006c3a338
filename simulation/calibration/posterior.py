"""The calibrated posterior: weighted behavioural parameter sets, shipped as package data.

``posterior.parquet`` holds one row per parameter set (columns: registry keys, and ``weight``);
``posterior.json`` its manifest (patterns-file hash, method, populations, acceptance, effective
sample size, seeds, version). Posterior-predictive batches draw a set per run from the run's
seed: a SplitMix64 hash of the seed on its own stream (``POSTERIOR_STREAM``), so the draw does
not depend on batch, chunk or worker, and never touches the run's decision noise.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..registry import Registry
from ..rules.params import field_name

#: Added to a run's seed before hashing, so the posterior draw has its own stream.
POSTERIOR_STREAM = np.uint64(0x5EED_CA11_B2A7_E000)
_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def _mix64(x: np.ndarray) -> np.ndarray:
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def seed_uniforms(seeds: np.ndarray) -> np.ndarray:
    """One uniform in [0, 1) per seed, from the posterior stream (vectorised SplitMix64)."""
    with np.errstate(over="ignore"):
        x = _mix64(np.asarray(seeds, dtype=np.int64).astype(np.uint64) * _GAMMA + POSTERIOR_STREAM)
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


@dataclass(frozen=True)
class Posterior:
    keys: tuple[str, ...]  # registry keys
    samples: np.ndarray  # [S, P]
    weights: np.ndarray  # [S], sum 1
    manifest: dict

    @classmethod
    def from_files(cls, table: Path, manifest: Path | None = None) -> Posterior:
        """Read a posterior; a missing or malformed file is a one-line InputError naming it."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..errors import InputError
        from ..io import load_json

        table = Path(table)
        if not table.is_file():
            raise InputError(
                table, None, "no posterior here (expected posterior.parquet from `alliance-sim calibrate`)"
            )
        try:
            t = pq.read_table(table)
        except (pa.ArrowInvalid, OSError) as err:
            raise InputError(table, None, f"not a readable Parquet table ({err})") from None
        if "weight" not in t.column_names or t.num_columns < 2 or t.num_rows == 0:
            raise InputError(table, None, "not a posterior: needs parameter columns, a weight column and rows")
        if len(set(t.column_names)) != len(t.column_names):
            raise InputError(table, None, "a column appears twice; a posterior has one column per parameter")
        keys = tuple(c for c in t.column_names if c != "weight")
        for name in t.column_names:
            if not (pa.types.is_floating(t.schema.field(name).type) or pa.types.is_integer(t.schema.field(name).type)):
                raise InputError(table, name, f"expected numbers, got {t.schema.field(name).type}")
        samples = np.column_stack([t.column(k).to_numpy(zero_copy_only=False) for k in keys]).astype(float)
        w = t.column("weight").to_numpy(zero_copy_only=False).astype(float)
        if not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
            raise InputError(table, "weight", "weights must be finite, non-negative and not all zero")
        check_samples(table, keys, samples)
        meta = load_json(manifest, "posterior manifest") if manifest is not None and Path(manifest).exists() else {}
        if manifest is not None and Path(manifest).exists():
            check_manifest(Path(manifest), meta, keys)
        return cls(keys, samples, w / w.sum(), meta)

    def check_patterns(self, patterns_path: Path | None, where: Path) -> None:
        """Refuse a posterior calibrated on other patterns than ``patterns_path`` (default: the shipped ones)."""
        from ..errors import InputError
        from .patterns import patterns_hash

        recorded = self.manifest.get("patterns_sha256")
        expected = patterns_hash(patterns_path)
        if recorded != expected:
            raise InputError(
                where,
                "patterns_sha256",
                f"{str(recorded)[:12]}... was calibrated on other patterns than "
                f"{patterns_path or 'the shipped patterns.yaml'} ({expected[:12]}...); calibrate again on them",
            )

    @property
    def effective_sample_size(self) -> float:
        return float(1.0 / np.sum(self.weights**2))

    def median(self) -> np.ndarray:
        """Weighted median of each parameter."""
        out = np.empty(len(self.keys))
        for p in range(len(self.keys)):
            order = np.argsort(self.samples[:, p])
            cum = np.cumsum(self.weights[order])
            out[p] = self.samples[order[np.searchsorted(cum, 0.5)], p]
        return out

    def indices(self, seeds: np.ndarray) -> np.ndarray:
        """The parameter set each run uses (weighted, from its seed)."""
        cum = np.cumsum(self.weights)
        cum[-1] = 1.0
        return np.minimum(np.searchsorted(cum, seed_uniforms(seeds), side="right"), len(cum) - 1)

    def _fill(self, base: np.ndarray, values: np.ndarray, keep: dict[str, float]) -> np.ndarray:
        out = np.repeat(base[:1], values.shape[0])
        for p, key in enumerate(self.keys):
            name = field_name(key)
            if name in out.dtype.names:
                out[name] = keep[key] if key in keep else values[:, p]
        return out

    def draw_records(self, base: np.ndarray, seeds: np.ndarray, keep: dict[str, float]) -> np.ndarray:
        """Behaviour records [B]: run b gets the set its seed draws (``keep`` overrides win)."""
        return self._fill(base, self.samples[self.indices(seeds)], keep)

    def point_record(self, base: np.ndarray, keep: dict[str, float]) -> np.ndarray:
        """One behaviour record [1] at the posterior median (``keep`` overrides win)."""
        return self._fill(base, self.median()[None], keep)


#: Slack on the prior box: values written as float64 from draws inside it may sit one rounding outside.
PRIOR_BOX_SLACK = 1e-9


def check_samples(table: Path, keys: tuple[str, ...], samples: np.ndarray) -> None:
    """Every column is a calibrated registry parameter; every value finite and inside its prior box
    (the registry's documented range); none missing."""
    from ..errors import InputError
    from ..registry import default_registry

    reg = default_registry()
    for p, key in enumerate(keys):
        if key not in reg:
            raise InputError(table, key, "not a registry parameter (see `alliance-sim params`); not a posterior column")
        column = samples[:, p]
        if not np.all(np.isfinite(column)):
            raise InputError(table, key, f"{int((~np.isfinite(column)).sum())} values are not finite numbers")
        low, high = reg[key].low, reg[key].high
        slack = PRIOR_BOX_SLACK * max(1.0, abs(low), abs(high))
        outside = (column < low - slack) | (column > high + slack)
        if outside.any():
            bad = column[outside][0]
            raise InputError(
                table, key, f"{int(outside.sum())} values outside the prior box {low:g} to {high:g} (e.g. {bad:g})"
            )
    from .abc import calibrated_keys

    missing = [k for k in calibrated_keys(reg) if k not in keys]
    if missing:
        raise InputError(table, None, f"no column for {len(missing)} calibrated parameter(s): {', '.join(missing[:4])}")


def check_manifest(path: Path, meta: object, keys: tuple[str, ...]) -> None:
    """posterior.json: an alliance-sim posterior manifest naming exactly the table's parameters."""
    from .. import __version__
    from ..errors import InputError

    if not isinstance(meta, dict):
        raise InputError(path, None, "expected a JSON mapping (the posterior's manifest)")
    if meta.get("package") != "alliance-sim" or meta.get("kind") != "posterior":
        raise InputError(path, "kind", "not an alliance-sim posterior manifest (kind: posterior)")
    for field, kind in (("patterns_sha256", str), ("parameters", list), ("version", str)):
        if not isinstance(meta.get(field), kind):
            raise InputError(path, field, f"missing or not a {kind.__name__}")
    if list(meta["parameters"]) != list(keys):
        raise InputError(path, "parameters", "do not match the columns of posterior.parquet beside it")
    mine, theirs = _major_minor(__version__), _major_minor(meta["version"])
    if mine is not None and theirs is not None and mine != theirs:
        raise InputError(
            path,
            "version",
            f"made by alliance-sim {meta['version']}, this is {__version__}: the parameters may mean other things; "
            "calibrate again with this version",
        )


def _major_minor(version: str) -> tuple[int, int] | None:
    """(major, minor) of a release version; None for a checkout's placeholder or anything unparsable."""
    import re

    m = re.match(r"^(\d+)\.(\d+)", version)
    if m is None or "checkout" in version:
        return None
    return int(m.group(1)), int(m.group(2))


def posterior_files() -> tuple[Path, Path]:
    root = Path(str(resources.files("simulation").joinpath("data")))
    return root / "posterior.parquet", root / "posterior.json"


@functools.cache
def _load_shipped() -> Posterior | None:
    table, manifest = posterior_files()
    if not table.is_file():
        return None
    return Posterior.from_files(table, manifest)


def shipped_posterior(registry: Registry | None = None) -> Posterior | None:
    """The posterior that ships with the package, or None before a calibration has been shipped."""
    del registry
    return _load_shipped()
