"""Where a run's behavioural values come from: the registry, the posterior's median, or a posterior draw per run.

The calibrated posterior: weighted behavioural parameter sets, shipped as package data.

``posterior.parquet`` holds one row per parameter set (columns: registry keys, and ``weight``);
``posterior.json`` its manifest (patterns-file hash, method, populations, acceptance, effective
sample size, seeds, version). Posterior-predictive batches draw a set per run from the run's
seed: a SplitMix64 hash of the seed on its own stream (``POSTERIOR_STREAM``), so the draw does
not depend on batch, chunk or worker, and never touches the run's decision noise.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np

from simulation.core.errors import InputError
from simulation.core.io import load_json
from simulation.rules.params import Params, field_name
from simulation.rules.rng import GAMMA, mix64
from simulation.world.registry import Registry
from simulation.world.resolve import Resolved

#: Added to a run's seed before hashing, so the posterior draw has its own stream.
POSTERIOR_STREAM = np.uint64(0x5EED_CA11_B2A7_E000)


def seed_uniforms(seeds: np.ndarray) -> np.ndarray:
    """One uniform in [0, 1) per seed, from the posterior stream (vectorised SplitMix64)."""
    with np.errstate(over="ignore"):
        # SplitMix64 (rules/rng.py), its numpy form: the compiled one's arithmetic on whole arrays
        x = mix64.py_func(np.asarray(seeds, dtype=np.int64).astype(np.uint64) * GAMMA + POSTERIOR_STREAM)
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

        table = Path(table)
        if not table.is_file():
            raise InputError(
                table, None, "no posterior here (expected posterior.parquet from `alliance-sim calibrate`)"
            )
        meta: object = {}
        if manifest is not None:  # a posterior folder: its table is the one its manifest recorded, always
            if not Path(manifest).exists():
                raise InputError(
                    table, None, f"no {Path(manifest).name} beside it: the table cannot be verified; not used"
                )
            meta = load_json(manifest, "posterior manifest")
            check_table_hash(table, Path(manifest), meta)
        try:
            t = pq.read_table(table)
        except (pa.ArrowInvalid, OSError) as err:
            raise InputError(table, None, f"not a readable Parquet table ({err})") from None
        if "weight" not in t.column_names or t.num_columns < 2 or t.num_rows == 0:
            raise InputError(table, None, "not a posterior: needs parameter columns, a weight column and rows")
        if t.num_rows < MIN_POSTERIOR_DRAWS:
            raise InputError(
                table,
                None,
                f"{t.num_rows} draw: a posterior needs at least {MIN_POSTERIOR_DRAWS} (one draw is a point, not a "
                "distribution)",
            )
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
        check_distinct(table, samples)
        if manifest is not None:
            check_manifest(Path(manifest), meta, keys)
        return cls(keys, samples, w / w.sum(), meta if isinstance(meta, dict) else {})

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


#: Behavioural quantities kept at their registry value: integers, which ABC's continuous kernels do not fit.
FIXED_KEYS = ("treaty_consent_steps",)


def calibrated_keys(registry: Registry | None = None) -> list[str]:
    """The behavioural parameters a calibration fits (and a posterior must hold): those with a range."""
    from simulation.world.build import behaviour_keys
    from simulation.world.registry import default_registry

    reg = registry if registry is not None else default_registry()
    return [k for k in behaviour_keys(reg) if k not in FIXED_KEYS and reg[k].low < reg[k].high]


def check_samples(table: Path, keys: tuple[str, ...], samples: np.ndarray) -> None:
    """Every column is a calibrated registry parameter; every value finite and inside its prior box
    (the registry's documented range); none missing."""
    from simulation.world.registry import default_registry

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
    missing = [k for k in calibrated_keys(reg) if k not in keys]
    if missing:
        raise InputError(table, None, f"no column for {len(missing)} calibrated parameter(s): {', '.join(missing[:4])}")


#: Fewer draws than this is not a distribution (calibration-report's spreads and checks need two at least).
MIN_POSTERIOR_DRAWS = 2


def check_table_hash(table: Path, manifest: Path, meta: object) -> None:
    """posterior.parquet is the file its posterior.json recorded (``table_sha256``): a table edited,
    extended or swapped after the calibration wrote it is refused, whatever its values look like."""
    import re

    expected = meta.get("table_sha256") if isinstance(meta, dict) else None
    if not isinstance(expected, str) or not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise InputError(
            manifest, "table_sha256", "missing or not a SHA-256: the table beside it cannot be verified; not used"
        )
    digest = hashlib.sha256()
    with open(table, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if not hmac_equal(digest.hexdigest(), expected):
        raise InputError(
            table,
            None,
            "does not match the table_sha256 its posterior.json recorded (changed after the calibration wrote "
            "it); not used: restore it, or calibrate again",
        )


def hmac_equal(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def check_distinct(table: Path, samples: np.ndarray) -> None:
    """A posterior's draws are distinct parameter sets (weights carry how much each counts): a repeated row
    is an edit, not a draw."""
    _, first, counts = np.unique(samples, axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        repeats = int((counts - 1).sum())
        row = int(first[counts > 1][0])
        raise InputError(
            table, None, f"{repeats} row(s) repeat an earlier draw (e.g. row {row}); a posterior's draws are distinct"
        )


def check_manifest(path: Path, meta: object, keys: tuple[str, ...]) -> None:
    """posterior.json: an alliance-sim posterior manifest naming exactly the table's parameters."""
    from simulation._version import __version__

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


#: What to do when the shipped posterior cannot be used (said in every such error).
REMEDY = "reinstall alliance-sim, or pass --parameters registry to run on the registry's values (labelled as such)"


@functools.cache
def _load_shipped() -> Posterior:
    table, manifest = posterior_files()
    if not table.is_file():
        raise InputError(table, None, f"the calibrated posterior is missing from this installation; {REMEDY}")
    if not manifest.is_file():
        raise InputError(manifest, None, f"the calibrated posterior's manifest is missing; {REMEDY}")
    meta = load_json(manifest, "posterior manifest")
    expected = meta.get("table_sha256") if isinstance(meta, dict) else None
    if not isinstance(expected, str):
        raise InputError(manifest, "table_sha256", f"the posterior manifest records no hash of its table; {REMEDY}")
    if hashlib.sha256(table.read_bytes()).hexdigest() != expected:
        raise InputError(table, None, f"damaged: its SHA-256 differs from the one in posterior.json; {REMEDY}")
    return Posterior.from_files(table, manifest)


def shipped_posterior() -> Posterior:
    """The posterior that ships with the package.

    A missing, unhashed or damaged posterior is a one-line ``InputError`` (never a silent fallback to
    the registry's values: those are another model, used only when asked for by name).
    """
    return _load_shipped()


ParameterMode = Literal["posterior", "point", "registry"]


def behaviour_for(
    resolved: Resolved, params: Params, seeds: np.ndarray, mode: ParameterMode | None
) -> tuple[np.ndarray, str]:
    """The behaviour records for ``seeds`` under ``mode`` and a label of what was used."""
    mode = "posterior" if mode is None else mode
    if mode == "registry":
        return params.behaviour, "registry values (uncalibrated, asked for with --parameters registry)"
    if mode not in ("posterior", "point"):
        raise ValueError(f"unknown parameters mode {mode!r} (allowed: posterior, point, registry)")
    post = shipped_posterior()
    keep = {k: v for k, v in resolved.overrides.items() if k in post.keys}
    if mode == "point":
        return post.point_record(params.behaviour, keep), "posterior median (one parameter set)"
    return post.draw_records(params.behaviour, seeds, keep), "posterior predictive (a parameter draw per run)"
